"""A class at the door: the leader's page shows one signed code; the door's scanner reads it on the lists of
the group's date, the staff type how many came, and that count is the booking's arrival (the places and
the invoice follow it), once, online or synchronised later; a cancelled booking, another date, a forged
code and a count the date cannot hold are refused or reported. A class that never came is noted absent."""

import datetime
import io
import re
import uuid

import pytest
import segno
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from parvis.checkin import services as checkin
from parvis.checkin.models import CheckinList, Scan
from parvis.core.models import AuditLogEntry
from parvis.core.tests.smtp import Sink
from parvis.crm.models import Interaction
from parvis.groups import door, services
from parvis.groups.models import GroupBooking
from parvis.network.models import Role
from parvis.testing import login_staff, staff
from parvis.ticketing import signing

from .test_bookings import _ask, _offer, _used

pytestmark = pytest.mark.django_db


def _confirmed(client, capacity=40):
    offer, (performance, second) = _offer(capacity=capacity)
    _ask(client, offer, performance, pupils=28, adults=3)
    booking = GroupBooking.objects.get()
    services.confirm(actor=None, booking=booking, performance=performance)
    type(performance).objects.filter(pk=performance.pk).update(
        starts_at=timezone.now() + datetime.timedelta(minutes=20)  # the class is on its way
    )
    booking.refresh_from_db()
    checkin_list = CheckinList.objects.create(organizer=offer.organizer, name="Accueil des groupes")
    checkin_list.performances.add(performance)
    _device, token = checkin.device_create(organizer=offer.organizer, name="Accueil")
    return booking, second, checkin_list, token


def _post(client, token, path, body):
    return client.post(
        f"/api/v1/checkin/{path}", body, content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip


def _redeem(client, token, checkin_list, secret, nonce=None, **extra):
    body = {"list": checkin_list.pk, "secret": secret, "nonce": nonce or uuid.uuid4().hex, **extra}
    return _post(client, token, "redeem", body)


def test_the_leaders_code_lets_the_class_in_and_the_count_is_its_arrival_once(client):
    booking, _second, checkin_list, token = _confirmed(client)
    secret = door.group_secret(booking)
    # The leader's page shows this very code (Ed25519 signatures are deterministic: the same QR).
    svg = io.BytesIO()
    segno.make(secret, error="m").save(svg, kind="svg", scale=4, border=2, xmldecl=False, svgns=True)
    (path,) = re.findall(r' d="([^"]+)"', svg.getvalue().decode())
    assert path in Client().get(booking.get_absolute_url()).content.decode()

    package = client.get(
        f"/api/v1/checkin/lists/{checkin_list.pk}/download", headers={"Authorization": f"Bearer {token}"}
    ).json()
    row = package["codes"]["4"]["groups"][str(booking.pk)]
    assert row[0] == "confirmed" and row[1] == booking.performance_id and row[5:] == [28, 3]

    nonce = uuid.uuid4().hex
    answer = _redeem(client, token, checkin_list, secret, nonce, counts={"pupils": 24, "adults": 3})
    body = answer.json()
    assert answer.status_code == 200 and body["result"] == "accepted" and body["note"] == ""
    assert body["holder"]["counted"] == {"pupils": 24, "adults": 3}
    assert body["holder"]["name"] == "École élémentaire des Tilleuls"
    booking.refresh_from_db()
    assert booking.state == "visited" and (booking.final_pupils, booking.final_adults) == (24, 3)
    assert booking.places == 27 and _used(booking.performance) == 27  # four places back on sale
    assert Scan.objects.get(nonce=nonce).code_ref == f"group:{booking.pk}"

    # The phone did not hear the answer and sends the same scan again: nothing is counted twice.
    again = _redeem(client, token, checkin_list, secret, nonce, counts={"pupils": 30, "adults": 3})
    assert again.json()["result"] == "accepted"
    # The class comes back from the garden through another door: in, and the count stands.
    back = _redeem(client, token, checkin_list, secret, counts={"pupils": 30, "adults": 3}).json()
    assert back["result"] == "accepted" and back["holder"]["counted"] == {"pupils": 24, "adults": 3}
    booking.refresh_from_db()
    assert (booking.final_pupils, booking.places) == (24, 27)
    arrivals = AuditLogEntry.objects.filter(action="group.arrival", object_id=str(booking.pk))
    assert arrivals.count() == 1

    # The phone was given 24 pupils for 22: the team corrects it before the invoice, places follow.
    team = Client()
    login_staff(team, staff(booking.organizer, Role.BOX_OFFICE))
    url = f"/staff/o/{booking.organizer.slug}/groupes/{booking.code}/"
    assert "Corriger l'effectif venu" in team.get(url).content.decode()
    team.post(url, {"action": "arrival", "pupils": 22, "adults": 3})
    booking.refresh_from_db()
    assert (booking.final_pupils, booking.places, _used(booking.performance)) == (22, 25, 25)
    assert arrivals.count() == 2 and arrivals.latest("pk").before == {"pupils": 24, "adults": 3}
    assert Interaction.objects.filter(contact=booking.contact, kind=Interaction.Kind.GROUP).count() == 1
    team.post(url, {"action": "invoice"})
    team.post(url, {"action": "arrival", "pupils": 30, "adults": 3})  # invoiced: the count is fixed
    booking.refresh_from_db()
    assert booking.state == "invoiced" and booking.final_pupils == 22


def test_a_count_recorded_offline_is_the_arrival_when_the_phone_syncs(client):
    booking, _second, checkin_list, token = _confirmed(client)
    scan = {
        "list": checkin_list.pk, "secret": door.group_secret(booking), "nonce": uuid.uuid4().hex,
        "scanned_at": (timezone.now() - datetime.timedelta(minutes=2)).isoformat(),
        "offline_verdict": "accepted", "counts": {"pupils": 29, "adults": 4},
    }  # fmt: skip
    (result,) = _post(client, token, "sync", {"scans": [scan]}).json()["results"]
    assert result["result"] == "accepted" and not result["conflict"]
    booking.refresh_from_db()
    # One more pupil than announced: the date had the place, it is taken.
    assert booking.state == "visited" and booking.places == 33 and _used(booking.performance) == 33


def test_refusals_and_a_count_the_date_cannot_hold(client):
    booking, second, checkin_list, token = _confirmed(client, capacity=31)
    secret = door.group_secret(booking)
    assert _redeem(client, token, checkin_list, secret[:-6] + "AAAAAA").json()["reason"] == "invalid"
    assert _redeem(client, token, checkin_list, secret, counts={"pupils": -1}).status_code == 422

    # The date is full: ten more than booked cannot be counted, but the class is at the door and comes in.
    full = _redeem(client, token, checkin_list, secret, counts={"pupils": 38, "adults": 3}).json()
    assert full["result"] == "accepted" and "Plus assez de places" in full["note"]
    booking.refresh_from_db()
    assert booking.state == "confirmed" and booking.final_pupils is None and booking.places == 31

    # The other date's list does not know this class.
    other = CheckinList.objects.create(organizer=booking.organizer, name="Semaine suivante")
    other.performances.add(second)
    assert _redeem(client, token, other, secret).json()["reason"] == "group_other_date"

    # A code made for another date (the booking was moved since) names the wrong date.
    stale = signing.sign_group(
        key=signing.signing_key_for_id(booking.organizer_id), booking_id=booking.pk,
        performance_id=second.pk, valid_until=timezone.now() + datetime.timedelta(hours=2),
    )  # fmt: skip
    assert _redeem(client, token, checkin_list, stale).json()["reason"] == "group_other_date"
    services.cancel(actor=None, booking=booking, reason="Car en panne")
    assert _redeem(client, token, checkin_list, secret).json()["reason"] == "group_not_confirmed"
    assert Scan.objects.filter(accepted=False, code_ref=f"group:{booking.pk}").count() == 3


def test_a_class_that_never_came_is_noted_absent_by_staff_or_the_nightly_pass(
    client, django_capture_on_commit_callbacks
):
    offer, (performance, second) = _offer(capacity=80)
    for email, date in (("ines.garnier@ecole.example", performance), ("paul.roux@ecole.example", second)):
        _ask(client, offer, date, pupils=28, adults=3, leader_email=email)
    early, late = GroupBooking.objects.order_by("pk")
    services.confirm(actor=None, booking=early, performance=performance)
    services.confirm(actor=None, booking=late, performance=second)
    with pytest.raises(services.GroupError, match="pas encore commencé"):
        services.no_show(actor=None, booking=early)
    team = Client()
    login_staff(team, staff(offer.organizer, Role.BOX_OFFICE))
    url = f"/staff/o/{offer.organizer.slug}/groupes/{early.code}/"
    assert "pas venu" not in team.get(url).content.decode()  # not before the visit

    now = timezone.now()
    type(performance).objects.filter(pk=performance.pk).update(starts_at=now - datetime.timedelta(days=3))
    type(second).objects.filter(pk=second.pk).update(starts_at=now - datetime.timedelta(hours=1))
    queue = team.get(f"/staff/o/{offer.organizer.slug}/groupes/").content.decode()
    assert "Visites commencées sans arrivée enregistrée" in queue and late.code in queue
    with Sink() as sink, override_settings(**sink.email_settings()):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("groups_no_shows", stdout=io.StringIO())
        early.refresh_from_db(), late.refresh_from_db()
        # Three days after its date, nobody counted it: absent, its places back, nothing invoiced.
        assert early.state == "no_show" and early.places == 0 and _used(early.performance) == 0
        assert early.invoice_number is None
        assert late.state == "confirmed"  # an hour ago: staff may still count it
        (told,) = sink.messages
        assert told["To"] == "ines.garnier@ecole.example" and "pas vus" in sink.subjects()[0]
        with django_capture_on_commit_callbacks(execute=True):
            answer = team.post(f"/staff/o/{offer.organizer.slug}/groupes/{late.code}/", {"action": "no_show"})
        assert answer.status_code == 302
        late.refresh_from_db()
        assert late.state == "no_show" and _used(late.performance) == 0 and len(sink.messages) == 2
    absent = Interaction.objects.get(contact=early.contact, kind=Interaction.Kind.GROUP)
    assert "pas venu" in absent.summary
    assert AuditLogEntry.objects.filter(action="group.no_show").count() == 2

    # The door no longer lets the closed booking in...
    checkin_list = CheckinList.objects.create(organizer=offer.organizer, name="Accueil")
    checkin_list.performances.add(second)
    _device, token = checkin.device_create(organizer=offer.organizer, name="Accueil")
    refused = _redeem(client, token, checkin_list, door.group_secret(late)).json()
    assert refused["reason"] == "group_not_confirmed"
    # ... but the leader writes that the class did come: staff record the arrival, the places are taken again.
    team.post(url, {"action": "arrival", "pupils": 25, "adults": 3})
    early.refresh_from_db()
    assert early.state == "visited" and early.places == 28 and _used(early.performance) == 28

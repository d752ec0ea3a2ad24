"""A class at the door: the leader's page shows one signed code; the door's scanner reads it on the lists of
the group's date, the staff type how many came, and that count is the booking's arrival (the places and
the invoice follow it), once, online or synchronised later; a cancelled booking, another date, a forged
code and a count the date cannot hold are refused or reported."""

import datetime
import io
import re
import uuid

import pytest
import segno
from django.test import Client
from django.utils import timezone

from parvis.checkin import services as checkin
from parvis.checkin.models import CheckinList, Scan
from parvis.core.models import AuditLogEntry
from parvis.groups import door, services
from parvis.groups.models import GroupBooking
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

"""Online access end to end: an online ticket takes no place in the room and has no door; its personal link
(e-mailed through a real SMTP server) opens the content only in its window, on at most N devices at once,
and stops at a refund, a revocation or a new link; the audience is counted and each opening reaches the
contact's timeline."""

import datetime
import re
import uuid
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.utils import timezone

from parvis.checkin import services as door
from parvis.checkin.models import CheckinList, Gate
from parvis.core.models import AuditLogEntry
from parvis.core.tests.smtp import Sink
from parvis.crm.models import Interaction
from parvis.declarations.models import Territory, VenueTax
from parvis.declarations.revenue import valid_sold
from parvis.memberships.tests.factories import level, member, program
from parvis.network.models import Role
from parvis.online import access as checks
from parvis.online import services as online
from parvis.online.models import OnlineAccess, OnlineContent, Viewing
from parvis.programming.models import Performance
from parvis.testing import login_staff, staff
from parvis.ticketing import inventory
from parvis.ticketing import services as sales
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Hold, Quota, Ticket
from parvis.ticketing.tests.factories import buy, on_sale_performance, tariff

pytestmark = pytest.mark.django_db
LINK = re.compile(r"https?://[^\s\"<]+/en-ligne/[^\s\"<]+/")


def _starts_in(performance, minutes: int) -> Performance:
    Performance.objects.filter(pk=performance.pk).update(
        starts_at=timezone.now() + datetime.timedelta(minutes=minutes), ends_at=None
    )
    performance.refresh_from_db()
    return performance


def _stream(minutes: int = 10, **content):
    """A date starting in `minutes`, a room tariff and an online one, its content set."""
    performance = on_sale_performance(capacity=2)
    room = tariff(performance, name="Salle", price="20.00")
    web = tariff(performance, name="En ligne", price="8.00", online=True)
    OnlineContent.objects.create(
        performance=performance, embed_url="https://player.example.net/embed/42", **content
    )
    return _starts_in(performance, minutes), room, web


def _link_of(order) -> str:
    ((_label, url, _note),) = online.order_links(order, "")
    return url


def test_an_online_ticket_takes_no_place_in_the_room_and_a_contingent_of_its_own_limits_it():
    performance, room, web = _stream()
    buy(room, 2)
    with pytest.raises(SaleError):
        buy(room, 1)  # the room is full
    buy(web, 5)  # the stream is not
    assert Quota.objects.get(performance=performance, is_total=True).used == 2
    left = inventory.availability(performance_ids=[performance.pk], channel="online")
    assert left[room.pk] == 0 and left[web.pk] == inventory.ONLINE_UNLIMITED
    viewers = sales.quota_create(actor=None, performance=performance, name="Spectateurs en ligne", capacity=6)
    viewers.tariffs.add(web)
    Quota.objects.filter(pk=viewers.pk).update(used=5)
    buy(web, 1)
    with pytest.raises(SaleError):
        buy(web, 1)
    assert Quota.objects.get(pk=viewers.pk).used == 6
    assert Quota.objects.get(performance=performance, is_total=True).used == 2


def test_the_confirmation_sends_a_personal_link_and_no_ticket_to_print(django_capture_on_commit_callbacks):
    performance, _room, web = _stream()
    with Sink() as sink, override_settings(**sink.email_settings()):
        with django_capture_on_commit_callbacks(execute=True):
            order = buy(web, 1)
        (message,) = sink.messages
    body = message.get_payload()[0].get_payload(decode=True).decode()
    assert "pièce jointe" not in body  # nothing to print for an online ticket
    assert not [part for part in message.walk() if part.get_content_type() == "application/pdf"]
    (url,) = set(LINK.findall(body))
    path = url[url.index("/en-ligne/") :]
    assert path == _link_of(order)  # the same access, made once
    page = Client().get(path)
    assert page.status_code == 200 and b'data-testid="online-embed"' in page.content
    assert page["Referrer-Policy"] == "same-origin" and "private" in page["Cache-Control"]
    assert "frame-src https://player.example.net" in page["Content-Security-Policy"]
    assert OnlineAccess.objects.get().contact_id == order.contact_id


def test_the_window_before_during_and_after():
    performance, _room, web = _stream(minutes=90)  # opens 30 minutes before: not yet
    path = _link_of(buy(web, 1))
    page = Client().get(path)
    assert page.status_code == 200 and b'data-testid="online-not-yet"' in page.content
    assert b"online-embed" not in page.content
    _starts_in(performance, 20)
    assert Client().get(path).status_code == 200
    _starts_in(performance, -5 * 60)  # ended four hours ago (two hours long, two hours to watch again)
    late = Client().get(path)
    assert late.status_code == 410 and b"online-embed" not in late.content


def test_on_demand_lasts_n_days_from_the_first_opening():
    performance, _room, web = _stream(minutes=-60 * 24 * 20, kind="on_demand", on_demand_days=3)
    with pytest.raises(SaleError):  # weeks after the start: closed, unless the tariff says until when
        buy(web, 1)
    web.sales_close_at = timezone.now() + datetime.timedelta(days=60)
    web.save()
    path = _link_of(buy(web, 1))
    assert Client().get(path).status_code == 200  # weeks after the start: first opened now
    access = OnlineAccess.objects.get()
    assert access.first_opened_at is not None
    OnlineAccess.objects.filter(pk=access.pk).update(
        first_opened_at=timezone.now() - datetime.timedelta(days=3, minutes=1)
    )
    assert Client().get(path).status_code == 410


def test_a_refund_closes_the_access_at_once():
    _performance, _room, web = _stream()
    order = buy(web, 1)
    path = _link_of(order)
    assert Client().get(path).status_code == 200
    sales.tickets_refund(tickets=list(order.tickets.all()), reason="test")
    refused = Client().get(path)
    assert refused.status_code == 403 and b"plus valable" in refused.content
    assert online.order_links(order, "") == []  # a refunded ticket gives no link any more


def test_a_forged_or_outdated_link_opens_nothing():
    _performance, _room, web = _stream()
    path = _link_of(buy(web, 1))
    token = path.split("/")[2]
    pk, rest = token.split("-", 1)
    assert Client().get(f"/en-ligne/{int(pk) + 1}-{rest}/").status_code == 404
    assert Client().get(path.replace(token, token[:-2] + "xx")).status_code == 404
    OnlineAccess.objects.update(version=2)  # a new link was made since
    assert Client().get(path).status_code == 404


def test_device_limit_with_two_browsers():
    _performance, _room, web = _stream(max_devices=1)
    path = _link_of(buy(web, 1))
    first, second = Client(), Client()
    assert first.get(path).status_code == 200
    refused = second.get(path)
    assert refused.status_code == 409 and b"maximum" in refused.content
    assert first.get(path).status_code == 200  # the same device comes back: still its place
    assert first.post(path + "pouls/", {"seen": "open"}).status_code == 204
    assert second.post(path + "pouls/", {"seen": "full"}).status_code == 204
    first.post(path + "arreter/")
    assert second.get(path).status_code == 200  # stopped on the first: the second is in
    assert first.get(path).status_code == 409
    # A device that falls silent frees its place by itself, no worker needed.
    stale = timezone.now() - datetime.timedelta(seconds=checks.LIVE_SECONDS + 1)
    Viewing.objects.filter(ended_at__isnull=True).update(last_seen_at=stale)
    assert first.get(path).status_code == 200
    assert Viewing.objects.values("device").distinct().count() == 2


def test_the_heartbeat_tells_the_page_to_reload_when_the_state_changes():
    _performance, _room, web = _stream()
    path = _link_of(buy(web, 1))
    viewer = Client()
    viewer.get(path)
    assert viewer.post(path + "pouls/", {"seen": "open"}).status_code == 204
    online.access_revoke(actor=None, access=OnlineAccess.objects.get(), reason="partagé")
    beat = viewer.post(path + "pouls/", {"seen": "open"})
    assert beat["HX-Refresh"] == "true"
    page = viewer.get(path)
    assert page.status_code == 403 and "partagé" in page.content.decode()


def test_staff_revoke_then_send_a_new_link(client, django_capture_on_commit_callbacks):
    performance, _room, web = _stream()
    order = buy(web, 1)
    old = _link_of(order)
    box = staff(performance.organizer, Role.BOX_OFFICE)
    login_staff(client, box)
    url = f"/staff/o/{performance.organizer.slug}/dates/{performance.pk}/en-ligne/"
    access = OnlineAccess.objects.get()
    client.post(url, {"action": "revoke", "access": access.pk, "reason": "lien publié sur un forum"})
    assert Client().get(old).status_code == 403
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "renew", "access": access.pk})
    (message,) = mail.outbox
    new = LINK.search(message.body).group(0)
    new_path = new[new.index("/en-ligne/") :]
    assert new_path != old and Client().get(new_path).status_code == 200
    assert Client().get(old).status_code == 404
    actions = set(AuditLogEntry.objects.filter(object_id=str(access.pk)).values_list("action", flat=True))
    assert {"online.revoke", "online.renew"} <= actions


def test_staff_roles_and_tenants(client):
    performance, _room, web = _stream()
    buy(web, 1)
    url = f"/staff/o/{performance.organizer.slug}/dates/{performance.pk}/en-ligne/"
    login_staff(client, staff(performance.organizer, Role.PROGRAMMING))
    page = client.get(url)
    assert page.status_code == 200 and b"online-audience" in page.content
    access = OnlineAccess.objects.get()
    assert client.post(url, {"action": "revoke", "access": access.pk}).status_code == 403
    saved = client.post(
        url,
        {"action": "content", "kind": "live", "embed_url": "http://insecure.example/x",
         "opens_minutes_before": 30, "closes_hours_after": 2, "max_devices": 2},
    )  # fmt: skip
    assert saved.status_code == 400 and "HTTPS" in saved.content.decode()
    other = on_sale_performance()
    outsider = Client()
    login_staff(outsider, staff(other.organizer, Role.ADMINISTRATOR))
    assert outsider.get(url).status_code in (403, 404)


def test_audience_and_timeline():
    performance, _room, web = _stream(max_devices=3)
    order = buy(web, 2)
    paths = [url for _label, url, _note in online.order_links(order, "")]
    a, b = Client(), Client()
    a.get(paths[0])
    b.get(paths[0])
    Client().get(paths[1])
    content = OnlineContent.objects.get(performance=performance)
    figures = online.audience(content)
    assert (figures.accesses, figures.viewers, figures.devices) == (2, 2, 3)
    assert figures.peak == 3 and figures.watching_now == 3
    # The first device leaves an hour before the others: the peak stays what it was.
    early = timezone.now() - datetime.timedelta(hours=2)
    Viewing.objects.filter(pk=Viewing.objects.order_by("pk").first().pk).update(
        started_at=early, last_seen_at=early + datetime.timedelta(minutes=30)
    )
    figures = online.audience(content)
    assert figures.peak == 2 and figures.watching_now == 2 and figures.minutes >= 30
    entries = Interaction.objects.filter(contact_id=order.contact_id, kind=Interaction.Kind.ONLINE)
    assert entries.count() == 3 and entries.first().performance_id == performance.pk


def test_no_door_check_for_an_online_ticket(client):
    performance, room, web = _stream()
    order = buy(web, 1)
    checkin_list = CheckinList.objects.create(organizer=performance.organizer, name="Soirée")
    checkin_list.performances.add(performance)
    gate = Gate.objects.create(organizer=performance.organizer, name="Porte A")
    _device, token = door.device_create(organizer=performance.organizer, name="Téléphone", gate=gate)
    answer = client.post(
        "/api/v1/checkin/redeem",
        {"list": checkin_list.pk, "secret": order.tickets.get().secret, "nonce": uuid.uuid4().hex},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert answer["result"] == "refused" and answer["reason"] == "online"
    buy(room, 1)
    package = client.get(
        f"/api/v1/checkin/lists/{checkin_list.pk}/download", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert [t["tariff"] for t in package["tickets"]] == [room.pk]  # the door expects the room only


def test_online_vat_rate_and_declarations():
    performance = on_sale_performance()
    web = tariff(performance, name="En ligne", price="12.00", online=True)
    room = tariff(performance, name="Salle", price="20.00")
    assert web.vat_rate == Decimal("20.00") and room.vat_rate == Decimal("5.50")
    VenueTax.objects.create(venue=performance.venue, territory=Territory.DOM)
    assert tariff(performance, name="En ligne DOM", price="5.00", online=True).vat_rate == Decimal("8.50")
    buy(web, 3)
    buy(room, 1)
    (sold,) = valid_sold([performance.pk])[performance.pk]  # SIBIL, the show tax: the room only
    assert sold.price == Decimal("20.00")
    assert Ticket.objects.filter(performance=performance).count() == 4


def test_members_get_their_access_by_their_card(client, django_capture_on_commit_callbacks):
    performance, _room, _web = _stream(members=True)
    card = member(level(program(performance.organizer)), email="mila@example.org")
    mail.outbox.clear()
    url = f"/en-ligne/adherents/{performance.pk}/"
    wrong = client.post(url, {"code": card.code, "email": "someone@example.org"})
    assert wrong.status_code == 400 and not OnlineAccess.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"code": card.code, "email": "MILA@example.org"})
    (message,) = mail.outbox
    path = LINK.search(message.body).group(0)
    assert Client().get(path[path.index("/en-ligne/") :]).status_code == 200
    assert OnlineAccess.objects.get().membership_id == card.pk


@pytest.mark.django_db(transaction=True)
def test_eight_browsers_opening_a_shared_link_at_once_only_two_get_in():
    """Real threads on the real database (PostgreSQL in CI): the access's row lock admits one at a time."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    _performance, _room, web = _stream(max_devices=2)
    _link_of(buy(web, 1))
    access = OnlineAccess.objects.get()
    barrier = threading.Barrier(8)

    def open_once(i):
        try:
            barrier.wait(timeout=10)
            found = checks.access_of_token(checks.token_of(access))
            return checks.admit(found, f"device-{i}", timezone.now())
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        admitted = list(pool.map(open_once, range(8)))
    assert admitted.count(True) == 2
    assert Viewing.objects.filter(access=access).count() == 2


def test_a_room_sold_out_still_sells_its_stream_and_offers_the_waiting_list_for_the_room(client):
    performance, room, web = _stream(minutes=60 * 24)
    buy(room, 2)  # the room's 2 places
    page = client.get(f"/billets/{performance.pk}/").content.decode()
    assert "Complet." in page and "Liste d" in page
    waitlist = page.split('id="wl-tariff"')[1].split("</select>")[0]
    assert f'value="{room.pk}"' in waitlist and f'value="{web.pk}"' not in waitlist  # the room waits
    assert f'name="q-{web.pk}" id="q-{web.pk}">' in page  # the stream is still on sale
    client.post(f"/billets/{performance.pk}/", {f"q-{web.pk}": "1"})
    assert Hold.objects.filter(tariff=web, quantity=1).exists()

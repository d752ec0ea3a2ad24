"""Offline scans synchronised later: first scan wins by time, conflicts flagged; manual entry and search."""

import datetime
import uuid

import pytest
from django.utils import timezone

from parvis.checkin import services
from parvis.checkin.models import CheckinList, Gate, Presence, Scan
from parvis.ticketing import services as sales

from .test_redeem import _redeem, _setup

pytestmark = pytest.mark.django_db


def _sync(client, token, scans):
    return client.post(
        "/api/v1/checkin/sync",
        {"scans": scans},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def _offline(checkin_list, secret, minutes_ago, verdict="accepted", reason="", nonce=None):
    return {
        "list": checkin_list.pk,
        "secret": secret,
        "nonce": nonce or uuid.uuid4().hex,
        "scanned_at": (timezone.now() - datetime.timedelta(minutes=minutes_ago)).isoformat(),
        "offline_verdict": verdict,
        "offline_reason": reason,
    }


def test_two_offline_devices_let_the_same_ticket_in_the_earliest_wins(client):
    _performance, order, checkin_list, device, token = _setup()
    other, other_token = services.device_create(
        organizer=checkin_list.organizer,
        name="Téléphone 2",
        gate=Gate.objects.create(organizer=checkin_list.organizer, name="Porte B"),
    )
    secret = order.tickets.order_by("number").first().secret
    # Device 2 syncs first, but device 1 scanned earlier: device 1's scan keeps the entry.
    late = _sync(client, other_token, [_offline(checkin_list, secret, minutes_ago=5)]).json()["results"][0]
    assert late["result"] == "accepted" and late["conflict"] is False
    early = _sync(client, token, [_offline(checkin_list, secret, minutes_ago=8)]).json()["results"][0]
    assert early["result"] == "accepted"
    presence = Presence.objects.get()
    assert presence.first_scan.device == device
    loser = Scan.objects.get(device=other)
    assert (loser.accepted, loser.reason, loser.conflict, loser.offline) == (
        False,
        "already_used",
        True,
        True,
    )
    # Arriving in the other order gives the same outcome.
    Presence.objects.all().delete()
    Scan.objects.all().delete()
    _sync(client, token, [_offline(checkin_list, secret, minutes_ago=8)])
    second = _sync(client, other_token, [_offline(checkin_list, secret, minutes_ago=5)]).json()["results"][0]
    assert (second["result"], second["reason"], second["conflict"]) == ("refused", "already_used", True)
    assert Presence.objects.get().first_scan.device == device
    assert Scan.objects.filter(conflict=True).count() == 1


def test_an_offline_entry_earlier_than_an_online_one_wins_and_flags_it(client):
    _performance, order, checkin_list, device, token = _setup()
    online_device, online_token = services.device_create(organizer=checkin_list.organizer, name="En ligne")
    secret = order.tickets.first().secret
    assert _redeem(client, online_token, checkin_list, secret).json()["result"] == "accepted"
    result = _sync(client, token, [_offline(checkin_list, secret, minutes_ago=3)]).json()["results"][0]
    assert result["result"] == "accepted"
    online_scan = Scan.objects.get(device=online_device)
    assert online_scan.conflict and not online_scan.accepted
    assert Presence.objects.get().first_scan.device == device


def test_a_ticket_revoked_after_download_is_refused_on_sync_and_flagged(client):
    _performance, order, checkin_list, _device, token = _setup()
    ticket = order.tickets.first()
    sales.tickets_refund(tickets=[ticket])
    result = _sync(client, token, [_offline(checkin_list, ticket.secret, minutes_ago=2)]).json()["results"][0]
    assert (result["result"], result["reason"], result["conflict"]) == ("refused", "refunded", True)
    assert not Presence.objects.exists()


def test_offline_refusals_are_recorded_as_they_were_and_let_nobody_in(client):
    _performance, order, checkin_list, _device, token = _setup()
    secret = order.tickets.first().secret
    scans = [
        _offline(checkin_list, secret, minutes_ago=4, verdict="refused", reason="wrong_slot"),
        _offline(checkin_list, "garbage", minutes_ago=3, verdict="refused", reason="<script>"),
    ]
    results = _sync(client, token, scans).json()["results"]
    assert [r["reason"] for r in results] == ["wrong_slot", "refused_offline"]
    assert not Presence.objects.exists() and not Scan.objects.filter(conflict=True).exists()


def test_sync_is_idempotent_and_keeps_the_device_order(client):
    _performance, order, checkin_list, _device, token = _setup()
    first, second = order.tickets.order_by("number")
    scans = [_offline(checkin_list, first.secret, 6), _offline(checkin_list, second.secret, 5)]
    once = _sync(client, token, scans).json()
    again = _sync(client, token, scans).json()  # the connection dropped before the answer came back
    assert once == again and [r["result"] for r in once["results"]] == ["accepted", "accepted"]
    assert [r["nonce"] for r in once["results"]] == [s["nonce"] for s in scans]
    assert Scan.objects.count() == 2 and Presence.objects.count() == 2


def test_a_device_clock_ahead_does_not_open_doors_early_on_sync(client):
    _performance, order, checkin_list, _device, token = _setup(days=3)
    future = _offline(checkin_list, order.tickets.first().secret, minutes_ago=-3 * 24 * 60)
    result = _sync(client, token, [future]).json()["results"][0]
    assert (result["reason"], result["conflict"]) == ("too_early", True)


def test_sync_batches_are_bounded_and_need_a_device(client):
    _performance, order, checkin_list, _device, token = _setup()
    scan = _offline(checkin_list, order.tickets.first().secret, 1)
    assert _sync(client, "pd_nope", [scan]).status_code == 401
    assert _sync(client, token, [scan] * 501).status_code == 422
    assert not Scan.objects.exists()


def test_manual_entry_by_ticket_number_and_search(client):
    performance, order, checkin_list, _device, token = _setup()
    headers = {"Authorization": f"Bearer {token}"}
    found = client.get(f"/api/v1/checkin/lists/{checkin_list.pk}/search", {"q": "lima"}, headers=headers)
    tickets = found.json()["tickets"]
    assert [t["number"] for t in tickets] == [1, 2] and tickets[0]["order"] == order.code
    by_code = client.get(
        f"/api/v1/checkin/lists/{checkin_list.pk}/search", {"q": order.code}, headers=headers
    )
    assert len(by_code.json()["tickets"]) == 2
    ref = {"performance": performance.pk, "number": 2}
    assert _redeem(client, token, checkin_list, "", ticket=ref).json()["result"] == "accepted"
    assert _redeem(client, token, checkin_list, "", ticket=ref).json()["reason"] == "already_used"
    unknown = {"performance": performance.pk, "number": 99}
    assert _redeem(client, token, checkin_list, "", ticket=unknown).json()["reason"] == "unknown_ticket"
    assert _redeem(client, token, checkin_list, "").json()["reason"] == "malformed"
    after = client.get(f"/api/v1/checkin/lists/{checkin_list.pk}/search", {"q": "2"}, headers=headers)
    assert after.json()["tickets"][0]["inside"] is True


def test_search_stays_within_the_list_and_the_organizer(client):
    _performance, _order, checkin_list, _device, token = _setup()
    _p2, other_order, other_list, _d2, other_token = _setup()
    headers = {"Authorization": f"Bearer {other_token}"}
    foreign = client.get(f"/api/v1/checkin/lists/{checkin_list.pk}/search?q=lima", headers=headers)
    assert foreign.status_code == 404
    mine = client.get(f"/api/v1/checkin/lists/{other_list.pk}/search?q=lima", headers=headers).json()
    assert {t["order"] for t in mine["tickets"]} == {other_order.code}


def test_device_sees_its_upcoming_lists(client):
    performance, _order, checkin_list, device, token = _setup()
    data = client.get("/api/v1/checkin/lists", headers={"Authorization": f"Bearer {token}"}).json()
    assert data["device"] == device.name
    default = CheckinList.objects.get(default_for=performance)  # the date's own list, made with it
    assert sorted(entry["id"] for entry in data["lists"]) == sorted([default.pk, checkin_list.pk])
    assert data["lists"][0]["performances"][0]["title"] == performance.event.title

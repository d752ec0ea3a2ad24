"""Door redemption: exactly once, idempotent retries, clear refusals, end to end from the ticket's PDF."""

import datetime
import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pypdfium2
import pytest
import zxingcpp
from django.db import connections
from django.utils import timezone

from parvis.checkin import rules, services
from parvis.checkin.models import CheckinList, Gate, Presence, Scan
from parvis.testing import OrganizerFactory
from parvis.ticketing import services as sales
from parvis.ticketing import signing
from parvis.ticketing.pdf import order_tickets_pdf
from parvis.ticketing.tests.factories import buy, on_sale_performance, tariff


def _setup(*, reentry=False, days=0):
    performance = on_sale_performance(capacity=50, days=days or 10)
    order = buy(tariff(performance), 2)
    if not days:  # the evening has come: doors are open
        _soon(performance)
    checkin_list = CheckinList.objects.create(
        organizer=performance.organizer, name="Soirée", allow_reentry=reentry
    )
    checkin_list.performances.add(performance)
    gate = Gate.objects.create(organizer=performance.organizer, name="Porte A")
    device, token = services.device_create(organizer=performance.organizer, name="Téléphone 1", gate=gate)
    return performance, order, checkin_list, device, token


def _soon(performance, minutes=30):
    type(performance).objects.filter(pk=performance.pk).update(
        starts_at=timezone.now() + datetime.timedelta(minutes=minutes)
    )
    performance.refresh_from_db()


def _redeem(client, token, checkin_list, secret, nonce=None, **extra):
    body = {"list": checkin_list.pk, "secret": secret, "nonce": nonce or uuid.uuid4().hex, **extra}
    return client.post(
        "/api/v1/checkin/redeem",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


@pytest.mark.django_db
def test_bought_ticket_pdf_qr_redeemed_once_then_refused(client):
    performance, order, checkin_list, device, token = _setup()
    page = pypdfium2.PdfDocument(order_tickets_pdf(order)).get_page(0).render(scale=2).to_pil()
    secret = zxingcpp.read_barcodes(page, formats=zxingcpp.BarcodeFormat.QRCode)[0].text
    first = _redeem(client, token, checkin_list, secret)
    assert first.status_code == 200
    data = first.json()
    assert (
        data["result"] == "accepted"
        and data["ticket"]["number"] == 1
        and data["ticket"]["name"] == "Ana Lima"
    )
    second = _redeem(client, token, checkin_list, secret).json()
    assert second["result"] == "refused" and second["reason"] == "already_used"
    assert second["first_scan"]["gate"] == "Porte A"
    assert Presence.objects.count() == 1 and Scan.objects.count() == 2


@pytest.mark.django_db
def test_a_retry_with_the_same_nonce_is_the_same_scan(client):
    _performance, order, checkin_list, _device, token = _setup()
    secret = order.tickets.order_by("number").first().secret
    first = _redeem(client, token, checkin_list, secret, nonce="retry-123456")
    again = _redeem(client, token, checkin_list, secret, nonce="retry-123456")
    assert first.json() == again.json() and first.json()["result"] == "accepted"
    assert Scan.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "garbage",
    ["", "x", "A" * 5000, "https://example.org/ticket/1", "\x00\x01\x02", "PV1." + "B" * 100, "é" * 300],
)
def test_garbage_is_refused_cleanly(client, garbage):
    _performance, _order, checkin_list, _device, token = _setup()
    response = _redeem(client, token, checkin_list, garbage)
    assert response.status_code == 200
    assert response.json()["result"] == "refused" and response.json()["reason"] in {"malformed", "invalid"}


@pytest.mark.django_db
def test_forged_altered_and_foreign_secrets_are_refused(client):
    performance, order, checkin_list, _device, token = _setup()
    secret = order.tickets.first().secret
    altered = secret[:-3] + ("AAA" if not secret.endswith("AAA") else "BBB")
    assert _redeem(client, token, checkin_list, altered).json()["reason"] == "invalid"
    foreign = signing.sign_ticket(
        key=signing.signing_key_for(OrganizerFactory()),
        performance_id=performance.pk,
        number=1,
        valid_until=timezone.now() + datetime.timedelta(days=1),
    )
    assert _redeem(client, token, checkin_list, foreign).json()["reason"] == "invalid"
    revoked_key = signing.signing_key_for(performance.organizer)
    revoked_key.revoked_at = timezone.now()
    revoked_key.save()
    assert _redeem(client, token, checkin_list, secret).json()["reason"] == "invalid"


@pytest.mark.django_db
def test_cancelled_unpaid_wrong_performance_and_too_early(client):
    performance, order, checkin_list, device, token = _setup()
    first, second = order.tickets.order_by("number")
    sales.tickets_refund(tickets=[first])
    assert _redeem(client, token, checkin_list, first.secret).json()["reason"] == "refunded"
    other = on_sale_performance(organizer=performance.organizer)
    elsewhere = buy(tariff(other), 1).tickets.get()
    _soon(other, minutes=10)
    assert _redeem(client, token, checkin_list, elsewhere.secret).json()["reason"] == "wrong_performance"
    later_performance, later_order, later_list, _d, later_token = _setup(days=5)
    assert (
        _redeem(client, later_token, later_list, later_order.tickets.first().secret).json()["reason"]
        == "too_early"
    )
    assert _redeem(client, token, checkin_list, second.secret).json()["result"] == "accepted"


@pytest.mark.django_db
def test_reentry_lists_record_exits_and_returns(client):
    _performance, order, checkin_list, _device, token = _setup(reentry=True)
    secret = order.tickets.first().secret
    assert _redeem(client, token, checkin_list, secret).json()["result"] == "accepted"
    assert _redeem(client, token, checkin_list, secret).json()["reason"] == "already_used"  # still inside
    assert _redeem(client, token, checkin_list, secret, type="exit").json()["result"] == "accepted"
    assert _redeem(client, token, checkin_list, secret).json()["result"] == "accepted"  # back in


@pytest.mark.django_db
def test_device_tokens_are_required_scoped_and_revocable(client):
    performance, order, checkin_list, device, token = _setup()
    secret = order.tickets.first().secret
    assert _redeem(client, "pd_bad_bad", checkin_list, secret).status_code == 401
    _other_device, other_token = services.device_create(organizer=OrganizerFactory(), name="Ailleurs")
    assert _redeem(client, other_token, checkin_list, secret).status_code == 404
    device.revoked_at = timezone.now()
    device.save()
    assert _redeem(client, token, checkin_list, secret).status_code == 401
    assert not Scan.objects.exists()


@pytest.mark.django_db
def test_a_revoked_device_is_refused_at_once_here_and_within_seconds_in_other_processes(
    client, django_capture_on_commit_callbacks, monkeypatch
):
    performance, order, checkin_list, device, token = _setup()
    first, second = order.tickets.order_by("number")
    assert _redeem(client, token, checkin_list, first.secret).json()["result"] == "accepted"
    # Another process revokes the phone: this one knows it a few seconds more (PARVIS_CHECKIN_RULES_TTL).
    type(device).objects.filter(pk=device.pk).update(revoked_at=timezone.now())
    now = rules.time.monotonic()
    monkeypatch.setattr(rules.time, "monotonic", lambda: now + 6)
    # Then refuses it.
    assert _redeem(client, token, checkin_list, second.secret).status_code == 401
    assert Scan.objects.count() == 1

    other, other_token = services.device_create(organizer=performance.organizer, name="Téléphone 2")
    assert _redeem(client, other_token, checkin_list, second.secret).json()["result"] == "accepted"
    with django_capture_on_commit_callbacks(execute=True):
        services.device_revoke(actor=None, device=other)
    assert _redeem(client, other_token, checkin_list, second.secret).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_eight_gates_present_the_same_ticket_at_once_one_is_accepted():
    _performance, order, checkin_list, _device, _token = _setup()
    secret = order.tickets.first().secret
    devices = [
        services.device_create(organizer=checkin_list.organizer, name=f"Porte {i}")[0] for i in range(8)
    ]
    barrier = threading.Barrier(8)

    def scan(i):
        try:
            barrier.wait(timeout=10)
            verdict = services.redeem(
                device=devices[i], checkin_list=checkin_list, secret=secret, nonce=uuid.uuid4().hex
            )
            return "accepted" if verdict.accepted else verdict.reason
        finally:
            connections.close_all()

    for _round in range(3):
        Presence.objects.all().delete()
        Scan.objects.all().delete()
        with ThreadPoolExecutor(8) as pool:
            outcomes = Counter(pool.map(scan, range(8)))
        assert outcomes == Counter({"accepted": 1, "already_used": 7}), outcomes
        assert Presence.objects.count() == 1


@pytest.mark.django_db
def test_offline_package_lets_a_device_verify_and_learn_revocations(client):
    import base64

    performance, order, checkin_list, _device, token = _setup()
    first, second = order.tickets.order_by("number")
    _redeem(client, token, checkin_list, first.secret)
    sales.tickets_refund(tickets=[second])
    package = client.get(
        f"/api/v1/checkin/lists/{checkin_list.pk}/download", headers={"Authorization": f"Bearer {token}"}
    ).json()
    keys = {int(k): base64.b64decode(v) for k, v in package["public_keys"].items()}
    claims = signing.verify_secret(first.secret, keys)  # what the device does offline
    rows = {(r["performance"], r["number"]): r for r in package["tickets"]}
    assert rows[(claims.performance_id, claims.number)]["inside"] is True
    assert rows[(performance.pk, second.number)]["state"] == "refunded"
    assert package["list"]["performances"] == [performance.pk]


@pytest.mark.django_db
def test_live_attendance_by_gate_and_time(client):
    _performance, order, checkin_list, _device, token = _setup()
    for ticket in order.tickets.all():
        _redeem(client, token, checkin_list, ticket.secret)
    _redeem(client, token, checkin_list, "garbage")
    data = client.get(
        f"/api/v1/checkin/lists/{checkin_list.pk}/attendance", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert (data["sold"], data["entered"], data["inside"], data["refused"]) == (2, 2, 2, 1)
    assert data["by_gate"] == {"Porte A": 2} and sum(data["by_time"].values()) == 2

"""Never oversell: real threads racing on the real database (PostgreSQL in CI, SQLite too).

300 buyers race for 100 places; exactly 100 win and every loser is told "sold out". The same holds with
sub-quotas, with expired holds to reclaim during the race, and for a payment confirmed by concurrent webhooks.
"""

import datetime
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import OperationalError, connections
from django.utils import timezone

from parvis.ticketing import services
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Cart, Hold, HoldState, Order, Quota, Ticket

from .factories import buy, on_sale_performance, tariff

pytestmark = pytest.mark.django_db(transaction=True)
BUYERS = 300
WORKERS = 16


def _race(fn, n: int) -> Counter:
    """Run fn(i) for i in range(n) on WORKERS threads released at once; count outcomes."""
    barrier = threading.Barrier(WORKERS)
    started = threading.local()

    def attempt(i):
        if not getattr(started, "done", False):
            started.done = True
            try:
                barrier.wait(timeout=10)
            except threading.BrokenBarrierError:
                pass
        try:
            return fn(i)
        except SaleError as exc:
            return exc.code
        except OperationalError as exc:  # e.g. "database is locked": must never reach a buyer
            return f"db-error: {exc}"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return Counter(pool.map(attempt, range(n)))


def _used(performance) -> int:
    return Quota.objects.get(performance=performance, is_total=True).used


def test_300_buyers_for_100_places_sell_exactly_100():
    performance = on_sale_performance(capacity=100)
    full = tariff(performance)
    outcomes = _race(
        lambda i: services.cart_add(cart=Cart.objects.create(), tariff_id=full.pk, quantity=1) and "ok",
        BUYERS,
    )
    assert outcomes == Counter({"ok": 100, "sold_out": 200}), outcomes
    assert _used(performance) == 100
    assert Hold.objects.filter(performance=performance, state=HoldState.ACTIVE).count() == 100


def test_sub_quota_race_keeps_both_limits():
    performance = on_sale_performance(capacity=100)
    full, youth = tariff(performance), tariff(performance, "Jeune", "8.00", kind="youth")
    services.quota_create(actor=None, performance=performance, name="Jeunes", capacity=40, tariffs=[youth])

    def buy_one(i):
        chosen = youth if i % 2 else full
        services.cart_add(cart=Cart.objects.create(), tariff_id=chosen.pk, quantity=1)
        return "youth" if chosen is youth else "full"

    outcomes = _race(buy_one, BUYERS)
    assert outcomes["youth"] == 40
    assert outcomes["youth"] + outcomes["full"] == 100
    assert outcomes["sold_out"] == 200
    assert Quota.objects.get(performance=performance, name="Jeunes").used == 40
    assert _used(performance) == 100


def test_expired_holds_are_reused_during_the_race_exactly_once():
    performance = on_sale_performance(capacity=100)
    full = tariff(performance)
    for _ in range(50):
        services.cart_add(cart=Cart.objects.create(), tariff_id=full.pk, quantity=1)
    Hold.objects.filter(performance=performance).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    outcomes = _race(
        lambda i: services.cart_add(cart=Cart.objects.create(), tariff_id=full.pk, quantity=1) and "ok",
        BUYERS,
    )
    assert outcomes == Counter({"ok": 100, "sold_out": 200}), outcomes
    assert _used(performance) == 100
    assert Hold.objects.filter(performance=performance, state=HoldState.EXPIRED).count() == 50


def test_full_checkouts_race_to_paid_orders_with_unique_ticket_numbers():
    performance = on_sale_performance(capacity=30)
    full = tariff(performance)
    outcomes = _race(lambda i: buy(full, 1).state, 90)
    assert outcomes == Counter({"paid": 30, "sold_out": 60}), outcomes
    numbers = sorted(Ticket.objects.filter(performance=performance).values_list("number", flat=True))
    assert numbers == list(range(1, 31))


def test_a_payment_confirmed_by_eight_concurrent_webhooks_issues_tickets_once():
    performance = on_sale_performance(capacity=10)
    order = buy(tariff(performance), 2, confirm=False)
    payment_id = order.payments.get().pk
    outcomes = _race(lambda i: services.payment_confirm(payment_id=payment_id).state, WORKERS)
    assert set(outcomes) == {"paid"}, outcomes
    assert Ticket.objects.filter(order=order).count() == 2
    assert _used(performance) == 2


def test_a_crash_between_hold_and_payment_loses_nothing():
    performance = on_sale_performance(capacity=5)
    full = tariff(performance)
    order = buy(full, 2, confirm=False)  # the buyer's process dies here: the order is pending, places held
    assert _used(performance) == 2
    Hold.objects.filter(order=order).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    # Nobody cleaned up; the next buyer gets all five places.
    services.cart_add(cart=Cart.objects.create(), tariff_id=full.pk, quantity=5)
    assert _used(performance) == 5


def test_300_sales_channel_orders_for_100_places_sell_exactly_100():
    """Sold and paid in one transaction (no hold): the quota row decides, the losers roll back whole."""
    performance = on_sale_performance(capacity=100)
    full = tariff(performance)
    from .factories import buyer

    def sell(i):
        services.order_place_paid(
            organizer_id=performance.organizer_id,
            lines=[services.PaidLine(full.pk, 1)],
            buyer=buyer(email=f"b{i % 7}@example.org"),
            provider_code="channel",
            reference=f"race-{i}",
            notify=False,
        )
        return "ok"

    outcomes = _race(sell, BUYERS)
    assert outcomes == Counter({"ok": 100, "sold_out": 200}), outcomes
    assert _used(performance) == 100
    assert Ticket.objects.filter(performance=performance).count() == 100
    assert sorted(Ticket.objects.values_list("number", flat=True)) == list(range(1, 101))
    assert Order.objects.filter(state="paid").count() == 100 and Order.objects.count() == 100


@pytest.mark.parametrize("capacity", [100, 2])  # 2: the first request leaves no place to the repeats
def test_one_idempotency_key_sent_eight_times_at_once_makes_one_order(capacity):
    from django.test import Client

    from parvis.ticketing.auth import api_token_create
    from parvis.ticketing.models import IdempotencyRecord

    performance = on_sale_performance(capacity=capacity)
    full = tariff(performance)
    token = api_token_create(organizer=performance.organizer, name="partner")
    body = {
        "items": [{"tariff": full.pk, "quantity": 2}],
        "buyer": {"email": "api@example.org", "first_name": "A", "last_name": "B"},
    }

    def send(_i):
        response = Client().post(
            "/api/v1/orders",
            body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "same"},
        )
        return (response.status_code, response.json().get("code"))

    outcomes = _race(send, 8)
    assert Order.objects.count() == 1 and _used(performance) == 2
    assert outcomes == Counter({(201, Order.objects.get().code): 8}), outcomes
    assert IdempotencyRecord.objects.get().response["code"] == Order.objects.get().code

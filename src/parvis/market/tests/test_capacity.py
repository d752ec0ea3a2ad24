"""What the market must never do, proven with real threads on the real database (PostgreSQL in CI):
book one stand twice, or seat more people at a round table than it holds; and the waiting list serves
those in line in order."""

import datetime
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.utils import timezone

from parvis.market import sessions, stands
from parvis.market.accreditation import MarketError
from parvis.market.models import Registration, Session, StandBooking

from .factories import category, exhibitor, market, participant, stand


def _race(n: int, attempt) -> list:
    barrier = threading.Barrier(min(n, 12))

    def run(i):
        try:
            barrier.wait(timeout=10)
        except threading.BrokenBarrierError:
            pass
        try:
            return attempt(i)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=12) as pool:
        return list(pool.map(run, range(n)))


@pytest.mark.django_db(transaction=True)
def test_fifty_exhibitors_racing_for_one_stand_book_it_exactly_once():
    fair = market()
    booth = stand(fair, "B12")
    rivals = [exhibitor(fair, n) for n in range(50)]

    def attempt(i):
        try:
            stands.book(stand=booth, exhibitor=rivals[i], purchase_order=f"BC-{i}")
            return "booked"
        except MarketError:
            return "refused"

    outcomes = _race(50, attempt)
    assert outcomes.count("booked") == 1
    assert StandBooking.objects.filter(stand=booth, state__in=StandBooking.ACTIVE).count() == 1


@pytest.mark.django_db(transaction=True)
def test_three_hundred_registrations_for_forty_seats_seat_forty_and_queue_the_rest_in_order():
    fair = market()
    pro = category(fair)
    people = [participant(fair, pro, n) for n in range(300)]
    start = timezone.now() + datetime.timedelta(days=30)
    table = sessions.session_create(
        actor=None,
        market=fair,
        title="Table ronde : diffuser les arts numériques",
        kind="round_table",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        capacity=40,
    )
    _race(300, lambda i: sessions.register(session=table, participant=people[i]).state)
    rows = Registration.objects.filter(session=table)
    assert rows.filter(state="registered").count() == 40 and rows.filter(state="waiting").count() == 260
    assert Session.objects.get(pk=table.pk).taken == 40
    line = list(
        rows.filter(state="waiting").order_by("created_at", "pk").values_list("participant_id", flat=True)
    )
    for registration in list(rows.filter(state="registered"))[:3]:
        sessions.unregister(registration=registration)
    promoted = set(rows.filter(state="registered").values_list("participant_id", flat=True))
    assert set(line[:3]) <= promoted and not set(line[3:]) & promoted
    assert Session.objects.get(pk=table.pk).taken == 40


@pytest.mark.django_db
def test_a_stand_whose_payment_expired_is_free_again_at_the_next_booking():
    fair = market()
    booth = stand(fair, "C3")
    first = stands.book(stand=booth, exhibitor=exhibitor(fair, 1), provider_code="demo")
    with pytest.raises(MarketError, match="vient d'être réservé"):
        stands.book(stand=booth, exhibitor=exhibitor(fair, 2), provider_code="demo")
    type(first.order).objects.filter(pk=first.order_id).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    second = stands.book(stand=booth, exhibitor=exhibitor(fair, 3), purchase_order="BC-2027-14")
    assert StandBooking.objects.get(pk=first.pk).state == "cancelled" and second.state == "ordered"
    assert (
        second.order.total == (booth.price * 12 / 10).quantize(second.order.total)
        and second.order.state == "pending"
    )


@pytest.mark.django_db
def test_exhibitor_staff_badges_stop_at_the_quota_of_its_stands():
    fair = market()
    category(fair, kind="exhibitor", access=["market"])
    studio = exhibitor(fair, 1)
    with pytest.raises(MarketError, match="Tous les badges"):
        stands.staff_badge_add(
            exhibitor=studio, data={"first_name": "A", "last_name": "B", "email": "a@s.example"}
        )
    stands.book(stand=stand(fair, "D1", badges_included=2), exhibitor=studio, purchase_order="BC-1")
    for n in range(2):
        staff = stands.staff_badge_add(
            exhibitor=studio, data={"first_name": f"S{n}", "last_name": "B", "email": f"{n}@s.example"}
        )
        assert staff.accredited and staff.exhibitor == studio
    with pytest.raises(MarketError, match="Tous les badges"):
        stands.staff_badge_add(
            exhibitor=studio, data={"first_name": "C", "last_name": "B", "email": "c@s.example"}
        )

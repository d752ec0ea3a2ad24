"""A seat is never held or sold twice: the database's partial unique index decides, expired holds are taken
over by the next buyer without a worker, a group is claimed whole or not at all."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from parvis.network.models import Space
from parvis.seating import plans
from parvis.seating.claims import SeatTaken, claims_release, seats_claim, taken_seats
from parvis.seating.models import ClaimState, Seat, SeatClaim
from parvis.testing import PerformanceFactory

pytestmark = pytest.mark.django_db


def seated(rows=2, seats=10):
    performance = PerformanceFactory()
    hall = Space.objects.create(venue=performance.venue, name="Salle", capacity=rows * seats)
    plan = plans.plan_save(
        hall, plans.generate(name="Salle", rows=rows, seats_per_row=seats), source="generator"
    )
    return (
        performance,
        plan,
        list(Seat.objects.filter(plan=plan).order_by("row_index", "x").values_list("pk", flat=True)),
    )


def soon(minutes=15):
    return timezone.now() + datetime.timedelta(minutes=minutes)


def test_a_seat_claimed_live_cannot_be_claimed_again_and_a_group_is_all_or_nothing():
    performance, _plan, seats = seated()
    seats_claim(performance_id=performance.pk, seat_ids=seats[:2], expires_at=soon())
    with pytest.raises(SeatTaken) as caught:
        seats_claim(performance_id=performance.pk, seat_ids=seats[1:4], expires_at=soon())
    assert caught.value.seat_ids == [seats[1]]
    assert taken_seats(performance.pk) == set(seats[:2])  # seats 2 and 3 were not kept half-claimed


def test_the_database_itself_refuses_a_second_live_claim():
    performance, _plan, seats = seated()
    SeatClaim.objects.create(performance=performance, seat_id=seats[0], state=ClaimState.SOLD)
    with pytest.raises(IntegrityError), transaction.atomic():
        SeatClaim.objects.create(performance=performance, seat_id=seats[0], state=ClaimState.KEPT)
    SeatClaim.objects.create(performance=performance, seat_id=seats[0], state=ClaimState.RELEASED)  # history


def test_an_expired_hold_is_taken_over_at_once_by_the_next_buyer():
    performance, _plan, seats = seated()
    seats_claim(
        performance_id=performance.pk,
        seat_ids=seats[:2],
        expires_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    assert taken_seats(performance.pk) == set()  # expired: free, with no worker having run
    [first, second] = seats_claim(performance_id=performance.pk, seat_ids=seats[:2], expires_at=soon())
    assert first.state == ClaimState.HELD
    assert SeatClaim.objects.filter(state=ClaimState.RELEASED).count() == 2


def test_kept_seats_are_the_venues_until_staff_release_them_and_only_they_are_released():
    performance, _plan, seats = seated()
    kept = seats_claim(
        performance_id=performance.pk, seat_ids=seats[5:7], state=ClaimState.KEPT, kept="house"
    )
    assert kept[0].expires_at is None and taken_seats(performance.pk) == set(seats[5:7])
    with pytest.raises(SeatTaken):
        seats_claim(performance_id=performance.pk, seat_ids=[seats[5]], expires_at=soon())
    seats_claim(performance_id=performance.pk, seat_ids=[seats[8]], expires_at=soon())  # a buyer's hold
    assert claims_release(performance_id=performance.pk, seat_ids=[seats[5], seats[8]]) == 1  # not the hold
    assert taken_seats(performance.pk) == {seats[6], seats[8]}
    with pytest.raises(ValueError):
        claims_release()

"""Taking seats as buyers do: the best available claimed in the same transaction (chosen again when someone
was quicker), a choice on the map checked against the single-seat rule, every refusal said in words."""

import datetime
import random

import pytest
from django.utils import timezone

from parvis.network.models import Space
from parvis.seating import plans
from parvis.seating.claims import seats_claim, taken_seats
from parvis.seating.models import ClaimState, Seat, SeatedPerformance
from parvis.seating.selectors import tariff_seating
from parvis.seating.services import quality_paint, seats_choose
from parvis.testing import PerformanceFactory
from parvis.ticketing.errors import SaleError

from .conftest import seat_ids

pytestmark = pytest.mark.django_db


def seated_date(rows=3, seats=10, aisles_after=None, *, refuse_single_gaps=True):
    performance = PerformanceFactory()
    hall = Space.objects.create(venue=performance.venue, name="Salle", capacity=rows * seats)
    draft = plans.generate(
        name="Salle", rows=rows, seats_per_row=seats, aisles_after=aisles_after, numbering="continuous"
    )
    plan = plans.plan_save(hall, draft, source="generator")
    SeatedPerformance.objects.create(
        performance=performance, plan=plan, refuse_single_gaps=refuse_single_gaps
    )
    return performance, plan


def seat(plan, row, number):
    return Seat.objects.get(plan=plan, row=row, number=str(number)).pk


def soon():
    return timezone.now() + datetime.timedelta(minutes=15)


def test_best_available_gives_seats_side_by_side_in_the_front_row():
    performance, plan = seated_date()
    claims = seats_choose(performance_id=performance.pk, quantity=4, expires_at=soon(), rng=random.Random(1))
    chosen = Seat.objects.filter(pk__in=[c.seat_id for c in claims]).order_by("x")
    assert {s.row for s in chosen} == {"A"}
    assert [s.position for s in chosen] == list(range(chosen[0].position, chosen[0].position + 4))


def test_a_choice_leaving_a_single_seat_is_refused_with_the_seat_named_unless_the_organizer_allows_it():
    performance, plan = seated_date(rows=1, seats=6)
    with pytest.raises(SaleError) as caught:
        seats_choose(
            performance_id=performance.pk,
            seat_ids=[seat(plan, "A", 2), seat(plan, "A", 3)],
            expires_at=soon(),
        )
    assert caught.value.code == "seat_single_gap"
    assert "rang A, place 1" in caught.value.message
    assert not taken_seats(performance.pk)
    SeatedPerformance.objects.filter(performance=performance).update(refuse_single_gaps=False)
    seats_choose(
        performance_id=performance.pk, seat_ids=[seat(plan, "A", 2), seat(plan, "A", 3)], expires_at=soon()
    )


def test_a_solo_buyer_may_take_a_seat_when_no_other_choice_leaves_nobody_alone():
    performance, plan = seated_date(rows=1, seats=4)
    seats_claim(performance_id=performance.pk, seat_ids=[seat(plan, "A", 2)], state=ClaimState.SOLD)
    # Free: 1 (alone), 3, 4. Taking 3 leaves 4 alone, but taking 4 leaves 3 alone too: both allowed;
    # taking 1, the seat already alone, always is.
    seats_choose(performance_id=performance.pk, seat_ids=[seat(plan, "A", 1)], expires_at=soon())
    seats_choose(performance_id=performance.pk, seat_ids=[seat(plan, "A", 3)], expires_at=soon())


def test_a_seat_taken_or_not_in_the_plan_is_refused_in_words():
    performance, plan = seated_date()
    seats_choose(
        performance_id=performance.pk, seat_ids=[seat(plan, "B", 1), seat(plan, "B", 2)], expires_at=soon()
    )
    with pytest.raises(SaleError) as caught:
        seats_choose(
            performance_id=performance.pk,
            seat_ids=[seat(plan, "B", 2), seat(plan, "B", 3)],
            expires_at=soon(),
        )
    assert caught.value.code == "seat_taken" and "rang B, place 2" in caught.value.message
    with pytest.raises(SaleError) as caught:
        seats_choose(performance_id=performance.pk, seat_ids=[10**9], expires_at=soon())
    assert caught.value.code == "unknown_seat"
    with pytest.raises(SaleError) as caught:
        seats_choose(performance_id=PerformanceFactory().pk, quantity=2, expires_at=soon())
    assert caught.value.code == "not_seated"


def test_when_no_group_fits_the_buyer_is_told_what_is_left():
    performance, plan = seated_date(rows=2, seats=4)
    taken = [seat(plan, r, n) for r, n in (("A", 2), ("A", 4), ("B", 1), ("B", 3))]
    seats_claim(performance_id=performance.pk, seat_ids=taken, state=ClaimState.SOLD)
    with pytest.raises(SaleError) as caught:
        seats_choose(performance_id=performance.pk, quantity=3, expires_at=soon())
    assert caught.value.code == "seats_not_together"
    assert "il en reste 4, au plus 1 côte à côte" in caught.value.message


def test_one_read_gives_a_seated_tariffs_category_plan_and_painted_qualities(seated):
    performance, plan, full = seated
    link = tariff_seating(full.pk)
    assert (link.category_id, link.seated.plan_id, link.painted) == (plan.categories.get().pk, plan.pk, False)
    quality_paint(actor=None, performance=performance, seat_ids=seat_ids(plan, "A", 1), score=3)
    assert tariff_seating(full.pk).painted is True
    assert tariff_seating(full.pk + 1000) is None

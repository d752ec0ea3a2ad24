"""Shared by the seating tests: a date on sale with numbered seats (4 rows of 10, one category)."""

import pytest

from parvis.network.models import Space
from parvis.seating import plans
from parvis.seating.models import Seat
from parvis.seating.services import seating_put_on_sale
from parvis.ticketing.tests.factories import on_sale_performance, tariff


@pytest.fixture
def seated():
    performance = on_sale_performance(capacity=500)
    hall = Space.objects.create(venue=performance.venue, name="Salle", capacity=40)
    draft = plans.generate(name="Salle", rows=4, seats_per_row=10, numbering="continuous")
    plan = plans.plan_save(hall, draft, source="generator")
    full = tariff(performance, price="30.00")
    seating_put_on_sale(
        actor=None,
        performance=performance,
        plan=plan,
        tariffs_by_category={plan.categories.get().pk: [full.pk]},
    )
    return performance, plan, full


def seat_ids(plan, row, *numbers):
    return [Seat.objects.get(plan=plan, row=row, number=str(n)).pk for n in numbers]

"""Concurrent bookings with one pass never use more entries than it has (real threads; PostgreSQL in CI)."""

import pytest

from parvis.passes.models import PassEntry, PassHolding
from parvis.passes.services import pass_book
from parvis.ticketing.models import Quota, Ticket
from parvis.ticketing.tests.test_concurrency import _race

from .factories import bought_pass, club, concert, pass_product

pytestmark = pytest.mark.django_db(transaction=True)


def test_twelve_bookings_at_once_with_a_three_entry_pass_use_exactly_three(network, organizer):
    clubs = [club(network, f"club-{i}") for i in range(4)]
    performances = [concert(clubs[i % 4], days=5 + i) for i in range(12)]
    holding = bought_pass(pass_product(organizer, network, entries=3))
    outcomes = _race(lambda i: pass_book(holding=holding, performance_id=performances[i].pk) and "ok", 12)
    assert outcomes == {"ok": 3, "pass_used_up": 9}, outcomes
    holding.refresh_from_db()
    assert holding.entries_used == 3
    assert PassEntry.objects.filter(holding=holding, state="booked").count() == 3 == Ticket.objects.count()
    # Places were taken only for the three bookings that won.
    assert sum(Quota.objects.filter(is_total=True).values_list("used", flat=True)) == 3


def test_concurrent_bookings_keep_the_one_per_venue_rule(network, organizer):
    clubs = [club(network, "solo")]
    performances = [concert(clubs[0], days=5 + i) for i in range(8)]
    holding = bought_pass(pass_product(organizer, network, entries=3, max_per_venue=1))
    outcomes = _race(lambda i: pass_book(holding=holding, performance_id=performances[i].pk) and "ok", 8)
    assert outcomes["ok"] == 1 and outcomes["pass_venue_limit"] + outcomes["pass_used_up"] == 7, outcomes
    assert PassHolding.objects.get(pk=holding.pk).entries_used == 1

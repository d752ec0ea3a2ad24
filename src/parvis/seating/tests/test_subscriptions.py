"""A subscriber keeps their seat: a season's seated dates in one hall give them the same seat wherever it
is free (else the best one), shows added later and dates exchanged too."""

import datetime

import pytest
from django.utils import timezone

from parvis import testing
from parvis.memberships.models import Subscription, SubscriptionOffer
from parvis.memberships.subscriptions import subscription_add, subscription_exchange, subscription_order_place
from parvis.network.models import Space
from parvis.seating import plans
from parvis.seating.models import ClaimState, SeatClaim
from parvis.seating.services import seating_put_on_sale, seats_keep
from parvis.ticketing import services as sales
from parvis.ticketing.tests.factories import buyer, tariff

from .conftest import seat_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def season(organizer):
    venue = testing.VenueFactory(organizer=organizer)
    hall = Space.objects.create(venue=venue, name="Salle", capacity=40)
    plan = plans.plan_save(hall, plans.generate(name="Salle", rows=4, seats_per_row=10), source="generator")
    category = plan.categories.get().pk
    dates = []
    for n in range(4):
        event = testing.EventFactory(organizer=organizer, title=f"Pièce {n}")
        starts = (timezone.now() + datetime.timedelta(days=10 + n)).replace(microsecond=0)
        performance = testing.PerformanceFactory(event=event, venue=venue, starts_at=starts, capacity=40)
        ids = [
            tariff(performance, price="25.00").pk,
            tariff(performance, name="Abonné", price="18.00", kind="subscriber").pk,
        ]
        seating_put_on_sale(
            actor=None, performance=performance, plan=plan, tariffs_by_category={category: ids}
        )
        dates.append(performance)
    offer = SubscriptionOffer.objects.create(
        organizer=organizer,
        name="Abonnement",
        season_starts=timezone.now() - datetime.timedelta(days=1),
        season_ends=timezone.now() + datetime.timedelta(days=100),
        min_shows=2,
        exchanges=1,
    )
    return offer, plan, dates


def _subscribe(offer, dates, email):
    order = subscription_order_place(
        offer=offer, buyer=buyer(email=email), performance_ids=[d.pk for d in dates], provider_code="demo"
    )
    sales.payment_confirm(payment_id=order.payments.get(state="created").pk)
    return order


def _seat_at(order_or_tickets, performance):
    claim = SeatClaim.objects.select_related("seat").get(
        ticket__in=order_or_tickets, ticket__performance=performance, state=ClaimState.SOLD
    )
    return claim.seat.row, claim.seat.number


def test_a_subscriber_has_the_same_seat_at_each_date_where_it_is_free(season):
    offer, plan, dates = season
    # At the third date, the seat the first subscriber will get is kept for the press.
    first = _subscribe(offer, dates[:2], "ana@example.org").tickets.all()
    seat = _seat_at(first, dates[0])
    assert _seat_at(first, dates[1]) == seat
    second = _subscribe(offer, dates[:2], "ben@example.org").tickets.all()
    assert _seat_at(second, dates[0]) == _seat_at(second, dates[1]) != seat
    seats_keep(actor=None, performance=dates[2], seat_ids=seat_ids(plan, seat[0], seat[1]), kind="house")
    subscription = Subscription.objects.get(email="ana@example.org")
    added = subscription_add(
        subscription=subscription, performance_ids=[dates[2].pk, dates[3].pk], provider_code="demo"
    )
    sales.payment_confirm(payment_id=added.payments.get(state="created").pk)
    tickets = added.tickets.all()
    assert _seat_at(tickets, dates[3]) == seat  # free there: the same seat
    assert _seat_at(tickets, dates[2]) != seat  # kept there: the best one left


def test_an_exchanged_date_keeps_the_seat_when_it_is_free(season):
    offer, plan, dates = season
    for performance in dates[1:3]:  # same event for the exchange: dates 1 and 2 become one show's dates
        performance.event = dates[1].event
        performance.save(update_fields=["event"])
    order = _subscribe(offer, [dates[0], dates[1]], "ana@example.org")
    seat = _seat_at(order.tickets.all(), dates[1])
    subscription = Subscription.objects.get()
    ticket = order.tickets.get(performance=dates[1])
    new = subscription_exchange(subscription=subscription, ticket=ticket, performance_id=dates[2].pk)
    assert _seat_at([new], dates[2]) == seat
    assert seat_ids(plan, *seat)[0] not in SeatClaim.objects.filter(
        performance=dates[1], state__in=["held", "sold", "kept"]
    ).values_list("seat_id", flat=True)

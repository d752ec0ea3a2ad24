"""Season subscriptions: N shows or more at the subscriber tariff, shows added later, one date exchange."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from parvis import testing
from parvis.memberships.models import Subscription, SubscriptionOffer
from parvis.memberships.subscriptions import (
    subscription_add,
    subscription_exchange,
    subscription_order_place,
    subscription_tickets,
)
from parvis.ticketing import services as sales
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Cart, Quota, TicketState
from parvis.ticketing.tests.factories import buyer, tariff

pytestmark = pytest.mark.django_db


def _show(organizer, title: str, days: list[int], *, capacity: int = 50):
    """An event with dates, each with a full tariff (25 €) and a subscriber tariff (18 €)."""
    event = testing.EventFactory(organizer=organizer, title=title)
    venue = organizer.venues.first() or testing.VenueFactory(organizer=organizer)
    dates = []
    for day in days:
        starts = (timezone.now() + datetime.timedelta(days=day)).replace(microsecond=0)
        performance = testing.PerformanceFactory(
            event=event, venue=venue, starts_at=starts, capacity=capacity
        )
        tariff(performance, price="25.00")
        tariff(performance, name="Abonné", price="18.00", kind="subscriber")
        dates.append(performance)
    return dates


@pytest.fixture
def season(organizer):
    shows = [_show(organizer, f"Pièce {n}", [10 + n, 20 + n]) for n in range(5)]
    offer = SubscriptionOffer.objects.create(
        organizer=organizer,
        name="Abonnement 4 spectacles",
        season_starts=timezone.now() - datetime.timedelta(days=30),
        season_ends=timezone.now() + datetime.timedelta(days=200),
        min_shows=4,
    )
    return offer, shows


def _subscribe(offer, dates, provider="demo"):
    order = subscription_order_place(
        offer=offer, buyer=buyer(), performance_ids=[d.pk for d in dates], provider_code=provider
    )
    if order.state == "pending":
        sales.payment_confirm(payment_id=order.payments.get(state="created").pk)
    order.refresh_from_db()
    return order


def test_subscribing_to_four_shows_is_one_order_at_the_subscriber_tariff(season):
    offer, shows = season
    order = _subscribe(offer, [s[0] for s in shows[:4]])
    assert order.state == "paid" and order.total == Decimal("72.00")
    assert order.tickets.count() == 4 and {t.price for t in order.tickets.all()} == {Decimal("18.00")}
    subscription = Subscription.objects.get()
    assert subscription.state == Subscription.State.ACTIVE and subscription.order == order
    assert order.subscription == subscription


def test_fewer_shows_than_the_minimum_or_a_date_outside_sell_nothing(season, organizer):
    offer, shows = season
    with pytest.raises(SaleError) as short:
        _subscribe(offer, [s[0] for s in shows[:3]])
    assert short.value.code == "subscription_minimum" and short.value.params == {"minimum": 4}
    outside = _show(organizer, "Hors saison", [300])[0]
    with pytest.raises(SaleError) as foreign:
        _subscribe(offer, [s[0] for s in shows[:3]] + [outside])
    assert foreign.value.code == "subscription_not_eligible"
    assert not Subscription.objects.exists() and not Quota.objects.filter(used__gt=0).exists()


def test_a_sold_out_date_rolls_the_whole_subscription_back(season):
    offer, shows = season
    Quota.objects.filter(performance=shows[2][0], is_total=True).update(capacity=0)
    with pytest.raises(SaleError) as full:
        _subscribe(offer, [s[0] for s in shows[:4]])
    assert full.value.code == "sold_out"
    assert not Subscription.objects.exists() and not Cart.objects.filter(holds__state="active").exists()


def test_the_subscriber_tariff_is_not_sold_outside_a_subscription(season, client):
    _offer, shows = season
    subscriber = shows[0][0].tariffs.get(kind="subscriber")
    with pytest.raises(SaleError) as refused:
        sales.cart_add(cart=Cart.objects.create(), tariff_id=subscriber.pk, quantity=1)
    assert refused.value.code == "subscriber_only"
    page = client.get(f"/billets/{shows[0][0].pk}/").content.decode()
    assert "Abonné" not in page and "Plein" in page


def test_shows_are_added_later_at_the_subscriber_tariff(season):
    offer, shows = season
    _subscribe(offer, [s[0] for s in shows[:4]])
    subscription = Subscription.objects.get()
    extra = subscription_add(
        subscription=subscription, performance_ids=[shows[4][0].pk], provider_code="demo"
    )
    sales.payment_confirm(payment_id=extra.payments.get(state="created").pk)
    extra.refresh_from_db()
    assert extra.total == Decimal("18.00") and extra.subscription == subscription
    assert subscription_tickets(subscription).count() == 5
    with pytest.raises(SaleError) as twice:
        subscription_add(subscription=subscription, performance_ids=[shows[4][0].pk], provider_code="demo")
    assert twice.value.code == "subscription_already_in"


def test_a_date_is_exchanged_once_within_the_same_event(season):
    offer, shows = season
    order = _subscribe(offer, [s[0] for s in shows[:4]])
    subscription = Subscription.objects.get()
    ticket = order.tickets.get(performance=shows[0][0])
    with pytest.raises(SaleError) as other_event:
        subscription_exchange(subscription=subscription, ticket=ticket, performance_id=shows[4][0].pk)
    assert other_event.value.code == "subscription_exchange_event"
    new = subscription_exchange(subscription=subscription, ticket=ticket, performance_id=shows[0][1].pk)
    ticket.refresh_from_db()
    assert (
        ticket.state == TicketState.EXCHANGED
        and new.performance == shows[0][1]
        and new.price == Decimal("18")
    )
    assert Quota.objects.get(performance=shows[0][0], is_total=True).used == 0
    assert Quota.objects.get(performance=shows[0][1], is_total=True).used == 1
    with pytest.raises(SaleError) as again:
        subscription_exchange(subscription=subscription, ticket=new, performance_id=shows[0][0].pk)
    assert again.value.code == "subscription_exchange_used"


def test_the_offer_page_subscribes_and_the_subscriber_page_exchanges_and_adds(
    season, client, django_capture_on_commit_callbacks
):
    offer, shows = season
    page = client.get(f"/abonnement/{offer.pk}/")
    assert page.status_code == 200 and "Pièce 3" in page.content.decode()
    base = {
        "first_name": "Ana",
        "last_name": "Lima",
        "email": "ana@example.org",
        "terms": "on",
        "provider": "demo",
    }
    short = client.post(f"/abonnement/{offer.pk}/", {**base, "performance": [shows[0][0].pk]})
    assert short.status_code == 400 and "au moins 4" in short.content.decode()
    response = client.post(f"/abonnement/{offer.pk}/", {**base, "performance": [s[0].pk for s in shows[:4]]})
    assert response.status_code == 302
    subscription = Subscription.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        sales.payment_confirm(payment_id=subscription.order.payments.get(state="created").pk)
    assert subscription.get_absolute_url() in mail.outbox[-1].body
    url = subscription.get_absolute_url()
    mine = client.get(url)
    assert mine.status_code == 200 and "Pièce 4" in mine.content.decode()  # to add
    ticket = subscription.order.tickets.get(performance=shows[1][0])
    client.post(url, {"action": "exchange", "ticket": ticket.pk, "performance": shows[1][1].pk})
    assert subscription_tickets(subscription).filter(performance=shows[1][1]).exists()
    added = client.post(url, {"action": "add", "performance": [shows[4][1].pk], "provider": "demo"})
    assert added.status_code == 302 and subscription.orders.count() == 2
    assert client.get(url.replace(subscription.secret, "nope")).status_code == 404


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
def test_two_exchanges_at_once_on_a_one_exchange_subscription_one_happens():
    from parvis.ticketing.tests.test_concurrency import _race

    organizer = testing.OrganizerFactory(slug="theatre-course")
    testing.VenueFactory(organizer=organizer)
    shows = [_show(organizer, f"Pièce {n}", [10 + n, 20 + n]) for n in range(4)]
    offer = SubscriptionOffer.objects.create(
        organizer=organizer,
        name="Abonnement",
        season_starts=timezone.now() - datetime.timedelta(days=1),
        season_ends=timezone.now() + datetime.timedelta(days=100),
        min_shows=4,
        exchanges=1,
    )
    order = _subscribe(offer, [s[0] for s in shows])
    subscription = Subscription.objects.get()
    tickets = [order.tickets.get(performance=s[0]) for s in shows]

    def exchange(i):
        ticket = tickets[i % 4]
        subscription_exchange(subscription=subscription, ticket=ticket, performance_id=shows[i % 4][1].pk)
        return "exchanged"

    outcomes = _race(exchange, 4)
    assert outcomes == {"exchanged": 1, "subscription_exchange_used": 3}, outcomes
    subscription.refresh_from_db()
    assert subscription.exchanges_used == 1
    assert Quota.objects.filter(performance__in=[s[1] for s in shows], is_total=True, used=1).count() == 1

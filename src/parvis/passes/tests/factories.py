import datetime
from decimal import Decimal

from django.utils import timezone

from parvis import testing
from parvis.passes.models import PassProduct
from parvis.passes.services import pass_order_place
from parvis.ticketing.tests.factories import buyer, tariff


def club(network, slug: str, town: str = "Paris"):
    """An organizer of the network with one venue."""
    organizer = testing.OrganizerFactory(slug=slug, name=f"Club {slug}")
    testing.join(network, organizer)
    testing.VenueFactory(organizer=organizer, slug="salle", name=f"Salle {slug}", town=town)
    return organizer


def concert(organizer, *, days: int = 10, price: str = "20.00", capacity: int = 100, **event_fields):
    """A performance on sale at the organizer's venue, with a full-price tariff."""
    event = testing.EventFactory(organizer=organizer, **event_fields)
    starts = (timezone.now() + datetime.timedelta(days=days)).replace(microsecond=0)
    performance = testing.PerformanceFactory(
        event=event, capacity=capacity, starts_at=starts, venue=organizer.venues.get()
    )
    tariff(performance, price=price)
    return performance


def pass_product(seller, network=None, **fields) -> PassProduct:
    now = timezone.now()
    data = {
        "organizer": seller,
        "network": network,
        "name": "Pass 3 concerts",
        "name_en": "3-concert pass",
        "price": Decimal("45.00"),
        "entries": 3,
        "valid_from": now - datetime.timedelta(days=1),
        "valid_until": now + datetime.timedelta(days=60),
        # The factory's concerts all start at the same hour: the overlap rule is tested on its own.
        "overlap_rule": "allow",
    }
    data.update(fields)
    return PassProduct.objects.create(**data)


def bought_pass(product, *, email: str = "ana@example.org", provider: str = "demo"):
    """A pass bought and paid; returns the holding."""
    from parvis.ticketing import services

    order = pass_order_place(product=product, buyer=buyer(email=email), provider_code=provider)
    if order.state == "pending":
        services.payment_confirm(payment_id=order.payments.get(state="created").pk)
    return order.pass_holdings.get()

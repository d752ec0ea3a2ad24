import datetime
from decimal import Decimal

from django.utils import timezone

from parvis.testing import EventFactory, PerformanceFactory
from parvis.ticketing import services
from parvis.ticketing.models import Cart, Channel


def on_sale_performance(*, organizer=None, capacity: int = 100, days: int = 10, **event_fields):
    event = EventFactory(organizer=organizer, **event_fields) if organizer else EventFactory(**event_fields)
    starts = (timezone.now() + datetime.timedelta(days=days)).replace(microsecond=0)
    return PerformanceFactory(
        event=event, capacity=capacity, starts_at=starts, venue__organizer=event.organizer
    )


def tariff(performance, name: str = "Plein", price: str = "20.00", **fields):
    return services.tariff_create(
        actor=None, performance=performance, name=name, price=Decimal(price), **fields
    )


def api_sale(capacity: int):
    """A performance on sale, its full-price tariff at 20.00 and a sales channel's API token."""
    from parvis.ticketing.auth import api_token_create

    performance = on_sale_performance(capacity=capacity)
    return (
        performance,
        tariff(performance, price="20.00"),
        api_token_create(organizer=performance.organizer, name="partner"),
    )


def buyer(**overrides) -> services.Buyer:
    data = {"email": "ana@example.org", "first_name": "Ana", "last_name": "Lima", "language": "fr"}
    data.update(overrides)
    return services.Buyer(**data)


def buy(
    tariff_obj, quantity: int = 1, *, provider: str = "demo", confirm: bool = True, channel=Channel.ONLINE
):
    cart = Cart.objects.create(channel=channel)
    services.cart_add(cart=cart, tariff_id=tariff_obj.pk, quantity=quantity, channel=channel)
    orders = services.checkout_place_orders(cart=cart, buyer=buyer(), provider_code=provider)
    if confirm and orders[0].state == "pending":
        payment = orders[0].payments.get(state="created")
        return services.payment_confirm(payment_id=payment.pk)
    return orders[0]

from decimal import Decimal

from parvis.memberships.models import MembershipLevel, MembershipProgram
from parvis.memberships.services import membership_order_place
from parvis.ticketing import services
from parvis.ticketing.tests.factories import buyer


def program(organizer, network=None, **fields) -> MembershipProgram:
    data = {"organizer": organizer, "network": network, "name": "Les Amis du Musée", "name_en": "Friends"}
    data.update(fields)
    return MembershipProgram.objects.create(**data)


def level(prog, **fields) -> MembershipLevel:
    data = {"program": prog, "name": "Individuelle", "price": Decimal("30.00"), "persons": 1}
    data.update(fields)
    data["price"] = Decimal(str(data["price"]))
    return MembershipLevel.objects.create(**data)


def member(lvl, *, email: str = "ana@example.org", provider: str = "demo", other_names=()):
    """A card bought and paid; returns the membership."""
    order = membership_order_place(
        level=lvl, buyer=buyer(email=email), provider_code=provider, other_names=other_names
    )
    if order.state == "pending":
        services.payment_confirm(payment_id=order.payments.get(state="created").pk)
    return order.memberships.get()

"""A market to test with: categories, accredited participants, stands, slots and tables."""

import datetime
from decimal import Decimal

from django.utils import timezone

from parvis.crm.services import contact_resolve
from parvis.market.accreditation import search_text_of
from parvis.market.models import Access, Category, Exhibitor, Market, Participant, Stand, Zone
from parvis.testing import VenueFactory


def market(*, days_ahead: int = 30, length: int = 2, **fields) -> Market:
    venue = fields.pop("venue", None) or VenueFactory()
    start = timezone.localdate() + datetime.timedelta(days=days_ahead)
    return Market.objects.create(
        organizer=venue.organizer,
        venue=venue,
        slug=fields.pop("slug", "marche"),
        name=fields.pop("name", "Marché des arts numériques"),
        starts_on=start,
        ends_on=start + datetime.timedelta(days=length - 1),
        **fields,
    )


def category(market: Market, kind: str = "professional", fee: str = "0", **fields) -> Category:
    return Category.objects.create(
        market=market,
        name=fields.pop("name", str(dict(Category.Kind.choices)[kind])),
        kind=kind,
        fee=Decimal(fee),
        access=fields.pop("access", [Access.MARKET, Access.SESSIONS]),
        **fields,
    )


def participant(market: Market, category: Category | None = None, n: int = 0, **fields) -> Participant:
    category = category or market.categories.first() or globals()["category"](market)
    values = {
        "first_name": f"Prénom{n}",
        "last_name": f"Nom{n}",
        "email": f"p{n}@pro.example",
        "organisation_name": f"Société {n}",
        "role": "Programmateur",
        "state": Participant.State.ACCREDITED,
    }
    values.update(fields)
    values.setdefault(
        "contact",
        contact_resolve(
            organizer_id=market.organizer_id, email=values["email"], first_name=values["first_name"]
        ),
    )
    row = Participant(market=market, category=category, **values)
    row.search_text = search_text_of(row)
    row.save()
    return row


def stand(market: Market, label: str = "A1", price: str = "800.00", **fields) -> Stand:
    zone = fields.pop("zone", None) or Zone.objects.get_or_create(market=market, name="Hall")[0]
    return Stand.objects.create(market=market, zone=zone, label=label, price=Decimal(price), **fields)


def exhibitor(market: Market, n: int = 0, **fields) -> Exhibitor:
    return Exhibitor.objects.create(
        market=market,
        name=fields.pop("name", f"Studio {n}"),
        slug=f"studio-{n}",
        contact_email=f"studio{n}@exposant.example",
        **fields,
    )

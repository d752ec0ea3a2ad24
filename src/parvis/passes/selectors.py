"""Reads for the passes: what is on sale, what a holder may book next."""

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from parvis.core.params import id_param
from parvis.core.text import fold
from parvis.ticketing import inventory
from parvis.ticketing.models import Channel, Tariff, Ticket, TicketState

from . import extensions
from .models import PassEntry, PassHolding, PassProduct
from .services import eligible_performances

SUGGESTIONS = 12


def products_on_sale(*, network=None, organizer=None) -> QuerySet[PassProduct]:
    products = PassProduct.objects.filter(on_sale=True, valid_until__gt=timezone.now()).select_related(
        "organizer", "network"
    )
    if network is not None:
        products = products.filter(network=network)
    if organizer is not None:
        products = products.filter(organizer=organizer)
    return products


def holding_entries(holding: PassHolding) -> list[PassEntry]:
    return list(
        holding.pass_entries.select_related("performance__event", "venue", "ticket__order").order_by(
            "performance__starts_at"
        )
    )


def visited_venue_ids(email: str) -> set[int]:
    """The venues a person has had a ticket for (refunded ones aside), whatever the seller."""
    return set(
        Ticket.objects.filter(order__email=email, state__in=[TicketState.VALID, TicketState.EXCHANGED])
        .values_list("performance__venue_id", flat=True)
        .distinct()
    )


@dataclass
class SuggestionFilters:
    """What the holder narrows the dates to: a day from which, a town, a venue."""

    date_from: datetime.date | None = None
    town: str = ""
    venue_id: int | None = None

    @classmethod
    def of(cls, params) -> "SuggestionFilters":
        try:
            date_from = datetime.date.fromisoformat(params.get("du", ""))
        except ValueError:
            date_from = None
        return cls(
            date_from=date_from,
            town=params.get("ville", "").strip()[:100],
            venue_id=id_param(params, "lieu") or None,
        )

    @property
    def any(self) -> bool:
        return bool(self.date_from or self.town or self.venue_id)


def _bookable(holding: PassHolding):
    now = timezone.now()
    booked = PassEntry.objects.filter(holding=holding, state=PassEntry.State.BOOKED).values("performance_id")
    return (
        eligible_performances(holding.product)
        .filter(
            starts_at__gt=now + datetime.timedelta(hours=2),
            starts_at__gte=holding.valid_from,
            starts_at__lte=holding.valid_until,
        )
        .exclude(pk__in=booked)
    )


def suggestion_choices(holding: PassHolding) -> dict:
    """The towns and venues of the dates the pass may still book (the filters' choices)."""
    venues = {
        pk: (name, town)
        for pk, name, town in _bookable(holding)
        .values_list("venue_id", "venue__name", "venue__town")
        .distinct()
    }
    return {
        "towns": sorted({town for _name, town in venues.values() if town}, key=fold),
        "venues": sorted(((pk, name) for pk, (name, _town) in venues.items()), key=lambda v: fold(v[1])),
    }


def suggestions(
    holding: PassHolding, *, limit: int = SUGGESTIONS, filters: SuggestionFilters | None = None
) -> list[dict]:
    """Eligible performances still to book, with places left: venues the holder has never been to first
    (the discovery the pass exists for), then by date; narrowed by the holder's filters."""
    performances = _bookable(holding)
    if filters and filters.date_from:
        start = datetime.datetime.combine(
            filters.date_from, datetime.time.min, tzinfo=timezone.get_current_timezone()
        )
        performances = performances.filter(starts_at__gte=start)
    if filters and filters.town:
        performances = performances.filter(venue__town__iexact=filters.town)
    if filters and filters.venue_id:
        performances = performances.filter(venue_id=filters.venue_id)
    candidates = list(
        performances.select_related("event", "venue", "organizer").order_by("starts_at")[: limit * 5]
    )
    left = inventory.availability(performance_ids=[p.pk for p in candidates], channel=Channel.ONLINE)
    open_performances = {
        tariff_performance for tariff_performance, places in _tariff_performances(left).items() if places > 0
    }
    visited = visited_venue_ids(holding.email)
    rows = [
        {"performance": p, "new_venue": p.venue_id not in visited}
        for p in candidates
        if p.pk in open_performances
    ]
    rows.sort(key=lambda row: (not row["new_venue"], row["performance"].starts_at))
    for ranker in extensions.rankers:
        rows = ranker.rank(holding, rows)
    return rows[:limit]


def _tariff_performances(left: dict[int, int]) -> dict[int, int]:
    places: dict[int, int] = {}
    for tariff_id, performance_id in Tariff.objects.filter(pk__in=list(left)).values_list(
        "pk", "performance_id"
    ):
        places[performance_id] = max(places.get(performance_id, 0), left[tariff_id])
    return places


def holdings_usable_for(*, holding_ids: list[int], performance) -> list[PassHolding]:
    """The passes remembered in this browser that could book this performance now."""
    if not holding_ids:
        return []
    holdings = PassHolding.objects.filter(pk__in=holding_ids, state=PassHolding.State.ACTIVE).select_related(
        "product"
    )
    return [
        h
        for h in holdings
        if h.entries_left > 0
        and h.valid_from <= performance.starts_at <= h.valid_until
        and eligible_performances(h.product).filter(pk=performance.pk).exists()
    ]


def pass_options_for(*, performance, holding_ids: list[int]) -> dict:
    """What a performance page offers pass holders: the remembered passes that can book it, and whether
    any pass on sale includes it (then a holder may give a pass's code)."""
    usable = holdings_usable_for(holding_ids=holding_ids, performance=performance)
    products = PassProduct.objects.filter(
        valid_from__lte=performance.starts_at, valid_until__gte=performance.starts_at
    ).filter(holdings__state=PassHolding.State.ACTIVE)
    eligible = bool(usable) or any(
        eligible_performances(p).filter(pk=performance.pk).exists() for p in products.distinct()[:10]
    )
    return {"pass_holdings": usable, "pass_eligible": eligible}

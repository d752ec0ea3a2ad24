"""What each valid ticket counts for in a declaration, read for many performances in one query.

A ticket counts for its price; a pass's entry is a 0 € ticket in the ticketing and counts for its share of
the pass instead: the pass's price divided by its number of entries, at the pass's VAT rate. A
subscription's tickets already carry their part of the subscription's price.

A group booking (a class at a school performance) holds places without tickets: each person of it counts
as one ticket, those who came once counted at the door (else those announced); a paying person for the
offer's price per person, or a share of the price per group; the free accompanying adults as free
tickets."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from parvis.groups.models import HOLDING, GroupBooking
from parvis.groups.pricing import amount
from parvis.ticketing.models import TariffKind, Ticket, TicketState

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Sold:
    amount: Decimal  # VAT included: the price, or the pass's share
    vat_rate: Decimal
    price: Decimal
    is_pass: bool
    full_price: bool
    subscription: bool


def pass_share(price: Decimal, entries: int) -> Decimal:
    return (price / entries).quantize(CENT) if entries else Decimal(0)


def valid_sold(performance_ids) -> dict[int, list[Sold]]:
    """The valid tickets of these performances, per performance. Online tickets (a stream, a virtual visit)
    are left out: SIBIL, the show tax and the authors' societies count the audience before the stage."""
    rows = Ticket.objects.filter(
        performance_id__in=performance_ids, state=TicketState.VALID, tariff__online=False
    ).values_list(
        "performance_id", "price", "vat_rate", "tariff__kind", "order__subscription_id",
        "pass_entry__holding__price", "pass_entry__holding__entries", "pass_entry__holding__vat_rate",
    )  # fmt: skip
    found: dict[int, list[Sold]] = defaultdict(list)
    for performance_id, price, rate, kind, subscription, pass_price, entries, pass_rate in rows.iterator(
        chunk_size=5000
    ):
        is_pass = pass_price is not None
        found[performance_id].append(
            Sold(
                amount=pass_share(pass_price, entries) if is_pass else price,
                vat_rate=pass_rate if is_pass else rate,
                price=price,
                is_pass=is_pass,
                full_price=kind == TariffKind.FULL and not is_pass,
                subscription=subscription is not None,
            )
        )
    _groups(performance_ids, found)
    return found


def _groups(performance_ids, found: dict[int, list[Sold]]) -> None:
    bookings = GroupBooking.objects.filter(
        performance_id__in=performance_ids, state__in=HOLDING
    ).select_related("offer")
    for booking in bookings:
        pupils, adults = (
            (booking.final_pupils, booking.final_adults)
            if booking.final_pupils is not None
            else (booking.pupils, booking.adults)
        )
        due = amount(booking.offer, pupils, adults)
        persons = pupils + adults
        paying = persons - due.free_adults
        if booking.offer.pricing == "per_group":  # the group's price shared, the remainder on the first
            share = (due.total / paying).quantize(CENT) if paying else Decimal(0)
            amounts = [due.total - share * (paying - 1), *[share] * (paying - 1)] if paying else []
        else:
            amounts = [due.unit] * paying
        rate = booking.offer.vat_rate
        found[booking.performance_id].extend(
            Sold(amount=a, vat_rate=rate, price=a, is_pass=False, full_price=False, subscription=False)
            for a in [*amounts, *[Decimal(0)] * due.free_adults]
        )


def excluding_vat(sold: list[Sold]) -> tuple[Decimal, dict[Decimal, Decimal]]:
    """The amount excluding VAT and the amounts VAT included per rate: each rate's total is divided once
    and rounded to the cent, as an invoice does."""
    by_rate: dict[Decimal, Decimal] = defaultdict(Decimal)
    for one in sold:
        by_rate[one.vat_rate] += one.amount
    base = sum(((gross * 100 / (100 + rate)).quantize(CENT) for rate, gross in by_rate.items()), Decimal(0))
    return base, dict(by_rate)

"""The VAT an organizer owes as seller of record, month by month, on encaissement (CGI 269-2-c): from the
payments and refunds of the month, whatever the performances' dates. A gift voucher bears no VAT when
sold (a debt to its holder) and its order's VAT is due when it is spent; donations are outside VAT. A
member of a network that sells in its own name also owes the VAT of its self-billed invoices to the
network's seller, on the days the seller paid them (`self_billing_paid`)."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from parvis.ticketing.models import OrderExtra

from . import self_billing_paid
from .money import NO_VAT, movements


@dataclass
class RateLine:
    rate: Decimal
    gross: Decimal = Decimal(0)
    excl: Decimal = Decimal(0)
    vat: Decimal = Decimal(0)


@dataclass
class VatReport:
    lines: list[RateLine]
    vouchers_sold: Decimal
    donations: Decimal
    taken: Decimal
    given_back: Decimal
    self_billed: list[RateLine] = field(default_factory=list)  # paid by the network's seller

    @property
    def vat(self) -> Decimal:
        return sum((line.vat for line in [*self.lines, *self.self_billed]), Decimal(0))


def report(organizer, start: datetime.datetime, end: datetime.datetime) -> VatReport:
    by_rate: dict[Decimal, RateLine] = {}
    outside: dict[str, Decimal] = defaultdict(Decimal)
    taken = given_back = Decimal(0)
    for movement in movements(organizer, start, end):
        if movement.amount > 0:
            taken += movement.amount
        else:
            given_back -= movement.amount
        for part in movement.parts:
            if part.kind in NO_VAT:
                outside[part.kind] += part.gross
                continue
            line = by_rate.setdefault(part.vat_rate, RateLine(part.vat_rate))
            excl, vat = part.split
            line.gross += part.gross
            line.excl += excl
            line.vat += vat
    zone = timezone.get_default_timezone()
    first, last = start.astimezone(zone).date(), (end.astimezone(zone) - datetime.timedelta(days=1)).date()
    billed: dict[Decimal, RateLine] = {}
    for share in self_billing_paid.collected(organizer, first, last):
        for rate, (excl, vat) in share.rates.items():
            line = billed.setdefault(rate, RateLine(rate))
            line.excl += excl
            line.vat += vat
            line.gross += excl + vat
    return VatReport(
        self_billed=[billed[rate] for rate in sorted(billed)],
        lines=[by_rate[rate] for rate in sorted(by_rate)],
        vouchers_sold=outside[OrderExtra.Kind.VOUCHER],
        donations=outside[OrderExtra.Kind.DONATION],
        taken=taken,
        given_back=given_back,
    )

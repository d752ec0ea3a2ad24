"""The VAT an organizer owes as seller of record, month by month, on encaissement (CGI 269-2-c): from the
payments and refunds of the month, whatever the performances' dates. A gift voucher bears no VAT when
sold (a debt to its holder) and its order's VAT is due when it is spent; donations are outside VAT."""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from parvis.ticketing.models import OrderExtra

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

    @property
    def vat(self) -> Decimal:
        return sum((line.vat for line in self.lines), Decimal(0))


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
    return VatReport(
        lines=[by_rate[rate] for rate in sorted(by_rate)],
        vouchers_sold=outside[OrderExtra.Kind.VOUCHER],
        donations=outside[OrderExtra.Kind.DONATION],
        taken=taken,
        given_back=given_back,
    )

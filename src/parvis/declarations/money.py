"""The money an organizer took and gave back, payment by payment, each split by what it paid for and at
which VAT rate: the common ground of the accounting feed (FEC) and of the VAT report.

VAT on services is due on payment (encaissement, CGI 269-2-c), so both follow payments and refunds by the
day they were made, not the performances' dates.

Rules:
- a payment pays its order's lines in proportion (tickets, passes, memberships, add-ons, donations, gift
  vouchers), to the cent, the rounding on the last part;
- a refund gives back the tickets its detail names, at their VAT rates; without a detail (an order
  cancelled whole), the order's lines in proportion;
- a gift voucher sold is a debt to its holder, not a sale (no VAT); spent, it pays like money and its
  order's VAT is due then;
- a refund due at the counter counts the day the counter pays it out."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, Q
from django.utils import timezone

from parvis.core.money import vat_split
from parvis.ticketing.models import OrderExtra, OrderItem, Payment, PaymentState

CENT = Decimal("0.01")
# What a line is, for the accounts: an OrderExtra's kind, or "ticket".
TICKET = "ticket"
NO_VAT = (OrderExtra.Kind.VOUCHER, OrderExtra.Kind.DONATION)


@dataclass
class Part:
    kind: str
    vat_rate: Decimal
    gross: Decimal  # signed like its movement

    @property
    def split(self) -> tuple[Decimal, Decimal]:
        """(excluding VAT, VAT), signed; a voucher or a donation bears none."""
        if self.kind in NO_VAT or not self.vat_rate:
            return self.gross, Decimal(0)
        excl, vat = vat_split(abs(self.gross), self.vat_rate)
        sign = -1 if self.gross < 0 else 1
        return sign * excl, sign * vat


@dataclass
class Movement:
    payment_id: int
    at: datetime.datetime
    method: str
    amount: Decimal  # > 0 taken, < 0 given back
    order_code: str
    order_date: datetime.date
    refund: bool
    parts: list[Part] = field(default_factory=list)


def order_lines(order) -> dict[tuple[str, Decimal], Decimal]:
    """The order's lines as sold, gross per (kind, VAT rate)."""
    lines: dict[tuple[str, Decimal], Decimal] = defaultdict(Decimal)
    for item in order.items.all():
        lines[(TICKET, item.vat_rate)] += item.unit_price * item.quantity
    for extra in order.extras.all():
        lines[(extra.kind, extra.vat_rate)] += extra.unit_price * extra.quantity
    return lines


def proportion(lines: dict[tuple[str, Decimal], Decimal], amount: Decimal) -> list[Part]:
    """`amount` spread over the lines in proportion, to the cent, the rounding on the last (largest) one."""
    total = sum(lines.values(), Decimal(0))
    keys = sorted((key for key, value in lines.items() if value), key=lambda key: (lines[key], key))
    if not total or not keys:
        return [Part(TICKET, Decimal(0), amount)]
    parts = [Part(kind, rate, (lines[(kind, rate)] * amount / total).quantize(CENT)) for kind, rate in keys]
    parts[-1].gross += amount - sum((p.gross for p in parts), Decimal(0))
    return [p for p in parts if p.gross]


def _refund_parts(payment: Payment) -> list[Part]:
    named = payment.detail.get("vat") if payment.detail else None
    if not named:
        return proportion(order_lines(payment.order), payment.amount)
    by_rate: dict[Decimal, Decimal] = defaultdict(Decimal)
    for rate, value in named:
        by_rate[Decimal(rate)] -= Decimal(value)
    parts = [Part(TICKET, rate, value) for rate, value in sorted(by_rate.items()) if value]
    gap = payment.amount - sum((p.gross for p in parts), Decimal(0))
    if parts and gap:
        parts[-1].gross += gap  # the detail rounded per part: the payment's amount is the truth
    return parts or [Part(TICKET, Decimal(0), payment.amount)]


def movements(organizer, start: datetime.datetime, end: datetime.datetime) -> list[Movement]:
    """The organizer's payments and refunds made between start and end, in the order they were made."""
    payments = (
        Payment.objects.filter(order__organizer=organizer, confirmed_at__gte=start, confirmed_at__lt=end)
        .filter(
            Q(state__in=[PaymentState.CONFIRMED, PaymentState.REFUNDED], amount__gt=0)
            | Q(state=PaymentState.REFUNDED, amount__lt=0)
        )
        .select_related("order")
        .prefetch_related(
            Prefetch(
                "order__items",
                queryset=OrderItem.objects.only("order_id", "unit_price", "quantity", "vat_rate"),
            ),
            "order__extras",
        )
        .order_by("confirmed_at", "pk")
    )
    found = []
    for payment in payments:
        refund = payment.amount < 0
        found.append(
            Movement(
                payment_id=payment.pk,
                at=payment.confirmed_at,
                method=payment.provider,
                amount=payment.amount,
                order_code=payment.order.code,
                order_date=timezone.localtime(payment.order.created_at).date(),
                refund=refund,
                parts=_refund_parts(payment)
                if refund
                else proportion(order_lines(payment.order), payment.amount),
            )
        )
    return found

"""A sale paid at once, without cart or hold (a sales channel's API)."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from parvis.core import changes
from parvis.core.audit import audit_record
from parvis.core.background import enqueue_on_commit
from parvis.core.compiled import insert, insert_many
from parvis.crm import services as crm

from .. import inventory, signing
from ..errors import SaleError
from ..models import (
    Channel,
    Order,
    OrderItem,
    OrderState,
    Payment,
    PaymentState,
    Ticket,
)
from ..providers import enabled_providers
from ..tasks import (
    send_order_confirmation,
)
from .buyer import Buyer
from .fulfilment import tickets_issue
from .rules import check_on_sale, max_per_order, sale_tariffs


@dataclass
class PaidLine:
    tariff_id: int
    quantity: int
    attendee_names: list[str] = field(default_factory=list)
    seats: list[int] | None = None  # a seated tariff's seats; None: the best available (a seating product's)


def _paid_lines_check(organizer_id: int, lines: list[PaidLine], channel: str, now):
    """The tariffs of the lines (each on sale on this channel, within the per-order limit), and the quotas
    of their dates (no timed-entry slot: a channel sells whole dates)."""
    tariffs = {tariff.pk: tariff for tariff in sale_tariffs([line.tariff_id for line in lines])}
    per_performance: dict[int, int] = defaultdict(int)
    for line in lines:
        tariff = tariffs.get(line.tariff_id)
        if tariff is None or tariff.performance.organizer_id != organizer_id:
            raise SaleError("unknown_tariff")
        check_on_sale(tariff, channel=channel, now=now, placed=True)  # a seated line: its seats below
        if line.seats is not None and (not tariff.seated or len(set(line.seats)) != line.quantity):
            raise SaleError("unknown_seat")
        per_performance[tariff.performance_id] += line.quantity
        if per_performance[tariff.performance_id] > max_per_order(tariff):
            raise SaleError("quantity_limit", limit=max_per_order(tariff))
    quotas = {pk: inventory.performance_quotas(pk) for pk in per_performance}
    if any(q.is_slot for performance_quotas in quotas.values() for q in performance_quotas):
        raise SaleError("slot_required")
    return tariffs, quotas


def _paid_order_write(organizer_id, lines, tariffs, *, buyer, channel, provider_code, reference, total, now):
    """The paid order, its lines and its payment; the buyer's profile hears of it."""
    contact = buyer.contact_at(organizer_id, source=channel)
    order = insert(
        Order(
            contact=contact,
            organizer_id=organizer_id,
            channel=channel,
            state=OrderState.PAID,
            **buyer.order_fields(),
            total=total,
            currency=tariffs[lines[0].tariff_id].currency,
            expires_at=now,
            paid_at=now,
        )
    )
    items = insert_many(
        OrderItem(
            order=order,
            performance=tariffs[line.tariff_id].performance,
            tariff=tariffs[line.tariff_id],
            quantity=line.quantity,
            unit_price=tariffs[line.tariff_id].price,
            vat_rate=tariffs[line.tariff_id].vat_rate,
            attendee_names=[n.strip()[:200] for n in line.attendee_names][: line.quantity],
        )
        for line in lines
    )
    payment = insert(
        Payment(
            order=order,
            provider=provider_code,
            amount=total,
            currency=order.currency,
            state=PaymentState.CONFIRMED,
            confirmed_at=now,
            reference=reference,
        )
    )
    crm.interaction_record(
        contact=contact,
        organizer_id=organizer_id,
        kind=crm.Interaction.Kind.ORDER,
        at=now,
        summary=order.code,
        amount=total,
        ref=f"order:{order.code}",
        announced=True,  # by the order.paid change this transaction records
    )
    audit_record(
        actor=None,
        action="order.paid",
        instance=order,
        organizer_id=organizer_id,
        after={"state": OrderState.PAID, "total": str(total), "payment": payment.provider},
    )
    return order, items


def order_place_paid(
    *,
    organizer_id: int,
    lines: list[PaidLine],
    buyer: Buyer,
    provider_code: str,
    reference: str,
    channel: str = Channel.API,
    expected_total: Decimal | None = None,
    notify: bool = True,
) -> tuple[Order, list[Ticket]]:
    """Sell tickets paid at once (a sales channel's API): no cart and no hold, one transaction.

    Same rules and error codes as a checkout (`check_on_sale`, the per-order limit, prices from the
    tariffs, `expected_total`). The places are taken last, just before the tickets are numbered, so the
    quota rows are locked only for the few statements before commit. Inside a caller's transaction the
    whole of it rolls back on any error (no savepoint of its own).
    """
    if provider_code != "channel" and (
        provider_code not in ("free", "demo") or enabled_providers().get(provider_code) is None
    ):
        raise SaleError("provider_unavailable")
    if not lines:
        raise SaleError("cart_empty")
    if any(isinstance(line.quantity, bool) or line.quantity <= 0 for line in lines):
        raise SaleError("invalid_quantity")
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        tariffs, quotas = _paid_lines_check(organizer_id, lines, channel, now)
        total = sum((tariffs[line.tariff_id].price * line.quantity for line in lines), Decimal(0))
        if expected_total is not None and Decimal(expected_total) != total:
            raise SaleError("price_mismatch", total=str(total))
        if total > 0 and provider_code == "free":
            raise SaleError("provider_unavailable")
        order, items = _paid_order_write(
            organizer_id,
            lines,
            tariffs,
            buyer=buyer,
            channel=channel,
            provider_code="free" if total == 0 else provider_code,
            reference=reference,
            total=total,
            now=now,
        )
        if notify and order.email:  # written now, and sent only if the sale commits
            enqueue_on_commit(send_order_confirmation, order_id=order.pk)
        key = signing.signing_key_for_id(organizer_id)
        tickets = []
        # Seats are chosen and claimed before the places: their claims lock only the rows of these seats,
        # and the quota row below stays locked for as short a time as without seats.
        seats_of = {item.pk: line.seats for item, line in zip(items, lines, strict=True)}
        placed = {
            item.pk: [
                follower.placed(item.tariff, item.quantity, seats_of[item.pk])
                for follower in inventory.place_followers
            ]
            for item in items
            if item.tariff.seated
        }
        # Last: the quota and numbering rows stay locked from here until commit.
        for item in sorted(items, key=lambda i: (i.performance_id, i.tariff_id)):
            try:
                quota_ids = inventory.take_places(
                    tariff=item.tariff,
                    quantity=item.quantity,
                    channel=channel,
                    quotas=quotas[item.performance_id],
                )
            except inventory.SoldOut:
                raise SaleError("sold_out") from None
            issued = tickets_issue(order, item, quota_ids, key)
            for give in placed.get(item.pk, []):  # each ticket its seat
                give(issued)
            tickets += issued
        changes.record("order.paid", organizer_id=organizer_id, subject="order", subject_id=order.pk, at=now)
    return order, tickets

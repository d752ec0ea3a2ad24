"""Cancelling orders and refunding tickets: places back, money back by the methods that paid."""

import contextlib
import datetime
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from parvis.core import changes
from parvis.core.audit import audit_record
from parvis.core.background import enqueue_on_commit
from parvis.crm import services as crm
from parvis.programming.models import PerformanceStatus
from parvis.programming.services import performance_update

from .. import extensions, inventory
from ..errors import SaleError
from ..invoicing import credit_note_for
from ..models import (
    Order,
    OrderState,
    Payment,
    PaymentState,
    Ticket,
    TicketState,
    Voucher,
)
from ..providers import COUNTER_MONEY
from ..tasks import (
    refund_to_provider,
    send_cancellation_notice,
    send_credit_voucher,
    send_refund_notice,
)
from ..vouchers import voucher_issue, vouchers_of_order_restore


def order_cancel(*, order: Order, actor=None, reason: str = "", method: str = "") -> Order:
    """Cancel an order: a pending one releases its places; a paid one cancels its tickets and is refunded
    (to the methods that paid it, or by `method`)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        before = order.state
        if order.state == OrderState.PENDING:
            for hold in order.holds.all():
                inventory.release_hold(hold)
            Payment.objects.filter(
                order=order, state__in=[PaymentState.CREATED, PaymentState.PENDING]
            ).update(state=PaymentState.FAILED)
            order.state = OrderState.CANCELLED
        elif order.state in (OrderState.PAID, OrderState.PARTIALLY_REFUNDED):
            kinds = extensions.kinds_of(order, set(order.extras.values_list("kind", flat=True)))
            for kind in kinds:  # what else it bought is undone first (or refuses: a pass already used)
                kind.order_cancelled(order, actor=actor)
            valid = list(order.tickets.filter(state=TicketState.VALID))
            tickets_refund(tickets=valid, actor=actor, reason=reason, method=method)
            extras_total = sum((e.line_total for e in order.extras.all()), Decimal(0))
            if extras_total and before == OrderState.PAID:  # add-ons and donation go back with the order
                _record_refund(order, extras_total, provider=method)
                for kind in kinds:
                    kind.extras_refunded(order)
            order.state = OrderState.REFUNDED
        else:
            raise SaleError("not_cancellable")
        order.save(update_fields=["state"])
        audit_record(
            actor=actor,
            action="order.cancel",
            instance=order,
            organizer_id=order.organizer_id,
            before={"state": before},
            after={"state": order.state, "reason": reason},
        )
    return order


def tickets_refund(
    *,
    tickets: list[Ticket],
    actor=None,
    reason: str = "",
    request=None,
    fee_per_ticket: Decimal = Decimal(0),
    method: str = "",
    till: bool = False,
) -> list[Ticket]:
    """Refund some tickets of paid orders (per ticket, partial or whole): places back, order state updated.

    Money the counter took (cash, card terminal, cheque) goes back only through a till: `till` says the
    caller is one and writes the journal entry; otherwise the refund is recorded as due at the counter
    (`PaymentState.REFUND_DUE`), paid out later with its journal entry."""
    by_order: dict[int, list[Ticket]] = defaultdict(list)
    done: list[Ticket] = []
    for ticket in tickets:
        by_order[ticket.order_id].append(ticket)
    now = timezone.now()
    with transaction.atomic():
        for order_id, order_tickets in by_order.items():
            order = Order.objects.select_for_update().get(pk=order_id)
            refunded = Decimal(0)
            refunded_tickets: list[Ticket] = []
            for ticket in order_tickets:
                if Ticket.objects.filter(pk=ticket.pk, state=TicketState.VALID).update(
                    state=TicketState.REFUNDED, voided_at=now
                ):
                    inventory.give_back_sold(quota_ids=[q.pk for q in ticket.quotas.all()])  # prefetched?
                    refunded += max(Decimal(0), ticket.price - fee_per_ticket)
                    refunded_tickets.append(ticket)
            if not refunded_tickets:  # all refunded already (a repeat, a double click): nothing to write
                continue
            inventory.places_voided([t.pk for t in refunded_tickets])  # their seats are free
            for kind in extensions.line_kinds:  # e.g. a pass's entries come back
                kind.tickets_released([t.pk for t in refunded_tickets])
            still_valid = order.tickets.filter(state=TicketState.VALID).exists()
            before = order.state
            order.state = OrderState.PARTIALLY_REFUNDED if still_valid else OrderState.REFUNDED
            order.save(update_fields=["state"])
            if refunded:
                detail = {
                    "tickets": [[t.performance_id, t.number] for t in refunded_tickets],
                    "vat": [
                        [str(t.vat_rate), str(max(Decimal(0), t.price - fee_per_ticket))]
                        for t in refunded_tickets
                    ],
                    "reason": reason[:300],
                }
                _record_refund(order, refunded, provider=method, till=till, detail=detail)
            changes.record(
                "order.refunded", organizer_id=order.organizer_id, subject="order", subject_id=order.pk
            )
            done.extend(refunded_tickets)
            audit_record(
                actor=actor,
                action="order.refund",
                instance=order,
                organizer_id=order.organizer_id,
                before={"state": before},
                after={
                    "state": order.state,
                    "refunded": str(refunded),
                    "tickets": [t.number for t in refunded_tickets],
                    "reason": reason,
                },
                request=request,
            )
            if order.invoices.filter(kind="invoice").exists():
                credit_note_for(order, refunded_tickets, fee_per_ticket=fee_per_ticket)
    return done


@contextlib.contextmanager
def _refunds_written(order: Order):
    """Around code that refunds an order: the list yielded holds, once the block is done, the refunds (the
    negative payments) it wrote."""
    last = order.payments.aggregate(last=Max("pk"))["last"] or 0
    written: list[Payment] = []
    yield written
    written += order.payments.filter(
        pk__gt=last, amount__lt=0, state__in=[PaymentState.REFUNDED, PaymentState.REFUND_DUE]
    ).order_by("pk")


@contextlib.contextmanager
def refund_noticed(order: Order):
    """Around a refund of an order by its organizer or its buyer: the buyer is told by e-mail, after commit,
    what was given back and by which means (nothing if nothing was)."""

    with _refunds_written(order) as refunds:
        yield
    if refunds:
        enqueue_on_commit(send_refund_notice, order_id=order.pk, payment_ids=[p.pk for p in refunds])


def refund_as_voucher(
    *, order: Order, tickets: list[Ticket] | None = None, actor, reason: str = "", request=None
):
    """Refund tickets of an online order (the whole order, cancelled, without `tickets`) as a credit voucher
    of the amount: the money stays with the organizer, the buyer gets the voucher by e-mail. All or nothing
    (a voucher is worth at least 1.00)."""

    with transaction.atomic():
        with _refunds_written(order) as refunds:
            if tickets is None:
                order_cancel(order=order, actor=actor, reason=reason, method="voucher")
            else:
                tickets_refund(tickets=tickets, actor=actor, reason=reason, request=request, method="voucher")
        refunded = -sum((p.amount for p in refunds if p.provider == "voucher"), Decimal(0))
        if not refunded:
            raise SaleError("nothing_to_refund")
        voucher = voucher_issue(
            organizer=order.organizer, value=refunded, source=Voucher.Source.REFUND, actor=actor, order=order
        )
        enqueue_on_commit(send_credit_voucher, voucher_id=voucher.pk)
    return voucher


def _record_refund(
    order: Order, amount: Decimal, *, provider: str = "", till: bool = False, detail: dict | None = None
) -> list[Payment]:
    """A refund (negative payments): by the method given, or back to the methods that paid. Online
    providers are told after commit; a gift voucher's part goes back on the voucher; the counter's money
    is due at the counter unless a till pays it now (`till`)."""
    parts = [(provider, amount)] if provider else _refund_parts(order, amount)
    refunds = []
    for method, part in parts:
        due = method in COUNTER_MONEY and not till
        refunds.append(refund_payment(order, method, part, due=due, detail=_share(detail, part, amount)))
        if method == "voucher" and not provider:
            vouchers_of_order_restore(order, part)
    crm.interaction_record(
        contact_id=order.contact_id,
        organizer_id=order.organizer_id,
        kind=crm.Interaction.Kind.REFUND,
        summary=order.code,
        amount=amount,
        ref=f"order:{order.code}",
    )
    return refunds


def refund_payment(
    order: Order, method: str, amount: Decimal, *, due: bool = False, detail: dict | None = None
) -> Payment:
    """Money given back by `method` (a negative payment); Stripe is told after commit. `due`: owed at the
    counter, paid out there later (`detail`: its tickets and VAT for the till's journal)."""
    refund = Payment.objects.create(
        order=order,
        provider=method,
        amount=-amount,
        currency=order.currency,
        state=PaymentState.REFUND_DUE if due else PaymentState.REFUNDED,
        confirmed_at=None if due else timezone.now(),
        detail=detail or {},
    )
    if method == "stripe":
        enqueue_on_commit(refund_to_provider, payment_id=refund.pk)
    return refund


def _share(detail: dict | None, part: Decimal, amount: Decimal) -> dict | None:
    """A refund's detail for one of its parts (one method): its VAT amounts scaled to the part, to the
    cent, the rounding on the last line."""
    if not detail or part == amount or not amount:
        return detail
    lines = [[rate, Decimal(value) * part / amount] for rate, value in detail.get("vat", [])]
    rounded = [[rate, value.quantize(Decimal("0.01"))] for rate, value in lines]
    if rounded:
        rounded[-1][1] += part - sum((value for _rate, value in rounded), Decimal(0))
    return {**detail, "vat": [[rate, str(value)] for rate, value in rounded]}


def _refund_parts(order: Order, amount: Decimal) -> list[tuple[str, Decimal]]:
    """How a refund goes back to the methods that paid the order: each up to what it paid and has not given
    back yet, a card or the counter first, a gift voucher last (its value stays with the organizer either
    way, the buyer's money does not). Whatever exceeds them (an exchange paid elsewhere) goes to the first."""
    left: dict[str, Decimal] = {}
    for method, value in (
        order.payments.filter(
            Q(state=PaymentState.CONFIRMED, amount__gt=0)
            | Q(state__in=[PaymentState.REFUNDED, PaymentState.REFUND_DUE], amount__lt=0)
        )
        .order_by("pk")
        .values_list("provider", "amount")
    ):
        left[method] = left.get(method, Decimal(0)) + value
    methods = sorted(left, key=lambda method: method == "voucher") or ["manual"]
    given: dict[str, Decimal] = {}
    rest = amount
    for method in methods:
        given[method] = min(rest, max(left.get(method, Decimal(0)), Decimal(0)))  # "manual": nothing left
        rest -= given[method]
    given[methods[0]] += rest
    return [(method, given[method]) for method in methods if given[method] > 0]


def performance_cancel(*, actor, performance, reason: str, request=None) -> int:
    """Cancel a whole date: its status, every valid ticket refunded, pending orders cancelled, buyers told.

    Returns the number of orders concerned.
    """

    with transaction.atomic():
        performance_update(
            actor=actor,
            performance=performance,
            data={"status": PerformanceStatus.CANCELLED},
            request=request,
        )
        tickets = list(
            Ticket.objects.filter(performance=performance, state=TicketState.VALID).prefetch_related("quotas")
        )
        tickets_refund(tickets=tickets, actor=actor, reason=reason, request=request)
        pending = list(
            Order.objects.filter(state=OrderState.PENDING, items__performance=performance).distinct()
        )
        for order in pending:
            order_cancel(order=order, actor=actor, reason=reason)
        order_ids = sorted({t.order_id for t in tickets} | {o.pk for o in pending})
        for order_id in order_ids:
            enqueue_on_commit(send_cancellation_notice, order_id=order_id, performance_id=performance.pk)
    return len(order_ids)


def self_cancellation_allowed(order: Order, *, now=None) -> bool:
    """Whether the buyer may cancel this order (the organizer allows it, and it is early enough)."""
    now = now or timezone.now()
    hours = order.organizer.self_cancellation_hours
    if hours is None or order.state != OrderState.PAID:
        return False
    first = (
        order.tickets.filter(state=TicketState.VALID)
        .order_by("performance__starts_at")
        .values_list("performance__starts_at", flat=True)
        .first()
    )
    return first is not None and first - datetime.timedelta(hours=hours) > now


def order_self_cancel(*, order: Order) -> Order:
    """The buyer cancels: every valid ticket refunded minus the organizer's fee per ticket."""
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("organizer").get(pk=order.pk)
        if not self_cancellation_allowed(order):
            raise SaleError("not_cancellable")
        tickets = list(order.tickets.filter(state=TicketState.VALID).prefetch_related("quotas"))
        with refund_noticed(order):
            tickets_refund(
                tickets=tickets, reason="self-service", fee_per_ticket=order.organizer.self_cancellation_fee
            )
        audit_record(
            actor=None,
            action="order.self_cancel",
            instance=order,
            organizer_id=order.organizer_id,
            before={"state": OrderState.PAID},
            after={
                "state": OrderState.REFUNDED,
                "fee_per_ticket": str(order.organizer.self_cancellation_fee),
            },
        )
    order.refresh_from_db()
    return order

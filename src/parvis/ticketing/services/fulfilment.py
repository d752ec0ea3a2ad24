"""Payments confirmed or refused; a paid order's places become tickets and its products valid."""

import contextlib
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from parvis.core import changes
from parvis.core.audit import audit_record
from parvis.core.background import enqueue_on_commit
from parvis.core.compiled import CompiledQuery, insert_many
from parvis.crm import services as crm

from .. import extensions, inventory, signing
from ..errors import SaleError
from ..models import (
    Order,
    OrderItem,
    OrderState,
    Payment,
    PaymentState,
    Ticket,
    TicketSeries,
)
from ..tasks import (
    send_auto_refund_notice,
    send_order_confirmation,
)
from ..vouchers import voucher_redeem
from .refunds import refund_payment


def _vouchers_spend(order: Order, now) -> bool:
    """Spend the voucher parts of an order whose other payment is confirmed; False if a voucher no longer
    has enough (spent elsewhere meanwhile): then nothing is spent."""

    parts = list(order.payments.filter(provider="voucher", state=PaymentState.CREATED))
    try:
        with transaction.atomic():
            for part in parts:
                voucher_redeem(
                    organizer_id=order.organizer_id,
                    code=part.reference.partition("/")[0],
                    amount=part.amount,
                    order=order,
                )
                Payment.objects.filter(pk=part.pk).update(state=PaymentState.CONFIRMED, confirmed_at=now)
    except SaleError:
        return False
    return True


def payment_confirm(*, payment_id: int, reference: str = "", notify: bool = True) -> Order:
    """Confirm a payment once (webhooks and returns may repeat) and issue the tickets.

    If the places were sold to someone else after the hold expired, the payment is refunded.
    """
    now = timezone.now()
    with transaction.atomic():
        payment = next(iter(_payment_with_order(payment_id)), None)
        if payment is None:
            raise Payment.DoesNotExist
        claimed = Payment.objects.filter(
            pk=payment_id, state__in=[PaymentState.CREATED, PaymentState.PENDING]
        ).update(state=PaymentState.CONFIRMED, confirmed_at=now, reference=reference or payment.reference)
        order = payment.order
        if not claimed:  # already confirmed (or failed/refunded): nothing happens twice
            order.refresh_from_db()  # the confirmation that won has committed: report its outcome
            return order
        order_fulfil(order, now, payment=payment, notify=notify)
    order.refresh_from_db()
    return order


# A payment's confirmation reads these: written as SQL once per process.
_payment_with_order = CompiledQuery(
    Payment, lambda payment_id: Payment.objects.select_related("order").filter(pk=payment_id)
)


_items_to_fulfil = CompiledQuery(
    OrderItem,
    lambda order_id: (
        OrderItem.objects.filter(order_id=order_id)
        .select_related("hold", "tariff", "performance")
        .order_by("pk")
    ),
)


def order_fulfil(
    order: Order, now, *, payment: Payment | None = None, notify: bool = True, paid_by: str = "box_office"
) -> None:
    """A paid order: its holds become sold places, tickets are issued and the confirmation is sent.
    Paid through `payment`, or at once (`paid_by`: at the counter, or with a gift voucher).

    If the places were sold to someone else after the hold expired, the money is marked refunded.
    """
    items = _items_to_fulfil(order.pk)
    for item in items:
        item.order = order
    paid_in_full = payment is not None and payment.amount == order.total
    if not paid_in_full and not _vouchers_spend(
        order, now
    ):  # the voucher's balance went elsewhere: the payment goes back
        for item in items:
            inventory.release_hold(item.hold)
        _auto_refund(order, "voucher balance spent elsewhere meanwhile", voucher=True)
        return
    try:
        # Each conversion is atomic; several are made all together (one item needs no second savepoint).
        with transaction.atomic() if len(items) > 1 else contextlib.nullcontext():
            converted = [
                (item, inventory.convert_hold(item.hold, channel=order.channel, seated=item.tariff.seated))
                for item in items
            ]
    except inventory.SoldOut:
        _auto_refund(order, "places sold after the hold expired")
        return
    Order.objects.filter(pk=order.pk).update(state=OrderState.PAID, paid_at=now)
    # Lines other than tickets (a card, a pass, a voucher, a donation) cost something or have no items:
    # an order of tickets whose total is its tickets has none to act on.
    tickets_only = items and order.total == sum((i.unit_price * i.quantity for i in items), Decimal(0))
    kinds = set() if tickets_only else set(order.extras.values_list("kind", flat=True))
    order.paid_at = now
    for kind in extensions.kinds_of(order, kinds):  # what else it bought becomes valid (a pass, a card…)
        kind.order_paid(order, paid_at=now)
    crm.interaction_record(
        contact_id=order.contact_id,
        organizer_id=order.organizer_id,
        kind=crm.Interaction.Kind.ORDER,
        at=now,
        summary=order.code,
        amount=order.total,
        ref=f"order:{order.code}",
        announced=True,  # by the order.paid change this transaction records
    )
    audit_record(
        actor=None,
        action="order.paid",
        instance=order,
        organizer_id=order.organizer_id,
        before={"state": order.state},
        after={"state": OrderState.PAID, "payment": payment.provider if payment else paid_by},
    )
    if notify and order.email:
        enqueue_on_commit(send_order_confirmation, order_id=order.pk)
    keys = {}  # each ticket is signed by its performance's organizer (a network may sell on its behalf)
    for item, quota_ids in sorted(converted, key=lambda pair: pair[0].performance_id):
        organizer_id = item.performance.organizer_id
        if organizer_id not in keys:
            keys[organizer_id] = signing.signing_key_for_id(organizer_id)
        tickets = tickets_issue(order, item, quota_ids, keys[organizer_id])  # last: numbering locked briefly
        if item.tariff.seated:
            for follower in inventory.place_followers:
                follower.issued(item.hold_id, tickets)
    changes.record(
        "order.paid", organizer_id=order.organizer_id, subject="order", subject_id=order.pk, at=now
    )


def _auto_refund(order: Order, reason: str, *, voucher: bool = False) -> None:
    """A payment confirmed for an order that can no longer be fulfilled: the money goes back, the order is
    cancelled, unconfirmed parts (a voucher's) are dropped, and the buyer is told.

    Each payment returned is marked refunded; one taken by an online provider (Stripe) is also refunded
    there, through a refund recorded beside it and sent after commit."""
    confirmed = list(Payment.objects.filter(order=order, state=PaymentState.CONFIRMED, amount__gt=0))
    Payment.objects.filter(order=order, state=PaymentState.CONFIRMED).update(state=PaymentState.REFUNDED)
    Payment.objects.filter(order=order, state=PaymentState.CREATED).update(state=PaymentState.FAILED)
    Order.objects.filter(pk=order.pk).update(state=OrderState.CANCELLED)

    for payment in confirmed:
        if payment.provider == "stripe":
            refund_payment(order, payment.provider, payment.amount)
    audit_record(
        actor=None,
        action="order.auto_refund",
        instance=order,
        organizer_id=order.organizer_id,
        before={"state": order.state},
        after={"state": OrderState.CANCELLED, "reason": reason},
    )
    if order.email and confirmed:
        enqueue_on_commit(send_auto_refund_notice, order_id=order.pk, voucher=voucher)


def payment_fail(*, payment_id: int) -> Order:
    """A refused payment: the order stays payable until it expires, so the buyer can try again."""
    with transaction.atomic():
        payment = Payment.objects.select_related("order").get(pk=payment_id)
        if Payment.objects.filter(
            pk=payment_id, state__in=[PaymentState.CREATED, PaymentState.PENDING]
        ).update(state=PaymentState.FAILED):
            Payment.objects.create(
                order=payment.order,
                provider=payment.provider,
                amount=payment.amount,
                currency=payment.currency,
            )
            audit_record(
                actor=None,
                action="payment.failed",
                instance=payment.order,
                organizer_id=payment.order.organizer_id,
                after={"payment": payment.pk},
            )
    return payment.order


def payment_mark_pending(*, payment_id: int) -> None:
    Payment.objects.filter(pk=payment_id, state=PaymentState.CREATED).update(state=PaymentState.PENDING)


def tickets_issue(order: Order, item: OrderItem, quota_ids: list[int], key) -> list[Ticket]:
    """Number, sign and insert the tickets of one item in few statements: called last in the confirmation's
    transaction, so the numbering row of the performance stays locked only briefly."""
    performance = item.performance
    last = _series_take(performance, item.quantity)
    names = list(item.attendee_names) + [""] * item.quantity
    valid_until = (performance.ends_at or performance.starts_at) + signing.VALIDITY_AFTER_START
    default_name = f"{order.first_name} {order.last_name}".strip()
    tickets = []
    for offset in range(item.quantity):
        number = last - item.quantity + 1 + offset
        secret = signing.sign_ticket(
            key=key, performance_id=performance.pk, number=number, valid_until=valid_until
        )
        tickets.append(
            Ticket(
                order=order,
                item=item,
                organizer_id=performance.organizer_id,
                performance=performance,
                tariff=item.tariff,
                number=number,
                price=item.unit_price,
                vat_rate=item.vat_rate,
                attendee_name=names[offset] or default_name,
                secret=secret,
                slot_id=item.slot_id,
            )
        )
    tickets = insert_many(tickets)
    if not all(t.pk for t in tickets):  # databases that do not return ids from bulk inserts
        tickets = list(Ticket.objects.filter(performance=performance, number__in=[t.number for t in tickets]))
    insert_many([Ticket.quotas.through(ticket_id=t.pk, quota_id=q) for t in tickets for q in quota_ids])
    return tickets


def _series_take(performance, quantity: int) -> int:
    """Move the performance's ticket numbering on by `quantity` and return its last number, in one
    statement once the series exists (the row stays locked until commit: numbers never repeat)."""
    table = connection.ops.quote_name(TicketSeries._meta.db_table)
    sql = f"UPDATE {table} SET last_number = last_number + %s WHERE performance_id = %s RETURNING last_number"  # noqa: S608
    for _attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(sql, [quantity, performance.pk])
            row = cursor.fetchone()
        if row is not None:
            return row[0]
        TicketSeries.objects.get_or_create(
            performance=performance, defaults={"organizer_id": performance.organizer_id}
        )
    raise RuntimeError("ticket series could not be created")  # pragma: no cover


def order_effective_state(order: Order) -> str:
    """A pending order past its payment deadline is shown as expired (no worker needed to say so)."""
    if order.state == OrderState.PENDING and order.expires_at <= timezone.now():
        return OrderState.EXPIRED
    return order.state

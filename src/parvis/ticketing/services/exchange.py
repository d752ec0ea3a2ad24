"""Exchanging a ticket for another date or tariff of the same organizer."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from parvis.core import changes
from parvis.core.audit import audit_record
from parvis.core.background import enqueue_on_commit

from .. import inventory, signing
from ..errors import SaleError
from ..models import (
    Cart,
    Channel,
    Hold,
    Order,
    OrderItem,
    Payment,
    PaymentState,
    Tariff,
    Ticket,
    TicketState,
)
from ..tasks import (
    send_order_confirmation,
)
from .cart import cart_add
from .fulfilment import tickets_issue


def _new_place(ticket: Ticket, target: Tariff, *, channel: str, slot_id, subscription, seat_ids):
    """The exchange's new place, taken like any sale and tied to the ticket's order: its line, its quotas,
    and what gives the new ticket its seat on a seated tariff (these seats, else the ticket's own seat at
    the new date if it is free, else the best available one)."""
    order = ticket.order
    placed = (
        [
            follower.placed(target, 1, seat_ids, like_tickets=[ticket.pk])
            for follower in inventory.place_followers
        ]
        if target.seated
        else []
    )
    cart = Cart.objects.create(channel=channel, subscription=subscription)
    hold = cart_add(
        cart=cart, tariff_id=target.pk, quantity=1, channel=channel, slot_id=slot_id, placed=target.seated
    )
    Hold.objects.filter(pk=hold.pk).update(order=order)
    item = OrderItem.objects.create(
        order=order,
        performance=target.performance,
        tariff=target,
        quantity=1,
        unit_price=target.price,
        vat_rate=target.vat_rate,
        hold=hold,
        slot_id=slot_id,
        attendee_names=[ticket.attendee_name],
    )
    # The seat is claimed sold already (not with the hold): the hold converts as a plain one.
    return item, inventory.convert_hold(hold, channel=channel), placed


def _difference_settle(order: Order, difference, method: str) -> None:
    """The price difference of an exchange: paid (a dearer place) or given back (a cheaper one)."""
    Payment.objects.create(
        order=order,
        provider=method,
        amount=difference,
        currency=order.currency,
        state=PaymentState.CONFIRMED if difference > 0 else PaymentState.REFUNDED,
        confirmed_at=timezone.now(),
    )
    Order.objects.filter(pk=order.pk).update(total=F("total") + difference)


def ticket_exchange(
    *,
    ticket: Ticket,
    tariff_id: int,
    actor,
    difference_paid: bool = False,
    slot_id: int | None = None,
    request=None,
    method: str = "manual",
    channel: str = Channel.BOX_OFFICE,
    subscription=None,
    seat_ids: list[int] | None = None,
) -> Ticket:
    """Exchange a valid ticket for a place of another performance (or tariff) of the same organizer.

    The new place is taken like any sale; the old one goes back (its seat first, so a seated date's
    buyer may move within the same hall). A seated target gives the new ticket `seat_ids` (one) or the
    best available seat of its tariff's category. A cheaper target refunds the difference; a dearer one
    needs the difference paid at the counter first (recorded as a manual payment).
    """
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().select_related("order__organizer").get(pk=ticket.pk)
        order = ticket.order
        target = (
            Tariff.objects.select_related("performance__event")
            .filter(pk=tariff_id, performance__organizer_id=ticket.organizer_id, is_active=True)
            .first()
        )
        if (
            ticket.state != TicketState.VALID
            or target is None
            or target.pk == ticket.tariff_id
            and slot_id is None
        ):
            raise SaleError("not_exchangeable")
        difference = target.price - ticket.price
        if difference > 0 and not difference_paid:
            raise SaleError("price_difference_due")
        inventory.places_voided([ticket.pk])
        item, quota_ids, placed = _new_place(
            ticket, target, channel=channel, slot_id=slot_id, subscription=subscription, seat_ids=seat_ids
        )
        Ticket.objects.filter(pk=ticket.pk).update(state=TicketState.EXCHANGED, voided_at=timezone.now())
        inventory.give_back_sold(quota_ids=list(ticket.quotas.values_list("id", flat=True)))
        if difference:
            _difference_settle(order, difference, method)
        key = signing.signing_key_for(target.performance.organizer)
        new_ticket = tickets_issue(order, item, quota_ids, key)[0]
        for give in placed:  # the new ticket its seat
            give([new_ticket])
        changes.record(
            "ticket.exchanged", organizer_id=order.organizer_id, subject="order", subject_id=order.pk
        )
        audit_record(
            actor=actor,
            action="ticket.exchange",
            instance=order,
            organizer_id=order.organizer_id,
            before={
                "ticket": ticket.number,
                "performance": ticket.performance_id,
                "tariff": ticket.tariff_id,
            },
            after={
                "ticket": new_ticket.number,
                "performance": target.performance_id,
                "tariff": target.pk,
                "difference": str(difference),
            },
            request=request,
        )
        if order.email:
            enqueue_on_commit(send_order_confirmation, order_id=order.pk, resend=True)
    return new_ticket

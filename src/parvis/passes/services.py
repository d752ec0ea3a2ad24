"""Passes: selling them, booking performances with them, giving entries back.

A booking is one transaction: the pass's entry counter moves by a conditional UPDATE (never past its
entries, and the row stays locked until commit, so the rules below read every earlier booking), the place is
taken through `ticketing.inventory` like any ticket, and a zero-priced order at the performance's organizer
issues a ticket signed with that organizer's key, which its door checks like any other.
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import formats, timezone

from parvis.core.audit import audit_record
from parvis.crm import network_profiles
from parvis.crm import services as crm
from parvis.programming.models import EventStatus, Performance, PerformanceStatus
from parvis.ticketing import inventory
from parvis.ticketing import services as sales
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import (
    Cart,
    Channel,
    Order,
    OrderExtra,
    OrderItem,
    Payment,
    Tariff,
)
from parvis.ticketing.providers import enabled_providers

from .models import OverlapRule, PassEntry, PassHolding, PassProduct

MAX_PER_ORDER = 6


def eligible_performances(product: PassProduct) -> QuerySet[Performance]:
    """The performances a pass may book, by its filters (an empty filter means all), on sale or not."""
    performances = Performance.objects.filter(
        event__status=EventStatus.PUBLISHED,
        status__in=[PerformanceStatus.PUBLISHED, PerformanceStatus.SOLD_OUT],
        starts_at__gte=product.valid_from,
        starts_at__lte=product.valid_until,
        tariffs__is_active=True,
        tariffs__kind__in=product.replaced_kinds,
    )
    if product.network_id:
        performances = performances.filter(organizer__network_memberships__network_id=product.network_id)
    else:
        performances = performances.filter(organizer_id=product.organizer_id)
    organizer_ids = [o.pk for o in product.organizers.all()]
    if organizer_ids:
        performances = performances.filter(organizer_id__in=organizer_ids)
    venue_ids = [v.pk for v in product.venues.all()]
    if venue_ids:
        performances = performances.filter(venue_id__in=venue_ids)
    event_ids = [e.pk for e in product.events.all()]
    if event_ids:
        performances = performances.filter(event_id__in=event_ids)
    if product.festival_id:
        performances = performances.filter(event__festivals=product.festival_id)
    if product.genres:
        performances = performances.filter(event__genre__in=product.genres)
    return performances.distinct()


def entry_tariff(product: PassProduct, performance: Performance) -> Tariff | None:
    """The tariff an entry stands for at this performance: the dearest active one of the kinds it replaces."""
    return (
        Tariff.objects.select_related("performance__event", "performance__sales", "performance__venue")
        .filter(performance=performance, is_active=True, kind__in=product.replaced_kinds)
        .order_by("-price", "pk")
        .first()
    )


def pass_order_place(
    *,
    product: PassProduct,
    buyer: sales.Buyer,
    provider_code: str,
    quantity: int = 1,
    customer=None,
    counter_payments: list | None = None,
    contact=None,
    notify: bool = True,
) -> Order:
    """An order for passes (no places yet): paid like any order; the passes become valid once it is paid.

    At the seller's counter, `counter_payments` (method, amount, reference) pay it at once."""

    now = timezone.now()
    if not product.on_sale or product.valid_until <= now:
        raise SaleError("pass_not_on_sale")
    if not isinstance(quantity, int) or not 0 < quantity <= MAX_PER_ORDER:
        raise SaleError("quantity_limit", limit=MAX_PER_ORDER)
    total = product.price * quantity
    code = "free" if total == 0 else provider_code
    channel = Channel.BOX_OFFICE if counter_payments is not None else Channel.ONLINE
    provider = enabled_providers().get(code)
    window = datetime.timedelta(minutes=15)
    if channel == Channel.ONLINE:
        if provider is None or code == "transfer" or (code == "free" and total):
            raise SaleError("provider_unavailable")
        window = provider.payment_window
    with transaction.atomic():
        contact = contact or buyer.contact_at(product.organizer_id, source=Channel.ONLINE)
        order = Order.objects.create(
            organizer_id=product.organizer_id,
            contact=contact,
            customer=customer,
            **buyer.order_fields(product.organizer_id),
            total=total,
            currency=product.currency,
            channel=channel,
            expires_at=now + window,
        )
        OrderExtra.objects.create(
            order=order,
            kind=OrderExtra.Kind.PASS,
            description=product.name,
            quantity=quantity,
            unit_price=product.price,
            vat_rate=product.vat_rate,
        )
        PassHolding.objects.bulk_create(
            PassHolding(
                product=product,
                order=order,
                first_name=order.first_name,
                last_name=order.last_name,
                email=order.email,
                language=buyer.language,
                entries=product.entries,
                price=product.price,
                vat_rate=product.vat_rate,
                currency=product.currency,
                valid_from=product.valid_from,
                valid_until=product.valid_until,
            )
            for _ in range(quantity)
        )
        audit_record(
            actor=customer,
            action="order.place",
            instance=order,
            organizer_id=product.organizer_id,
            after={"state": order.state, "total": str(total), "provider": code, "pass": product.pk},
        )
        sales.order_payment_start(
            order=order, provider_code=code, counter_payments=counter_payments, notify=notify
        )
    order.refresh_from_db()
    return order


def holdings_of_order_issue(order: Order) -> list[PassHolding]:
    """The order is paid: its passes become valid (once, however often the confirmation comes)."""
    pending = list(PassHolding.objects.filter(order=order, state=PassHolding.State.PENDING))
    PassHolding.objects.filter(pk__in=[h.pk for h in pending], state=PassHolding.State.PENDING).update(
        state=PassHolding.State.ACTIVE
    )
    for holding in pending:
        audit_record(
            actor=None,
            action="pass.issue",
            instance=holding,
            organizer_id=order.organizer_id,
            after={"code": holding.code, "entries": holding.entries, "order": order.code},
        )
    return pending


def holdings_of_order_cancel(order: Order) -> None:
    """The pass order is refunded: only passes with no entry booked can be; they are cancelled."""
    holdings = list(PassHolding.objects.select_for_update().filter(order=order))
    if any(h.entries_used for h in holdings):
        raise SaleError("pass_in_use")
    PassHolding.objects.filter(pk__in=[h.pk for h in holdings]).update(state=PassHolding.State.CANCELLED)


DEFAULT_LENGTH = datetime.timedelta(hours=2)  # a date with no end nor duration is taken to last this long


def _span(performance: Performance) -> tuple[datetime.datetime, datetime.datetime]:
    if performance.ends_at:
        return performance.starts_at, performance.ends_at
    minutes = performance.event.duration_minutes
    return performance.starts_at, performance.starts_at + (
        datetime.timedelta(minutes=minutes) if minutes else DEFAULT_LENGTH
    )


def overlapping(performance: Performance, others) -> Performance | None:
    """The first of `others` whose time overlaps this date's."""
    start, end = _span(performance)
    for other in others:
        other_start, other_end = _span(other)
        if other_start < end and start < other_end:
            return other
    return None


def _check_overlap(holding: PassHolding, product: PassProduct, performance: Performance, confirmed: bool):
    if product.overlap_rule == OverlapRule.ALLOW:
        return
    booked = Performance.objects.filter(
        pk__in=PassEntry.objects.filter(holding=holding, state=PassEntry.State.BOOKED).values(
            "performance_id"
        )
    ).select_related("event")
    other = overlapping(performance, booked)
    if other is None or (confirmed and product.overlap_rule == OverlapRule.CONFIRM):
        return
    code = "pass_overlap" if product.overlap_rule == OverlapRule.REFUSE else "pass_overlap_confirm"
    local = timezone.localtime(other.starts_at)
    raise SaleError(
        code, event=other.event.localized_title, time=formats.date_format(local, "SHORT_DATETIME_FORMAT")
    )


def _check_rules(
    holding: PassHolding, product: PassProduct, performance: Performance, *, overlap_confirmed: bool = False
) -> None:
    """The pass's rules of use, read after its row is locked: every earlier booking is visible."""
    booked = list(
        PassEntry.objects.filter(holding=holding, state=PassEntry.State.BOOKED).values_list(
            "venue_id", "performance_id"
        )
    )
    if any(performance_id == performance.pk for _venue, performance_id in booked):
        raise SaleError("pass_already_booked")
    _check_overlap(holding, product, performance, overlap_confirmed)
    if product.max_per_venue and sum(v == performance.venue_id for v, _p in booked) >= product.max_per_venue:
        raise SaleError("pass_venue_limit", limit=product.max_per_venue)
    if product.min_venues:
        venues_after = {v for v, _p in booked} | {performance.venue_id}
        entries_left_after = holding.entries - len(booked) - 1
        if len(venues_after) + entries_left_after < product.min_venues:
            raise SaleError("pass_venues_required", venues=product.min_venues)


def _entry_order(holding: PassHolding, performance, tariff, hold, *, channel: str, now) -> Order:
    """The free order of one pass entry, for the holder's profile at the performance's organizer, with its
    one line (the place held, its price given by the pass)."""
    contact = crm.contact_resolve(
        organizer_id=performance.organizer_id,
        email=holding.email,
        first_name=holding.first_name,
        last_name=holding.last_name,
        language=holding.language,
        source=channel,
    )
    network_profiles.pass_identity(contact, holding.code)  # the holder, wherever the pass takes them
    order = Order.objects.create(
        organizer_id=performance.organizer_id,
        contact=contact,
        channel=channel,
        email=holding.email,
        first_name=holding.first_name,
        last_name=holding.last_name,
        language=holding.language,
        total=Decimal(0),
        currency=holding.currency,
        expires_at=now + sales.hold_duration(),
    )
    hold.order = order
    hold.save(update_fields=["order"])
    OrderItem.objects.create(
        order=order,
        performance=performance,
        tariff=tariff,
        quantity=1,
        unit_price=Decimal(0),
        discount=tariff.price,
        vat_rate=tariff.vat_rate,
        hold=hold,
        attendee_names=[holding.holder_name],
    )
    return order


def pass_book(
    *,
    holding: PassHolding,
    performance_id: int,
    channel: str = Channel.ONLINE,
    actor=None,
    notify: bool = True,
    overlap_confirmed: bool = False,
) -> PassEntry:
    """Book one performance with a pass: one entry used, one place taken, one ticket issued, or nothing.
    `overlap_confirmed`: the holder has confirmed a booking whose time overlaps another (passes whose rule
    asks for a confirmation)."""
    now = timezone.now()
    holding = PassHolding.objects.select_related("product").get(pk=holding.pk)
    product = holding.product
    if holding.state != PassHolding.State.ACTIVE:
        raise SaleError("pass_unknown")
    performance = (
        eligible_performances(product)
        .filter(pk=performance_id, starts_at__gte=holding.valid_from, starts_at__lte=holding.valid_until)
        .select_related("event", "venue", "organizer")
        .first()
    )
    tariff = entry_tariff(product, performance) if performance else None
    if tariff is None:
        raise SaleError("pass_not_eligible")
    sales.check_on_sale(tariff, channel=channel, now=now)
    with transaction.atomic():
        taken = PassHolding.objects.filter(
            pk=holding.pk, state=PassHolding.State.ACTIVE, entries_used__lt=F("entries")
        ).update(entries_used=F("entries_used") + 1)
        if not taken:
            raise SaleError("pass_used_up")
        _check_rules(holding, product, performance, overlap_confirmed=overlap_confirmed)
        cart = Cart.objects.create(channel=channel)
        try:
            hold = inventory.hold_places(
                cart=cart,
                tariff=tariff,
                quantity=1,
                channel=channel,
                expires_at=now + sales.hold_duration(),
            )
        except inventory.SoldOut:
            raise SaleError("sold_out") from None
        order = _entry_order(holding, performance, tariff, hold, channel=channel, now=now)
        payment = Payment.objects.create(
            order=order, provider="pass", amount=Decimal(0), currency=order.currency, reference=""
        )
        audit_record(
            actor=actor,
            action="pass.book",
            instance=holding,
            organizer_id=performance.organizer_id,
            after={"performance": performance.pk, "order": order.code, "pass": holding.code},
        )
        order = sales.payment_confirm(payment_id=payment.pk, notify=notify)  # counter: printed there
        ticket = order.tickets.get()
        entry = PassEntry.objects.create(
            holding=holding,
            ticket=ticket,
            performance=performance,
            organizer_id=performance.organizer_id,
            venue_id=performance.venue_id,
        )
    return entry


def cancellation_allowed(entry: PassEntry, *, now: datetime.datetime | None = None) -> bool:
    hours = entry.holding.product.cancel_hours
    now = now or timezone.now()
    return (
        entry.state == PassEntry.State.BOOKED
        and hours is not None
        and entry.performance.starts_at - datetime.timedelta(hours=hours) > now
    )


def pass_entry_cancel(*, entry: PassEntry, actor=None, by_staff: bool = False) -> PassEntry:
    """Cancel a booking before the performance: the place goes back and so does the pass's entry.
    The holder may do it within the pass's rules; staff may do it until the performance starts."""
    now = timezone.now()
    entry = PassEntry.objects.select_related("holding__product", "performance", "ticket").get(pk=entry.pk)
    allowed = (
        entry.state == PassEntry.State.BOOKED and entry.performance.starts_at > now
        if by_staff
        else cancellation_allowed(entry, now=now)
    )
    if not allowed:
        raise SaleError("pass_not_cancellable")
    with transaction.atomic():
        # Refunding the ticket gives the entry back (entries_of_tickets_release); a ticket already refunded
        # some other way has had its entry given back then.
        sales.tickets_refund(tickets=[entry.ticket], actor=actor, reason="pass entry cancelled")
        entries_of_tickets_release([entry.ticket_id])
        audit_record(
            actor=actor,
            action="pass.cancel_entry",
            instance=entry.holding,
            organizer_id=entry.organizer_id,
            after={"performance": entry.performance_id, "ticket": entry.ticket.number},
        )
    entry.refresh_from_db()
    return entry


def entries_of_tickets_release(ticket_ids: list[int]) -> int:
    """Tickets booked with a pass were refunded (by the holder, by staff, or with a cancelled date): their
    entries go back to the passes, each once. Returns how many did."""
    now = timezone.now()
    released = 0
    booked = PassEntry.objects.filter(ticket_id__in=ticket_ids, state=PassEntry.State.BOOKED)
    for entry_id, holding_id in booked.values_list("pk", "holding_id"):
        if PassEntry.objects.filter(pk=entry_id, state=PassEntry.State.BOOKED).update(
            state=PassEntry.State.CANCELLED, cancelled_at=now
        ):
            PassHolding.objects.filter(pk=holding_id, entries_used__gt=0).update(
                entries_used=F("entries_used") - 1
            )
            released += 1
    return released


def holding_find(*, code: str, email: str) -> PassHolding:
    """A pass by its code and its holder's e-mail (both needed: the code alone is printed on paper)."""
    holding = (
        PassHolding.objects.select_related("product")
        .filter(code=(code or "").strip().upper(), email=(email or "").strip().lower())
        .first()
    )
    if holding is None or holding.state != PassHolding.State.ACTIVE:
        raise SaleError("pass_unknown")
    return holding

"""Season subscriptions (abonnements): N shows or more at the subscriber tariff, bought as one order;
shows added later at the same tariff while the season runs; a date exchanged within its event, a set number
of times. Places are taken through the cart and the inventory like any ticket (same guard, same messages).
"""

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from parvis.core.audit import audit_record
from parvis.programming.models import EventStatus, Performance, PerformanceStatus
from parvis.ticketing import inventory
from parvis.ticketing import services as sales
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Cart, Channel, Order, OrderState, Tariff, TariffKind, Ticket, TicketState

from .models import Subscription, SubscriptionOffer


def offer_performances(offer: SubscriptionOffer) -> QuerySet[Performance]:
    """The season's dates a subscription may include: published, ahead, with an active subscriber tariff."""
    performances = Performance.objects.filter(
        organizer_id=offer.organizer_id,
        event__status=EventStatus.PUBLISHED,
        status__in=[PerformanceStatus.PUBLISHED, PerformanceStatus.SOLD_OUT],
        starts_at__gte=max(offer.season_starts, timezone.now()),
        starts_at__lte=offer.season_ends,
        tariffs__kind=TariffKind.SUBSCRIBER,
        tariffs__is_active=True,
    )
    event_ids = [e.pk for e in offer.events.all()]
    if event_ids:
        performances = performances.filter(event_id__in=event_ids)
    return performances.distinct()


def subscription_covers(subscription: Subscription, performance: Performance) -> bool:
    """May this subscription buy this performance at its subscriber tariff (the ticketing asks)."""
    return (
        subscription.state != Subscription.State.CANCELLED
        and offer_performances(subscription.offer).filter(pk=performance.pk).exists()
    )


def _subscriber_tariff(performance_id: int) -> Tariff:
    tariff = (
        Tariff.objects.filter(performance_id=performance_id, kind=TariffKind.SUBSCRIBER, is_active=True)
        .order_by("price", "pk")
        .first()
    )
    if tariff is None:
        raise SaleError("subscription_not_eligible")
    return tariff


def _place(subscription: Subscription, performance_ids: list[int], buyer, provider_code: str, channel, **kw):
    """One place per date at the subscriber tariff. At a date sold with numbered seats, the subscriber's
    seat: the same as at the season's other dates in that hall where it is free, else the best one."""
    cart = Cart.objects.create(channel=channel, subscription=subscription)
    held: list[int] = []
    for performance_id in performance_ids:
        tariff = _subscriber_tariff(performance_id)
        hold = sales.cart_add(
            cart=cart, tariff_id=tariff.pk, quantity=1, channel=channel, placed=tariff.seated
        )
        if tariff.seated:
            inventory.hold_place(hold, like_tickets=_ticket_ids(subscription), like_holds=held)
        held.append(hold.pk)
    [order] = sales.checkout_place_orders(cart=cart, buyer=buyer, provider_code=provider_code, **kw)
    return order


def subscription_order_place(
    *,
    offer: SubscriptionOffer,
    buyer: sales.Buyer,
    performance_ids: list[int],
    provider_code: str,
    channel: str = Channel.ONLINE,
    **checkout,
) -> Order:
    """Subscribe: the chosen shows (at least the offer's minimum, one place each) in one order, or nothing.
    The subscription is valid once the order is paid."""
    ids = list(dict.fromkeys(int(pk) for pk in performance_ids))
    if not offer.on_sale or offer.season_ends <= timezone.now():
        raise SaleError("subscription_not_on_sale")
    if len(ids) < offer.min_shows:
        raise SaleError("subscription_minimum", minimum=offer.min_shows)
    eligible = set(offer_performances(offer).filter(pk__in=ids).values_list("pk", flat=True))
    if eligible != set(ids):
        raise SaleError("subscription_not_eligible")
    with transaction.atomic():
        subscription = Subscription.objects.create(
            offer=offer,
            first_name=buyer.first_name.strip(),
            last_name=buyer.last_name.strip(),
            email=buyer.email.strip().lower(),
            language=buyer.language,
        )
        order = _place(subscription, ids, buyer, provider_code, channel, **checkout)
        Subscription.objects.filter(pk=subscription.pk).update(order=order)
    order.refresh_from_db()
    return order


def subscription_add(
    *, subscription: Subscription, performance_ids: list[int], provider_code: str, **checkout
) -> Order:
    """More shows for a subscriber, at the subscriber tariff, while the season runs."""
    subscription = Subscription.objects.select_related("offer").get(pk=subscription.pk)
    if subscription.state != Subscription.State.ACTIVE or subscription.offer.season_ends <= timezone.now():
        raise SaleError("subscription_not_on_sale")
    ids = list(dict.fromkeys(int(pk) for pk in performance_ids))
    if not ids:
        raise SaleError("cart_empty")
    taken = set(subscription_tickets(subscription).values_list("performance_id", flat=True))
    if taken & set(ids):
        raise SaleError("subscription_already_in")
    buyer = sales.Buyer(
        email=subscription.email,
        first_name=subscription.first_name,
        last_name=subscription.last_name,
        language=subscription.language,
    )
    with transaction.atomic():
        return _place(subscription, ids, buyer, provider_code, Channel.ONLINE, **checkout)


def _ticket_ids(subscription: Subscription) -> list[int]:
    return list(
        Ticket.objects.filter(order__subscription=subscription, state=TicketState.VALID).values_list(
            "pk", flat=True
        )
    )


def subscription_tickets(subscription: Subscription) -> QuerySet[Ticket]:
    """The subscriber's valid tickets, from every order of the subscription."""
    return Ticket.objects.filter(
        order__subscription=subscription,
        state=TicketState.VALID,
        order__state__in=[OrderState.PAID, OrderState.PARTIALLY_REFUNDED],
    ).select_related("performance__event", "performance__venue", "tariff", "order")


def subscription_exchange(
    *, subscription: Subscription, ticket: Ticket, performance_id: int, actor=None, channel=Channel.ONLINE
) -> Ticket:
    """Exchange one show's date for another date of the same event, as many times as the offer allows."""
    offer = subscription.offer
    if ticket.order.subscription_id != subscription.pk or ticket.state != TicketState.VALID:
        raise SaleError("not_exchangeable")
    target = offer_performances(offer).filter(pk=performance_id, event_id=ticket.performance.event_id).first()
    if target is None or target.pk == ticket.performance_id:
        raise SaleError("subscription_exchange_event")
    if ticket.performance.starts_at <= timezone.now():
        raise SaleError("not_exchangeable")
    tariff = _subscriber_tariff(target.pk)
    with transaction.atomic():
        if not Subscription.objects.filter(
            pk=subscription.pk, state=Subscription.State.ACTIVE, exchanges_used__lt=offer.exchanges
        ).update(exchanges_used=F("exchanges_used") + 1):
            raise SaleError("subscription_exchange_used", exchanges=offer.exchanges)
        new_ticket = sales.ticket_exchange(
            ticket=ticket, tariff_id=tariff.pk, actor=actor, channel=channel, subscription=subscription
        )
        audit_record(
            actor=actor,
            action="subscription.exchange",
            instance=subscription,
            organizer_id=offer.organizer_id,
            before={"performance": ticket.performance_id},
            after={"performance": target.pk, "ticket": new_ticket.number},
        )
    return new_ticket


def subscriptions_of_order_issue(order: Order) -> None:
    """The first order of a subscription is paid: the subscription is valid (once)."""
    if Subscription.objects.filter(pk=order.subscription_id, state=Subscription.State.PENDING).update(
        state=Subscription.State.ACTIVE
    ):
        audit_record(
            actor=None,
            action="subscription.issue",
            instance=order,
            organizer_id=order.organizer_id,
            after={"subscription": order.subscription_id},
        )


def subscriptions_of_order_cancel(order: Order) -> None:
    """Refunding the first order cancels the subscription (shows added later stay sold)."""
    Subscription.objects.filter(order=order).exclude(state=Subscription.State.CANCELLED).update(
        state=Subscription.State.CANCELLED
    )

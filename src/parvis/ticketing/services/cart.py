"""The cart: places held for a buyer, the member card and promo code that apply to it."""

import datetime
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from parvis.core.compiled import CompiledQuery

from .. import extensions, inventory, promo
from ..errors import SaleError
from ..models import (
    Cart,
    Channel,
    Hold,
    HoldState,
    PromoCode,
    Tariff,
    TariffKind,
)
from .rules import check_on_sale, check_slot_on_sale, hold_duration, max_per_order, sale_tariffs

# Read on every page of a purchase: written as SQL once per process (`CompiledQuery`).
_live_holds = CompiledQuery(
    Hold,
    lambda cart_id, now: (
        Hold.objects.filter(cart_id=cart_id, state=HoldState.ACTIVE, order__isnull=True, expires_at__gt=now)
        .select_related("tariff", "performance__event__organizer", "performance__venue", "slot")
        .order_by("performance__starts_at", "id")
    ),
)


def cart_live_holds(cart: Cart) -> list[Hold]:
    holds = _live_holds(cart.pk, timezone.now())
    for hold in holds:
        hold.cart = cart
    return holds


def cart_add(
    *,
    cart: Cart,
    tariff_id: int,
    quantity: int,
    channel: str = Channel.ONLINE,
    slot_id: int | None = None,
    new_cart: bool = False,
    tariff: Tariff | None = None,
    placed: bool = False,
) -> Hold:
    """Hold places of a tariff in the cart. `new_cart`: the caller has just created it (nothing in it yet).
    `tariff`: that tariff, if the caller has just read it with its performance, event and sales config.
    `placed`: the seating product calls, and claims a seat for each place in this transaction."""
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise SaleError("invalid_quantity")
    if tariff is None or tariff.pk != tariff_id:
        try:
            tariff = next(iter(sale_tariffs([int(tariff_id)])), None)
        except (TypeError, ValueError):
            tariff = None
    if tariff is None:
        raise SaleError("unknown_tariff")
    benefits = cart_benefits(cart, tariff.performance.event.organizer_id)
    check_on_sale(
        tariff,
        channel=channel,
        benefits=benefits,
        subscription=cart.subscription if cart.subscription_id else None,
        placed=placed,
    )
    if tariff.kind == TariffKind.MEMBER:
        members = (
            cart.holds.filter(
                state=HoldState.ACTIVE,
                order__isnull=True,
                expires_at__gt=timezone.now(),
                performance_id=tariff.performance_id,
                tariff__kind=TariffKind.MEMBER,
            ).aggregate(n=Sum("quantity"))["n"]
            or 0
        )
        if members + quantity > benefits.persons:
            raise SaleError("member_limit", limit=benefits.persons)
    already = 0
    if not new_cart:
        already = (
            cart.holds.filter(
                state=HoldState.ACTIVE,
                order__isnull=True,
                expires_at__gt=timezone.now(),
                performance_id=tariff.performance_id,
            ).aggregate(n=Sum("quantity"))["n"]
            or 0
        )
    if already + quantity > max_per_order(tariff):
        raise SaleError("quantity_limit", limit=max_per_order(tariff))
    quotas = inventory.performance_quotas(tariff.performance_id)
    slots = {q.pk for q in quotas if q.is_slot}
    if slots and slot_id is None:
        raise SaleError("slot_required")
    if slot_id is not None and slot_id not in slots:
        raise SaleError("unknown_slot")
    if slot_id is not None:
        slot = next(q for q in quotas if q.pk == slot_id)
        check_slot_on_sale(slot, tariff.performance, channel=channel)
    try:
        return inventory.hold_places(
            cart=cart,
            tariff=tariff,
            quantity=quantity,
            channel=channel,
            expires_at=timezone.now() + hold_duration(),
            slot_id=slot_id,
            quotas=quotas,
        )
    except inventory.SoldOut:
        raise SaleError("sold_out") from None


def cart_apply_promo(*, cart: Cart, code: str) -> PromoCode | None:
    """Set (or, with an empty code, remove) the cart's promo code; it must apply to something in it."""
    if not code.strip():
        Cart.objects.filter(pk=cart.pk).update(promo=None)
        cart.promo = None
        return None
    holds = list(cart_live_holds(cart))
    found = promo.promo_find(organizer_ids={h.performance.event.organizer_id for h in holds}, code=code)
    if not any(promo.applies(found, h) for h in holds):
        raise SaleError("promo_not_applicable")
    Cart.objects.filter(pk=cart.pk).update(promo=found)
    cart.promo = found
    return found


def cart_benefits(cart: Cart, organizer_id: int, *, at: datetime.datetime | None = None):
    """The benefits of the cart's member card at this organizer, or None."""
    if not cart.membership_id:
        return None
    return extensions.benefits_provider().benefits_for(cart.membership, organizer_id, at=at)


def cart_discounts(cart: Cart, holds, *, at: datetime.datetime | None = None) -> tuple[dict, bool]:
    """Each hold's discount per ticket, and whether the promo code gave any of it.

    A member tariff is free at the events the card opens for free; otherwise the promo code applies."""
    code = cart.promo if cart.promo_id else None
    benefits = {}
    off, promo_used = {}, False
    for hold in holds:
        organizer_id = hold.performance.event.organizer_id
        if organizer_id not in benefits:
            benefits[organizer_id] = cart_benefits(cart, organizer_id, at=at)
        found = benefits[organizer_id]
        if (
            hold.tariff.kind == TariffKind.MEMBER
            and found
            and hold.performance.event_id in found.free_event_ids
        ):
            off[hold.pk] = hold.tariff.price
            continue
        off[hold.pk] = promo.discount(code, hold)
        promo_used = promo_used or bool(off[hold.pk])
    return off, promo_used


def cart_unit_prices(cart: Cart, holds) -> dict[int, Decimal]:
    """Each hold's price per ticket once the member card and the promo code are applied."""
    off, _promo_used = cart_discounts(cart, holds)
    return {h.pk: h.tariff.price - off[h.pk] for h in holds}


def cart_apply_membership(*, cart: Cart, code: str, email: str | None):
    """Set (or, with an empty code, remove) the member card whose benefits apply to the cart
    (`email=None` at the counter, where the staff see the card)."""
    if not code.strip():
        Cart.objects.filter(pk=cart.pk).update(membership=None)
        cart.membership = None
        return None
    membership = extensions.benefits_provider().membership_find(code=code, email=email)
    if membership is None or not membership.is_valid_at():
        raise SaleError("member_not_valid")
    Cart.objects.filter(pk=cart.pk).update(membership=membership)
    cart.membership = membership
    return membership


def cart_remove(*, cart: Cart, hold_id: int) -> None:
    hold = cart.holds.filter(pk=hold_id, order__isnull=True).first()
    if hold is not None:
        inventory.release_hold(hold)

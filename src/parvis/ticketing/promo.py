"""Promo codes: which tickets they apply to, the price they give, and how many orders may use them.

Uses are counted from the orders themselves (paid, or pending and not expired) while the code's row is
locked: two buyers taking the last use at once cannot both get it, and an unpaid order that expires gives
its use back without any worker.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils import timezone

from .errors import SaleError
from .models import Order, OrderState, PromoCode, live_orders_q

CENT = Decimal("0.01")


def normalise(code: str) -> str:
    return "".join((code or "").split()).upper()[:30]


def promo_find(*, organizer_ids, code: str) -> PromoCode:
    """The active code among these organizers' codes, valid now, or SaleError."""
    promo = (
        PromoCode.objects.filter(organizer_id__in=list(organizer_ids), code=normalise(code), is_active=True)
        .prefetch_related("events", "tariffs")
        .first()
    )
    if promo is None:
        raise SaleError("promo_unknown")
    now = timezone.now()
    if (promo.valid_from and now < promo.valid_from) or (promo.valid_until and now >= promo.valid_until):
        raise SaleError("promo_expired")
    return promo


def applies(promo: PromoCode | None, hold) -> bool:
    """Whether the code applies to this hold's tariff (a hold, or anything with .tariff and .performance)."""
    if promo is None or hold.performance.event.organizer_id != promo.organizer_id:
        return False
    event_ids = {e.pk for e in promo.events.all()}
    tariff_ids = {t.pk for t in promo.tariffs.all()}
    return (not event_ids or hold.performance.event_id in event_ids) and (
        not tariff_ids or hold.tariff_id in tariff_ids
    )


def discount(promo: PromoCode | None, hold) -> Decimal:
    """The amount taken off one ticket of this hold's tariff (never more than its price)."""
    if not applies(promo, hold):
        return Decimal(0)
    tariff = hold.tariff
    if promo.kind == PromoCode.Kind.PERCENT:
        off = (tariff.price * promo.value / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    else:
        off = promo.value
    return min(off, tariff.price)


def live_uses(promo: PromoCode, *, now=None) -> int:
    now = now or timezone.now()
    # A refunded order still used its code (the discount was given): it counts too.
    return Order.objects.filter(promo=promo).filter(live_orders_q(now) | Q(state=OrderState.REFUNDED)).count()


def take_use(promo: PromoCode) -> None:
    """Lock the code and check a use is left (in the caller's transaction, before the order is created)."""
    locked = PromoCode.objects.select_for_update().get(pk=promo.pk)
    if not locked.is_active:
        raise SaleError("promo_unknown")
    if locked.max_uses is not None and live_uses(locked) >= locked.max_uses:
        raise SaleError("promo_used_up")

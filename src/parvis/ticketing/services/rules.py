"""When a tariff can be sold, and how many at once: the rules every sale checks first."""

import datetime

from django.conf import settings
from django.utils import timezone

from parvis.core.compiled import CompiledQuery
from parvis.programming.models import EventStatus, PerformanceStatus

from .. import extensions, inventory
from ..errors import SaleError
from ..models import (
    Channel,
    SalesConfig,
    Tariff,
    TariffKind,
)

DEFAULT_MAX_PER_ORDER = 10


def hold_duration() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.PARVIS_HOLD_MINUTES)


def _sales_config(performance) -> SalesConfig:
    try:
        return performance.sales
    except SalesConfig.DoesNotExist:
        return SalesConfig(performance=performance)


def check_on_sale(
    tariff: Tariff,
    *,
    channel: str,
    now: datetime.datetime | None = None,
    benefits=None,
    subscription=None,
    placed: bool = False,
) -> None:
    """Raise SaleError unless this tariff can be sold on this channel now.

    `benefits` are those of the buyer's member card here (see `extensions.BenefitsProvider`): member
    tariffs need them, and members may buy `priority_days` before the public on-sale date."""
    now = now or timezone.now()
    if tariff.seated and not placed:  # `placed`: the seating product gives each place its seat
        raise SaleError("seat_required")
    performance = tariff.performance
    if (
        not tariff.is_active
        or not tariff.sold_on(channel)
        or performance.event.status != EventStatus.PUBLISHED
        or performance.status not in (PerformanceStatus.PUBLISHED, PerformanceStatus.SOLD_OUT)
    ):
        raise SaleError("unknown_tariff")
    if tariff.kind == TariffKind.MEMBER and benefits is None:
        raise SaleError("member_only")
    if tariff.kind == TariffKind.SUBSCRIBER:
        covers = extensions.benefits_provider().subscription_covers
        if subscription is None or not covers(subscription, performance):
            raise SaleError("subscriber_only")
    config = _sales_config(performance)
    opens = max(filter(None, [config.opens_at, tariff.sales_open_at]), default=None)
    if opens and benefits is not None and benefits.priority_days:
        opens -= datetime.timedelta(days=benefits.priority_days)
    if opens and now < opens:
        raise SaleError("sales_not_open")
    closes = [tariff.sales_close_at]
    if tariff.online:  # a stream is joined late; an on-demand visit sells until its own closing date
        closes.append(None if tariff.sales_close_at else _end_of(performance))
    elif channel != Channel.BOX_OFFICE:
        closes.append(online_close_at(performance, now=now, config=config))
    else:
        closes.append(_end_of(performance))
    close = min(filter(None, closes), default=None)
    if close and now >= close:
        raise SaleError("sales_closed", venue=performance.venue.name)


def online_close_margin(performance, config: SalesConfig | None = None) -> datetime.timedelta:
    """How long before a date (or a timed-entry slot) starts its online sales end: the date's own setting,
    else its venue's (0 by default: until the start)."""
    config = config or _sales_config(performance)
    minutes = config.online_close_minutes
    if minutes is None:
        minutes = performance.venue.online_close_minutes
    return datetime.timedelta(minutes=minutes)


def online_close_at(performance, *, now: datetime.datetime, config: SalesConfig | None = None, quotas=None):
    """When a date's online sales end. For timed entry, the rule applies to each slot: the date sells
    online until its last slot's closing (each slot's own is checked when it is chosen). The slots are read
    only when the date has started (or is about to) and not ended: a sale before then costs no query."""
    margin = online_close_margin(performance, config)
    close = performance.starts_at - margin
    if now >= close and performance.ends_at and now < performance.ends_at:
        if quotas is None:
            quotas = inventory.performance_quotas(performance.pk)
        slots = [q.slot_starts_at for q in quotas if q.is_slot]
        if slots:
            close = max(slots) - margin
    return close


def check_slot_on_sale(slot, performance, *, channel: str, now: datetime.datetime | None = None) -> None:
    """A timed-entry slot sells online until it starts (less the date's margin); the counter sells it
    until it ends."""
    now = now or timezone.now()
    if channel == Channel.BOX_OFFICE:
        if slot.slot_ends_at and now >= slot.slot_ends_at:
            raise SaleError("slot_closed", venue=performance.venue.name)
    elif now >= slot.slot_starts_at - online_close_margin(performance):
        raise SaleError("slot_closed", venue=performance.venue.name)


def max_per_order(tariff: Tariff) -> int:
    limits = [_sales_config(tariff.performance).max_per_order, tariff.max_per_order or DEFAULT_MAX_PER_ORDER]
    return min(limits)


# What a sale reads of a tariff, its performance and event (not the event's texts).
SALE_TARIFF_FIELDS = [
    *(f.name for f in Tariff._meta.concrete_fields),
    *(f"performance__{f}" for f in ("organizer", "event", "venue", "starts_at", "ends_at", "status")),
    "performance__event__organizer",
    "performance__event__status",
    "performance__sales",
    "performance__venue__name",
    "performance__venue__online_close_minutes",
]


# The paid-at-once sale's first read, written as SQL once per process (`CompiledQuery`).
sale_tariffs = CompiledQuery(
    Tariff,
    lambda tariff_ids: (
        Tariff.objects.select_related("performance__event", "performance__sales", "performance__venue")
        .only(*SALE_TARIFF_FIELDS)
        .filter(pk__in=tariff_ids)
    ),
)


def _end_of(performance) -> datetime.datetime:
    return performance.ends_at or performance.starts_at + datetime.timedelta(hours=4)

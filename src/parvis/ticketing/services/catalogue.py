"""What is on sale: tariffs, quotas, timed-entry slots, a date's capacity."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Min, Q
from django.utils import formats, timezone

from parvis.core.audit import audit_record

from ..errors import SaleError
from ..extensions import vat_rate_for
from ..models import (
    Quota,
    Tariff,
)


def on_date_label(name: str, performance) -> str:
    """What the audit log names: a tariff or a contingent, of which show, on which date."""
    local = timezone.localtime(performance.starts_at, performance.venue.tzinfo)
    return f"{name} — {performance.event.title} — {formats.date_format(local, 'SHORT_DATETIME_FORMAT')}"[:200]


def performance_capacity(performance) -> int:
    if performance.capacity is not None:
        return performance.capacity
    if performance.space_id and performance.space.capacity is not None:
        return performance.space.capacity
    return performance.venue.capacity or 0


def tariff_create(
    *,
    actor,
    performance,
    name: str,
    price: Decimal,
    kind: str = "full",
    vat_rate: Decimal | None = None,
    request=None,
    **fields,
) -> Tariff:
    """Add a tariff; the performance's total quota (its jauge) is created with the first one."""

    with transaction.atomic():
        if not Quota.objects.filter(Q(is_total=True), performance=performance).exists():
            Quota.objects.create(
                performance=performance,
                name="Jauge",
                capacity=performance_capacity(performance),
                is_total=True,
            )
        tariff = Tariff(performance=performance, name=name, price=Decimal(price), kind=kind, **fields)
        if vat_rate is not None:
            tariff.vat_rate = Decimal(vat_rate)
        tariff.vat_rate = vat_rate_for(performance, tariff.vat_rate, online=tariff.online)
        tariff.full_clean()
        tariff.save()
        _refresh_event_prices(performance.event)
        audit_record(
            actor=actor,
            action="tariff.create",
            instance=tariff,
            label=on_date_label(tariff.name, performance),
            organizer_id=performance.organizer_id,
            after={"name": name, "price": str(tariff.price), "vat_rate": str(tariff.vat_rate)},
            request=request,
        )
    return tariff


def _refresh_event_prices(event) -> None:
    """The agenda's price filter reads the event's price range: keep it equal to its tariffs' prices."""

    prices = Tariff.objects.filter(performance__event=event, is_active=True).aggregate(
        low=Min("price"), high=Max("price")
    )
    if prices["low"] is None:
        return
    type(event).objects.filter(pk=event.pk).update(
        price_min=prices["low"], price_max=prices["high"], is_free=prices["high"] == 0
    )


def quota_create(
    *, actor, performance, name: str, capacity: int, tariffs=(), channels: str = "all", request=None
):

    with transaction.atomic():
        quota = Quota(performance=performance, name=name, capacity=capacity, channels=channels)
        quota.full_clean()
        quota.save()
        quota.tariffs.set(tariffs)
        audit_record(
            actor=actor,
            action="quota.create",
            instance=quota,
            label=on_date_label(quota.name, performance),
            organizer_id=performance.organizer_id,
            after={
                "name": name,
                "capacity": capacity,
                "channels": channels,
                "tariffs": [t.pk for t in tariffs],
            },
            request=request,
        )
    return quota


def quota_set_capacity(*, actor, quota, capacity: int, request=None):
    """Change a quota's capacity; never below the places already taken (checked by the database too)."""

    with transaction.atomic():
        before = quota.capacity
        if not Quota.objects.filter(pk=quota.pk, used__lte=capacity).update(capacity=capacity):
            raise SaleError("capacity_below_used", used=Quota.objects.get(pk=quota.pk).used)
        audit_record(
            actor=actor,
            action="quota.capacity",
            instance=quota,
            label=on_date_label(quota.name, quota.performance),
            organizer_id=quota.performance.organizer_id,
            before={"capacity": before},
            after={"capacity": capacity},
            request=request,
        )


def timed_slots_create(*, actor, performance, every_minutes: int, capacity: int, request=None) -> list[Quota]:
    """Split a performance (an exhibition's day) into timed-entry slots, each with its own capacity."""
    if every_minutes <= 0 or capacity < 0 or performance.ends_at is None:
        raise SaleError("invalid_slots")
    step = datetime.timedelta(minutes=every_minutes)
    created = []
    with transaction.atomic():
        if not Quota.objects.filter(performance=performance, is_total=True).exists():
            raise SaleError("invalid_slots")
        start = performance.starts_at
        tz = performance.venue.tzinfo
        while start + step <= performance.ends_at:
            label = start.astimezone(tz).strftime("%H:%M")
            created.append(
                Quota(
                    performance=performance,
                    name=label,
                    capacity=capacity,
                    slot_starts_at=start,
                    slot_ends_at=start + step,
                )
            )
            start += step
        Quota.objects.bulk_create(created)
        audit_record(
            actor=actor,
            action="slots.create",
            instance=performance,
            organizer_id=performance.organizer_id,
            after={"every_minutes": every_minutes, "capacity": capacity, "slots": len(created)},
            request=request,
        )
    return created

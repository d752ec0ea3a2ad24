"""An event's price list, applied to its coming dates; a date's tariff edited or closed on its own.

The list is entered once per event (`EventPrice`). Each coming date carries one tariff per line of the list
(`Tariff.list_price`), created with the date and kept equal to the line when it changes. A tariff edited for
one date becomes that date's exception (`is_exception`) and keeps its values until staff align it again.
Dates that have begun keep what they were sold at. Orders never change: each line keeps its unit price.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.core.audit import audit_record, snapshot
from parvis.programming.extensions import DatesFollower
from parvis.programming.models import PerformanceStatus

from ..extensions import vat_rate_for
from ..models import LIST_FIELDS, EventPrice, Quota, SalesConfig, Tariff
from .catalogue import _refresh_event_prices, on_date_label, performance_capacity

_NAME_TAKEN = _("Un autre tarif porte déjà ce nom à l'une des dates.")


def tariff_label(tariff: Tariff) -> str:
    """A tariff as the audit log names it: which tariff, of which show, on which date."""
    return on_date_label(tariff.name, tariff.performance)


def coming_dates(event):
    """The dates a price list still writes to: not begun, not cancelled."""
    return event.performances.filter(starts_at__gt=timezone.now()).exclude(status=PerformanceStatus.CANCELLED)


def _values(entry: EventPrice) -> dict:
    return {name: getattr(entry, name) for name in LIST_FIELDS}


def _total_quota_ensure(performances) -> None:
    having = set(
        Quota.objects.filter(performance__in=performances, is_total=True).values_list(
            "performance_id", flat=True
        )
    )
    Quota.objects.bulk_create(
        [
            Quota(performance=p, name="Jauge", capacity=performance_capacity(p), is_total=True)
            for p in performances
            if p.pk not in having
        ]
    )


def _apply(entries: list[EventPrice], performances: list) -> int:
    """Give each date one tariff per line: a tariff of the same name is taken over (aligned unless it is
    an exception), a missing one created. How many tariffs were created or aligned."""
    if not entries or not performances:
        return 0
    _total_quota_ensure(performances)
    existing = {
        (t.performance_id, t.name): t
        for t in Tariff.objects.filter(performance__in=performances, name__in=[e.name for e in entries])
    }
    linked = {
        (t.performance_id, t.list_price_id): t
        for t in Tariff.objects.filter(performance__in=performances, list_price__in=entries)
    }
    new, changed = [], []
    for entry in entries:
        for performance in performances:
            tariff = linked.get((performance.pk, entry.pk)) or existing.get((performance.pk, entry.name))
            if tariff is None:
                tariff = Tariff(performance=performance, list_price=entry, **_values(entry))
                tariff.vat_rate = vat_rate_for(performance, tariff.vat_rate, online=tariff.online)
                new.append(tariff)
                continue
            tariff.list_price = entry
            if not tariff.is_exception:
                for name, value in _values(entry).items():
                    setattr(tariff, name, value)
                tariff.vat_rate = vat_rate_for(performance, tariff.vat_rate, online=tariff.online)
            changed.append(tariff)
    try:
        with transaction.atomic():
            Tariff.objects.bulk_create(new)
            Tariff.objects.bulk_update(changed, ["list_price", *LIST_FIELDS])
    except IntegrityError:  # a renamed line meets another tariff of one date
        raise ValidationError(_NAME_TAKEN) from None
    return len(new) + len([t for t in changed if not t.is_exception])


def price_create(*, actor, event, request=None, **fields) -> EventPrice:
    """Add a line to the event's price list; each coming date gets it."""
    with transaction.atomic():
        entry = EventPrice(event=event, **fields)
        entry.full_clean()
        entry.save()
        dates = list(coming_dates(event).select_related("venue", "space"))
        n = _apply([entry], dates)
        _refresh_event_prices(event)
        audit_record(
            actor=actor,
            action="price.create",
            instance=entry,
            organizer_id=event.organizer_id,
            after={**snapshot(entry, exclude=("id", "event")), "dates": n},
            request=request,
        )
    return entry


def price_update(*, actor, entry: EventPrice, data: dict, request=None) -> int:
    """Change a line of the list (its price, its name, closing it…); every coming date that follows it
    changes with it. How many dates' tariffs changed."""
    with transaction.atomic():
        entry = EventPrice.objects.select_for_update().get(pk=entry.pk)
        before = snapshot(entry, exclude=("id", "event"))
        for name, value in data.items():
            setattr(entry, name, value)
        entry.full_clean()
        entry.save()
        followers = list(
            Tariff.objects.filter(
                list_price=entry, is_exception=False, performance__in=coming_dates(entry.event)
            )
        )
        for tariff in followers:
            for name, value in _values(entry).items():
                setattr(tariff, name, value)
        try:
            with transaction.atomic():
                Tariff.objects.bulk_update(followers, list(LIST_FIELDS))
        except IntegrityError:
            raise ValidationError(_NAME_TAKEN) from None
        _refresh_event_prices(entry.event)
        after = snapshot(entry, exclude=("id", "event"))
        audit_record(
            actor=actor,
            action="price.update",
            instance=entry,
            organizer_id=entry.event.organizer_id,
            before={k: v for k, v in before.items() if after[k] != v},
            after={**{k: v for k, v in after.items() if before[k] != v}, "dates": len(followers)},
            request=request,
        )
    return len(followers)


def prices_apply(performances: list) -> int:
    """New dates of an event get its open price list."""
    if not performances:
        return 0
    entries = list(EventPrice.objects.filter(event_id=performances[0].event_id, is_active=True))
    n = _apply(entries, performances)
    if n:
        _refresh_event_prices(performances[0].event)
    return n


def tariff_update(*, actor, tariff: Tariff, data: dict, request=None, follows_list: bool = False) -> Tariff:
    """Edit one date's tariff (or close it). A tariff of the list changed this way becomes an exception
    of that date: the list no longer writes over it (unless `follows_list`: aligned with it again)."""
    with transaction.atomic():
        tariff = (
            Tariff.objects.select_for_update(of=("self",))
            .select_related("performance__event", "performance__venue")
            .get(pk=tariff.pk)
        )
        before = snapshot(tariff, exclude=("id", "performance", "list_price"))
        for name, value in data.items():
            setattr(tariff, name, value)
        changed = snapshot(tariff, exclude=("id", "performance", "list_price"))
        if follows_list:
            tariff.is_exception = False
        elif tariff.list_price_id and any(before[n] != changed[n] for n in LIST_FIELDS):
            tariff.is_exception = True
        tariff.full_clean()
        try:
            with transaction.atomic():
                tariff.save()
        except IntegrityError:
            raise ValidationError(_("Un autre tarif de cette date porte déjà ce nom.")) from None
        _refresh_event_prices(tariff.performance.event)
        after = snapshot(tariff, exclude=("id", "performance", "list_price"))
        audit_record(
            actor=actor,
            action="tariff.update",
            instance=tariff,
            label=tariff_label(tariff),
            organizer_id=tariff.performance.organizer_id,
            before={k: v for k, v in before.items() if after[k] != v},
            after={k: v for k, v in after.items() if before[k] != v},
            request=request,
        )
    return tariff


def tariff_realign(*, actor, tariff: Tariff, request=None) -> Tariff:
    """A date's exception follows its event's price list again."""
    if tariff.list_price_id is None:
        raise ValidationError(_("Ce tarif n'appartient pas aux tarifs de l'évènement."))
    return tariff_update(
        actor=actor, tariff=tariff, data=_values(tariff.list_price), request=request, follows_list=True
    )


def date_copy_sales(source, copy) -> None:
    """A copied date takes the source's own tariffs (the list's come with `prices_apply`), its
    contingents and timed slots (moved by the same offset), and its sales settings."""
    shift: datetime.timedelta = copy.starts_at - source.starts_at
    by_list = {t.list_price_id: t for t in Tariff.objects.filter(performance=copy, list_price__isnull=False)}
    mapping = {}
    for tariff in Tariff.objects.filter(performance=source):
        mine = by_list.get(tariff.list_price_id) if tariff.list_price_id else None
        if mine is not None and not tariff.is_exception:
            mapping[tariff.pk] = mine
            continue
        values = {name: getattr(tariff, name) for name in LIST_FIELDS}
        if mine is None:
            mine = Tariff(performance=copy, list_price_id=tariff.list_price_id)
        for name, value in values.items():
            setattr(mine, name, value)
        mine.vat_rate = vat_rate_for(copy, mine.vat_rate, online=mine.online)
        mine.is_exception = tariff.is_exception
        mine.sales_open_at = tariff.sales_open_at + shift if tariff.sales_open_at else None
        mine.sales_close_at = tariff.sales_close_at + shift if tariff.sales_close_at else None
        mine.save()
        mapping[tariff.pk] = mine
    for quota in Quota.objects.filter(performance=source).prefetch_related("tariffs"):
        if quota.is_total:
            Quota.objects.filter(performance=copy, is_total=True).update(capacity=quota.capacity)
            if not Quota.objects.filter(performance=copy, is_total=True).exists():
                Quota.objects.create(
                    performance=copy, name=quota.name, capacity=quota.capacity, is_total=True
                )
            continue
        made = Quota.objects.create(
            performance=copy,
            name=quota.name,
            capacity=quota.capacity,
            channels=quota.channels,
            slot_starts_at=quota.slot_starts_at + shift if quota.slot_starts_at else None,
            slot_ends_at=quota.slot_ends_at + shift if quota.slot_ends_at else None,
        )
        made.tariffs.set([mapping[t.pk] for t in quota.tariffs.all() if t.pk in mapping])
    config = SalesConfig.objects.filter(performance=source).first()
    if config is not None:
        SalesConfig.objects.update_or_create(
            performance=copy,
            defaults={
                "opens_at": config.opens_at + shift if config.opens_at else None,
                "online_close_minutes": config.online_close_minutes,
                "max_per_order": config.max_per_order,
            },
        )


def event_copy_prices(source, copy) -> None:
    EventPrice.objects.bulk_create(
        [EventPrice(event=copy, **_values(entry)) for entry in EventPrice.objects.filter(event=source)]
    )


class PriceListFollower(DatesFollower):
    """The ticketing's part when dates and events are made or copied (docs/adr/0005)."""

    def dates_created(self, performances, *, actor, request=None):
        prices_apply(performances)

    def date_copied(self, source, copies, *, actor, request=None):
        for copy in copies:
            date_copy_sales(source, copy)

    def event_copied(self, source, copy, *, actor, request=None):
        event_copy_prices(source, copy)

"""The dates the counter sells: the whole season, searched by show, venue or day, today's first."""

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.http import urlencode

from parvis.core.params import int_or_none
from parvis.programming.models import Performance, PerformanceStatus
from parvis.ticketing import inventory
from parvis.ticketing.models import Channel, Quota, Tariff

COUNTER_PAGE = 20  # dates shown at once; "more" shows the next ones


def performances(organizer, session, search: "CounterSearch"):
    """The dates the counter sells, over the whole season: today's (those not over) first, then the next
    ones, filtered by show or venue and by day; the drawer's venue only, if it has one. Each with its
    counter tariffs and places left, and its timed-entry slots not yet over."""
    now = timezone.now()
    today = timezone.localdate()
    start = datetime.datetime.combine(today, datetime.time.min, tzinfo=timezone.get_current_timezone())
    performances = (
        Performance.objects.filter(
            event__organizer=organizer, starts_at__gte=min(start, now - datetime.timedelta(hours=4))
        )
        .exclude(status=PerformanceStatus.CANCELLED)
        .select_related("event", "venue")
        .order_by("starts_at", "pk")
    )
    if session.drawer.venue_id:
        performances = performances.filter(venue_id=session.drawer.venue_id)
    if search.text:
        performances = performances.filter(
            Q(event__title__icontains=search.text) | Q(venue__name__icontains=search.text)
        )
    if search.day:
        day = datetime.datetime.combine(search.day, datetime.time.min, tzinfo=timezone.get_current_timezone())
        performances = performances.filter(starts_at__gte=day, starts_at__lt=day + datetime.timedelta(days=1))
    performances = list(performances[: search.shown + 1])
    search.more = len(performances) > search.shown
    performances = performances[: search.shown]
    tariffs = list(
        Tariff.objects.filter(performance__in=performances, is_active=True, sold_at_box_office=True).order_by(
            "performance_id", "position", "pk"
        )
    )
    left = inventory.availability(performance_ids=[p.pk for p in performances], channel=Channel.BOX_OFFICE)
    by_performance: dict[int, list] = {}
    for tariff in tariffs:
        tariff.left = left.get(tariff.pk, 0)
        by_performance.setdefault(tariff.performance_id, []).append(tariff)
    timed = set(
        Quota.objects.filter(performance__in=performances, slot_starts_at__isnull=False)
        .values_list("performance_id", flat=True)
        .distinct()
    )
    slots = inventory.slots_free_of(performance_ids=timed, now=now) if timed else {}
    for performance in performances:
        performance.counter_tariffs = by_performance.get(performance.pk, [])
        performance.sells_seats = any(t.seated for t in performance.counter_tariffs)
        performance.is_today = timezone.localtime(performance.starts_at).date() == today
        performance.counter_slots = [
            (slot, free) for slot, free in slots.get(performance.pk, []) if slot.slot_ends_at > now
        ]
    return performances


@dataclass
class CounterSearch:
    """The counter's search of dates: words of a show or a venue, a day, how many dates are shown."""

    text: str = ""
    day: datetime.date | None = None
    shown: int = COUNTER_PAGE
    more: bool = False

    @classmethod
    def of(cls, params) -> "CounterSearch":
        text = params.get("spectacle", "").strip()[:100]
        try:
            day = datetime.date.fromisoformat(params.get("jour", ""))
        except ValueError:
            day = None
        pages = min(int_or_none(params.get("plus"), max_len=2) or 1, 20)
        return cls(text=text, day=day, shown=COUNTER_PAGE * pages)

    def more_query(self) -> str:
        return urlencode(
            {
                "spectacle": self.text,
                "jour": self.day.isoformat() if self.day else "",
                "plus": self.shown // COUNTER_PAGE + 1,
            }
        )

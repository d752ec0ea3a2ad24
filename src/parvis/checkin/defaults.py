"""Each date's own check-in list, made with it: all its valid tickets, doors open as its venue says.

A date gets its list when it is created (a receiver of `post_save`) and, for dates made in bulk (a series
of dates, the demo), the first time the door looks at them: a device asking for its lists, the door's staff
page. Staff may edit it like any list; festival or pass-wide lists cover several dates beside it.
"""

import datetime

from django.db import transaction
from django.db.models.signals import post_save
from django.utils import formats, timezone

from parvis.programming.models import Performance, PerformanceStatus

from .models import CheckinList

RECEIVER_UID = "parvis.checkin.default_list"


def _opens_minutes_before(performance: Performance) -> int:
    if performance.doors_at and performance.doors_at <= performance.starts_at:
        return int((performance.starts_at - performance.doors_at).total_seconds() // 60)
    return performance.venue.doors_minutes_before


def _name(performance: Performance) -> str:
    local = timezone.localtime(performance.starts_at, performance.venue.tzinfo)
    return f"{performance.event.title} — {formats.date_format(local, 'SHORT_DATETIME_FORMAT')}"[:100]


def default_lists_ensure(performances) -> int:
    """Give each of these dates that has none its default list; how many dates had none."""
    missing = list(
        performances.filter(default_checkin_list__isnull=True)
        .exclude(status=PerformanceStatus.CANCELLED)
        .select_related("event", "venue")
    )
    if not missing:
        return 0
    with transaction.atomic():
        lists = CheckinList.objects.bulk_create(
            [
                CheckinList(
                    organizer_id=p.organizer_id,
                    name=_name(p),
                    default_for=p,
                    opens_minutes_before=_opens_minutes_before(p),
                )
                for p in missing
            ],
            ignore_conflicts=True,  # another request made one meanwhile
        )
        made = {c.default_for_id: c for c in CheckinList.objects.filter(default_for__in=missing)}
        through = CheckinList.performances.through
        through.objects.bulk_create(
            [through(checkinlist_id=c.pk, performance_id=pk) for pk, c in made.items()], ignore_conflicts=True
        )
    return len(lists)


def upcoming_of(organizer_id: int):
    """The organizer's dates from yesterday on (those a door may still scan)."""
    since = timezone.now() - datetime.timedelta(days=1)
    return Performance.objects.filter(organizer_id=organizer_id, starts_at__gte=since)


def _on_performance_saved(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        default_lists_ensure(Performance.objects.filter(pk=instance.pk))


def connect() -> None:
    post_save.connect(_on_performance_saved, sender=Performance, dispatch_uid=RECEIVER_UID)

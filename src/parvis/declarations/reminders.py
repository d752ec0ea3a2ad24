"""Reminders before SIBIL's deadline (day 10 of the month after a quarter): ten days and three days
before, the administrators of each organizer whose past quarter is not all declared are told by e-mail
what is left (to declare, rejected, to fix), once per stage. Run daily (cron `parvis
declarations_reminders` or the worker's task); nothing depends on it running on time but the reminder."""

import datetime

from django.utils import timezone

from parvis.network.models import Organizer, OrganizerStaff, Role

from . import sibil
from .models import DeadlineReminder, SibilDeclaration

STAGES = (10, 3)  # days before the deadline
DONE = (SibilDeclaration.Status.RECORDED, SibilDeclaration.Status.CLOSED)


def last_quarter(today: datetime.date) -> tuple[int, int]:
    year, quarter = sibil.quarter_of(datetime.datetime.combine(today, datetime.time(12), tzinfo=sibil.PARIS))
    return (year, quarter - 1) if quarter > 1 else (year - 1, 4)


def stage(today: datetime.date) -> tuple[int, int, int] | None:
    """(year, quarter, days before) of the reminder due today, or None."""
    year, quarter = last_quarter(today)
    left = (sibil.deadline(year, quarter) - today).days
    due = [days for days in STAGES if 0 <= left <= days]
    return (year, quarter, min(due)) if due else None


def left_to_declare(organizer, year: int, quarter: int) -> dict:
    """The quarter's performances not declared yet: to send, rejected, to fix first."""
    rows = sibil.quarter_rows(organizer, year, quarter)
    waiting = [r for r in rows if not (r.declaration and r.declaration.status in DONE)]
    return {
        "total": len(rows),
        "left": len(waiting),
        "rejected": sum(
            1 for r in waiting if r.declaration and r.declaration.status == SibilDeclaration.Status.REJECTED
        ),
        "to_fix": sum(1 for r in waiting if r.warnings),
    }


def reminders_due(today: datetime.date | None = None) -> list[tuple[int, str, int]]:
    """(organizer id, period, days before) of the reminders to send today."""
    today = today or timezone.localdate()
    found = stage(today)
    if found is None:
        return []
    year, quarter, days = found
    period = f"{year}-{quarter}"
    start, end = sibil.quarter_bounds(year, quarter)
    sent = set(
        DeadlineReminder.objects.filter(kind="sibil", period=period, days_before=days).values_list(
            "organizer_id", flat=True
        )
    )
    organizers = (
        Organizer.objects.filter(performances__starts_at__gte=start, performances__starts_at__lt=end)
        .exclude(pk__in=sent)
        .distinct()
        .order_by("pk")
    )
    return [
        (organizer.pk, period, days)
        for organizer in organizers
        if left_to_declare(organizer, year, quarter)["left"]
    ]


def administrators(organizer) -> list[str]:
    return list(
        OrganizerStaff.objects.filter(organizer=organizer, role=Role.ADMINISTRATOR)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )

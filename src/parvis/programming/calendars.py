"""Month calendars of an event's days (an exhibition open every day): a grid a visitor picks a day in."""

import calendar
import datetime
from dataclasses import dataclass

from django.utils import formats


@dataclass
class Day:
    date: datetime.date
    in_month: bool
    performance: object = None


@dataclass
class Month:
    first: datetime.date
    weeks: list[list[Day]]

    @property
    def title(self) -> str:
        return formats.date_format(self.first, "YEAR_MONTH_FORMAT").capitalize()


def month_grids(performances) -> list[Month]:
    """One grid per month from the first day to the last, weeks from Monday; a day holds its first date."""
    by_day: dict[datetime.date, object] = {}
    for p in performances:
        by_day.setdefault(p.local_starts_at.date(), p)
    if not by_day:
        return []
    first, last = min(by_day), max(by_day)
    months, cursor = [], first.replace(day=1)
    weeks_of = calendar.Calendar(firstweekday=0).monthdatescalendar
    while cursor <= last:
        weeks = [
            [
                Day(d, d.month == cursor.month, by_day.get(d) if d.month == cursor.month else None)
                for d in week
            ]
            for week in weeks_of(cursor.year, cursor.month)
        ]
        months.append(Month(cursor, weeks))
        cursor = (cursor + datetime.timedelta(days=32)).replace(day=1)
    return months


def weekday_names() -> list[tuple[str, str]]:
    """Monday to Sunday, short and long, in the current language."""
    monday = datetime.date(2024, 1, 1)
    days = [monday + datetime.timedelta(days=n) for n in range(7)]
    return [(formats.date_format(d, "D"), formats.date_format(d, "l")) for d in days]

"""What every dashboard shares: its filters, read from the query, and its charts, each a table of facts
with a one-line summary in words and an SVG drawing of the same facts."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.utils import formats, timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from parvis.core.params import date_or_none, int_or_none
from parvis.network.models import Venue
from parvis.programming.models import Event, Genre

from . import charts
from .models import Source

MAX_DAYS = 3 * 366  # a longer period is cut to this (a page stays quick)


@dataclass
class Filters:
    """The period (sale days on the sales board, performance days on the fill board), and what to keep."""

    start: datetime.date
    end: datetime.date
    venue: Venue | None = None
    event: Event | None = None
    genre: str = ""
    source: str = ""
    compare: Event | None = None
    notes: list[str] = field(default_factory=list)  # what was asked and could not be kept, in words

    def query(self, **extra) -> str:
        params = {"du": self.start.isoformat(), "au": self.end.isoformat()}
        for key, value in (
            ("lieu", self.venue and self.venue.pk),
            ("evenement", self.event and self.event.pk),
            ("genre", self.genre),
            ("canal", self.source),
            ("comparer", self.compare and self.compare.pk),
        ):
            if value:
                params[key] = value
        params.update(extra)
        return urlencode(params)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def filters_read(params, organizer_ids: list[int], *, back: int, ahead: int) -> Filters:
    """The filters of a dashboard from its query; anything unknown or not the organizer's is dropped
    and said (never an error page)."""
    today = timezone.localdate()
    start = date_or_none(params.get("du")) or today - datetime.timedelta(days=back)
    end = date_or_none(params.get("au")) or today + datetime.timedelta(days=ahead)
    f = Filters(start=min(start, end), end=max(start, end))
    if f.days > MAX_DAYS:
        f.start = f.end - datetime.timedelta(days=MAX_DAYS - 1)
        f.notes.append(
            _("La période est limitée à trois ans : elle commence le %(day)s.") % {"day": _day(f.start)}
        )
    venue_id, event_id, compare_id = (int_or_none(params.get(k)) for k in ("lieu", "evenement", "comparer"))
    if venue_id:
        f.venue = Venue.objects.filter(pk=venue_id, organizer_id__in=organizer_ids).first()
    if event_id:
        f.event = Event.objects.filter(pk=event_id, organizer_id__in=organizer_ids).first()
    if compare_id:
        f.compare = Event.objects.filter(pk=compare_id, organizer_id__in=organizer_ids).first()
    genre, source = params.get("genre", ""), params.get("canal", "")
    f.genre = genre if genre in Genre.values else ""
    f.source = source if source in Source.values else ""
    if (venue_id and not f.venue) or (event_id and not f.event) or (genre and not f.genre):
        f.notes.append(_("Un filtre inconnu a été ignoré."))
    return f


@dataclass
class Chart:
    """One chart: its facts (`columns`, `rows`, raw values for the export; `cells`, the same written for
    reading), a summary in words, and its drawing."""

    key: str
    title: str
    summary: str
    columns: list[str]
    rows: list[list]
    svg: SafeString | str = ""
    cells: list[list[str]] = field(default_factory=list)
    note: str = ""  # a line under the drawing (a map's source)
    wide: bool = False  # a drawing that needs its width (a matrix): it scrolls sideways on a phone

    def __post_init__(self):
        if not self.cells:
            self.cells = [[cell_text(v) for v in row] for row in self.rows]


def bar_chart(
    key: str,
    title: str,
    summary: str,
    columns: list[str],
    rows: list[list],
    *,
    value: int = 1,
    drawn: list[list] | None = None,
    draw: bool = True,
    unit: str = "",
) -> Chart:
    """A chart whose drawing is bars: one per row (or per `drawn` row), labelled by its first cell, as long
    as its `value` cell (a hidden figure draws as none)."""
    shown = rows if drawn is None else drawn
    svg = (
        charts.bars(
            [r[0] for r in shown], [r[value] or 0 for r in shown], labelled_by=f"summary-{key}", unit=unit
        )
        if draw and shown
        else ""
    )
    return Chart(key=key, title=title, summary=summary, columns=columns, rows=rows, svg=svg)


def cell_text(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime.date):
        return _day(value)
    if isinstance(value, Decimal):
        return formats.number_format(value, 2, use_l10n=True, force_grouping=True)
    if isinstance(value, int):
        return formats.number_format(value, 0, use_l10n=True, force_grouping=True)
    if isinstance(value, float):
        return formats.number_format(value, 1, use_l10n=True)
    return str(value)


def _day(value: datetime.date) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def percent(part, whole) -> float | None:
    return round(100.0 * float(part) / float(whole), 1) if whole else None


def options(organizer_ids: list[int]) -> dict:
    """The choices of the filters' form: the organizers' venues and events, genres, sources."""
    return {
        "venues": list(
            Venue.objects.filter(organizer_id__in=organizer_ids).order_by("name").values_list("pk", "name")
        ),
        "events": list(
            Event.objects.filter(organizer_id__in=organizer_ids)
            .order_by("-created_at")
            .values_list("pk", "title")[:300]
        ),
        "genres": Genre.choices,
        "sources": Source.choices,
    }

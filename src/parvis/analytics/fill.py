"""The fill dashboard: how full each date is, and by venue, hall, genre, weekday and hour; the dates at
risk first: those to come whose fill is at least 5 points behind what comparable dates had (their median)
as many days before.

A date's room holds its tickets and its groups (a class takes places from the date's quotas without
tickets: `groups`); online tickets take no place in the room and are counted apart (`online`). A group
that came counts its people among those who came in."""

import datetime
import statistics
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from itertools import accumulate

from django.db.models import Sum
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from parvis.groups.models import HOLDING, BookingState, GroupBooking
from parvis.programming.models import Genre, Performance, PerformanceStatus
from parvis.ticketing.models import Quota, Tariff

from . import charts
from .boards import Chart, Filters, cell_text, percent
from .models import PerformanceFigures, SalesDay

COMPARABLES = 30  # earlier dates a date to come is compared with, at most
LOOK_BACK = datetime.timedelta(days=730)
MAX_DATES = 3000
TOLERANCE = 5.0  # points of fill below the comparable dates before a date is said at risk


@dataclass
class Line:
    pk: int
    starts_at: datetime.datetime
    event_id: int
    event: str
    genre: str
    venue: str
    hall: str
    capacity: int | None
    sold: int = 0  # tickets for the room (online ones apart)
    scanned: int = 0
    groups: int = 0  # places held by groups
    online: int = 0  # online tickets: no place in the room
    expected: float | None = None  # the fill comparable dates had as many days before (percent)

    @property
    def fill(self) -> float | None:
        return percent(self.taken, self.capacity)

    @property
    def taken(self) -> int:
        return self.sold + self.groups

    @property
    def at_risk(self) -> bool:
        return self.expected is not None and self.fill is not None and self.fill <= self.expected - TOLERANCE


def _lines(organizer_ids: list[int], f: Filters) -> list[Line]:
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(f.start, datetime.time.min, tz)
    end = datetime.datetime.combine(f.end + datetime.timedelta(days=1), datetime.time.min, tz)
    qs = Performance.objects.filter(
        organizer_id__in=organizer_ids, starts_at__gte=start, starts_at__lt=end
    ).exclude(status=PerformanceStatus.CANCELLED)
    if f.venue:
        qs = qs.filter(venue=f.venue)
    if f.event:
        qs = qs.filter(event=f.event)
    if f.genre:
        qs = qs.filter(event__genre=f.genre)
    rows = list(
        qs.order_by("starts_at").values_list(
            "pk",
            "starts_at",
            "event_id",
            "event__title",
            "event__genre",
            "venue__name",
            "space__name",
            "capacity",
        )[:MAX_DATES]
    )
    ids = [r[0] for r in rows]
    capacities = capacities_of(ids)
    figures = {
        pk: (sold, scanned)
        for pk, sold, scanned in PerformanceFigures.objects.filter(performance_id__in=ids).values_list(
            "performance_id", "sold", "scanned"
        )
    }
    online = _online_tickets(organizer_ids, ids)
    groups, came = _groups_of(organizer_ids, ids)
    lines = []
    for pk, starts_at, event_id, title, genre, venue, hall, capacity in rows:
        sold, scanned = figures.get(pk, (0, 0))
        sold, scanned = sold - online.get(pk, 0), scanned + came.get(pk, 0)
        lines.append(
            Line(
                pk,
                starts_at,
                event_id,
                title,
                genre,
                venue,
                hall or "",
                capacities.get(pk, capacity),
                sold,
                scanned,
                groups.get(pk, 0),
                online.get(pk, 0),
            )
        )
    return lines


def _online_tariffs(organizer_ids: list[int], ids: list[int]) -> list[int]:
    """These dates' online tariffs. Most organizers sell nothing online: one cheap question (by organizer)
    spares them the read by date (a few milliseconds for 3,000 dates)."""
    if not Tariff.objects.filter(online=True, performance__organizer_id__in=organizer_ids).exists():
        return []
    return list(Tariff.objects.filter(performance_id__in=ids, online=True).values_list("pk", flat=True))


def _online_tickets(organizer_ids: list[int], ids: list[int]) -> dict[int, int]:
    """Each date's online tickets held (sold less given back)."""
    online = _online_tariffs(organizer_ids, ids)
    if not online:
        return {}
    return {
        pk: held
        for pk, held in SalesDay.objects.filter(tariff_id__in=online)
        .values("performance_id")
        .annotate(held=Sum("sold") - Sum("returned"))
        .values_list("performance_id", "held")
    }


def _groups_of(organizer_ids: list[int], ids: list[int]) -> tuple[dict[int, int], dict[int, int]]:
    """Each date's places held by groups, and the people of the groups that came (none asked by date for
    organizers that never had a group)."""
    held, came = {}, {}
    if not GroupBooking.objects.filter(organizer_id__in=organizer_ids, state__in=HOLDING).exists():
        return held, came
    for pk, state, places in GroupBooking.objects.filter(
        performance_id__in=ids, state__in=HOLDING
    ).values_list("performance_id", "state", "places"):
        held[pk] = held.get(pk, 0) + places
        if state != BookingState.CONFIRMED:  # counted at the door
            came[pk] = came.get(pk, 0) + places
    return held, came


def capacities_of(ids: list[int]) -> dict[int, int]:
    """Each date's whole capacity (its total quota), where it has one."""
    return dict(
        Quota.objects.filter(performance_id__in=ids, is_total=True).values_list("performance_id", "capacity")
    )


def _cumulative(organizer_ids: list[int], ids: list[int]) -> dict[int, tuple[list, list]]:
    """Each comparable date's places taken, day by day, as the dates to come count theirs: its room
    tickets (online ones apart), and its groups' places from the day each was confirmed (its quote)."""
    moved: dict[int, dict] = defaultdict(lambda: defaultdict(int))
    for pk, day, s, r in (
        SalesDay.objects.filter(performance_id__in=ids)
        .exclude(tariff_id__in=_online_tariffs(organizer_ids, ids))
        .values("performance_id", "day")
        .annotate(s=Sum("sold"), r=Sum("returned"))
        .values_list("performance_id", "day", "s", "r")
    ):
        moved[pk][day] += s - r
    if GroupBooking.objects.filter(organizer_id__in=organizer_ids, state__in=HOLDING).exists():
        for pk, at, places in GroupBooking.objects.filter(
            performance_id__in=ids, state__in=HOLDING, quoted_at__isnull=False
        ).values_list("performance_id", "quoted_at", "places"):
            moved[pk][timezone.localtime(at).date()] += places
    cumulative: dict[int, tuple[list, list]] = {}
    for pk, by_day in moved.items():
        days = sorted(by_day)
        cumulative[pk] = (days, list(accumulate(by_day[day] for day in days)))
    return cumulative


def _expected(organizer_ids: list[int], lines: list[Line]) -> None:
    """For each date to come, the median fill of comparable earlier dates as many days before theirs: the
    same event's, else the same genre's at the same organizer over the last two years."""
    now = timezone.now()
    coming = [line for line in lines if line.starts_at > now and line.capacity]
    if not coming:
        return
    earlier = list(
        Performance.objects.filter(
            organizer_id__in=organizer_ids, starts_at__lt=now, starts_at__gte=now - LOOK_BACK
        )
        .filter(event__genre__in={line.genre for line in coming})
        .exclude(status=PerformanceStatus.CANCELLED)
        .order_by("-starts_at")
        .values_list("pk", "starts_at", "event_id", "event__genre", "capacity")
    )
    by_event, by_genre = defaultdict(list), defaultdict(list)
    for row in earlier:
        by_event[row[2]].append(row)
        by_genre[row[3]].append(row)
    wanted = {}
    for line in coming:
        chosen = (by_event.get(line.event_id) or by_genre.get(line.genre, []))[:COMPARABLES]
        wanted[line.pk] = chosen
    ids = sorted({row[0] for chosen in wanted.values() for row in chosen})
    capacities = capacities_of(ids)
    cumulative = _cumulative(organizer_ids, ids)
    today = timezone.localdate()
    for line in coming:
        before = (timezone.localtime(line.starts_at).date() - today).days
        fills = []
        for pk, starts_at, _event, _genre, capacity in wanted[line.pk]:
            capacity = capacities.get(pk, capacity)
            if not capacity:
                continue
            days, totals = cumulative.get(pk, ([], []))
            i = bisect_right(days, timezone.localtime(starts_at).date() - datetime.timedelta(days=before))
            fills.append(100.0 * (totals[i - 1] if i else 0) / capacity)
        if fills:
            line.expected = round(statistics.median(fills), 1)


def board(organizer_ids: list[int], f: Filters) -> dict:
    lines = _lines(organizer_ids, f)
    _expected(organizer_ids, lines)
    now = timezone.now()
    lines.sort(key=lambda line: (not (line.at_risk and line.starts_at > now), line.starts_at))
    risky = sum(1 for line in lines if line.at_risk and line.starts_at > now)
    charts_ = [_dates_chart(lines, risky)]
    weekdays = [
        formats.date_format(datetime.date(2024, 1, 1) + datetime.timedelta(days=d), "l") for d in range(7)
    ]
    genres = dict(Genre.choices)
    for key, title, column, of in (
        ("by_venue", _("Par lieu"), _("Lieu"), lambda line: line.venue),
        ("by_hall", _("Par salle"), _("Salle"), lambda line: line.hall or _("(sans salle)")),
        ("by_genre", _("Par genre"), _("Genre"), lambda line: str(genres.get(line.genre, line.genre))),
        (
            "by_weekday",
            _("Par jour de la semaine"),
            _("Jour"),
            lambda line: timezone.localtime(line.starts_at).weekday(),
        ),
        ("by_hour", _("Par heure"), _("Heure"), lambda line: timezone.localtime(line.starts_at).hour),
    ):
        names = {d: weekdays[d] for d in range(7)} if key == "by_weekday" else {}
        if key == "by_hour":
            names = {h: _("%(h)s h") % {"h": h} for h in range(24)}
        charts_.append(_group(key, title, column, lines, of, names))
    return {"charts": charts_, "lines": lines, "risky": risky}


def _dates_chart(lines: list[Line], risky: int) -> Chart:
    with_capacity = [line for line in lines if line.capacity]
    mean = percent(sum(line.taken for line in with_capacity), sum(line.capacity for line in with_capacity))
    summary = ngettext("%(n)s date", "%(n)s dates", len(lines)) % {"n": len(lines)}
    if mean is not None:
        summary += ", " + _("remplies à %(p)s %% en moyenne") % {"p": cell_text(mean)}
    summary += " ; " + ngettext(
        "%(n)s date à venir en retard sur les dates comparables.",
        "%(n)s dates à venir en retard sur les dates comparables.",
        risky,
    ) % {"n": risky}
    rows = [
        [
            timezone.localtime(line.starts_at).strftime("%Y-%m-%d %H:%M"),
            line.event,
            line.venue,
            line.hall,
            line.capacity,
            line.sold,
            line.fill,
            line.expected,
            line.scanned,
            _("à risque") if line.at_risk and line.starts_at > timezone.now() else "",
            line.groups,  # last: an export's earlier columns keep their places
            line.online,
        ]
        for line in lines
    ]
    top = [line for line in lines if line.capacity][:20]
    return Chart(
        key="dates",
        title=_("Remplissage par date (dates à risque en premier)"),
        summary=summary,
        columns=[
            _("Date"),
            _("Spectacle"),
            _("Lieu"),
            _("Salle"),
            _("Jauge"),
            _("Billets"),
            _("Remplissage (%)"),
            _("Rythme comparable (%)"),
            _("Entrés"),
            _("Alerte"),
            _("Places de groupes"),
            _("Billets en ligne (sans place)"),
        ],
        rows=rows,
        svg=charts.bars(
            [
                f"{formats.date_format(timezone.localtime(line.starts_at), 'j M')} · {line.event}"
                for line in top
            ],
            [line.fill or 0 for line in top],
            labelled_by="summary-dates",
            unit=" %",
        )
        if top
        else "",
    )


def _group(key: str, title: str, column: str, lines: list[Line], of, names: dict) -> Chart:
    sold, capacity, dates = defaultdict(int), defaultdict(int), defaultdict(int)
    for line in lines:
        if line.capacity:
            value = of(line)
            sold[value] += line.taken
            capacity[value] += line.capacity
            dates[value] += 1
    order = sorted(capacity) if key in ("by_weekday", "by_hour") else sorted(capacity, key=lambda v: str(v))
    rows = [
        [str(names.get(v, v)), dates[v], capacity[v], sold[v], percent(sold[v], capacity[v])] for v in order
    ]
    if rows:
        best = max(rows, key=lambda r: r[4] or 0)
        summary = _("Le mieux rempli : %(name)s, %(p)s %%.") % {"name": best[0], "p": cell_text(best[4])}
    else:
        summary = _("Aucune date avec une jauge sur cette période.")
    return Chart(
        key=key,
        title=title,
        summary=summary,
        columns=[column, _("Dates"), _("Jauge"), _("Billets et groupes"), _("Remplissage (%)")],
        rows=rows,
        svg=charts.bars(
            [r[0] for r in rows], [r[4] or 0 for r in rows], labelled_by=f"summary-{key}", unit=" %"
        )
        if rows
        else "",
    )

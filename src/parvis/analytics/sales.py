"""The sales dashboard: tickets and amounts per sale day and cumulated, the pace of an event against a
comparable one (aligned on the days before each date), and the same figures by source, tariff, event,
genre and venue, refunds and exchanges counted on the day they happened. Read from the rollups only."""

import datetime
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from parvis.programming.models import Event, Genre, Performance

from . import charts
from .boards import Chart, Filters, cell_text
from .models import SalesDay, Source

PACE_DAYS = 60  # the pace chart looks this many days before each date
CENT = Decimal("0.01")
TOP = 15  # events shown by name; the others are summed up


@dataclass
class Totals:
    sold: int = 0
    returned: int = 0
    amount: Decimal = Decimal(0)
    refunded: Decimal = Decimal(0)

    @property
    def net(self) -> int:
        return self.sold - self.returned


def _rows(organizer_ids: list[int], f: Filters):
    qs = SalesDay.objects.filter(organizer_id__in=organizer_ids, day__gte=f.start, day__lte=f.end)
    if f.venue:
        qs = qs.filter(performance__venue=f.venue)
    if f.event:
        qs = qs.filter(performance__event=f.event)
    if f.genre:
        qs = qs.filter(performance__event__genre=f.genre)
    if f.source:
        qs = qs.filter(source=f.source)
    return qs


def _cents(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT)


def _by(qs, dimension: str) -> list[tuple]:
    """(value of the dimension, sold, returned, amount sold, amount returned), one per value."""
    return [
        (r[dimension], r["s"] or 0, r["r"] or 0, _cents(r["sa"]), _cents(r["ra"]))
        for r in qs.values(dimension)
        .annotate(s=Sum("sold"), r=Sum("returned"), sa=Sum("sold_amount"), ra=Sum("returned_amount"))
        .order_by(dimension)
    ]


def board(organizer_ids: list[int], f: Filters) -> dict:
    qs = _rows(organizer_ids, f)
    per_day = _by(qs, "day")
    totals = Totals(
        sold=sum(r[1] for r in per_day),
        returned=sum(r[2] for r in per_day),
        amount=sum((r[3] - r[4] for r in per_day), Decimal(0)),
        refunded=sum((r[4] for r in per_day), Decimal(0)),
    )
    charts_ = [_per_day(per_day, f, totals)]
    if f.event:
        charts_.append(pace_chart(organizer_ids, f.event, f.compare or comparable_of(f.event)))
    labels = dict(Source.choices)
    for key, title, column, dimension, names in (
        ("by_source", _("Par canal"), _("Canal"), "source", labels),
        ("by_tariff", _("Par tarif"), _("Tarif"), "tariff__name", {}),
        ("by_event", _("Par spectacle"), _("Spectacle"), "performance__event__title", {}),
        ("by_genre", _("Par genre"), _("Genre"), "performance__event__genre", dict(Genre.choices)),
        ("by_venue", _("Par lieu"), _("Lieu"), "performance__venue__name", {}),
    ):
        charts_.append(_breakdown(key, title, column, _by(qs, dimension), names))
    return {"totals": totals, "charts": charts_}


def _per_day(per_day: list[tuple], f: Filters, totals: Totals) -> Chart:
    found = {r[0]: r for r in per_day}
    rows, labels, cumulative, running = [], [], [], 0
    last = min(f.end, timezone.localdate())
    day = f.start
    while day <= last:
        _d, sold, returned, amount, refunded = found.get(day, (day, 0, 0, Decimal(0), Decimal(0)))
        running += sold - returned
        rows.append([day, sold, returned, sold - returned, amount - refunded, running])
        labels.append(formats.date_format(day, "j M"))
        cumulative.append(running)
        day += datetime.timedelta(days=1)
    best = max(rows, key=lambda r: r[3], default=None)
    summary = ngettext(
        "%(net)s billet net (%(sold)s vendus, %(returned)s rendus ou échangés), %(amount)s € encaissés.",
        "%(net)s billets nets (%(sold)s vendus, %(returned)s rendus ou échangés), %(amount)s € encaissés.",
        totals.net,
    ) % {
        "net": cell_text(totals.net),
        "sold": cell_text(totals.sold),
        "returned": cell_text(totals.returned),
        "amount": cell_text(totals.amount),
    }
    if best and best[3] > 0:
        summary += " " + _("Meilleur jour : le %(day)s (%(n)s billets).") % {
            "day": cell_text(best[0]),
            "n": cell_text(best[3]),
        }
    return Chart(
        key="per_day",
        title=_("Billets vendus par jour, cumulés"),
        summary=summary,
        columns=[
            _("Jour"),
            _("Vendus"),
            _("Rendus ou échangés"),
            _("Nets"),
            _("Montant net (€)"),
            _("Cumul"),
        ],
        rows=rows,
        svg=charts.lines(
            labels, [charts.Series(_("Billets nets cumulés"), cumulative)], labelled_by="summary-per_day"
        )
        if rows
        else "",
    )


def _breakdown(key: str, title: str, column: str, by: list[tuple], labels: dict) -> Chart:
    rows = sorted(
        ([str(labels.get(v, v) or "—"), s, r, s - r, sa - ra] for v, s, r, sa, ra in by),
        key=lambda row: (-row[3], row[0]),
    )
    if len(rows) > TOP:
        rest = rows[TOP:]
        rows = rows[:TOP] + [
            [
                _("%(n)s autres") % {"n": len(rest)},
                sum(r[1] for r in rest),
                sum(r[2] for r in rest),
                sum(r[3] for r in rest),
                sum((r[4] for r in rest), Decimal(0)),
            ]
        ]
    total = sum(r[3] for r in rows)
    if rows and total:
        first = rows[0]
        summary = _("En tête : %(name)s, %(n)s billets nets (%(share)s %% du total).") % {
            "name": first[0],
            "n": cell_text(first[3]),
            "share": cell_text(round(100.0 * first[3] / total, 1)),
        }
    else:
        summary = _("Aucune vente sur cette période.")
    return Chart(
        key=key,
        title=title,
        summary=summary,
        columns=[column, _("Vendus"), _("Rendus ou échangés"), _("Nets"), _("Montant net (€)")],
        rows=rows,
        svg=charts.bars([r[0] for r in rows], [r[3] for r in rows], labelled_by=f"summary-{key}")
        if rows
        else "",
    )


def comparable_of(event: Event) -> Event | None:
    """The event to compare with by default: the latest earlier one of the same organizer and genre whose
    dates are all past."""
    today = timezone.now()
    return (
        Event.objects.filter(organizer_id=event.organizer_id, genre=event.genre)
        .exclude(pk=event.pk)
        .exclude(performances__starts_at__gte=today)
        .filter(performances__isnull=False)
        .order_by("-created_at")
        .first()
    )


def pace(event: Event, days: int = PACE_DAYS) -> list[float | None]:
    """Tickets held per date of the event, on average, `days` … 0 days before each date; None where no date
    has reached that day yet."""
    dates = dict(Performance.objects.filter(event=event).values_list("pk", "starts_at"))
    if not dates:
        return [None] * (days + 1)
    net: dict[int, list[tuple[datetime.date, int]]] = defaultdict(list)
    for pk, day, s, r in (
        SalesDay.objects.filter(performance_id__in=dates)
        .values("performance_id", "day")
        .annotate(s=Sum("sold"), r=Sum("returned"))
        .order_by("performance_id", "day")
        .values_list("performance_id", "day", "s", "r")
    ):
        running = net[pk][-1][1] if net[pk] else 0
        net[pk].append((day, running + s - r))
    today = timezone.localdate()
    out: list[float | None] = []
    for before in range(days, -1, -1):
        seen = []
        for pk, starts_at in dates.items():
            day = timezone.localtime(starts_at).date() - datetime.timedelta(days=before)
            if day > today:
                continue
            series = net.get(pk, [])
            i = bisect_right([d for d, _n in series], day)
            seen.append(series[i - 1][1] if i else 0)
        out.append(round(sum(seen) / len(seen), 1) if seen else None)
    return out


def pace_chart(organizer_ids: list[int], event: Event, compare: Event | None) -> Chart:
    mine = pace(event)
    other = pace(compare) if compare else [None] * len(mine)
    labels = [_("J-%(n)s") % {"n": n} if n else _("Jour J") for n in range(PACE_DAYS, -1, -1)]
    rows = [[label, a, b] for label, a, b in zip(labels, mine, other, strict=True)]
    known = [(a, b) for a, b in zip(mine, other, strict=True) if a is not None]
    if compare and known and known[-1][1] is not None:
        a, b = known[-1]
        summary = _(
            "%(event)s : %(a)s billets par date à ce stade, contre %(b)s pour %(other)s au même stade."
        ) % {
            "event": event.title,
            "a": cell_text(a),
            "b": cell_text(b),
            "other": compare.title,
        }
    elif known:
        summary = _("%(event)s : %(a)s billets par date à ce stade ; aucun spectacle comparable.") % {
            "event": event.title,
            "a": cell_text(known[-1][0]),
        }
    else:
        summary = _("%(event)s : aucune vente encore.") % {"event": event.title}
    series = [charts.Series(event.title, mine)]
    if compare:
        series.append(charts.Series(compare.title, other))
    return Chart(
        key="pace",
        title=_("Rythme des ventes avant chaque date (moyenne par date)"),
        summary=summary,
        columns=[_("Jours avant la date"), event.title, compare.title if compare else _("Comparable")],
        rows=rows,
        svg=charts.lines(labels, series, labelled_by="summary-pace"),
    )

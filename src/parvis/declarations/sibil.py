"""The figures SIBIL (the Ministry of Culture's ticketing information system) asks for, per performance,
quarter by quarter, and what is missing before they can be sent. Sending through SIBIL's API comes next;
here: the quarter's review and its spreadsheet.

Rules, as the review page states them:
- a performance belongs to the quarter of its start in local time (Europe/Paris): 00:30 on 1 October is Q4;
- counted: tickets still valid (refunded, cancelled and exchanged-away ones are not; a kept cancellation
  fee is not box office);
- revenue: the prices paid, with each pass entry's share of its pass (the pass's price divided by its
  number of entries); a subscription's tickets carry their own price already;
- paying tickets: those with a revenue above 0; average price = revenue ÷ paying tickets;
- full price: tickets of a full-price tariff, and their revenue; subscription/pass: subscription tickets
  and pass entries (a count only: SIBIL has no field for their revenue, which is in the total); free: valid
  tickets at 0 € that are not pass entries."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from parvis.programming.models import Genre, Performance, PerformanceStatus

from .models import GenreDomain, SibilDeclaration
from .revenue import Sold, valid_sold

PARIS = ZoneInfo("Europe/Paris")
CENT = Decimal("0.01")


def quarter_of(moment: datetime.datetime) -> tuple[int, int]:
    local = moment.astimezone(PARIS)
    return local.year, (local.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[datetime.datetime, datetime.datetime]:
    """The quarter's first instant and the next quarter's, in local time (aware)."""
    start = datetime.datetime(year, 3 * (quarter - 1) + 1, 1, tzinfo=PARIS)
    end = datetime.datetime(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1, tzinfo=PARIS)
    return start, end


def deadline(year: int, quarter: int) -> datetime.date:
    """Day 10 of the first month of the next quarter."""
    end = quarter_bounds(year, quarter)[1]
    return datetime.date(end.year, end.month, 10)


@dataclass
class Row:
    performance: Performance
    tickets: int = 0
    revenue: Decimal = Decimal(0)
    paying: int = 0
    full_price: int = 0
    full_price_revenue: Decimal = Decimal(0)
    subscription_pass: int = 0
    free: int = 0
    warnings: list[str] = field(default_factory=list)
    declaration: object = None  # its SibilDeclaration, once sent

    @property
    def average(self) -> Decimal:
        return (self.revenue / self.paying).quantize(CENT) if self.paying else Decimal(0)


def performance_row(performance: Performance, sold: list[Sold] | None = None) -> Row:
    row = Row(performance)
    if sold is None:
        sold = valid_sold([performance.pk]).get(performance.pk, [])
    for one in sold:
        row.tickets += 1
        row.revenue += one.amount
        row.paying += one.amount > 0
        if one.full_price:
            row.full_price += 1
            row.full_price_revenue += one.price
        row.subscription_pass += one.is_pass or one.subscription
        row.free += one.price == 0 and not one.is_pass
    return row


def quarter_performances(organizer, year: int, quarter: int):
    start, end = quarter_bounds(year, quarter)
    return (
        Performance.objects.filter(organizer=organizer, starts_at__gte=start, starts_at__lt=end)
        .exclude(status=PerformanceStatus.CANCELLED)
        .select_related("event", "venue")
        .order_by("starts_at", "pk")
    )


def quarter_rows(organizer, year: int, quarter: int) -> list[Row]:
    """The organizer's performances of the quarter (not cancelled) with their figures and warnings."""
    performances = list(quarter_performances(organizer, year, quarter))
    mapped = set(
        GenreDomain.objects.filter(organizer=organizer, domain__active=True).values_list("genre", flat=True)
    )
    declared = {d.performance_id: d for d in SibilDeclaration.objects.filter(performance__in=performances)}
    sold = valid_sold([p.pk for p in performances])
    rows = []
    for performance in performances:
        row = performance_row(performance, sold.get(performance.pk, []))
        row.warnings = _warnings(organizer, performance, mapped)
        row.declaration = declared.get(performance.pk)
        rows.append(row)
    return rows


def _warnings(organizer, performance: Performance, mapped: set[str]) -> list[str]:
    found = []
    if performance.event.genre not in mapped and performance.event.genre != Genre.OTHER:
        found.append(
            _("Domaine SIBIL à choisir pour le genre « %(genre)s ».")
            % {"genre": performance.event.get_genre_display()}
        )
    if len(organizer.siret or "") != 14:
        found.append(_("SIRET de la structure manquant ou incomplet (14 chiffres)."))
    if not (performance.capacity or performance.venue.capacity):
        found.append(_("Jauge inconnue : indiquez celle de la date ou du lieu."))
    if performance.event.genre == Genre.OTHER:
        found.append(_("Genre « Autre » : choisissez le genre de l'évènement, pour le domaine SIBIL."))
    return found


def quarter_csv_rows(rows: list[Row]) -> list[list[str]]:
    """The spreadsheet for review and archive: one line per performance, the same figures as sent."""
    head = [
        _("Spectacle"), _("Date"), _("Lieu"), _("Jauge"), _("Billets"), _("Recette TTC"),
        _("Billets payants"), _("Prix moyen"), _("Plein tarif"), _("Recette plein tarif"),
        _("Abonnement ou pass"), _("Gratuits"), _("À corriger"),
    ]  # fmt: skip
    lines = [head]
    for row in rows:
        p = row.performance
        lines.append(
            [
                p.event.title, p.starts_at.astimezone(PARIS).strftime("%Y-%m-%d %H:%M"), p.venue.name,
                str(p.capacity or p.venue.capacity or ""), str(row.tickets), _comma(row.revenue),
                str(row.paying), _comma(row.average), str(row.full_price), _comma(row.full_price_revenue),
                str(row.subscription_pass),
                str(row.free), " ".join(row.warnings),
            ]
        )  # fmt: skip
    return lines


def _comma(value: Decimal) -> str:
    return str(value.quantize(CENT)).replace(".", ",")

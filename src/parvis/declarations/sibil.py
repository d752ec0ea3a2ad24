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
  tickets at 0 € that are not pass entries;
- the show, the venue and the festival as SIBIL's lists say: the domain's criteria (`configChamps`), the
  venue's type (`lieux/types`), and the festival the date is part of (a network's festival holding the
  event on that day), placed in the town where most of its dates are;
- several managers (`gestionnaireMultiple`): a co-produced date, whose show tax the organizer shares."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count
from django.utils.translation import gettext as _

from parvis.programming.models import Festival, Genre, Performance, PerformanceStatus

from .models import (
    GenreDomain,
    PerformanceTax,
    SibilDeclaration,
    SibilFestival,
    SibilShow,
    SibilVenue,
    criterion_required,
)
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
    domain: object = None  # the SibilDomain its genre declares as
    place_type: str = ""  # its venue's type in SIBIL's list
    criteria: dict = field(default_factory=dict)  # the show's criteria beyond its title
    festival: dict | None = None  # {"nom", "codePostal", "ville"} when the date is part of a festival
    festival_pk: int | None = None
    # SIBIL's own ids of the venue, the show and the festival, once a declaration has made them known
    known: dict = field(default_factory=dict)  # {"lieuId": …, "spectacleId": …, "festivalId": …}
    shared: bool = False  # co-produced (the organizer's share of it below 100 %): several managers declare

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
    domains = {
        m.genre: m.domain
        for m in GenreDomain.objects.filter(organizer=organizer, domain__active=True).select_related("domain")
    }
    places = {
        venue: (place_type, sibil_id)
        for venue, place_type, sibil_id in SibilVenue.objects.filter(
            venue__in={p.venue_id for p in performances}, place_type__active=True
        ).values_list("venue_id", "place_type_id", "sibil_id")
    }
    shows = {
        event: (criteria, sibil_id)
        for event, criteria, sibil_id in SibilShow.objects.filter(
            event__in={p.event_id for p in performances}
        ).values_list("event", "criteria", "sibil_id")
    }
    festivals = _festivals(performances)
    festival_ids = dict(
        SibilFestival.objects.filter(festival__in={f for f, _d in festivals.values()}).values_list(
            "festival_id", "sibil_id"
        )
    )
    shared = set(
        PerformanceTax.objects.filter(performance__in=performances, share__lt=100).values_list(
            "performance_id", flat=True
        )
    )
    declared = {d.performance_id: d for d in SibilDeclaration.objects.filter(performance__in=performances)}
    sold = valid_sold([p.pk for p in performances])
    rows = []
    for performance in performances:
        row = performance_row(performance, sold.get(performance.pk, []))
        row.domain = domains.get(performance.event.genre)
        row.place_type, place_id = places.get(performance.venue_id, ("", None))
        criteria, show_id = shows.get(performance.event_id, ({}, None))
        row.criteria = criteria or {}
        row.festival_pk, row.festival = festivals.get(performance.pk, (None, None))
        found_ids = (place_id, show_id, festival_ids.get(row.festival_pk))
        row.known = {
            k: v for k, v in zip(("lieuId", "spectacleId", "festivalId"), found_ids, strict=True) if v
        }
        row.shared = performance.pk in shared
        row.warnings = _warnings(organizer, row)
        row.declaration = declared.get(performance.pk)
        rows.append(row)
    return rows


def _festivals(performances: list[Performance]) -> dict[int, tuple[int, dict]]:
    """For each date that is part of a festival (the festival holds its event, the day is within it), the
    festival as SIBIL takes it: its name, and the town where most of its dates are."""
    by_event: dict[int, list[Festival]] = {}
    held = Festival.events.through.objects.filter(event_id__in={p.event_id for p in performances})
    for link in held.select_related("festival"):
        by_event.setdefault(link.event_id, []).append(link.festival)
    if not by_event:
        return {}
    places: dict[int, dict] = {}
    found = {}
    for performance in performances:
        day = performance.starts_at.astimezone(PARIS).date()
        festival = next(
            (f for f in by_event.get(performance.event_id, []) if f.starts_on <= day <= f.ends_on), None
        )
        if festival is None:
            continue
        if festival.pk not in places:
            places[festival.pk] = _festival_place(festival)
        found[performance.pk] = (festival.pk, {"nom": festival.name[:255], **places[festival.pk]})
    return found


def _festival_place(festival: Festival) -> dict:
    start = datetime.datetime.combine(festival.starts_on, datetime.time.min, tzinfo=PARIS)
    end = datetime.datetime.combine(festival.ends_on, datetime.time.max, tzinfo=PARIS)
    town = (
        Performance.objects.filter(event__festivals=festival, starts_at__gte=start, starts_at__lte=end)
        .exclude(venue__postcode="")
        .values("venue__postcode", "venue__town")
        .annotate(n=Count("pk"))
        .order_by("-n", "venue__postcode")
        .first()
    )
    return {"codePostal": town["venue__postcode"], "ville": town["venue__town"]} if town else {}


def _warnings(organizer, row: Row) -> list[str]:
    performance = row.performance
    event, venue = performance.event, performance.venue
    found = []
    if row.domain is None and event.genre != Genre.OTHER:
        found.append(
            _("Domaine SIBIL à choisir pour le genre « %(genre)s ».") % {"genre": event.get_genre_display()}
        )
    if len(organizer.siret or "") != 14:
        found.append(_("SIRET de la structure manquant ou incomplet (14 chiffres)."))
    if not (performance.capacity or venue.capacity):
        found.append(_("Jauge inconnue : indiquez celle de la date ou du lieu."))
    if event.genre == Genre.OTHER:
        found.append(_("Genre « Autre » : choisissez le genre de l'évènement, pour le domaine SIBIL."))
    if not row.place_type:
        found.append(_("Type de lieu SIBIL à choisir pour « %(venue)s ».") % {"venue": venue.name})
    if not venue.postcode:
        found.append(_("Code postal du lieu « %(venue)s » manquant.") % {"venue": venue.name})
    for criterion in row.domain.criteria_asked() if row.domain else ():
        if criterion_required(criterion) and not str(row.criteria.get(criterion["field"], "")).strip():
            found.append(
                _("« %(criterion)s » à indiquer pour « %(title)s » (demandé par SIBIL pour ce domaine).")
                % {"criterion": criterion["short"], "title": event.title}
            )
    if row.festival is not None and not row.festival.get("codePostal"):
        found.append(
            _("Festival « %(name)s » : aucun de ses lieux n'a de code postal.")
            % {"name": row.festival["nom"]}
        )
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

"""Reads for the public agenda, event pages, feeds and the API."""

import datetime
import zoneinfo

from django.conf import settings
from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from parvis.core.compiled import CompiledQuery
from parvis.core.text import fold
from parvis.network.models import Network, NetworkMembership, Organizer, Venue

from .filters import AgendaFilters
from .models import (
    PUBLIC_PERFORMANCE_STATUSES,
    Event,
    EventStatus,
    FeaturedEvent,
    Festival,
    Genre,
    Performance,
)

# The dates a filter may name: beyond them a day's start in UTC, or the day after, is no datetime at all
# (?date_to=9999-12-31 failed with OverflowError); a bound beyond them is no bound.
FIRST_DAY, LAST_DAY = datetime.date(1900, 1, 1), datetime.date(9998, 12, 31)


def _start_of_local_day(day: datetime.date) -> datetime.datetime:
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return datetime.datetime.combine(min(max(day, FIRST_DAY), LAST_DAY), datetime.time.min, tzinfo=tz)


def public_performances() -> QuerySet[Performance]:
    return Performance.objects.filter(
        status__in=PUBLIC_PERFORMANCE_STATUSES, event__status=EventStatus.PUBLISHED
    )


def network_performances(*, network: Network) -> QuerySet[Performance]:
    members = NetworkMembership.objects.filter(network=network).values("organizer_id")
    return public_performances().filter(organizer_id__in=members, event__share_with_network=True)


def organizer_performances(*, organizer: Organizer) -> QuerySet[Performance]:
    return public_performances().filter(organizer=organizer)


def venue_performances(*, venue: Venue) -> QuerySet[Performance]:
    return public_performances().filter(venue=venue)


def apply_agenda_filters(
    qs: QuerySet[Performance], filters: AgendaFilters, *, upcoming: bool = True
) -> QuerySet[Performance]:
    if filters.date_from:
        qs = qs.filter(starts_at__gte=_start_of_local_day(filters.date_from))
    elif upcoming:
        qs = qs.filter(starts_at__gte=_start_of_local_day(timezone.localdate()))
    if filters.date_to and filters.date_to < LAST_DAY:
        qs = qs.filter(starts_at__lt=_start_of_local_day(filters.date_to + datetime.timedelta(days=1)))
    if filters.genres:
        qs = qs.filter(event__genre__in=filters.genres)
    if filters.venue_id:
        qs = qs.filter(venue_id=filters.venue_id)
    if filters.town:
        qs = qs.filter(venue__town__iexact=filters.town)
    if filters.free:
        qs = qs.filter(event__is_free=True)
    if filters.price_max is not None:
        qs = qs.filter(Q(event__is_free=True) | Q(event__price_min__lte=filters.price_max))
    for feature in filters.access:
        qs = qs.filter(**{f"event__{feature}": True})
    if filters.q:
        for word in fold(filters.q).split():
            qs = qs.filter(event__search_text__contains=word)
    return qs


def agenda_page_queryset(qs: QuerySet[Performance]) -> QuerySet[Performance]:
    return qs.select_related("event", "event__organizer", "venue", "space").order_by("starts_at", "id")


def one_card_per_exhibition(qs: QuerySet[Performance], filters: AgendaFilters) -> QuerySet[Performance]:
    """An exhibition open every day is one card in an agenda (its first day among those asked for), not
    one card a day; its page shows the days as a calendar.

    Of the agenda's filters only the dates choose between the days of one event (the others are the
    event's or its venue's), so the first day is looked for with them alone: a small subquery."""
    table = Performance._meta.db_table
    statuses = ", ".join(["%s"] * len(PUBLIC_PERFORMANCE_STATUSES))
    # Written as SQL (not a Subquery of OuterRef, twice as slow to compile on every agenda request); every
    # value is a parameter, the names are the model's own.
    sql = (
        f'SELECT d.id FROM {table} d WHERE d.event_id = "{table}"."event_id" AND d.status IN ({statuses}) '  # noqa: S608
        "AND d.starts_at >= %s ORDER BY d.starts_at, d.id LIMIT 1"
    )
    first = RawSQL(  # noqa: S611
        sql,
        (*PUBLIC_PERFORMANCE_STATUSES, _start_of_local_day(filters.date_from or timezone.localdate())),
    )
    return qs.filter(~Q(event__genre=Genre.EXHIBITION) | Q(pk=first))


def exhibition_runs(qs: QuerySet[Performance], cards) -> None:
    """Give each exhibition's card its last day and how many days it is open, among those asked for."""
    ids = {p.event_id for p in cards if p.event.genre == Genre.EXHIBITION}
    if not ids:
        return
    runs = {
        row["event_id"]: row
        for row in qs.order_by()
        .filter(event_id__in=ids)
        .values("event_id")
        .annotate(last=Max("starts_at"), days=Count("id"))
    }
    for p in cards:
        run = runs.get(p.event_id) if p.event.genre == Genre.EXHIBITION else None
        if run and run["days"] > 1:
            p.run_last = timezone.localtime(run["last"], p.venue.tzinfo)
            p.run_days = run["days"]


def agenda_choices(qs_base: QuerySet[Performance]) -> dict:
    """The venues and towns present in an agenda, for its filter menus."""
    venue_ids = qs_base.filter(starts_at__gte=timezone.now() - datetime.timedelta(days=1)).values("venue_id")
    venues = list(Venue.objects.filter(id__in=venue_ids).order_by("name").only("id", "name", "town"))
    towns = sorted({v.town for v in venues if v.town})
    return {"venues": venues, "towns": towns}


def featured_events(*, network: Network, limit: int = 6) -> list[Event]:
    now = timezone.now()
    features = (
        FeaturedEvent.objects.filter(network=network, event__status=EventStatus.PUBLISHED)
        .select_related("event", "event__organizer")
        .prefetch_related(
            Prefetch(
                "event__performances",
                queryset=public_performances()
                .filter(starts_at__gte=now)
                .select_related("venue")
                .order_by("starts_at"),
                to_attr="upcoming",
            )
        )[:limit]
    )
    return [f.event for f in features if f.event.upcoming]


# The event page opens every sale: its reads are written as SQL once per process (`CompiledQuery`).
_event_of_slugs = CompiledQuery(
    Event,
    lambda organizer_slug, event_slug: (
        Event.objects.select_related("organizer")
        .filter(organizer__slug=organizer_slug, slug=event_slug)
        .order_by("pk")[:1]
    ),
)


def event_public(*, organizer_slug: str, event_slug: str) -> Event:
    event = next(iter(_event_of_slugs(organizer_slug, event_slug)), None)
    if event is None:
        raise Event.DoesNotExist
    return event


def event_performances(*, event: Event) -> QuerySet[Performance]:
    return _event_performances(event.pk)


def _event_performances(event_id: int) -> QuerySet[Performance]:
    # n_tariffs: whether the performance is sold through Parvis (tariffs belong to the ticketing app).
    return (
        Performance.objects.filter(event_id=event_id, status__in=PUBLIC_PERFORMANCE_STATUSES)
        .annotate(n_tariffs=Count("tariffs", filter=Q(tariffs__is_active=True, tariffs__sold_online=True)))
        .select_related("venue__organizer", "space")
        .order_by("starts_at")
    )


event_performances_list = CompiledQuery(Performance, _event_performances)


def festival_performances(*, festival: Festival) -> QuerySet[Performance]:
    return public_performances().filter(event__festivals=festival)

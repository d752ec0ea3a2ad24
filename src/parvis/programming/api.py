"""Read-only public API of the programming: networks, organizers, venues, events, performances."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.shortcuts import get_object_or_404
from ninja import Field, FilterSchema, Query, Router, Schema
from ninja.pagination import paginate

from parvis.core.api_errors import errors, reject_unknown_params
from parvis.core.pagination import BoundedPagination
from parvis.network.models import Network, Organizer, Venue

from . import selectors
from .filters import AgendaFilters
from .models import Accessibility, Event, EventStatus, Genre

router = Router(tags=["programming"])


def _abs(path: str) -> str:
    return settings.PARVIS_BASE_URL + path


class NetworkOut(Schema):
    slug: str
    name: str
    description: str
    url: str

    @staticmethod
    def resolve_url(obj: Network) -> str:
        return _abs(obj.get_absolute_url())


class OrganizerOut(Schema):
    slug: str
    name: str
    website: str
    url: str

    @staticmethod
    def resolve_url(obj: Organizer) -> str:
        return _abs(obj.get_absolute_url())


class VenueOut(Schema):
    id: int
    slug: str
    name: str
    organizer: str
    street: str
    postcode: str
    town: str
    country: str
    latitude: Decimal | None
    longitude: Decimal | None
    timezone: str
    capacity: int | None
    wheelchair_accessible: bool
    accessibility_info: str
    url: str

    @staticmethod
    def resolve_organizer(obj: Venue) -> str:
        return obj.organizer.slug

    @staticmethod
    def resolve_url(obj: Venue) -> str:
        return _abs(obj.get_absolute_url())


class EventOut(Schema):
    id: int
    slug: str
    organizer: str
    title: str
    title_en: str
    subtitle: str
    description: str
    genre: Genre
    tags: list[str]
    artists: list[str]
    age_min: int | None
    duration_minutes: int | None
    accessibility: list[Accessibility]
    is_free: bool
    price_min: Decimal | None
    price_max: Decimal | None
    currency: str
    external_ticketing_url: str
    url: str

    @staticmethod
    def resolve_organizer(obj: Event) -> str:
        return obj.organizer.slug

    @staticmethod
    def resolve_tags(obj: Event) -> list[str]:
        return obj.tag_list

    @staticmethod
    def resolve_artists(obj: Event) -> list[str]:
        return obj.artist_list

    @staticmethod
    def resolve_accessibility(obj: Event) -> list[str]:
        return [a.value for a in obj.accessibility_features]

    @staticmethod
    def resolve_url(obj: Event) -> str:
        return _abs(obj.get_absolute_url())


class PerformanceOut(Schema):
    id: int
    event: EventOut
    venue_id: int
    venue_name: str
    town: str
    space: str | None
    starts_at: datetime.datetime
    ends_at: datetime.datetime | None
    status: str
    url: str

    @staticmethod
    def resolve_starts_at(obj) -> datetime.datetime:
        return obj.local_starts_at

    @staticmethod
    def resolve_ends_at(obj) -> datetime.datetime | None:
        return obj.local_ends_at

    @staticmethod
    def resolve_venue_name(obj) -> str:
        return obj.venue.name

    @staticmethod
    def resolve_town(obj) -> str:
        return obj.venue.town

    @staticmethod
    def resolve_space(obj) -> str | None:
        return obj.space.name if obj.space_id else None

    @staticmethod
    def resolve_url(obj) -> str:
        return _abs(obj.event.get_absolute_url())


class PerformanceFilters(FilterSchema):
    network: str | None = Field(None, description="Slug of a network: its shared agenda")
    organizer: str | None = Field(None, description="Slug of an organizer")
    venue: int | None = Field(None, ge=1, description="Venue id")
    town: str | None = Field(None, max_length=100)
    genre: list[Genre] = Field(default_factory=list)
    access: list[Accessibility] = Field(default_factory=list)
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    free: bool = False
    price_max: Decimal | None = Field(None, ge=0, max_digits=9, decimal_places=2)
    q: str | None = Field(None, max_length=100, description="Text search, accents and case folded")


PERFORMANCE_PARAMS = set(PerformanceFilters.model_fields) | {"limit", "offset"}
LIST_CODES = ("unknown_parameter",)


@router.get("/networks", response={200: list[NetworkOut], **errors("ListNetworks", e400=LIST_CODES)})
@paginate(BoundedPagination)
def list_networks(request):
    reject_unknown_params(request, {"limit", "offset"})
    return Network.objects.order_by("slug")


@router.get("/organizers", response={200: list[OrganizerOut], **errors("ListOrganizers", e400=LIST_CODES)})
@paginate(BoundedPagination)
def list_organizers(request, network: str | None = None):
    reject_unknown_params(request, {"network", "limit", "offset"})
    qs = Organizer.objects.order_by("slug")
    if network:
        qs = qs.filter(network_memberships__network__slug=network)
    return qs


@router.get("/venues", response={200: list[VenueOut], **errors("ListVenues", e400=LIST_CODES)})
@paginate(BoundedPagination)
def list_venues(request, organizer: str | None = None, town: str | None = None):
    reject_unknown_params(request, {"organizer", "town", "limit", "offset"})
    qs = Venue.objects.select_related("organizer").order_by("organizer__slug", "slug")
    if organizer:
        qs = qs.filter(organizer__slug=organizer)
    if town:
        qs = qs.filter(town__iexact=town)
    return qs


@router.get("/events", response={200: list[EventOut], **errors("ListEvents", e400=LIST_CODES)})
@paginate(BoundedPagination)
def list_events(request, organizer: str | None = None, genre: Genre | None = None):
    reject_unknown_params(request, {"organizer", "genre", "limit", "offset"})
    qs = Event.objects.filter(status=EventStatus.PUBLISHED).select_related("organizer").order_by("id")
    if organizer:
        qs = qs.filter(organizer__slug=organizer)
    if genre:
        qs = qs.filter(genre=genre)
    return qs


@router.get("/events/{event_id}", response={200: EventOut, **errors("GetEvent", lookup=True)})
def get_event(request, event_id: int):
    return get_object_or_404(
        Event.objects.select_related("organizer"), pk=event_id, status=EventStatus.PUBLISHED
    )


@router.get(
    "/performances",
    response={200: list[PerformanceOut], **errors("ListPerformances", lookup=True, e400=LIST_CODES)},
)
@paginate(BoundedPagination)
def list_performances(request, filters: Query[PerformanceFilters]):
    reject_unknown_params(request, PERFORMANCE_PARAMS)
    if filters.network:
        qs = selectors.network_performances(network=get_object_or_404(Network, slug=filters.network))
    else:
        qs = selectors.public_performances()
    if filters.organizer:
        qs = qs.filter(organizer__slug=filters.organizer)
    agenda_filters = AgendaFilters(
        q=filters.q or "",
        date_from=filters.date_from,
        date_to=filters.date_to,
        genres=tuple(g.value for g in filters.genre),
        venue_id=filters.venue,
        town=filters.town or "",
        free=filters.free,
        price_max=filters.price_max,
        access=tuple(a.value for a in filters.access),
    )
    return selectors.agenda_page_queryset(selectors.apply_agenda_filters(qs, agenda_filters))

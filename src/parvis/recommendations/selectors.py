"""Reading the suggestions: from the neighbours the latest training found, what may be offered now (a
published date to come, on sale online, not sold out, within reach of the show looked at), re-ranked for
variety. A fixed number of queries, whatever the number of suggestions."""

import math
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from parvis.programming.models import Event, EventStatus, Performance, PerformanceStatus
from parvis.ticketing.models import Quota, Tariff

from . import engine
from .models import Neighbour, Policy, Training


@dataclass(frozen=True)
class Suggestion:
    performance: Performance  # the next date that may be booked, with its event and venue
    reason: str  # Neighbour.Reason
    source_title: str  # the show it is suggested from
    new_venue: bool  # another place than the show looked at
    new_genre: bool
    version: int  # of the training it comes from
    curiosity: object  # the balance it was re-ranked with (Decimal)


def policy_of(organizer_id: int) -> Policy:
    """The organizer's settings, or the defaults (unsaved) when it never changed them."""
    return Policy.objects.filter(organizer_id=organizer_id).first() or Policy(organizer_id=organizer_id)


def latest_training(organizer_id: int) -> Training | None:
    return Training.objects.filter(organizer_id=organizer_id).order_by("-version").first()


def bookable(now):
    """Dates that may be booked online now: published, to come, an active tariff sold online, places left
    in every total quota (holds apart: a suggestion is not a promise)."""
    tariff = Tariff.objects.filter(performance=OuterRef("pk"), is_active=True, sold_online=True)
    full = Quota.objects.filter(performance=OuterRef("pk"), is_total=True, used__gte=F("capacity"))
    return (
        Performance.objects.filter(
            starts_at__gt=now, status=PerformanceStatus.PUBLISHED, event__status=EventStatus.PUBLISHED
        )
        .filter(Exists(tariff))
        .exclude(Exists(full))
    )


@dataclass(frozen=True)
class Place:
    pk: int
    postcode: str
    latitude: float | None
    longitude: float | None


PLACE_FIELDS = ("venue_id", "venue__postcode", "venue__latitude", "venue__longitude")


def _place(venue_id, postcode, latitude, longitude) -> Place:
    return Place(venue_id, postcode or "", latitude, longitude)


def within_reach(venue: Place, others: list[Place], reach_km: int) -> bool:
    """The same département, or `reach_km` or less as the crow flies (when both are placed)."""
    for other in others:
        if venue.pk == other.pk or (venue.postcode[:2] and venue.postcode[:2] == other.postcode[:2]):
            return True
        if None not in (venue.latitude, venue.longitude, other.latitude, other.longitude):
            if _km(venue, other) <= reach_km:
                return True
    return False


def _km(a: Place, b: Place) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, map(float, (a.latitude, a.longitude, b.latitude, b.longitude)))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))


def also_like(event: Event, *, count: int = 4, now=None) -> list[Suggestion]:
    """ "You may also like" under an event: no personal data, the same for everyone. Five queries: the
    neighbours (of the one training an organizer has), the dates that may be booked among them (plain
    values), the places of this event, the owner's settings, and the few dates kept, with their event."""
    now = now or timezone.now()
    neighbours = list(
        Neighbour.objects.filter(training__organizer_id=event.organizer_id, event=event)
        .order_by("rank")
        .values_list("neighbour_id", "reason", "score", "training__version")
    )
    if not neighbours:
        return []
    dates = (
        bookable(now)
        .filter(event_id__in=[n[0] for n in neighbours])
        .order_by("starts_at", "pk")
        .values_list("pk", "event_id", "event__genre", *PLACE_FIELDS)
    )
    here = [
        _place(*row) for row in Performance.objects.filter(event=event).values_list(*PLACE_FIELDS).distinct()
    ]
    policy = policy_of(event.organizer_id)
    first: dict[int, tuple] = {}
    for pk, event_id, genre, *place in dates:
        venue = _place(*place)
        if event_id not in first and (not here or within_reach(venue, here, policy.reach_km)):
            first[event_id] = (pk, genre, venue.pk)
    offered = [n[:3] for n in neighbours if n[0] in first]
    if not offered:
        return []
    return _reranked(event, offered, first, here, policy, count, version=neighbours[0][3])


def _reranked(event, offered, first, here, policy, count, *, version) -> list[Suggestion]:
    attributes = [
        frozenset({f"genre:{first[event_id][1]}", f"venue:{first[event_id][2]}"})
        for event_id, _reason, _score in offered
    ]
    known = frozenset({f"genre:{event.genre}", *(f"venue:{place.pk}" for place in here)})
    features = engine.Features(attributes=attributes, popularity=[1] * len(offered))
    picks = engine.rerank(
        list(range(len(offered))),
        [score for _event_id, _reason, score in offered],
        features,
        count=count,
        balance=engine.Balance(float(policy.curiosity)),
        known=known,
    )
    kept = [offered[pick.index] for pick in picks]
    performances = Performance.objects.select_related("event", "event__organizer", "venue").in_bulk(
        [first[event_id][0] for event_id, _reason, _score in kept]
    )
    suggestions = []
    for pick, (event_id, reason, _score) in zip(picks, kept, strict=True):
        performance = performances[first[event_id][0]]
        suggestions.append(
            Suggestion(
                performance=performance,
                reason=reason,
                source_title=event.localized_title,
                new_venue=f"venue:{performance.venue_id}" in pick.new_attributes,
                new_genre=f"genre:{performance.event.genre}" in pick.new_attributes,
                version=version,
                curiosity=policy.curiosity,
            )
        )
    return suggestions

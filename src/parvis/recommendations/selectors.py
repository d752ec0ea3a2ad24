"""Reading the suggestions: from the neighbours the latest training found, what may be offered now (a
published date to come, on sale online, not sold out, within reach of the show looked at), re-ranked for
variety. A fixed number of queries, whatever the number of suggestions."""

import dataclasses
import math
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from parvis.core.compiled import CompiledQuery
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


def policy_of(organizer_id: int | None = None, *, network_id: int | None = None) -> Policy:
    """The organizer's (or the network's) settings, or the defaults (unsaved) when it never changed them."""
    owner = {"organizer_id": organizer_id} if organizer_id else {"network_id": network_id}
    return Policy.objects.filter(**owner).first() or Policy(**owner)


def latest_training(organizer_id: int | None = None, *, network_id: int | None = None) -> Training | None:
    owner = {"organizer_id": organizer_id} if organizer_id else {"network_id": network_id}
    return Training.objects.filter(**owner).order_by("-version").first()


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


@dataclass(frozen=True)
class Under:
    """What an event's page suggests: from its organizer's model, and from the model of a network it
    belongs to, the shows of the other members (`elsewhere`)."""

    own: list[Suggestion]
    elsewhere: list[Suggestion]
    network_id: int | None = None
    network_name: str = ""


def also_like(event: Event, *, count: int = 4, now=None) -> list[Suggestion]:
    return under(event, count=count, now=now).own


_neighbours_under = CompiledQuery(
    Neighbour,
    lambda organizer_id, event_id: (
        Neighbour.objects.filter(
            Q(training__organizer_id=organizer_id)
            | Q(training__network__memberships__organizer_id=organizer_id),
            event_id=event_id,
        )
        .order_by("training__network_id", "rank")
        .values_list(
            "neighbour_id",
            "reason",
            "score",
            "training__version",
            "training__network_id",
            "neighbour__organizer_id",
            "training__network__name",
        )
    ),
)
_bookable_dates = CompiledQuery(
    Performance,
    lambda event_ids, now: (
        bookable(now)
        .filter(event_id__in=event_ids)
        .order_by("starts_at", "pk")
        .values_list("pk", "event_id", "event__genre", *PLACE_FIELDS)
    ),
)
_places_of = CompiledQuery(
    Performance,
    lambda event_id: Performance.objects.filter(event_id=event_id).values_list(*PLACE_FIELDS).distinct(),
)
_policies_of = CompiledQuery(
    Policy,
    lambda organizer_id, network_id: Policy.objects.filter(
        Q(organizer_id=organizer_id) | Q(network_id=network_id)
    ),
)
_dates_kept = CompiledQuery(
    Performance,
    lambda ids: Performance.objects.select_related("event", "event__organizer", "venue").filter(pk__in=ids),
)


def under(event: Event, *, count: int = 4, now=None) -> Under:
    """ "You may also like" under an event: no personal data, the same for everyone. Five queries, each
    written as SQL once per process (a page's budget is a few milliseconds): the neighbours (of the one
    training of the organizer and of each of its networks), the dates that may be booked among them
    (plain values), the places of this event, the owners' settings, and the few dates kept, with their
    event."""
    now = now or timezone.now()
    own, network, network_id, network_name = [], [], None, ""
    for neighbour_id, reason, score, version, from_network, organizer_id, name in _neighbours_under(
        event.organizer_id, event.pk
    ):
        if from_network is None:
            own.append((neighbour_id, reason, score, version))
        elif organizer_id != event.organizer_id and from_network == (network_id or from_network):
            network_id, network_name = from_network, name  # the first network with a model (by id)
            network.append((neighbour_id, reason, score, version))
    if not own and not network:
        return Under([], [])
    policies = _policies(event.organizer_id, network_id)
    dates = [
        (pk, event_id, genre, _place(*place))
        for pk, event_id, genre, *place in _bookable_dates([n[0] for n in own + network], now)
    ]
    here = [_place(*row) for row in _places_of(event.pk)]
    lists = []
    for neighbours, policy in ((own, policies[0]), (network, policies[1])):
        first: dict[int, tuple] = {}
        for pk, event_id, genre, venue in dates:
            if event_id not in first and (not here or within_reach(venue, here, policy.reach_km)):
                first[event_id] = (pk, genre, venue.pk)
        offered = [n for n in neighbours if n[0] in first]
        lists.append(_reranked(event, offered, first, here, policy, count) if offered else [])
    _with_dates(lists)
    return Under(own=lists[0], elsewhere=lists[1], network_id=network_id, network_name=network_name)


def _policies(organizer_id: int, network_id: int | None) -> tuple[Policy, Policy]:
    """The organizer's settings and the network's, or the defaults (one query for both)."""
    by_owner = {(p.organizer_id, p.network_id): p for p in _policies_of(organizer_id, network_id or 0)}
    return (
        by_owner.get((organizer_id, None)) or Policy(organizer_id=organizer_id),
        by_owner.get((None, network_id)) or Policy(network_id=network_id),
    )


def _reranked(event, offered, first, here, policy, count) -> list[Suggestion]:
    attributes = [
        frozenset({f"genre:{first[event_id][1]}", f"venue:{first[event_id][2]}"})
        for event_id, _reason, _score, _version in offered
    ]
    known = frozenset({f"genre:{event.genre}", *(f"venue:{place.pk}" for place in here)})
    features = engine.Features(attributes=attributes, popularity=[1] * len(offered))
    picks = engine.rerank(
        list(range(len(offered))),
        [score for _event_id, _reason, score, _version in offered],
        features,
        count=count,
        balance=engine.Balance(float(policy.curiosity)),
        known=known,
    )
    return [
        Suggestion(
            performance=first[offered[pick.index][0]][0],  # its id: `_with_dates` puts the date in
            reason=offered[pick.index][1],
            source_title=event.localized_title,
            new_venue=f"venue:{first[offered[pick.index][0]][2]}" in pick.new_attributes,
            new_genre=f"genre:{first[offered[pick.index][0]][1]}" in pick.new_attributes,
            version=offered[pick.index][3],
            curiosity=policy.curiosity,
        )
        for pick in picks
    ]


def _with_dates(lists: list[list[Suggestion]]) -> None:
    """The dates kept, with their event, organizer and venue (one query for all the lists)."""
    wanted = [suggestion.performance for suggestions in lists for suggestion in suggestions]
    performances = {performance.pk: performance for performance in _dates_kept(wanted)}
    for suggestions in lists:
        suggestions[:] = [
            dataclasses.replace(suggestion, performance=performances[suggestion.performance])
            for suggestion in suggestions
        ]

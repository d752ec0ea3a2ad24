"""The shows a campaign shows: those the marketer picked, and those picked for each person.

Until the recommendations engine exists (its own issue), each person is offered, among the coming shows of
the campaign's organizer or network, those they have not been to, the genres they come to most first, and
the last place kept for a genre they have never been to: a habit served, and one door opened. Everything a
batch of recipients needs is read in two queries, whatever the batch's size.
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db.models import Min
from django.utils import timezone

from parvis.crm.models import Interaction
from parvis.programming import selectors as programming
from parvis.programming.models import Event

from .models import Campaign

CANDIDATES = 40


@dataclass(frozen=True)
class Show:
    event_id: int
    genre: str
    starts_at: datetime.datetime


def _performances(campaign: Campaign):
    if campaign.network_id:
        return programming.network_performances(network=campaign.network)
    return programming.organizer_performances(organizer=campaign.organizer)


def coming_shows(campaign: Campaign, *, limit: int = CANDIDATES) -> list[Show]:
    """The coming shows the campaign may offer, the soonest first (one per event)."""
    rows = (
        _performances(campaign)
        .filter(starts_at__gte=timezone.now())
        .values("event_id", "event__genre")
        .annotate(first=Min("starts_at"))
        .order_by("first", "event_id")[:limit]
    )
    return [Show(r["event_id"], r["event__genre"], r["first"]) for r in rows]


def coming_events(campaign: Campaign):
    """The events a marketer may pick for an events block."""
    ids = [show.event_id for show in coming_shows(campaign, limit=200)]
    return Event.objects.filter(pk__in=ids).select_related("organizer").order_by("title")


def history(contact_ids: list[int]) -> dict[int, tuple[set[int], Counter]]:
    """For each contact: the events they came to or bought, and how often they came to each genre."""
    seen: dict[int, tuple[set[int], Counter]] = defaultdict(lambda: (set(), Counter()))
    rows = Interaction.objects.filter(
        contact_id__in=contact_ids,
        kind__in=[Interaction.Kind.ATTENDANCE, Interaction.Kind.ORDER],
        performance__isnull=False,
    ).values_list("contact_id", "kind", "performance__event_id", "performance__event__genre")
    for contact_id, kind, event_id, genre in rows:
        events, genres = seen[contact_id]
        events.add(event_id)
        if kind == Interaction.Kind.ATTENDANCE:
            genres[genre] += 1
    return seen


def for_person(shows: list[Show], events_seen: set[int], genres: Counter, count: int) -> list[int]:
    """`count` events for one person (see the module's text)."""
    fresh = [show for show in shows if show.event_id not in events_seen]
    liked = sorted(fresh, key=lambda s: (-genres.get(s.genre, 0), s.starts_at, s.event_id))
    picked = liked[: max(0, count - 1)] if genres else liked[:count]
    if genres and len(picked) < count:
        taken = {show.event_id for show in picked}
        new_genre = [s for s in fresh if s.genre not in genres and s.event_id not in taken]
        rest = [s for s in liked if s.event_id not in taken]
        picked += (new_genre or rest)[:1]
    return [show.event_id for show in picked[:count]]

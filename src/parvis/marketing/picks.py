"""The shows a campaign may show: those the marketer picked (an events block), and those the
recommendations pick for each person among its coming shows (a recommended block: `recommendations.
personal.Picker`, by name only for those who agreed to personalised recommendations)."""

import datetime
from dataclasses import dataclass

from django.db.models import Min
from django.utils import timezone

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

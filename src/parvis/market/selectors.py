"""Reads of the market: the public directory, a participant's agenda, the exhibitors, the floor plan."""

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import Exhibitor, Market, Meeting, Participant, Registration, Stand, StandBooking


def directory(
    market: Market, *, query: str = "", category_id: int | None = None, limit: int = 50
) -> QuerySet:
    """Accredited participants who opted in, matching every word of the query."""
    rows = market.participants.filter(state=Participant.State.ACCREDITED, in_directory=True)
    for word in query.lower().split()[:6]:
        rows = rows.filter(search_text__contains=word)
    if category_id:
        rows = rows.filter(category_id=category_id)
    return rows.select_related("category").order_by("last_name", "first_name", "pk")[:limit]


def agenda_of(participant: Participant) -> list[dict]:
    """Meetings placed and sessions registered (or spoken at), in time order."""
    entries = []
    meetings = (
        Meeting.objects.filter(Q(requester=participant) | Q(recipient=participant), slot__isnull=False)
        .exclude(state=Meeting.State.CANCELLED)
        .select_related("slot", "table", "requester", "recipient")
    )
    for meeting in meetings:
        other = meeting.recipient if meeting.requester_id == participant.pk else meeting.requester
        entries.append(
            {
                "starts_at": meeting.slot.starts_at,
                "ends_at": meeting.slot.ends_at,
                "kind": "meeting",
                "title": f"{other.name} — {meeting.topic}",
                "where": f"{meeting.table} · {other.organisation_name}",
                "ref": f"meeting-{meeting.pk}",
                "meeting": meeting,
            }
        )
    registrations = Registration.objects.filter(
        participant=participant, state=Registration.State.REGISTERED
    ).select_related("session__performance__event", "session__performance__space")
    sessions = [r.session for r in registrations] + list(
        participant.talks.select_related("performance__event", "performance__space")
    )
    for session in {s.pk: s for s in sessions}.values():
        performance = session.performance
        entries.append(
            {
                "starts_at": performance.starts_at,
                "ends_at": performance.ends_at,
                "kind": "session",
                "title": str(performance.event.title),
                "where": str(performance.space or session.market.venue.name),
                "ref": f"session-{session.pk}",
                "session": session,
            }
        )
    entries.sort(key=lambda e: (e["starts_at"], e["ref"]))
    return entries


def exhibitors_of(market: Market, *, query: str = "") -> QuerySet:
    rows = market.exhibitors.filter(published=True).select_related("pavilion")
    if query:
        rows = rows.filter(
            Q(name__icontains=query) | Q(categories__icontains=query) | Q(products__icontains=query)
        )
    return rows.order_by("name")


def floor_plan(market: Market) -> dict:
    """Zones with their stands, each with its state (free, booked) and exhibitor, and the plan's size."""
    booked = {
        b.stand_id: b
        for b in StandBooking.objects.filter(
            stand__market=market, state__in=StandBooking.ACTIVE
        ).select_related("exhibitor")
    }
    stands = list(Stand.objects.filter(market=market).select_related("zone").order_by("label"))
    width = max((s.x + s.width for s in stands), default=10)
    depth = max((s.y + s.depth for s in stands), default=10)
    return {
        "stands": [(stand, booked.get(stand.pk)) for stand in stands],
        "width": width,
        "depth": depth,
        "free": sum(1 for s in stands if s.pk not in booked),
    }


def participant_of_user(market: Market, user) -> Participant | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        market.participants.filter(Q(user=user) | Q(email__iexact=user.email))
        .exclude(state=Participant.State.CANCELLED)
        .order_by("-pk")
        .first()
    )


def pending_for(participant: Participant) -> QuerySet:
    return Meeting.objects.filter(
        recipient=participant, state=Meeting.State.PENDING, expires_at__gte=timezone.now()
    ).select_related("requester")


def exhibitor_of(participant: Participant) -> Exhibitor | None:
    return participant.exhibitor or participant.exhibitors_led.first()

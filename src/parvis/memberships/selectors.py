"""Reads of the memberships."""

import io

import segno
from django.db.models import Q, QuerySet
from django.utils import timezone

from parvis.programming.models import EventStatus, Performance, PerformanceStatus

from .models import Membership, MembershipLevel, MembershipProgram, Subscription, SubscriptionOffer
from .pdf import card_secret


def levels_on_sale(program: MembershipProgram) -> list[MembershipLevel]:
    return list(program.levels.filter(on_sale=True).prefetch_related("free_events"))


def programs_on_sale(*, organizer_ids=None, network_id: int | None = None) -> QuerySet[MembershipProgram]:
    programs = MembershipProgram.objects.filter(on_sale=True, levels__on_sale=True).select_related(
        "organizer", "network"
    )
    if organizer_ids is not None:
        programs = programs.filter(organizer_id__in=organizer_ids)
    if network_id is not None:
        programs = programs.filter(network_id=network_id)
    return programs.distinct()


def card_qr_svg(membership: Membership) -> str:
    """The card's signed QR code as inline SVG (no image request, readable from a phone's screen)."""
    buffer = io.BytesIO()
    segno.make(card_secret(membership), error="m").save(
        buffer, kind="svg", scale=4, border=2, xmldecl=False, svgns=True, title=membership.code
    )
    return buffer.getvalue().decode()


def free_events_upcoming(membership: Membership, *, limit: int = 10) -> list[Performance]:
    """The next dates of the events this card opens for free (booked at the member tariff, price 0)."""
    return list(
        Performance.objects.filter(
            event__in=membership.level.free_events.all(),
            event__status=EventStatus.PUBLISHED,
            status=PerformanceStatus.PUBLISHED,
            starts_at__gt=timezone.now(),
            starts_at__lt=membership.valid_until,
        )
        .select_related("event", "venue")
        .order_by("starts_at")[:limit]
    )


def members_of(organizer, *, query: str = "") -> QuerySet[Membership]:
    """The cards of the programmes this organizer runs, newest first, found by code, name or e-mail."""

    cards = Membership.objects.filter(level__program__organizer=organizer).select_related(
        "level__program", "order"
    )
    if query:
        cards = cards.filter(
            Q(code__iexact=query.strip())
            | Q(email__iexact=query.strip())
            | Q(last_name__icontains=query.strip())
        )
    return cards


def subscribers_of(organizer, *, query: str = "") -> QuerySet[Subscription]:
    found = Subscription.objects.filter(offer__organizer=organizer).select_related("offer", "order")
    query = query.strip()
    return found.filter(Q(code__iexact=query) | Q(email__iexact=query) | Q(last_name__icontains=query))


def offers_on_sale(*, organizer_ids) -> QuerySet[SubscriptionOffer]:
    return SubscriptionOffer.objects.filter(
        organizer_id__in=organizer_ids, on_sale=True, season_ends__gt=timezone.now()
    )

"""What brings a person into a journey: each trigger gives rows `Found(contact, at, occasion, performance)`.

- **From the timeline** (sign-up, paid order, entry at the door, first visit, donation): the CRM's
  `Interaction` rows past the journey's watermark, recorded in the sale's or the scan's own transaction.
- **Dated** (N days before or after a performance, a missed performance, a pass's unused entries before
  its end, a member card ending, a season's renewal, an abandoned order, the at-risk group): the things
  whose date came between the last scan (`scanned_until`) and now. A late run finds all it missed, and
  each person enters at the moment it was due, so their waits are counted from then.

`occasion` names what brought them ("perf:12", "pass:40"…): a journey that may be entered again takes one
entry per occasion.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Exists, F, Min, OuterRef
from django.utils import timezone

from parvis.crm.models import Contact, Interaction, Purpose
from parvis.memberships.models import Membership, Subscription
from parvis.passes.models import PassHolding
from parvis.programming.models import PerformanceStatus
from parvis.ticketing.models import Order, OrderState, Ticket, TicketState

from .audience import _consented
from .models import Journey

BATCH = 5000
T = Journey.Trigger

TIMELINE = {
    T.SIGNUP: Interaction.Kind.SIGNUP,
    T.ORDER_PAID: Interaction.Kind.ORDER,
    T.ATTENDED: Interaction.Kind.ATTENDANCE,
    T.FIRST_VISIT: Interaction.Kind.ATTENDANCE,
    T.DONATION: Interaction.Kind.DONATION,
}
# Whose date is N days before (-1) or after (+1) the thing's own date.
DATED = {
    T.BEFORE_PERFORMANCE: -1,
    T.AFTER_PERFORMANCE: 1,
    T.MISSED: 1,
    T.PASS_UNUSED: -1,
    T.MEMBERSHIP_ENDING: -1,
    T.SUBSCRIPTION_RENEWAL: -1,
    T.ABANDONED_CART: 1,
}


@dataclass(frozen=True)
class Found:
    contact_id: int
    at: datetime.datetime
    occasion: str
    performance_id: int | None = None


def timeline(journey: Journey) -> tuple[list[Found], int]:
    """The next batch of timeline rows past the watermark, and the new watermark (unchanged: none left)."""
    rows = list(
        Interaction.objects.filter(
            organizer_id=journey.organizer_id, kind=TIMELINE[journey.trigger], pk__gt=journey.watermark
        )
        .filter(contact__merged_into__isnull=True, contact__anonymised_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "contact_id", "occurred_at", "performance_id")[:BATCH]
    )
    if not rows:
        return [], journey.watermark
    watermark = rows[-1][0]
    if journey.trigger == T.FIRST_VISIT:  # the person's first entry at a door of this organizer
        first = dict(
            Interaction.objects.filter(
                organizer_id=journey.organizer_id,
                kind=Interaction.Kind.ATTENDANCE,
                contact_id__in={row[1] for row in rows},
            )
            .values_list("contact_id")
            .annotate(first=Min("pk"))
            .order_by()
        )
        rows = [row for row in rows if first.get(row[1]) == row[0]]
    return [Found(c, at, f"i:{pk}", perf) for pk, c, at, perf in rows], watermark


def dated(journey: Journey, since: datetime.datetime, until: datetime.datetime) -> list[Found]:
    """The people whose dated trigger fell in (since, until]."""
    if journey.trigger == T.LAPSED:
        return _lapsed(journey, until)
    offset = datetime.timedelta(days=journey.days) * DATED[journey.trigger]
    if journey.trigger == T.MISSED:
        offset = max(offset, datetime.timedelta(days=1))  # the door scans of the evening are all in
    window = (since - offset, until - offset)
    finder = {
        T.BEFORE_PERFORMANCE: _holders,
        T.AFTER_PERFORMANCE: _holders,
        T.MISSED: _missed,
        T.PASS_UNUSED: _passes,
        T.MEMBERSHIP_ENDING: _cards,
        T.SUBSCRIPTION_RENEWAL: _seasons,
        T.ABANDONED_CART: _abandoned,
    }[journey.trigger]
    return [
        Found(contact_id, anchor + offset, occasion, performance_id)
        for contact_id, anchor, occasion, performance_id in finder(journey.organizer_id, window)
        if contact_id is not None
    ]


def _tickets(organizer_id: int, window):
    return (
        Ticket.objects.filter(
            organizer_id=organizer_id,
            state=TicketState.VALID,
            performance__starts_at__gt=window[0],
            performance__starts_at__lte=window[1],
        )
        .exclude(performance__status=PerformanceStatus.CANCELLED)
        .filter(order__contact__merged_into__isnull=True, order__contact__anonymised_at__isnull=True)
    )


def _holders(organizer_id: int, window):
    rows = _tickets(organizer_id, window).values_list(
        "order__contact_id", "performance__starts_at", "performance_id"
    )
    return {(c, at, f"perf:{perf}", perf) for c, at, perf in rows}


def _missed(organizer_id: int, window):
    came = Interaction.objects.filter(
        organizer_id=organizer_id,
        kind=Interaction.Kind.ATTENDANCE,
        contact_id=OuterRef("order__contact_id"),
        performance_id=OuterRef("performance_id"),
    )
    rows = (
        _tickets(organizer_id, window)
        .filter(~Exists(came))
        .values_list("order__contact_id", "performance__starts_at", "performance_id")
    )
    return {(c, at, f"perf:{perf}", perf) for c, at, perf in rows}


def _passes(organizer_id: int, window):
    rows = PassHolding.objects.filter(
        order__organizer_id=organizer_id,
        state=PassHolding.State.ACTIVE,
        entries_used__lt=F("entries"),
        valid_until__gt=window[0],
        valid_until__lte=window[1],
    ).values_list("order__contact_id", "valid_until", "pk")
    return {(c, at, f"pass:{pk}", None) for c, at, pk in rows}


def _cards(organizer_id: int, window):
    rows = Membership.objects.filter(
        order__organizer_id=organizer_id,
        state=Membership.State.ACTIVE,
        renewal__isnull=True,
        valid_until__gt=window[0],
        valid_until__lte=window[1],
    ).values_list("order__contact_id", "valid_until", "pk")
    return {(c, at, f"card:{pk}", None) for c, at, pk in rows}


def _seasons(organizer_id: int, window):
    rows = Subscription.objects.filter(
        order__organizer_id=organizer_id,
        state=Subscription.State.ACTIVE,
        offer__season_ends__gt=window[0],
        offer__season_ends__lte=window[1],
    ).values_list("order__contact_id", "offer__season_ends", "pk")
    return {(c, at, f"sub:{pk}", None) for c, at, pk in rows}


def _abandoned(organizer_id: int, window):
    """Orders left unpaid, by people who consented to the organizer's newsletter and bought nothing
    since (following up an abandoned order is marketing: never without that consent)."""
    bought_since = Order.objects.filter(
        contact_id=OuterRef("contact_id"), state=OrderState.PAID, created_at__gt=OuterRef("created_at")
    )
    consented = _consented(Purpose.ORGANIZER_NEWSLETTER).filter(organizer_id=organizer_id)
    rows = (
        Order.objects.filter(
            organizer_id=organizer_id,
            state__in=[OrderState.PENDING, OrderState.EXPIRED],
            expires_at__gt=window[0],
            expires_at__lte=window[1],
            contact_id__in=consented.values("contact_id"),
        )
        .filter(~Exists(bought_since))
        .values_list("contact_id", "expires_at", "pk")
    )
    return {(c, at, f"order:{pk}", None) for c, at, pk in rows}


def _lapsed(journey: Journey, now: datetime.datetime):
    """The people in the at-risk group now (the nightly RFM scores): they enter when found there."""
    rows = Contact.objects.filter(
        organizer_id=journey.organizer_id,
        rfm_group="at_risk",
        merged_into__isnull=True,
        anonymised_at__isnull=True,
    ).values_list("pk", flat=True)
    day = timezone.localdate(now).isoformat()
    return [Found(pk, now, f"rfm:{day}") for pk in rows]

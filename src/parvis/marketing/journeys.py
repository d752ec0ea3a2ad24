"""Journeys: people enter on a trigger and go through steps, each at its time; run by `run()` every
minute or so (a task, or `parvis journeys_run` from cron).

- **Triggers** are read from the CRM's timeline (`Interaction`), past the journey's watermark: a sign-up,
  a paid order, an entry at the door are recorded there in their own transaction, so the journeys add no
  write to a sale. A journey started today takes in what happens from today.
- **Steps**: wait N hours (counted from when the previous step was due: a late run catches up, and does
  not shift the rest), send a message (a campaign of the journey, to this person alone: their consent
  and the suppressed addresses are checked as for any campaign; one row per person and message, so a step
  run twice sends once), and the end of the list. A person who buys meanwhile leaves, counted as
  converted, if the journey says so.
"""

import datetime

from django.db import transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from parvis.crm.models import Interaction

from . import audience, delivery
from .models import Campaign, Journey, JourneyEntry, Recipient

BATCH = 5000


def intake(journey: Journey) -> int:
    """New entries from the timeline since the watermark, one per person (a second trigger is ignored)."""
    entered = 0
    while True:
        rows = list(
            Interaction.objects.filter(
                organizer_id=journey.organizer_id, kind=journey.trigger, pk__gt=journey.watermark
            )
            .filter(contact__merged_into__isnull=True, contact__anonymised_at__isnull=True)
            .order_by("pk")
            .values_list("pk", "contact_id", "occurred_at")[:BATCH]
        )
        if not rows:
            return entered
        with transaction.atomic():
            JourneyEntry.objects.bulk_create(
                [
                    JourneyEntry(journey=journey, contact_id=c, entered_at=at, due_at=at)
                    for _pk, c, at in rows
                ],
                ignore_conflicts=True,
            )
            journey.watermark = rows[-1][0]
            Journey.objects.filter(pk=journey.pk, watermark__lt=journey.watermark).update(
                watermark=journey.watermark
            )
        entered += len(rows)


def _converted(journey: Journey, entries: list[JourneyEntry]) -> set[int]:
    """The people of `entries` who bought after they entered."""
    if not journey.exit_on_purchase:
        return set()
    first_entry = min(entry.entered_at for entry in entries)
    bought = (
        Interaction.objects.filter(
            organizer_id=journey.organizer_id,
            kind=Interaction.Kind.ORDER,
            contact_id__in=[entry.contact_id for entry in entries],
            occurred_at__gt=first_entry,
        )
        .values("contact_id")
        .annotate(last=Max("occurred_at"))
    )
    last = {row["contact_id"]: row["last"] for row in bought}
    return {e.contact_id for e in entries if e.contact_id in last and last[e.contact_id] > e.entered_at}


def _queue(message: Campaign, contact_ids: set[int]) -> int:
    """One row per person the message may go to (consent, suppression: the campaign's own audience rules)."""
    if message.state != Campaign.State.JOURNEY or not contact_ids:
        return 0
    people = audience.contacts(message).filter(pk__in=contact_ids).values_list("pk", "email_key", "language")
    created = Recipient.objects.bulk_create(
        [
            Recipient(campaign=message, contact_id=pk, address=address, language=language or "fr")
            for pk, address, language in people
        ],
        ignore_conflicts=True,
    )
    return len(created)


def _step(journey: Journey, entry: JourneyEntry, now: datetime.datetime, sends: dict[int, set[int]]) -> None:
    """Move one person through the steps that are due."""
    steps = journey.steps
    while entry.state == JourneyEntry.State.ACTIVE and entry.due_at <= now:
        if entry.step >= len(steps):
            entry.state = JourneyEntry.State.DONE
            break
        step = steps[entry.step]
        if step["kind"] == "wait":
            entry.due_at = entry.due_at + datetime.timedelta(hours=step["hours"])
        elif step["kind"] == "send":
            sends.setdefault(step["campaign"], set()).add(entry.contact_id)
        entry.step += 1


def advance(journey: Journey, now: datetime.datetime | None = None) -> dict[str, int]:
    """Every step due by `now`, in batches; the messages queued (sent by `send_queued`)."""
    now = now or timezone.now()
    moved = converted = queued = 0
    last_pk = 0
    while True:
        entries = list(
            JourneyEntry.objects.filter(
                journey=journey, state=JourneyEntry.State.ACTIVE, due_at__lte=now, pk__gt=last_pk
            ).order_by("pk")[:BATCH]
        )
        if not entries:
            return {"moved": moved, "converted": converted, "queued": queued}
        last_pk = entries[-1].pk
        bought = _converted(journey, entries)
        sends: dict[int, set[int]] = {}
        for entry in entries:
            if entry.contact_id in bought:
                entry.state = JourneyEntry.State.CONVERTED
                converted += 1
                continue
            _step(journey, entry, now, sends)
        messages = Campaign.objects.in_bulk(list(sends))
        with transaction.atomic():
            for campaign_id, contact_ids in sends.items():
                if campaign_id in messages:
                    queued += _queue(messages[campaign_id], contact_ids)
            JourneyEntry.objects.bulk_update(entries, ["step", "state", "due_at"], batch_size=1000)
        moved += len(entries)


def send_queued(journey: Journey) -> None:
    for message in Campaign.objects.filter(pk__in=message_ids(journey), state=Campaign.State.JOURNEY):
        if Recipient.objects.filter(campaign=message, state=Recipient.State.QUEUED).exists():
            delivery.part_send(message, 0)


def message_ids(journey: Journey) -> list[int]:
    return [step["campaign"] for step in journey.steps if step["kind"] == "send"]


def run(now: datetime.datetime | None = None) -> dict[str, int]:
    """One pass over every journey in motion."""
    totals = {"entered": 0, "moved": 0, "converted": 0, "queued": 0}
    for journey in Journey.objects.filter(active=True).order_by("pk"):
        totals["entered"] += intake(journey)
        for key, value in advance(journey, now).items():
            totals[key] += value
        send_queued(journey)
    return totals


def funnel(journey: Journey) -> dict:
    """Entered; at each step (still there); done; converted."""
    rows = JourneyEntry.objects.filter(journey=journey).values("state", "step").annotate(n=Count("pk"))
    at_step: dict[int, int] = {}
    states = {state: 0 for state in JourneyEntry.State.values}
    for row in rows:
        states[row["state"]] += row["n"]
        if row["state"] == JourneyEntry.State.ACTIVE:
            at_step[row["step"]] = at_step.get(row["step"], 0) + row["n"]
    sent = dict(
        Recipient.objects.filter(campaign_id__in=message_ids(journey), state=Recipient.State.SENT)
        .values_list("campaign_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    first = JourneyEntry.objects.filter(journey=journey).aggregate(first=Min("entered_at"))["first"]
    return {
        "entered": sum(states.values()),
        "active": states[JourneyEntry.State.ACTIVE],
        "at_step": at_step,
        "done": states[JourneyEntry.State.DONE],
        "converted": states[JourneyEntry.State.CONVERTED],
        "sent": sent,
        "since": first,
    }

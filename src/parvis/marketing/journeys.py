"""Journeys: people enter on a trigger and go through steps, each at its time; run by `run()` every
minute or so (a task, or `parvis journeys_run` from cron).

- **Triggers** (`journey_triggers`): read from the CRM's timeline past the journey's watermark (a sign-up,
  a paid order, an entry at the door are recorded there in their own transaction, so the journeys add no
  write to a sale), or found when their date comes (N days before a performance, a pass's end…). A
  journey started today takes in what happens from today. A person enters once, or again once N days
  have passed since they last entered (never while they are still in it).
- **Steps**: wait N hours (counted from when the previous step was due: a late run catches up, and does
  not shift the rest), wait until N hours before or after the person's performance, check a condition (in
  a segment, a consent given, a tag, bought since they entered: when it fails, they leave or skip the
  next step), send a message (a campaign of the journey, to this person alone: their consent and the
  suppressed addresses are checked as for any campaign; one row per person and message, so a step run
  twice sends once), add or remove a tag, tell a staff member (one e-mail per step and run), leave. A
  person who buys meanwhile leaves, counted as converted, if the journey says so.
"""

import datetime

from django.db import transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from parvis.crm.models import Contact, Interaction, Segment
from parvis.crm.segments import members
from parvis.programming.models import Performance

from . import audience, delivery, journey_acts, journey_triggers
from .journey_acts import Acts
from .models import Campaign, Journey, JourneyEntry, Recipient

BATCH = 5000
SCATTERED = 50  # groups of (step, state, due time) in a batch above which one bulk_update does better
HOUR = datetime.timedelta(hours=1)


def intake(journey: Journey, now: datetime.datetime | None = None) -> int:
    """New entries: the timeline since the watermark, or the dates due since the last scan."""
    now = now or timezone.now()
    if journey.trigger in journey_triggers.TIMELINE:
        entered = 0
        while True:
            with transaction.atomic():
                journey = Journey.objects.select_for_update().get(pk=journey.pk)  # one intake at a time
                found, watermark = journey_triggers.timeline(journey)
                if watermark == journey.watermark:
                    return entered
                entered += _enter(journey, found)
                Journey.objects.filter(pk=journey.pk).update(watermark=watermark)
    with transaction.atomic():
        journey = Journey.objects.select_for_update().get(pk=journey.pk)
        since = journey.scanned_until or now
        if since >= now:
            return 0
        entered = _enter(journey, journey_triggers.dated(journey, since, now))
        Journey.objects.filter(pk=journey.pk).update(scanned_until=now)
    return entered


def _enter(journey: Journey, found: list) -> int:
    """Entries for `found` (under the journey's lock): one per person and batch, by the entry rule."""
    first: dict[int, journey_triggers.Found] = {}
    for row in sorted(found, key=lambda row: row.at):
        first.setdefault(row.contact_id, row)
    if not first:
        return 0
    previous = {
        row["contact_id"]: row
        for row in JourneyEntry.objects.filter(journey=journey, contact_id__in=list(first))
        .values("contact_id")
        .annotate(last=Max("entered_at"), active=Count("pk", filter=_active()))
        .order_by()
    }
    again = datetime.timedelta(days=journey.reentry_days or 0)
    new = [
        JourneyEntry(
            journey=journey,
            contact_id=row.contact_id,
            occasion="" if journey.reentry_days is None else row.occasion,
            performance_id=row.performance_id,
            entered_at=row.at,
            due_at=row.at,
        )
        for row in first.values()
        if row.contact_id not in previous
        or (
            journey.reentry_days is not None
            and not previous[row.contact_id]["active"]
            and row.at - previous[row.contact_id]["last"] >= again
        )
    ]
    JourneyEntry.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def _active() -> Q:
    return Q(state=JourneyEntry.State.ACTIVE)


def _step(journey: Journey, entry: JourneyEntry, now: datetime.datetime, acts: Acts) -> None:
    """Move one person through the steps that are due (a check stops them until the batch's verdict)."""
    steps = journey.steps
    while entry.state == JourneyEntry.State.ACTIVE and entry.due_at <= now:
        if entry.step >= len(steps):
            entry.state = JourneyEntry.State.DONE
            break
        step, kind = steps[entry.step], steps[entry.step]["kind"]
        if kind == "wait":
            entry.due_at = entry.due_at + step["hours"] * HOUR
        elif kind == "until" and entry.performance_id in acts.starts:
            entry.due_at = max(entry.due_at, acts.starts[entry.performance_id] + step["hours"] * HOUR)
        elif kind == "send":
            acts.sends.setdefault(step["campaign"], set()).add(entry.contact_id)
        elif kind == "tag":
            acts.tags.setdefault((step["tag"], bool(step.get("remove"))), set()).add(entry.contact_id)
        elif kind == "notify":
            acts.notify.setdefault(entry.step, set()).add(entry.contact_id)
        elif kind == "exit":
            entry.state = JourneyEntry.State.DONE
        elif kind == "check":
            verdict = acts.verdicts.pop((entry.step, entry.contact_id), None)
            if verdict is None:
                acts.checks.setdefault(entry.step, []).append(entry)
                return
            if not verdict and step.get("otherwise") == "skip":
                entry.step += 1
            elif not verdict:
                entry.state = JourneyEntry.State.LEFT
        entry.step += 1


def passing(journey: Journey, step: dict, entries: list[JourneyEntry]) -> set[int]:
    """The people of `entries` for whom the check's condition holds."""
    ids = {entry.contact_id for entry in entries}
    test, arg = step["test"], step.get("arg")
    if test == "segment":
        segment = Segment.objects.filter(pk=arg, organizer_id=journey.organizer_id).first()
        held = set(members(segment).filter(pk__in=ids).values_list("pk", flat=True)) if segment else set()
    elif test == "consent":
        held = set(
            audience._consented(arg)
            .filter(organizer_id=journey.organizer_id, contact_id__in=ids)
            .values_list("contact_id", flat=True)
        )
    elif test == "tag":
        held = set(Contact.objects.filter(pk__in=ids, tags=arg).values_list("pk", flat=True))
    else:  # "bought": a paid order since they entered
        held = _bought_since(journey, entries)
    return held if not step.get("negate") else ids - held


def _bought_since(journey: Journey, entries: list[JourneyEntry]) -> set[int]:
    """The people of `entries` who bought after they entered."""
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


def _move(journey: Journey, entries: list[JourneyEntry], now: datetime.datetime) -> Acts:
    """Every step due, checks answered a batch at a time, until each person waits or is out."""
    acts = Acts()
    performances = {entry.performance_id for entry in entries if entry.performance_id}
    if performances and any(step["kind"] == "until" for step in journey.steps):
        acts.starts = dict(Performance.objects.filter(pk__in=performances).values_list("pk", "starts_at"))
    todo = entries
    while todo:
        for entry in todo:
            _step(journey, entry, now, acts)
        todo = []
        for index, waiting in acts.checks.items():
            held = passing(journey, journey.steps[index], waiting)
            acts.verdicts.update({(index, entry.contact_id): entry.contact_id in held for entry in waiting})
            todo += waiting
        acts.checks = {}
    return acts


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
        bought = _bought_since(journey, entries) if journey.exit_on_purchase else set()
        for entry in entries:
            if entry.contact_id in bought:
                entry.state = JourneyEntry.State.CONVERTED
                converted += 1
        acts = _move(journey, [e for e in entries if e.state == JourneyEntry.State.ACTIVE], now)
        messages = Campaign.objects.in_bulk(list(acts.sends))
        with transaction.atomic():
            for campaign_id, contact_ids in acts.sends.items():
                if campaign_id in messages:
                    queued += _queue(messages[campaign_id], contact_ids)
            journey_acts.apply(journey, acts)
            _save(entries)
        moved += len(entries)


def _save(entries: list[JourneyEntry]) -> None:
    """Where each person now is. People of one batch mostly move together (same step, state and due time):
    one UPDATE per group; Django's bulk_update (a CASE per row) only when they are scattered."""
    groups: dict[tuple, list[int]] = {}
    for entry in entries:
        groups.setdefault((entry.step, entry.state, entry.due_at), []).append(entry.pk)
    if len(groups) > SCATTERED:
        JourneyEntry.objects.bulk_update(entries, ["step", "state", "due_at"], batch_size=1000)
        return
    for (step, state, due_at), pks in groups.items():
        JourneyEntry.objects.filter(pk__in=pks).update(step=step, state=state, due_at=due_at)


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
        totals["entered"] += intake(journey, now)
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
        "left": states[JourneyEntry.State.LEFT],
        "sent": sent,
        "since": first,
    }

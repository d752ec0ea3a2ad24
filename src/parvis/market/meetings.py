"""B2B meetings: a request to another participant (or an exhibitor, answered by its lead), accepted or
declined (or accepted at once by those who chose so), expired when unanswered in time — judged when read,
with or without a worker. Accepted meetings are placed in meeting slots at tables: in one batch before the
market (`schedule_market`, see `scheduling`), then one by one during it (`place_live`: the next slot both
people have free). `MeetingSeat`'s unique (participant, slot) and `Meeting`'s unique (slot, table) make a
conflict impossible whoever places."""

import collections
import datetime
import time

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.core.audit import audit_record
from parvis.core.background import enqueue_on_commit

from . import scheduling
from .accreditation import MarketError, record
from .models import (
    Exhibitor,
    Market,
    Meeting,
    MeetingSeat,
    MeetingSlot,
    MeetingTable,
    Participant,
    Registration,
)
from .tasks import send_meeting_mail

MState = Meeting.State


def expire_due(market_id: int, now=None) -> int:
    return Meeting.objects.filter(
        market_id=market_id, state=MState.PENDING, expires_at__lt=now or timezone.now()
    ).update(state=MState.EXPIRED)


def request(
    *,
    requester: Participant,
    recipient: Participant | None = None,
    exhibitor: Exhibitor | None = None,
    topic: str,
    message: str = "",
) -> Meeting:
    if exhibitor is not None:
        recipient = exhibitor.lead
        if recipient is None:
            raise MarketError(_("Cet exposant ne reçoit pas de demandes de rendez-vous."))
    if recipient is None or recipient.market_id != requester.market_id:
        raise MarketError(_("Participant inconnu."))
    if not requester.accredited or not recipient.accredited:
        raise MarketError(_("Les rendez-vous sont entre participants accrédités."))
    if recipient.pk == requester.pk:
        raise MarketError(_("Vous ne pouvez pas demander un rendez-vous avec vous-même."))
    if not recipient.accepts_meetings:
        raise MarketError(_("Ce participant ne reçoit pas de demandes de rendez-vous."))
    if not topic.strip():
        raise MarketError(_("Indiquez l'objet du rendez-vous."))
    market = requester.market
    now = timezone.now()
    expire_due(market.pk, now)
    pair = Q(requester=requester, recipient=recipient) | Q(requester=recipient, recipient=requester)
    with transaction.atomic():
        # The pair's rows are read under the requester's lock: two clicks make one request.
        Participant.objects.select_for_update().filter(pk=requester.pk).first()
        if Meeting.objects.filter(pair, state__in=[MState.PENDING, MState.ACCEPTED]).exists():
            raise MarketError(_("Une demande est déjà en cours avec cette personne."))
        meeting = Meeting.objects.create(
            market=market,
            requester=requester,
            recipient=recipient,
            exhibitor=exhibitor,
            topic=topic.strip()[:200],
            message=message.strip()[:2000],
            expires_at=now + datetime.timedelta(hours=market.request_hours),
        )
        record(
            requester,
            _("Demande de rendez-vous à %(name)s") % {"name": recipient.name},
            ref=f"meeting:{meeting.pk}",
        )
        record(
            recipient,
            _("Demande de rendez-vous de %(name)s") % {"name": requester.name},
            ref=f"meeting:{meeting.pk}",
        )
        if recipient.auto_accept:
            _accept(meeting, now)
        else:
            enqueue_on_commit(send_meeting_mail, meeting_id=meeting.pk, what="requested")
    return meeting


def answer(*, meeting: Meeting, participant: Participant, accept: bool) -> Meeting:
    """The recipient's answer, while the request is pending and not expired."""
    now = timezone.now()
    expire_due(meeting.market_id, now)  # kept even though the answer below is refused
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if meeting.recipient_id != participant.pk:
            raise MarketError(_("Seule la personne sollicitée peut répondre."))
        if meeting.state != MState.PENDING:
            raise MarketError(
                _("Cette demande n'attend plus de réponse (%(state)s).")
                % {"state": meeting.get_state_display()}
            )
        if accept:
            _accept(meeting, now)
        else:
            Meeting.objects.filter(pk=meeting.pk).update(state=MState.DECLINED, answered_at=now)
            meeting.state = MState.DECLINED
            enqueue_on_commit(send_meeting_mail, meeting_id=meeting.pk, what="declined")
    return meeting


def _accept(meeting: Meeting, now) -> None:
    Meeting.objects.filter(pk=meeting.pk).update(state=MState.ACCEPTED, answered_at=now)
    meeting.state, meeting.answered_at = MState.ACCEPTED, now
    enqueue_on_commit(send_meeting_mail, meeting_id=meeting.pk, what="accepted")
    market = meeting.market
    if market.starts_on <= timezone.localdate() <= market.ends_on:  # during the market: placed at once
        place_live(meeting)


def cancel(*, meeting: Meeting, participant: Participant) -> None:
    if participant.pk not in (meeting.requester_id, meeting.recipient_id):
        raise MarketError(_("Ce rendez-vous n'est pas le vôtre."))
    with transaction.atomic():
        MeetingSeat.objects.filter(meeting=meeting).delete()
        Meeting.objects.filter(pk=meeting.pk).exclude(state=MState.CANCELLED).update(
            state=MState.CANCELLED, slot=None, table=None
        )


def no_show(*, actor, meeting: Meeting, participant: Participant, request=None) -> None:
    if participant.pk not in (meeting.requester_id, meeting.recipient_id) or meeting.slot_id is None:
        raise MarketError(_("Ce participant n'a pas ce rendez-vous."))
    Meeting.objects.filter(pk=meeting.pk).update(no_show=participant)
    record(participant, _("Absent à un rendez-vous"), ref=f"meeting:{meeting.pk}")
    audit_record(
        actor=actor,
        action="market.no_show",
        instance=meeting,
        organizer_id=meeting.market.organizer_id,
        request=request,
        after={"participant": participant.pk},
    )


def no_show_clear(*, actor, meeting: Meeting, request=None) -> None:
    """A no-show recorded by mistake (both came after all)."""
    if Meeting.objects.filter(pk=meeting.pk, no_show__isnull=False).update(no_show=None):
        audit_record(
            actor=actor,
            action="market.no_show_clear",
            instance=meeting,
            organizer_id=meeting.market.organizer_id,
            request=request,
        )


def _busy_slots(market: Market, slots: list[MeetingSlot], people=None) -> dict[int, set[int]]:
    """Slots (by index) each participant (or only these `people`) cannot meet in: their unavailabilities,
    their sessions, their talks."""
    busy: dict[int, set[int]] = collections.defaultdict(set)
    participants = market.participants.all() if people is None else market.participants.filter(pk__in=people)
    registrations = Registration.objects.filter(session__market=market, state=Registration.State.REGISTERED)
    if people is not None:
        registrations = registrations.filter(participant_id__in=people)
    spans = list(
        participants.filter(unavailabilities__isnull=False).values_list(
            "pk", "unavailabilities__starts_at", "unavailabilities__ends_at"
        )
    )
    spans += registrations.values_list(
        "participant_id", "session__performance__starts_at", "session__performance__ends_at"
    )
    for session in market.sessions.select_related("performance").prefetch_related("speakers"):
        for speaker in session.speakers.all():
            if people is None or speaker.pk in people:
                spans.append((speaker.pk, session.performance.starts_at, session.performance.ends_at))
    for person, starts, ends in spans:
        for index, slot in enumerate(slots):
            if slot.starts_at < ends and starts < slot.ends_at:
                busy[person].add(index)
    return busy


def schedule_market(
    *, actor, market: Market, seconds: float = 30.0, notify: bool = True, request=None
) -> scheduling.Result:
    """Place every accepted meeting not placed yet; those already placed stay where they are."""
    started = time.monotonic()
    expire_due(market.pk)
    slots = list(market.meeting_slots.order_by("starts_at"))
    tables = list(market.meeting_tables.values_list("pk", flat=True))
    index_of = {slot.pk: i for i, slot in enumerate(slots)}
    day_of = [timezone.localtime(s.starts_at, market.venue.tzinfo).date().toordinal() for s in slots]
    accepted = list(
        market.meetings.filter(state=MState.ACCEPTED).values_list(
            "pk", "requester_id", "recipient_id", "slot_id", "table_id"
        )
    )
    fixed = {pk: index_of[slot] for pk, _a, _b, slot, _t in accepted if slot in index_of}
    used = collections.defaultdict(set)
    for _pk, _a, _b, slot, table in accepted:
        if slot in index_of:
            used[index_of[slot]].add(table)
    busy = _busy_slots(market, slots)
    problem = scheduling.Problem(
        day_of=day_of,
        tables=[len(tables)] * len(slots),
        busy={person: frozenset(s) for person, s in busy.items()},
        meetings=[(pk, a, b) for pk, a, b, _s, _t in accepted],
        fixed=fixed,
    )
    result = scheduling.schedule(problem, seconds=max(1.0, seconds))
    new = {m: s for m, s in result.placed.items() if m not in fixed}
    with transaction.atomic():
        _write(market, slots, tables, used, new, dict((pk, (a, b)) for pk, a, b, _s, _t in accepted))
        audit_record(
            actor=actor,
            action="market.schedule",
            instance=market,
            organizer_id=market.organizer_id,
            request=request,
            after={
                "placed": len(new),
                "kept": len(fixed),
                "waiting": len(accepted) - len(result.placed),
                "bound": result.bound,
                "idle_gaps": result.gaps,
                "idle_gaps_greedy": result.baseline_gaps,
                "seconds": round(time.monotonic() - started, 1),
            },
        )
        if notify:
            for meeting in new:
                enqueue_on_commit(send_meeting_mail, meeting_id=meeting, what="placed")
    return result


def _write(market, slots, tables, used, new: dict[int, int], parties: dict[int, tuple[int, int]]) -> None:
    """Each placed meeting at a free table of its slot, and its two seats (one statement per table)."""
    by_slot = collections.defaultdict(list)
    for meeting, index in new.items():
        by_slot[index].append(meeting)
    seats, placed = [], []
    for index, meetings in by_slot.items():
        free = [t for t in tables if t not in used[index]]
        for meeting, table in zip(sorted(meetings), free, strict=False):
            placed.append(Meeting(pk=meeting, slot_id=slots[index].pk, table_id=table))
            seats += [
                MeetingSeat(meeting_id=meeting, participant_id=person, slot_id=slots[index].pk)
                for person in parties[meeting]
            ]
    Meeting.objects.bulk_update(placed, ["slot", "table"], batch_size=1000)
    MeetingSeat.objects.bulk_create(seats, batch_size=2000)


def place_live(meeting: Meeting) -> Meeting | None:
    """During the market: the next slot both people have free, at a free table (None if there is none)."""
    market = meeting.market
    now = timezone.now()
    slots = list(market.meeting_slots.filter(starts_at__gt=now).order_by("starts_at"))
    if not slots:
        return None
    people = (meeting.requester_id, meeting.recipient_id)
    busy = _busy_slots(market, slots, people)  # only these two: one acceptance reads no one else
    taken = set(
        MeetingSeat.objects.filter(participant_id__in=people, slot__in=slots).values_list(
            "slot_id", flat=True
        )
    )
    tables = list(market.meeting_tables.values_list("pk", flat=True))
    for index, slot in enumerate(slots):
        if slot.pk in taken or any(index in busy.get(p, ()) for p in people):
            continue
        used = set(Meeting.objects.filter(slot=slot).values_list("table_id", flat=True))
        for table in [t for t in tables if t not in used]:
            try:
                with transaction.atomic():
                    Meeting.objects.filter(pk=meeting.pk).update(slot=slot, table_id=table)
                    MeetingSeat.objects.bulk_create(
                        [MeetingSeat(meeting=meeting, participant_id=p, slot=slot) for p in people]
                    )
            except IntegrityError:  # taken meanwhile by another placement: try the next table or slot
                continue
            meeting.slot, meeting.table = slot, MeetingTable.objects.get(pk=table)
            enqueue_on_commit(send_meeting_mail, meeting_id=meeting.pk, what="placed")
            return meeting
    return None


def slots_create(*, market: Market, day: datetime.date, start: datetime.time, end: datetime.time) -> int:
    """Meeting slots of the market's length from `start` to `end` on a day (a block); returns how many."""
    tz = market.venue.tzinfo
    at = datetime.datetime.combine(day, start, tzinfo=tz)
    stop = datetime.datetime.combine(day, end, tzinfo=tz)
    step = datetime.timedelta(minutes=market.meeting_minutes)
    made = 0
    while at + step <= stop:
        _slot, created = MeetingSlot.objects.get_or_create(
            market=market, starts_at=at, defaults={"ends_at": at + step}
        )
        made += created
        at += step
    return made


def tables_create(*, market: Market, area: str, count: int) -> None:
    MeetingTable.objects.bulk_create(
        [MeetingTable(market=market, area=area, number=n) for n in range(1, count + 1)], ignore_conflicts=True
    )

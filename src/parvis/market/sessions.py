"""Round tables, demonstrations and talks: each is a date of the public agenda (an `Event` and its
`Performance`, so iCal, JSON-LD and the network's agenda show it like any other), with seats for the
accredited categories it admits. A seat is taken by one conditional UPDATE (`taken < capacity`), as a
sale takes places; beyond it, a waiting list in order of arrival: a freed seat goes to the first in
line at once (and they are told), never to someone who comes later."""

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from parvis.core.audit import audit_record
from parvis.core.background import enqueue_on_commit
from parvis.programming.models import Event, EventStatus, Genre, Performance, PerformanceStatus

from .accreditation import MarketError, record
from .models import Access, Market, MeetingSeat, Participant, Registration, Session
from .tasks import send_registration_mail

RegState = Registration.State


def session_create(
    *,
    actor,
    market: Market,
    title: str,
    kind: str,
    starts_at,
    ends_at,
    capacity: int,
    description: str = "",
    space=None,
    categories=(),
    speakers=(),
    request=None,
) -> Session:
    if ends_at <= starts_at:
        raise MarketError(_("La fin doit suivre le début."))
    with transaction.atomic():
        base = slugify(title)[:100] or "rencontre"
        slug, n = base, 1
        while Event.objects.filter(organizer_id=market.organizer_id, slug=slug).exists():
            n += 1
            slug = f"{base}-{n}"
        event = Event.objects.create(
            organizer_id=market.organizer_id,
            slug=slug,
            title=title,
            description=description,
            genre=Genre.TALK,
            status=EventStatus.PUBLISHED,
            is_free=True,
            duration_minutes=int((ends_at - starts_at).total_seconds() // 60),
        )
        performance = Performance.objects.create(
            event=event,
            organizer_id=market.organizer_id,
            venue=market.venue,
            space=space,
            starts_at=starts_at,
            ends_at=ends_at,
            capacity=capacity,
            status=PerformanceStatus.PUBLISHED,
        )
        session = Session.objects.create(market=market, performance=performance, kind=kind, capacity=capacity)
        session.categories.set(categories)
        session.speakers.set(speakers)
        Event.objects.filter(pk=event.pk).update(
            external_ticketing_url=settings.PARVIS_BASE_URL + session.get_absolute_url()
        )
        audit_record(
            actor=actor,
            action="market.session",
            instance=session,
            organizer_id=market.organizer_id,
            request=request,
            after={"title": title, "capacity": capacity, "starts_at": starts_at.isoformat()},
        )
    return session


def may_register(session: Session, participant: Participant) -> str:
    """Why this participant may not register ("" if they may)."""
    if participant.market_id != session.market_id or not participant.accredited:
        return _("Il faut être accrédité au marché pour s'inscrire.")
    admitted = {c.pk for c in session.categories.all()}
    if admitted and participant.category_id not in admitted:
        return _("Cette rencontre n'est pas ouverte à votre catégorie d'accréditation.")
    if not admitted and not participant.category.gives(Access.SESSIONS):
        return _("Votre accréditation ne donne pas accès aux rencontres.")
    performance = session.performance
    if MeetingSeat.objects.filter(
        participant=participant,
        slot__starts_at__lt=performance.ends_at,
        slot__ends_at__gt=performance.starts_at,
    ).exists():
        return _("Vous avez un rendez-vous à cette heure-là.")
    if performance.starts_at <= timezone.now():
        return _("Cette rencontre a commencé.")
    return ""


def register(*, session: Session, participant: Participant) -> Registration:
    """A seat if one is left, else a place on the waiting list (in order of arrival)."""
    reason = may_register(session, participant)
    if reason:
        raise MarketError(reason)
    with transaction.atomic():
        existing = (
            Registration.objects.select_for_update().filter(session=session, participant=participant).first()
        )
        if existing is not None and existing.state != RegState.CANCELLED:
            return existing
        # Nobody jumps the queue: with people waiting, a newcomer waits too.
        waiting = Registration.objects.filter(session=session, state=RegState.WAITING).exists()
        took = not waiting and Session.objects.filter(pk=session.pk, taken__lt=F("capacity")).update(
            taken=F("taken") + 1
        )
        state = RegState.REGISTERED if took else RegState.WAITING
        now = timezone.now()
        if existing is not None:  # back after a cancellation: at the end of the line
            Registration.objects.filter(pk=existing.pk).update(
                state=state, created_at=now, registered_at=now if took else None
            )
            registration = Registration.objects.get(pk=existing.pk)
        else:
            registration = Registration.objects.create(
                session=session, participant=participant, state=state, registered_at=now if took else None
            )
        record(participant, _("Inscription : %(title)s") % {"title": session}, ref=f"session:{session.pk}")
    return registration


def unregister(*, registration: Registration) -> None:
    """Cancel; a seat freed goes to the first in line."""
    with transaction.atomic():
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.state == RegState.CANCELLED:
            return
        had_seat = registration.state == RegState.REGISTERED
        Registration.objects.filter(pk=registration.pk).update(state=RegState.CANCELLED, registered_at=None)
        if had_seat:
            _seat_freed(registration.session_id)


def _seat_freed(session_id: int) -> None:
    # The session's row lock makes two seats freed at once go to two different people in line.
    Session.objects.select_for_update().filter(pk=session_id).first()
    first = (
        Registration.objects.filter(session_id=session_id, state=RegState.WAITING)
        .order_by("created_at", "pk")
        .first()
    )
    if first is None:
        Session.objects.filter(pk=session_id, taken__gt=0).update(taken=F("taken") - 1)
        return
    Registration.objects.filter(pk=first.pk).update(state=RegState.REGISTERED, registered_at=timezone.now())
    enqueue_on_commit(send_registration_mail, registration_id=first.pk)


def capacity_change(*, actor, session: Session, capacity: int, request=None) -> None:
    """More seats go to those waiting, in order; fewer never unseat anyone."""
    with transaction.atomic():
        session = Session.objects.select_for_update().get(pk=session.pk)
        if capacity < session.taken:
            raise MarketError(_("%(n)s personnes sont déjà inscrites.") % {"n": session.taken})
        Session.objects.filter(pk=session.pk).update(capacity=capacity)
        Performance.objects.filter(pk=session.performance_id).update(capacity=capacity)
        for _seat in range(capacity - session.taken):
            first = (
                Registration.objects.filter(session=session, state=RegState.WAITING)
                .order_by("created_at", "pk")
                .first()
            )
            if first is None:
                break
            Session.objects.filter(pk=session.pk).update(taken=F("taken") + 1)
            Registration.objects.filter(pk=first.pk).update(
                state=RegState.REGISTERED, registered_at=timezone.now()
            )
            enqueue_on_commit(send_registration_mail, registration_id=first.pk)
        audit_record(
            actor=actor,
            action="market.session_capacity",
            instance=session,
            request=request,
            organizer_id=session.market.organizer_id,
            before={"capacity": session.capacity},
            after={"capacity": capacity},
        )

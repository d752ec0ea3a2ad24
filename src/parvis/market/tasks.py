"""Background work of the market: the participants' e-mails. Safe to run twice (the same message again)."""

import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from parvis.core.mail import deliver

from .documents import badge_pdf
from .models import Meeting, Participant, Registration
from .selectors import agenda_of

SUBJECTS = {
    "received": _("Demande d'accréditation reçue — %(market)s"),
    "more_info": _("Votre accréditation : un complément est demandé — %(market)s"),
    "approved": _("Accréditation acceptée : il reste à la régler — %(market)s"),
    "accredited": _("Votre badge — %(market)s"),
    "refused": _("Votre demande d'accréditation — %(market)s"),
}


@task()
def send_participant_mail(*, participant_id: int, what: str) -> None:
    participant = (
        Participant.objects.select_related("market__organizer", "market__venue", "category")
        .filter(pk=participant_id)
        .first()
    )
    if participant is None or what not in SUBJECTS:
        return
    market = participant.market
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "participant": participant,
            "market": market,
            "what": what,
            "url": settings.PARVIS_BASE_URL + participant.get_absolute_url(),
        }
        message = EmailMessage(
            SUBJECTS[what] % {"market": market.name},
            render_to_string("market/email/participant.txt", context),
            None,
            [participant.email],
            reply_to=[market.organizer.email] if market.organizer.email else None,
        )
        if what == "accredited" and participant.accredited:
            message.attach(f"badge-{participant.code}.pdf", badge_pdf(participant), "application/pdf")
        deliver(message)


MEETING_SUBJECTS = {
    "requested": _("Demande de rendez-vous de %(name)s"),
    "accepted": _("Rendez-vous accepté par %(name)s"),
    "declined": _("Rendez-vous décliné par %(name)s"),
    "placed": _("Votre rendez-vous avec %(name)s est placé"),
}


@task()
def send_meeting_mail(*, meeting_id: int, what: str) -> None:
    """To the recipient when asked; to the requester when answered; to both when placed."""
    meeting = (
        Meeting.objects.select_related("requester", "recipient", "market", "slot", "table")
        .filter(pk=meeting_id)
        .first()
    )
    if meeting is None or what not in MEETING_SUBJECTS:
        return
    pairs = {
        "requested": [(meeting.recipient, meeting.requester)],
        "accepted": [(meeting.requester, meeting.recipient)],
        "declined": [(meeting.requester, meeting.recipient)],
        "placed": [(meeting.requester, meeting.recipient), (meeting.recipient, meeting.requester)],
    }[what]
    with translation.override(settings.LANGUAGE_CODE):
        for to, other in pairs:
            context = {
                "meeting": meeting,
                "participant": to,
                "other": other,
                "what": what,
                "url": settings.PARVIS_BASE_URL + to.get_absolute_url(),
            }
            deliver(
                EmailMessage(
                    MEETING_SUBJECTS[what] % {"name": other.name},
                    render_to_string("market/email/meeting.txt", context),
                    None,
                    [to.email],
                )
            )


@task()
def send_registration_mail(*, registration_id: int) -> None:
    """A seat freed has gone to someone on the waiting list: they are told."""
    from_row = (
        Registration.objects.select_related("participant", "session__performance__event")
        .filter(pk=registration_id, state=Registration.State.REGISTERED)
        .first()
    )
    if from_row is None:
        return
    participant, session = from_row.participant, from_row.session
    with translation.override(settings.LANGUAGE_CODE):
        body = render_to_string(
            "market/email/registration.txt",
            {
                "participant": participant,
                "session": session,
                "url": settings.PARVIS_BASE_URL + participant.get_absolute_url(),
            },
        )
        deliver(
            EmailMessage(
                _("Une place s'est libérée : vous êtes inscrit — %(title)s") % {"title": session},
                body,
                None,
                [participant.email],
            )
        )


@task()
def send_agenda_reminder(*, participant_id: int, day: str) -> None:
    """The day's agenda, the evening before; the mark is taken first, so a second run sends nothing."""
    on = datetime.date.fromisoformat(day)
    if not Participant.objects.filter(pk=participant_id).exclude(reminded_for=on).update(reminded_for=on):
        return
    participant = Participant.objects.select_related("market__organizer").get(pk=participant_id)
    entries = [e for e in agenda_of(participant) if timezone.localtime(e["starts_at"]).date() == on]
    if not entries:
        return
    with translation.override(settings.LANGUAGE_CODE):
        body = render_to_string(
            "market/email/reminder.txt",
            {
                "participant": participant,
                "entries": entries,
                "day": on,
                "url": settings.PARVIS_BASE_URL + participant.get_absolute_url(),
            },
        )
        deliver(
            EmailMessage(
                _("Demain au %(market)s : votre agenda") % {"market": participant.market.name},
                body,
                None,
                [participant.email],
            )
        )

"""Background work of the memberships. Tasks take ids and are safe to run twice."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from parvis.core import jobs
from parvis.core.mail import deliver

from .models import Membership
from .services import renewal_reminders_due


@task()
def send_renewal_reminder(*, membership_id: int) -> None:
    """Remind a member that the card ends soon, with the one-click renewal link. Sent once."""
    claimed = Membership.objects.filter(
        pk=membership_id, state=Membership.State.ACTIVE, reminder_sent_at__isnull=True
    ).update(reminder_sent_at=timezone.now())
    if not claimed and not jobs.run_again():  # run again: `deliver` skips what the relay accepted
        return
    membership = Membership.objects.select_related("level__program__organizer").get(pk=membership_id)
    program = membership.level.program
    try:
        with translation.override(membership.language or settings.LANGUAGE_CODE):
            context = {
                "membership": membership,
                "program": program,
                "renew_url": settings.PARVIS_BASE_URL + membership.get_absolute_url() + "renouveler/",
                "card_url": settings.PARVIS_BASE_URL + membership.get_absolute_url(),
            }
            deliver(
                EmailMessage(
                    _("Votre adhésion « %(name)s » se termine bientôt") % {"name": program.name},
                    render_to_string("memberships/email/renewal_reminder.txt", context),
                    None,
                    [membership.email],
                )
            )
    except Exception:
        Membership.objects.filter(pk=membership_id).update(reminder_sent_at=None)  # try again next run
        raise


@task()
def send_renewal_reminders() -> int:
    """The daily run (cron or the worker): every card due for its reminder gets it once."""

    due = renewal_reminders_due()
    for membership_id in due:
        send_renewal_reminder.enqueue(membership_id=membership_id)
    return len(due)


def _membership_about(kwargs: dict) -> tuple[int | None, str]:
    membership = (
        Membership.objects.filter(pk=kwargs.get("membership_id"))
        .values("level__program__organizer_id", "pk")
        .first()
    )
    if membership is None:
        return None, ""
    return membership["level__program__organizer_id"], _("adhésion n° %(pk)s") % membership


jobs.policy(
    send_renewal_reminder, label=gettext_lazy("Rappel de renouvellement d'adhésion"), about=_membership_about
)

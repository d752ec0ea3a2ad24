"""Background work of the declarations. Tasks take ids and are safe to run twice."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from parvis.core import jobs
from parvis.core.mail import deliver
from parvis.network.models import Organizer

from . import reminders, sibil, sibil_send
from .models import DeadlineReminder, SibilAccount


@task()
def send_deadline_reminder(*, organizer_id: int, period: str, days_before: int) -> None:
    """Tell the organizer's administrators what is left to declare to SIBIL before its deadline. Once per
    stage: the reminder's row is the claim."""
    organizer = Organizer.objects.get(pk=organizer_id)
    try:
        with transaction.atomic():
            DeadlineReminder.objects.create(
                organizer=organizer, kind="sibil", period=period, days_before=days_before
            )
    except IntegrityError:
        if not jobs.run_again():  # run again: `deliver` skips what the relay accepted
            return
    year, quarter = (int(part) for part in period.split("-"))
    recipients = reminders.administrators(organizer)
    if not recipients:
        return
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "organizer": organizer,
            "year": year,
            "quarter": quarter,
            "deadline": sibil.deadline(year, quarter),
            "figures": reminders.left_to_declare(organizer, year, quarter),
            "url": settings.PARVIS_BASE_URL
            + reverse("staff:sibil_quarter", args=[organizer.slug])
            + f"?trimestre={period}",
        }
        deliver(
            EmailMessage(
                _("SIBIL : %(n)s représentations à déclarer avant le %(date)s")
                % {"n": context["figures"]["left"], "date": context["deadline"].strftime("%d/%m/%Y")},
                render_to_string("declarations/email/sibil_reminder.txt", context),
                None,
                recipients,
            )
        )


@task()
def send_deadline_reminders() -> int:
    """The daily run (cron or the worker)."""
    due = reminders.reminders_due()
    for organizer_id, period, days_before in due:
        send_deadline_reminder.enqueue(organizer_id=organizer_id, period=period, days_before=days_before)
    return len(due)


@task()
def send_quarter(*, organizer_id: int, year: int, quarter: int) -> dict:
    """Send a quarter to SIBIL in the background (a request would wait 50 ms to seconds per performance).
    Safe to run twice: each performance is found by its external id, then updated or created."""
    organizer = Organizer.objects.get(pk=organizer_id)
    summary = sibil_send.quarter_send(organizer, year, quarter)
    SibilAccount.objects.filter(organizer=organizer).update(
        run_done_at=timezone.now(), run_summary={**summary, "quarter": f"{year}-{quarter}"}
    )
    return summary


def _quarter_about(kwargs: dict) -> tuple[int | None, str]:
    return kwargs.get("organizer_id"), _("SIBIL, trimestre %(period)s") % {
        "period": f"{kwargs.get('year', '')}-{kwargs.get('quarter', '')}"
    }


def _about(kwargs: dict) -> tuple[int | None, str]:
    return kwargs.get("organizer_id"), _("SIBIL, trimestre %(period)s") % {"period": kwargs.get("period", "")}


jobs.policy(send_deadline_reminder, label=gettext_lazy("Rappel d'échéance SIBIL"), about=_about)
jobs.policy(send_quarter, label=gettext_lazy("Envoi d'un trimestre à SIBIL"), about=_quarter_about)

"""Background work of the network app. Tasks take ids and are safe to run twice."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from parvis.core import jobs
from parvis.core.background import enqueue_on_commit
from parvis.core.mail import deliver
from parvis.core.models import FailedJob

from .models import Organizer, Role


@task()
def send_staff_invitation(*, user_id: int, organizer_id: int) -> None:
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    organizer = Organizer.objects.filter(pk=organizer_id).first()
    if user is None or organizer is None or user.has_usable_password():
        return  # gone, or already set up: nothing to send (a second run sends nothing either)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    url = f"{settings.PARVIS_BASE_URL}/staff/password/{uid}/{token}/"
    with translation.override(settings.LANGUAGE_CODE):
        deliver(
            EmailMessage(
                _("Votre accès à Parvis — %(organizer)s") % {"organizer": organizer.name},
                _(
                    "Bonjour,\n\nUn accès à l'espace équipe de %(organizer)s vous a été ouvert.\n"
                    "Choisissez votre mot de passe : %(url)s\n"
                )
                % {"organizer": organizer.name, "url": url},
                None,
                [user.email],
            )
        )


@task()
def send_failed_jobs_notice(*, organizer_id: int | None) -> int:
    """One e-mail to the administrators of an organizer (superusers for the platform's own work) naming
    the background work that failed for good since the last notice. Run twice: nothing new, nothing sent."""
    fresh = FailedJob.objects.filter(
        organizer_id=organizer_id, notified_at=None, dismissed_at=None, retried_at=None
    ).order_by("failed_at")
    failed = list(fresh[:50])
    if not failed:
        return 0
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    if organizer_id is None:
        users = users.filter(is_superuser=True)
        organizer, slug = None, None
    else:
        organizer = Organizer.objects.get(pk=organizer_id)
        users = users.filter(organizer_roles__organizer=organizer, organizer_roles__role=Role.ADMINISTRATOR)
        slug = organizer.slug
    recipients = sorted(set(users.values_list("email", flat=True)))
    if recipients:
        with translation.override(settings.LANGUAGE_CODE):
            context = {
                "organizer": organizer,
                "rows": [(job, jobs.label_of(job)) for job in failed],
                "url": settings.PARVIS_BASE_URL + reverse("staff:failed_jobs", args=[slug]) if slug else "",
            }
            deliver(
                EmailMessage(
                    _("Parvis : %(n)s tâche(s) en échec — %(organizer)s")
                    % {"n": len(failed), "organizer": organizer.name if organizer else "Parvis"},
                    render_to_string("network/email/failed_jobs.txt", context),
                    None,
                    recipients,
                )
            )
    FailedJob.objects.filter(pk__in=[job.pk for job in failed]).update(notified_at=timezone.now())
    return len(failed)


def failed_job_notice(sender, job: FailedJob, **kwargs) -> None:
    """When background work fails for good, its administrators hear of it (a few minutes later, in one
    e-mail for what failed together). The notice's own failure is not noticed again."""
    if job.task_path == send_failed_jobs_notice.module_path:
        return
    notice = send_failed_jobs_notice
    if notice.get_backend().supports_defer:
        notice = notice.using(run_after=timezone.now() + datetime.timedelta(seconds=NOTICE_DELAY_S))
    enqueue_on_commit(notice, organizer_id=job.organizer_id)


NOTICE_DELAY_S = 120


def connect() -> None:
    jobs.job_failed.connect(failed_job_notice, dispatch_uid="parvis.network.failed_job_notice")


def _organizer_about(kwargs: dict) -> tuple[int | None, str]:
    return kwargs.get("organizer_id"), ""


jobs.policy(
    send_staff_invitation, label=gettext_lazy("Invitation d'un membre de l'équipe"), about=_organizer_about
)
jobs.policy(
    send_failed_jobs_notice, tries=5, label=gettext_lazy("Avis de tâches en échec"), about=_organizer_about
)

"""« Tâches en échec »: background work of an organizer that failed for good (its last try spent, or a
permanent refusal), for its administrators to retry or dismiss. Platform work (no organizer) is shown to
superusers too."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parvis.core import jobs
from parvis.core.models import FailedJob

from .permissions import Perm, require_organizer_perm

PAGE_SIZE = 50


def failed_jobs_of(organizer, user):
    scope = Q(organizer=organizer)
    if user.is_superuser:
        scope |= Q(organizer__isnull=True)
    return FailedJob.objects.filter(scope)


def open_count(organizer, user) -> int:
    return failed_jobs_of(organizer, user).filter(dismissed_at=None, retried_at=None).count()


@login_required
def failed_jobs(request, organizer_slug: str):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.JOBS_MANAGE)
    shown = request.GET.get("show", "open")
    rows = failed_jobs_of(organizer, request.user).select_related("handled_by")
    if shown != "all":
        rows = rows.filter(dismissed_at=None, retried_at=None)
    page = Paginator(rows.order_by("-failed_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "network/failed_jobs.html",
        {
            "organizer": organizer,
            "page": page,
            "rows": [(job, jobs.label_of(job)) for job in page.object_list],
            "show_all": shown == "all",
        },
    )


@login_required
@require_POST
def failed_job_action(request, organizer_slug: str, pk: int, action: str):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.JOBS_MANAGE)
    job = failed_jobs_of(organizer, request.user).filter(pk=pk).first()
    if job is None or action not in ("retry", "dismiss"):
        raise Http404
    if not job.open:
        messages.info(request, _("Cette tâche a déjà été traitée."))
    elif action == "dismiss":
        jobs.dismiss_failed(job, request.user)
        messages.success(request, _("Tâche écartée : « %(what)s ».") % {"what": jobs.label_of(job)})
    elif jobs.retry_failed(job, request.user):
        messages.success(request, _("Tâche relancée : « %(what)s ».") % {"what": jobs.label_of(job)})
    else:
        messages.error(
            request, _("Cette tâche ne peut plus être relancée : elle a été effacée après son délai.")
        )
    return redirect("staff:failed_jobs", organizer.slug)

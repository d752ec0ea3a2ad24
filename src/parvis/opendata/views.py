"""Staff pages of the webhooks: an organizer's endpoints (add one, see its secret, rotate it, enable it
again) and each endpoint's delivery log, where any delivery can be sent again. Administrators only."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parvis.core.params import id_param
from parvis.network.permissions import Perm, require_organizer_perm

from . import tasks, webhooks
from .models import TOPICS, Delivery, Endpoint

LOG_SIZE = 100


@login_required
def endpoints(request, organizer_slug: str):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.ORGANIZER_SETTINGS)
    error, url, chosen = "", "", []
    if request.method == "POST":
        url = request.POST.get("url", "").strip()[:500]
        chosen = [t for t in request.POST.getlist("topics") if t in dict(TOPICS)]
        if not chosen:
            error = _("Choisissez au moins un événement.")
        else:
            try:
                endpoint = webhooks.endpoint_create(
                    actor=request.user, organizer=organizer, url=url, topics=chosen,
                    description=request.POST.get("description", ""),
                )  # fmt: skip
            except ValidationError as exc:
                error = exc.messages[0]
            else:
                messages.success(request, _("Webhook ajouté. Copiez son secret de signature ci-dessous."))
                return redirect("staff:webhook_detail", organizer.slug, endpoint.pk)
    return render(
        request,
        "opendata/endpoints.html",
        {
            "organizer": organizer,
            "endpoints": Endpoint.objects.filter(organizer=organizer).order_by("pk"),
            "topics": TOPICS,
            "error": error,
            "url": url,
            "chosen": chosen,
        },
        status=400 if error else 200,
    )


@login_required
def endpoint_detail(request, organizer_slug: str, pk: int):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.ORGANIZER_SETTINGS)
    endpoint = get_object_or_404(Endpoint, pk=pk, organizer=organizer)
    return render(
        request,
        "opendata/endpoint.html",
        {
            "organizer": organizer,
            "endpoint": endpoint,
            "deliveries": endpoint.deliveries.order_by("-created_at", "-pk")[:LOG_SIZE],
            "topics": dict(TOPICS),
        },
    )


@login_required
@require_POST
def endpoint_action(request, organizer_slug: str, pk: int, action: str):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.ORGANIZER_SETTINGS)
    endpoint = get_object_or_404(Endpoint, pk=pk, organizer=organizer)
    if action == "rotate":
        webhooks.endpoint_rotate(actor=request.user, endpoint=endpoint)
        messages.success(request, _("Nouveau secret : l'ancien signe encore pendant 24 heures."))
    elif action == "enable":
        webhooks.endpoint_enable(actor=request.user, endpoint=endpoint)
        messages.success(request, _("Webhook réactivé."))
    elif action == "replay":
        delivery = get_object_or_404(Delivery, pk=id_param(request.POST, "delivery"), endpoint=endpoint)
        tasks.replay(actor=request.user, delivery=delivery)
        messages.success(request, _("Livraison relancée."))
    else:
        return redirect("staff:webhook_detail", organizer.slug, endpoint.pk)
    return redirect("staff:webhook_detail", organizer.slug, endpoint.pk)

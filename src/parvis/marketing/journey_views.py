"""The journeys in the staff pages (an organizer's marketers): ready-made journeys switched on, each
journey's steps, messages and funnel."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parvis.network.permissions import Perm, require_organizer_perm

from . import journey_templates, journeys
from .models import Campaign, Journey


@login_required
def journey_list(request, organizer_slug: str):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.CAMPAIGNS)
    if request.method == "POST":
        key = request.POST.get("template", "")
        if key not in journey_templates.READY_MADE:
            messages.error(request, _("Parcours inconnu."))
            return redirect("staff:campaign_journeys", organizer.slug)
        journey = journey_templates.journey_create(organizer=organizer, key=key, actor=request.user)
        messages.success(request, _("Parcours créé, à l'arrêt : relisez ses messages, puis démarrez-le."))
        return redirect("staff:campaign_journey", organizer.slug, journey.pk)
    rows = [
        (journey, journeys.funnel(journey))
        for journey in Journey.objects.filter(organizer=organizer).order_by("name")
    ]
    return render(
        request,
        "marketing/staff/journey_list.html",
        {"organizer": organizer, "rows": rows, "ready_made": journey_templates.READY_MADE},
    )


@login_required
def journey_detail(request, organizer_slug: str, pk: int):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.CAMPAIGNS)
    journey = get_object_or_404(Journey, pk=pk, organizer=organizer)
    funnel = journeys.funnel(journey)
    messages_by_id = Campaign.objects.in_bulk(journeys.message_ids(journey))
    steps = []
    for n, step in enumerate(journey.steps):
        message = messages_by_id.get(step.get("campaign")) if step["kind"] == "send" else None
        steps.append(
            {
                "n": n + 1,
                "step": step,
                "message": message,
                "waiting": funnel["at_step"].get(n, 0),
                "sent": funnel["sent"].get(step.get("campaign"), 0),
            }
        )
    return render(
        request,
        "marketing/staff/journey_detail.html",
        {"organizer": organizer, "journey": journey, "steps": steps, "funnel": funnel},
    )


@require_POST
@login_required
def journey_switch(request, organizer_slug: str, pk: int):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.CAMPAIGNS)
    journey = get_object_or_404(Journey, pk=pk, organizer=organizer)
    active = request.POST.get("active") == "1"
    journey_templates.journey_switch(journey=journey, actor=request.user, active=active)
    messages.success(request, _("Parcours démarré.") if active else _("Parcours arrêté."))
    return redirect("staff:campaign_journey", organizer.slug, journey.pk)

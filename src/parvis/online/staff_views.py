"""The staff page of a date's online access: where the content is and when it opens, its resources, the
audience (unique viewers, devices, peak at once, watching now), and each access, revoked or given a new
link by the staff."""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Max, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.core.params import int_or_none
from parvis.network.permissions import Perm, has_organizer_perm, require_organizer_perm
from parvis.programming.models import Performance

from . import access as checks
from . import services
from .models import OnlineAccess, OnlineContent, OnlineResource

MAX_UPLOAD = 20 * 1024 * 1024
ACCESSES_SHOWN = 200


class ContentForm(forms.ModelForm):
    class Meta:
        model = OnlineContent
        fields = list(services.CONTENT_FIELDS)


@login_required
def performance_online(request, organizer_slug: str, performance_pk: int):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.SALES_VIEW)
    performance = get_object_or_404(
        Performance.objects.select_related("event", "venue"), pk=performance_pk, organizer=organizer
    )
    content = services.content_of(performance)
    can_change = has_organizer_perm(request.user, organizer, Perm.PROGRAMMING_CHANGE)
    can_revoke = has_organizer_perm(request.user, organizer, Perm.SALES_CHANGE)
    form = ContentForm(instance=content)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action in ("content", "resource_add", "resource_delete") and not can_change:
            raise PermissionDenied
        if action in ("revoke", "renew") and not can_revoke:
            raise PermissionDenied
        if action == "content":
            form = ContentForm(request.POST, instance=content)
            if form.is_valid():
                try:
                    services.content_save(
                        actor=request.user, content=content, values=form.cleaned_data, request=request
                    )
                except ValidationError as exc:
                    form.add_error(None, exc)
                else:
                    messages.success(request, _("Contenu en ligne enregistré."))
                    return redirect(request.path)
        else:
            done = _other_post(request, content, action)
            if done is not None:
                return done
    services.grant_performance(performance)
    now = timezone.now()
    live_since = now - datetime.timedelta(seconds=checks.LIVE_SECONDS)
    accesses = (
        OnlineAccess.objects.filter(content=content)
        .select_related("ticket__tariff", "membership")
        .annotate(
            devices_now=Count(
                "viewings__device",
                filter=Q(viewings__ended_at__isnull=True, viewings__last_seen_at__gte=live_since),
                distinct=True,
            ),
            last_seen=Max("viewings__last_seen_at"),
        )
        .order_by("-created_at")[:ACCESSES_SHOWN]
    )
    rows = [(a, checks.state_of(a, now)) for a in accesses]
    return render(
        request,
        "online/staff/performance.html",
        {
            "organizer": organizer,
            "performance": performance,
            "event": performance.event,
            "content": content,
            "form": form,
            "audience": services.audience(content, now),
            "rows": rows,
            "online_tariffs": [t for t in performance.tariffs.all() if t.online],
            "can_change": can_change,
            "can_revoke": can_revoke,
        },
        status=400 if form.errors else 200,
    )


def _other_post(request, content, action: str):
    if action == "resource_add":
        upload, title = request.FILES.get("file"), request.POST.get("title", "").strip()[:200]
        if upload is None or not title:
            messages.error(request, _("Donnez un titre et choisissez un fichier."))
        elif upload.size > MAX_UPLOAD:
            messages.error(request, _("Fichier trop lourd : 20 Mo au plus."))
        else:
            OnlineResource.objects.create(content=content, title=title, file=upload)
            messages.success(request, _("Ressource ajoutée."))
        return redirect(request.path)
    if action == "resource_delete":
        OnlineResource.objects.filter(content=content, pk=int_or_none(request.POST.get("resource"))).delete()
        return redirect(request.path)
    found = OnlineAccess.objects.filter(content=content, pk=int_or_none(request.POST.get("access"))).first()
    if found is None:
        return None
    if action == "revoke":
        services.access_revoke(
            actor=request.user, access=found, reason=request.POST.get("reason", "").strip(), request=request
        )
        messages.success(request, _("Accès révoqué : le lien n'ouvre plus rien."))
    elif action == "renew":
        services.access_renew(actor=request.user, access=found, request=request)
        messages.success(request, _("Nouveau lien envoyé ; l'ancien ne fonctionne plus."))
    return redirect(request.path)

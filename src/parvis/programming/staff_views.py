"""Staff pages of the programming: events, dates, publication; network curation."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parvis.core.models import AuditLogEntry
from parvis.core.params import is_digits
from parvis.core.text import fold
from parvis.network.permissions import (
    Perm,
    has_organizer_perm,
    require_network_perm,
    require_organizer_perm,
)

from . import services
from .filters import parse_agenda_filters
from .forms import DuplicateDateForm, EventForm, PerformancesForm, PerformanceStatusForm
from .models import Event, EventStatus, Festival, Performance


def _validation_messages(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


@login_required
def event_list(request, organizer_slug: str):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.PROGRAMMING_VIEW)
    events = organizer.events.order_by("-updated_at")
    status = request.GET.get("status")
    if status in EventStatus.values:
        events = events.filter(status=status)
    return render(
        request,
        "programming/staff/event_list.html",
        {
            "organizer": organizer,
            "events": events,
            "status": status,
            "can_change": has_organizer_perm(request.user, organizer, Perm.PROGRAMMING_CHANGE),
        },
    )


@login_required
def event_create(request, organizer_slug: str):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.PROGRAMMING_CHANGE)
    form = EventForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.event_create(
                actor=request.user, organizer=organizer, data=form.cleaned_data, request=request
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Évènement créé. Ajoutez maintenant ses dates."))
            return redirect("staff:event_detail", organizer_slug=organizer.slug, event_pk=event.pk)
    return render(
        request,
        "programming/staff/event_form.html",
        {"organizer": organizer, "form": form},
        status=400 if form.errors else 200,
    )


def _staff_event(request, organizer_slug: str, event_pk: int, perm: Perm):
    organizer = require_organizer_perm(request.user, organizer_slug, perm)
    return organizer, get_object_or_404(Event, pk=event_pk, organizer=organizer)


@login_required
def event_edit(request, organizer_slug: str, event_pk: int):
    organizer, event = _staff_event(request, organizer_slug, event_pk, Perm.PROGRAMMING_CHANGE)
    form = EventForm(request.POST or None, request.FILES or None, instance=event)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        # form.is_valid() already wrote the values onto the instance; reload to audit the real "before".
        event.refresh_from_db()
        try:
            services.event_update(actor=request.user, event=event, data=data, request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Modifications enregistrées."))
            return redirect("staff:event_detail", organizer_slug=organizer.slug, event_pk=event.pk)
    return render(
        request,
        "programming/staff/event_form.html",
        {"organizer": organizer, "form": form, "event": event},
        status=400 if form.errors else 200,
    )


@login_required
def event_detail(request, organizer_slug: str, event_pk: int):
    organizer, event = _staff_event(request, organizer_slug, event_pk, Perm.PROGRAMMING_VIEW)
    can_change = has_organizer_perm(request.user, organizer, Perm.PROGRAMMING_CHANGE)
    form = PerformancesForm(organizer=organizer, initial={"venue": organizer.venues.first()})
    if request.method == "POST":
        if not can_change:
            return render(request, "403.html", status=403)
        form = PerformancesForm(request.POST, organizer=organizer)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data.get("date_to"):
                    weekdays = data["weekdays"] or [data["date_from"].weekday()]
                    dates = services.recurring_dates(
                        date_from=data["date_from"],
                        date_to=data["date_to"],
                        weekdays=weekdays,
                        times=data["times"],
                    )
                else:
                    dates = [(data["date_from"], t) for t in data["times"]]
                created = services.performances_create(
                    actor=request.user,
                    event=event,
                    venue=data["venue"],
                    space=data["space"],
                    dates=dates,
                    duration=(
                        datetime.timedelta(minutes=data["duration_minutes"])
                        if data["duration_minutes"]
                        else None
                    ),
                    status=data["status"],
                    capacity=data["capacity"],
                    request=request,
                )
            except ValidationError as exc:
                for message in _validation_messages(exc):
                    form.add_error(None, message)
            else:
                messages.success(request, _("%(n)d date(s) ajoutée(s).") % {"n": len(created)})
                return redirect("staff:event_detail", organizer_slug=organizer.slug, event_pk=event.pk)
    performances = event.performances.select_related("venue", "space").order_by("starts_at")
    return render(
        request,
        "programming/staff/event_detail.html",
        {
            "organizer": organizer,
            "event": event,
            "performances": performances,
            "form": form,
            "can_change": can_change,
            "status_form": PerformanceStatusForm(),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def event_status(request, organizer_slug: str, event_pk: int):
    organizer, event = _staff_event(request, organizer_slug, event_pk, Perm.PROGRAMMING_CHANGE)
    try:
        services.event_set_status(
            actor=request.user, event=event, status=request.POST.get("status", ""), request=request
        )
    except ValidationError as exc:
        for message in _validation_messages(exc):
            messages.error(request, message)
    else:
        if event.status == EventStatus.PUBLISHED:
            messages.success(request, _("Évènement publié."))
        else:
            messages.success(request, _("Évènement repassé en brouillon."))
    return redirect("staff:event_detail", organizer_slug=organizer.slug, event_pk=event.pk)


@login_required
@require_POST
def performance_status(request, organizer_slug: str, event_pk: int, performance_pk: int):
    organizer, event = _staff_event(request, organizer_slug, event_pk, Perm.PROGRAMMING_CHANGE)
    performance = get_object_or_404(Performance, pk=performance_pk, event=event)
    form = PerformanceStatusForm(request.POST)
    if form.is_valid():
        services.performance_update(
            actor=request.user,
            performance=performance,
            data={"status": form.cleaned_data["status"]},
            request=request,
        )
        messages.success(request, _("État de la date modifié."))
    else:
        messages.error(request, _("État inconnu."))
    return redirect("staff:event_detail", organizer_slug=organizer.slug, event_pk=event.pk)


@login_required
@require_POST
def event_duplicate(request, organizer_slug: str, event_pk: int):
    organizer, event = _staff_event(request, organizer_slug, event_pk, Perm.PROGRAMMING_CHANGE)
    copy = services.event_duplicate(actor=request.user, event=event, request=request)
    messages.success(
        request, _("Copie créée en brouillon, avec les tarifs de l'évènement. Ajoutez-lui ses dates.")
    )
    return redirect("staff:event_edit", organizer_slug=organizer.slug, event_pk=copy.pk)


@login_required
def performance_duplicate(request, organizer_slug: str, event_pk: int, performance_pk: int):
    organizer, event = _staff_event(request, organizer_slug, event_pk, Perm.PROGRAMMING_CHANGE)
    source = get_object_or_404(
        Performance.objects.select_related("venue", "space"), pk=performance_pk, event=event
    )
    local = source.local_starts_at
    form = DuplicateDateForm(
        request.POST or None, initial={"day": local.date() + datetime.timedelta(days=7), "time": local.time()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            copy = services.performance_duplicate(
                actor=request.user,
                source=source,
                day=form.cleaned_data["day"],
                time=form.cleaned_data["time"],
                request=request,
            )
        except ValidationError as exc:
            for message in _validation_messages(exc):
                form.add_error(None, message)
        else:
            messages.success(request, _("Date dupliquée, avec ses tarifs et ses contingents."))
            return redirect("staff:performance_sales", organizer_slug=organizer.slug, performance_pk=copy.pk)
    return render(
        request,
        "programming/staff/performance_duplicate.html",
        {"organizer": organizer, "event": event, "source": source, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def network_curation(request, network_slug: str):
    network = require_network_perm(request.user, network_slug, Perm.NETWORK_CURATE)
    filters, form = parse_agenda_filters(request.GET)
    events_qs = (
        Event.objects.filter(
            status=EventStatus.PUBLISHED,
            share_with_network=True,
            organizer__network_memberships__network=network,
        )
        .select_related("organizer")
        .order_by("title")
    )
    if filters.q:
        for word in fold(filters.q).split():
            events_qs = events_qs.filter(search_text__contains=word)
    featured_ids = set(network.featured.values_list("event_id", flat=True))
    audit_entries = AuditLogEntry.objects.filter(network=network).order_by("-created_at", "-id")[:30]
    return render(
        request,
        "programming/staff/network_curation.html",
        {
            "network": network,
            "events": events_qs[:100],
            "featured_ids": featured_ids,
            "form": form,
            "festivals": network.festivals.all(),
            "audit_entries": audit_entries,
        },
    )


@login_required
@require_POST
def network_feature(request, network_slug: str, event_pk: int):
    network = require_network_perm(request.user, network_slug, Perm.NETWORK_CURATE)
    event = get_object_or_404(Event, pk=event_pk, organizer__network_memberships__network=network)
    featured = request.POST.get("featured") == "1"
    try:
        services.network_feature_event(
            actor=request.user, network=network, event=event, featured=featured, request=request
        )
    except ValidationError as exc:
        for message in _validation_messages(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("Mis à la une.") if featured else _("Retiré de la une."))
    return redirect("staff:network_curation", network_slug=network.slug)


@login_required
def festival_edit(request, network_slug: str, festival_pk: int):
    network = require_network_perm(request.user, network_slug, Perm.NETWORK_CURATE)
    festival = get_object_or_404(Festival, pk=festival_pk, network=network)
    candidates = (
        Event.objects.filter(status=EventStatus.PUBLISHED, organizer__network_memberships__network=network)
        .select_related("organizer")
        .order_by("organizer__name", "title")
    )
    if request.method == "POST":
        ids = [int(i) for i in request.POST.getlist("events") if is_digits(i)]
        try:
            services.festival_set_selection(
                actor=request.user, festival=festival, events=candidates.filter(pk__in=ids), request=request
            )
        except ValidationError as exc:
            for message in _validation_messages(exc):
                messages.error(request, message)
        else:
            messages.success(request, _("Sélection du festival enregistrée."))
            return redirect("staff:festival_edit", network_slug=network.slug, festival_pk=festival.pk)
    selected = set(festival.events.values_list("pk", flat=True))
    return render(
        request,
        "programming/staff/festival_edit.html",
        {
            "network": network,
            "festival": festival,
            "candidates": candidates,
            "selected": selected,
        },
    )

"""Staff pages of prices: an event's price list, and one date's tariff edited or closed on its own."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from parvis.network.permissions import Perm, has_organizer_perm, require_organizer_perm
from parvis.programming.models import Event

from . import services
from .models import EventPrice, Tariff
from .staff_forms import EventPriceForm, TariffEditForm


def _form_errors(form, exc: ValidationError) -> None:
    for message in exc.messages:
        form.add_error(None, message)


@login_required
def event_prices(request, organizer_slug: str, event_pk: int):
    """The event's price list: one line per tariff, applied to every coming date."""
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.PROGRAMMING_VIEW)
    event = get_object_or_404(Event, pk=event_pk, organizer=organizer)
    can_change = has_organizer_perm(request.user, organizer, Perm.PROGRAMMING_CHANGE)
    form = EventPriceForm(prefix="price")
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        form = EventPriceForm(request.POST, prefix="price")
        if form.is_valid():
            try:
                services.price_create(actor=request.user, event=event, request=request, **form.cleaned_data)
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Tarif ajouté à toutes les dates à venir."))
                return redirect("staff:event_prices", organizer_slug=organizer.slug, event_pk=event.pk)
    entries = list(EventPrice.objects.filter(event=event))
    exceptions = {}
    for tariff in Tariff.objects.filter(
        list_price__in=entries, is_exception=True, performance__in=services.coming_dates(event)
    ).select_related("performance__venue"):
        exceptions.setdefault(tariff.list_price_id, []).append(tariff)
    return render(
        request,
        "ticketing/staff/event_prices.html",
        {
            "organizer": organizer,
            "event": event,
            "entries": [(e, exceptions.get(e.pk, [])) for e in entries],
            "dates": services.coming_dates(event).count(),
            "form": form,
            "can_change": can_change,
        },
        status=400 if form.errors else 200,
    )


@login_required
def event_price_edit(request, organizer_slug: str, event_pk: int, price_pk: int):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.PROGRAMMING_CHANGE)
    entry = get_object_or_404(
        EventPrice.objects.select_related("event"), pk=price_pk, event_id=event_pk, event__organizer=organizer
    )
    form = EventPriceForm(request.POST or None, instance=entry)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            n = services.price_update(actor=request.user, entry=entry, data=data, request=request)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Tarif modifié à %(n)d date(s) à venir.") % {"n": n})
            return redirect("staff:event_prices", organizer_slug=organizer.slug, event_pk=event_pk)
    return render(
        request,
        "ticketing/staff/event_price_edit.html",
        {"organizer": organizer, "event": entry.event, "entry": entry, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def tariff_edit(request, organizer_slug: str, performance_pk: int, tariff_pk: int):
    """One date's tariff: edit it (it becomes this date's exception), close it, or align it again."""
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.PROGRAMMING_CHANGE)
    tariff = get_object_or_404(
        Tariff.objects.select_related("performance__event", "performance__venue", "list_price"),
        pk=tariff_pk,
        performance_id=performance_pk,
        performance__organizer=organizer,
    )
    back = redirect("staff:performance_sales", organizer_slug=organizer.slug, performance_pk=performance_pk)
    if request.method == "POST" and request.POST.get("realign") == "1":
        try:
            services.tariff_realign(actor=request.user, tariff=tariff, request=request)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Ce tarif suit de nouveau les tarifs de l'évènement."))
        return back
    form = TariffEditForm(request.POST or None, instance=tariff, prefix="tariff")
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.tariff_update(actor=request.user, tariff=tariff, data=data, request=request)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Tarif de la date modifié."))
            return back
    return render(
        request,
        "ticketing/staff/tariff_edit.html",
        {
            "organizer": organizer,
            "tariff": tariff,
            "performance": tariff.performance,
            "event": tariff.performance.event,
            "form": form,
        },
        status=400 if form.errors else 200,
    )

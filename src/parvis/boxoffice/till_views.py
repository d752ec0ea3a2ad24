"""The till's life at the counter: drawers, opening and closing a till, cash in and out, corrections of a
means of payment, the till reports and the journal's closures."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parvis.ticketing.providers import COUNTER_METHODS

from . import journal, services
from .forms import CashMoveForm, DrawerForm, SessionCloseForm, SessionOpenForm
from .models import Chain, Closure, ClosureKind, EntryKind, TillSession
from .staff_views import (
    ERRORS,
    error_text,
    int_param,
    organizer_for,
    session_required,
)


@login_required
@require_POST
def drawer_add(request, organizer_slug: str):
    organizer = organizer_for(request, organizer_slug)
    form = DrawerForm(request.POST)
    if form.is_valid():
        try:
            services.drawer_create(actor=request.user, organizer=organizer, name=form.cleaned_data["name"])
        except IntegrityError:
            messages.error(request, _("Une caisse porte déjà ce nom."))
    return redirect("staff:boxoffice", organizer.slug)


@login_required
@require_POST
def session_open(request, organizer_slug: str):
    organizer = organizer_for(request, organizer_slug)
    form = SessionOpenForm(request.POST, organizer=organizer)
    if not form.is_valid():
        return render(
            request,
            "boxoffice/open.html",
            {"organizer": organizer, "form": form, "drawer_form": DrawerForm()},
        )
    try:
        services.session_open(actor=request.user, **form.cleaned_data)
    except (services.CounterError, IntegrityError) as exc:
        messages.error(
            request, error_text(exc) if isinstance(exc, services.CounterError) else ERRORS["drawer_busy"]
        )
    return redirect("staff:boxoffice", organizer.slug)


@login_required
@require_POST
def cash_move(request, organizer_slug: str):
    organizer = organizer_for(request, organizer_slug)
    session = session_required(request, organizer)
    form = CashMoveForm(request.POST)
    if form.is_valid():
        amount = form.cleaned_data["amount"] * (1 if form.cleaned_data["direction"] == "in" else -1)
        try:
            services.cash_move(
                session=session, actor=request.user, amount=amount, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Mouvement d'espèces enregistré."))
        except services.CounterError as exc:
            messages.error(request, error_text(exc))
    else:
        messages.error(request, _("Indiquez le montant et le motif du mouvement."))
    return redirect("staff:boxoffice", organizer.slug)


@login_required
def session_close(request, organizer_slug: str):
    organizer = organizer_for(request, organizer_slug)
    session = session_required(request, organizer)
    form = SessionCloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            closed = services.session_close(session=session, actor=request.user, **form.cleaned_data)
        except services.CounterError as exc:
            messages.error(request, error_text(exc))
        else:
            return redirect("staff:boxoffice_session", organizer.slug, closed.pk)
    return render(
        request,
        "boxoffice/close.html",
        {
            "organizer": organizer,
            "session": session,
            "form": form,
            "summary": services.session_summary(session),
            "sales": session.entries.filter(kind=EntryKind.SALE).exclude(order_code="").order_by("seq"),
            "methods": COUNTER_METHODS,
        },
    )


@login_required
@require_POST
def correct_method(request, organizer_slug: str):
    organizer = organizer_for(request, organizer_slug)
    session = session_required(request, organizer)
    try:
        services.method_correction(
            session=session,
            actor=request.user,
            entry_seq=int_param(request.POST.get("entry")),
            from_method=request.POST.get("from_method", ""),
            to_method=request.POST.get("to_method", ""),
            reason=request.POST.get("reason", ""),
        )
    except services.CounterError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Correction enregistrée au journal."))
    return redirect("staff:boxoffice_close", organizer.slug)


@login_required
def session_report(request, organizer_slug: str, session_pk: int):
    organizer = organizer_for(request, organizer_slug)
    session = get_object_or_404(
        TillSession.objects.select_related("drawer", "staff"), pk=session_pk, organizer=organizer
    )
    return render(
        request,
        "boxoffice/session_report.html",
        {
            "organizer": organizer,
            "session": session,
            "summary": services.session_summary(session),
            "entries": session.entries.order_by("seq"),
            "methods": COUNTER_METHODS,
        },
    )


@login_required
def closures(request, organizer_slug: str):
    organizer = organizer_for(request, organizer_slug)
    chain = Chain.TRAINING if request.GET.get("formation") else Chain.LIVE
    journal.closures_generate(organizer, chain)
    return render(
        request,
        "boxoffice/closures.html",
        {
            "organizer": organizer,
            "chain": chain,
            "closures": Closure.objects.filter(organizer=organizer, chain=chain).order_by("-seq")[:200],
        },
    )


@login_required
def closure_detail(request, organizer_slug: str, closure_pk: int):
    organizer = organizer_for(request, organizer_slug)
    closure = get_object_or_404(Closure, pk=closure_pk, organizer=organizer)
    return render(
        request,
        "boxoffice/closure.html",
        {"organizer": organizer, "closure": closure, "methods": COUNTER_METHODS, "kinds": ClosureKind},
    )

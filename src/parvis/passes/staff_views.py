"""Staff pages: an organizer's passes (create, follow, find a holder's pass); a network's settlements."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.core.audit import audit_record
from parvis.core.params import date_or_none, id_param
from parvis.network.permissions import Perm, has_organizer_perm, require_network_perm, require_organizer_perm
from parvis.ticketing.errors import SaleError

from . import selectors, services, settlements
from .forms import PassProductForm
from .models import PassEntry, PassHolding, PassProduct


@login_required
def passes(request, organizer_slug: str):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.SALES_VIEW)
    can_create = has_organizer_perm(request.user, organizer, Perm.ORGANIZER_SETTINGS)
    form = PassProductForm(request.POST or None, organizer=organizer) if can_create else None
    if request.method == "POST" and request.POST.get("action") == "cancel_entry":
        require_organizer_perm(request.user, organizer_slug, Perm.SALES_CHANGE)
        entry = get_object_or_404(
            PassEntry, pk=id_param(request.POST, "entry"), holding__product__organizer=organizer
        )
        try:
            services.pass_entry_cancel(entry=entry, actor=request.user, by_staff=True)
            messages.success(request, _("Réservation annulée : l'entrée est rendue au pass."))
        except SaleError as exc:
            messages.error(request, exc.message)
        return redirect(f"{request.path}?q={entry.holding.code}")
    if request.method == "POST":
        require_organizer_perm(request.user, organizer_slug, Perm.ORGANIZER_SETTINGS)
        if form.is_valid():
            product = form.save(commit=False)
            product.organizer = organizer
            product.save()
            form.save_m2m()
            audit_record(
                actor=request.user,
                action="pass.create",
                instance=product,
                organizer_id=organizer.pk,
                after={"name": product.name, "price": str(product.price), "entries": product.entries},
            )
            messages.success(request, _("Pass créé."))
            return redirect(request.path)
    products = (
        PassProduct.objects.filter(organizer=organizer)
        .annotate(
            sold=Count("holdings", filter=Q(holdings__state=PassHolding.State.ACTIVE), distinct=True),
            used=Sum("holdings__entries_used", filter=Q(holdings__state=PassHolding.State.ACTIVE)),
        )
        .order_by("-valid_until")
    )
    q = request.GET.get("q", "").strip()[:254]
    found = []
    if q:
        found = list(
            PassHolding.objects.filter(product__organizer=organizer)
            .filter(Q(code__iexact=q) | Q(email__iexact=q))
            .select_related("product")[:20]
        )
        for holding in found:
            holding.entry_list = selectors.holding_entries(holding)
    return render(
        request,
        "passes/staff/passes.html",
        {
            "organizer": organizer,
            "products": products,
            "form": form,
            "q": q,
            "found": found,
            "now": timezone.now(),
            "can_change": has_organizer_perm(request.user, organizer, Perm.SALES_CHANGE),
        },
        status=400 if form is not None and form.errors else 200,
    )


@login_required
def network_settlements(request, network_slug: str):
    """The network's settlement statement for a period (CSV to download), and the discovery figures."""
    network = require_network_perm(request.user, network_slug, Perm.NETWORK_SETTLEMENTS)
    festival = network.festivals.order_by("-starts_on").first()  # by default, the latest festival's
    default = f"festival:{festival.slug}" if festival else f"{timezone.localdate():%Y-%m}"
    period = request.GET.get("period", "").strip()[:80] or default
    first, last = (date_or_none(request.GET.get(k)) for k in ("du", "au"))
    if first and last:  # "other dates" win over the list
        period = f"{first:%Y-%m-%d}..{last:%Y-%m-%d}"
    try:
        start, end, label = settlements.period_bounds(period, network=network)
    except ValueError:
        messages.error(request, _("Période inconnue : %(period)s.") % {"period": period[:40]})
        return redirect(request.path)
    statement = settlements.statement_build(network=network, start=start, end=end)
    if request.GET.get("format") == "csv":
        response = HttpResponse(
            "\ufeff" + settlements.statement_csv(statement), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="reversements-{network.slug}-{period}.csv"'
        return response
    return render(
        request,
        "passes/staff/settlements.html",
        {
            "network": network,
            "period": period,
            "label": label,
            "statement": statement,
            "discovery": settlements.discovery(network=network, start=start, end=end),
            "discovering": settlements.holders_discovering(network=network, start=start, end=end),
            "choices": settlements.period_choices(network=network, today=timezone.localdate()),
            "first": start.date(),
            "last": (end - datetime.timedelta(days=1)).date(),
        },
    )

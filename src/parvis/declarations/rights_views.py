"""The authors' societies, month by month: each performance's SACEM and SACD figures, their files (the
month's, or one performance's), and the bar, catering and expenses staff type in."""

import csv
import io
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from parvis.core.audit import audit_record
from parvis.core.params import int_or_none
from parvis.programming.models import Performance

from . import rights, show_tax
from .models import PerformanceRights
from .tax_views import amount_field, month_nav, month_page

RATES = (Decimal("5.50"), Decimal("10.00"), Decimal("20.00"))


@login_required
def rights_month(request, organizer_slug: str):
    organizer, year, month, can_edit, answered = month_page(request, organizer_slug, "rights", _takings)
    if answered:
        return answered
    found = rights.rows(organizer, *show_tax.month_bounds(year, month))
    kind = request.GET.get("format", "")
    if kind in ("sacem", "sacd"):
        only = int_or_none(request.GET.get("representation", ""))
        chosen = [row for row in found if row.performance.pk == only] if only else _of(found, kind)
        return _file(organizer, chosen, kind, f"{year}-{month:02d}" + (f"-{only}" if only else ""))
    return render(
        request,
        "declarations/rights.html",
        {
            **month_nav(year, month),
            "organizer": organizer,
            "rows": found,
            "can_edit": can_edit,
            "rates": RATES,
        },
    )


def _of(found, kind: str):
    return [row for row in found if row.society == kind]


def _file(organizer, chosen, kind: str, suffix: str) -> HttpResponse:
    out = io.StringIO()
    lines = rights.sacem_rows(chosen) if kind == "sacem" else rights.sacd_rows(chosen)
    csv.writer(out, delimiter=";").writerows(lines)
    response = HttpResponse(
        ("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{kind}-{organizer.slug}-{suffix}.csv"'
    return response


def _takings(request, organizer) -> None:
    performance = Performance.objects.filter(
        organizer=organizer, pk=int_or_none(request.POST.get("performance", ""))
    ).first()
    values, bad = {}, performance is None
    for name in rights.TAKINGS:
        amount = amount_field(request.POST.get(name, ""))
        rate = next((r for r in RATES if str(r) == request.POST.get(f"{name}_rate", "")), None)
        bad = bad or amount is False or (amount and rate is None)
        values[name] = [[str(rate), str(amount)]] if amount and rate is not None else []
    expenses = amount_field(request.POST.get("expenses", ""))
    if bad or expenses is False:
        messages.error(request, _("Montant ou taux invalide : rien n'a été enregistré."))
        return
    PerformanceRights.objects.update_or_create(
        performance=performance, defaults={"takings": values, "expenses": expenses}
    )
    audit_record(
        actor=request.user, action="rights.takings", instance=performance, organizer_id=organizer.pk,
        after={**values, "expenses": str(expenses)}, request=request,
    )  # fmt: skip
    messages.success(request, _("Recettes annexes enregistrées."))

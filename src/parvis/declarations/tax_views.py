"""The taxe sur les spectacles, month by month: each performance's body, base and tax with what is
missing, the year's totals per body, each body's spreadsheet; administrators confirm the bodies, the
ASTP exemption and each performance's contract, cession amount and co-production share."""

import csv
import datetime
import io
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.core.audit import audit_record
from parvis.core.params import decimal_or_none, int_or_none, is_digits
from parvis.network.permissions import Perm, has_organizer_perm
from parvis.programming.models import Event, Performance

from . import show_tax
from .inspector import access_log, organizer_for
from .models import EventTax, OrganizerTax, PerformanceTax, TaxBody


def month_param(raw: str) -> tuple[int, int]:
    """ "2026-11" → (2026, 11); anything else: the month before the current one."""
    year, _sep, month = (raw or "").partition("-")
    if is_digits(year, max_len=4) and is_digits(month, max_len=2) and 1 <= int(month) <= 12:
        if 2000 <= int(year) <= 2100:
            return int(year), int(month)
    today = timezone.localdate()
    return (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)


def month_page(request, organizer_slug: str, page: str, act):
    """The head of a monthly declarations page: the organizer (for its staff, or an inspector whose access
    is logged), the month asked, whether the person may change settings; a POST goes to `act` (settings
    only) and answers a redirect to the same month (the last item, else None)."""
    organizer, logged = organizer_for(request, organizer_slug)
    year, month = month_param(request.GET.get("mois", "") or request.POST.get("mois", ""))
    if logged:
        access_log(request, organizer, page, month=f"{year}-{month:02d}")
    can_edit = has_organizer_perm(request.user, organizer, Perm.ORGANIZER_SETTINGS)
    if request.method != "POST":
        return organizer, year, month, can_edit, None
    if not can_edit:
        raise PermissionDenied
    act(request, organizer)
    return organizer, year, month, can_edit, redirect(f"{request.path}?mois={year}-{month:02d}")


def month_nav(year: int, month: int) -> dict:
    """The month shown and the links to the months around it."""
    first = datetime.date(year, month, 1)
    previous = first - datetime.timedelta(days=1)
    following = first + datetime.timedelta(days=31)
    return {
        "year": year,
        "month": month,
        "first": first,
        "previous": f"{previous.year}-{previous.month:02d}",
        "following": f"{following.year}-{following.month:02d}",
    }


@login_required
def show_tax_month(request, organizer_slug: str):
    organizer, year, month, can_edit, answered = month_page(request, organizer_slug, "show_tax", _action)
    if answered:
        return answered
    found = show_tax.rows(organizer, *show_tax.month_bounds(year, month))
    body = request.GET.get("format", "")
    if body in show_tax.TAXED:
        return _export(organizer, found, body, year, month)
    profile = OrganizerTax.objects.filter(organizer=organizer).first()
    return render(
        request,
        "declarations/show_tax.html",
        {
            **month_nav(year, month),
            "organizer": organizer,
            "rows": found,
            "to_fix": sum(1 for row in found if row.warnings),
            "can_edit": can_edit,
            "subsidised": bool(profile and profile.subsidised),
            "events": _events(found),
            "bodies": TaxBody.choices,
            "year_totals": _year_totals(organizer, year),
            "threshold": show_tax.THRESHOLD,
        },
    )


def _events(found) -> list[tuple]:
    """The month's events once each, with their confirmed body and the one proposed."""
    seen = {}
    for row in found:
        event = row.performance.event
        seen.setdefault(event.pk, (event, row.body, row.proposed))
    return list(seen.values())


def _year_totals(organizer, year: int) -> list[tuple]:
    totals = show_tax.year_totals(organizer, year)
    return [(TaxBody(body).label, total) for body, total in sorted(totals.items())]


def _export(organizer, found, body: str, year: int, month: int) -> HttpResponse:
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(show_tax.export_rows(found, body))
    response = HttpResponse(
        ("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    name = f"taxe-{body}-{organizer.slug}-{year}-{month:02d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _action(request, organizer) -> None:
    action = request.POST.get("action", "")
    if action == "body":
        _body(request, organizer)
    elif action == "profile":
        subsidised = request.POST.get("subsidised") == "1"
        OrganizerTax.objects.update_or_create(organizer=organizer, defaults={"subsidised": subsidised})
        audit_record(
            actor=request.user, action="show_tax.profile", instance=organizer, organizer_id=organizer.pk,
            after={"subsidised": subsidised}, request=request,
        )  # fmt: skip
        messages.success(request, _("Statut de la structure enregistré."))
    elif action == "performance":
        _performance(request, organizer)


def _body(request, organizer) -> None:
    event = Event.objects.filter(organizer=organizer, pk=int_or_none(request.POST.get("event", ""))).first()
    body = request.POST.get("body", "")
    if event is None or body not in TaxBody.values:
        messages.error(request, _("Choisissez un évènement et un organisme."))
        return
    before = EventTax.objects.filter(event=event).values_list("body", flat=True).first()
    EventTax.objects.update_or_create(event=event, defaults={"body": body, "decided_by": request.user})
    audit_record(
        actor=request.user, action="show_tax.body", instance=event, organizer_id=organizer.pk,
        before={"body": before}, after={"body": body}, request=request, label=event.title,
    )  # fmt: skip
    messages.success(
        request, _("« %(event)s » : %(body)s.") % {"event": event.title, "body": TaxBody(body).label}
    )


def _performance(request, organizer) -> None:
    performance = Performance.objects.filter(
        organizer=organizer, pk=int_or_none(request.POST.get("performance", ""))
    ).first()
    cession = amount_field(request.POST.get("cession_amount", ""))
    share = amount_field(request.POST.get("share", ""))
    share = Decimal(100) if share is None else share
    if performance is None or cession is False or share is False or not (0 < share <= 100):
        messages.error(
            request,
            _("Montant de cession invalide ou part hors de 0 à 100 % : rien n'a été enregistré."),
        )
        return
    values = {
        "private_contract": request.POST.get("private_contract") == "1",
        "cession_amount": cession,
        "share": share,
    }
    PerformanceTax.objects.update_or_create(performance=performance, defaults=values)
    audit_record(
        actor=request.user, action="show_tax.performance", instance=performance, organizer_id=organizer.pk,
        after={k: str(v) for k, v in values.items()}, request=request,
    )  # fmt: skip
    messages.success(request, _("Représentation enregistrée."))


def amount_field(raw: str):
    """An amount ≥ 0 as typed, None when empty, False when it is not one."""
    if not raw.strip():
        return None
    value = decimal_or_none(raw)
    if value is None or value < 0 or value >= 10**8:
        return False
    return value.quantize(Decimal("0.01"))

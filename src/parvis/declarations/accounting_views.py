"""Accounting: for a period (a month by default), the VAT owed as seller of record per rate, the accounting
feed in the FEC format with what is missing, and the organizer's chart of accounts for it."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.core.audit import audit_record
from parvis.core.params import date_or_none, int_or_none
from parvis.network.permissions import Perm, has_organizer_perm

from . import fec, self_billing, vat, vat_rates
from .inspector import access_log, organizer_for
from .models import AccountMapping, EventVat, Territory, VenueTax

MAX_DAYS = 400


def _period(data) -> tuple[datetime.date, datetime.date]:
    """The days asked (du, au), or the previous month; at most a little more than a year."""
    first, last = date_or_none(data.get("du")), date_or_none(data.get("au"))
    if first and last and first <= last and (last - first).days <= MAX_DAYS:
        return first, last
    this_month = timezone.localdate().replace(day=1)
    last = this_month - datetime.timedelta(days=1)
    return last.replace(day=1), last


@login_required
def accounting(request, organizer_slug: str):
    organizer, logged = organizer_for(request, organizer_slug)
    first, last = _period(request.GET if request.method == "GET" else request.POST)
    if logged:
        access_log(request, organizer, "accounting", first=str(first), last=str(last))
    can_edit = has_organizer_perm(request.user, organizer, Perm.ORGANIZER_SETTINGS)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        action = request.POST.get("action", "chart")
        if action == "chart":
            _chart_save(request, organizer)
        else:
            _vat_settings(request, organizer, action)
        return redirect(f"{request.path}?du={first}&au={last}")
    if request.GET.get("format") == "fec":
        text = fec.feed_text(fec.feed_rows(organizer, first, last))
        response = HttpResponse(text.encode(fec.ENCODING), content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{fec.file_name(organizer, last)}"'
        return response
    accounts = fec.chart(organizer)
    return render(
        request,
        "declarations/accounting.html",
        {
            "organizer": organizer,
            "first": first,
            "last": last,
            "report": vat.report(organizer, *fec.period_bounds(first, last)),
            "self_billed": self_billing.invoiced_by(organizer, first, last),
            "warnings": fec.warnings(organizer),
            "file_name": fec.file_name(organizer, last),
            "can_edit": can_edit,
            "vat_warnings": vat_rates.warnings(organizer),
            "venues": _venues(organizer),
            "territories": Territory.choices,
            "shows": _shows(organizer),
            "accounts": [
                (key, number, label, str(fec.DEFAULT_ACCOUNTS[key][1]))
                for key, (number, label) in accounts.items()
                if key in fec.DEFAULT_ACCOUNTS
            ],
        },
    )


def _chart_save(request, organizer) -> None:
    changed, refused = {}, []
    current = fec.chart(organizer)
    for key, (_number, default_label) in fec.DEFAULT_ACCOUNTS.items():
        number = request.POST.get(f"n-{key}", "").strip()
        label = request.POST.get(f"l-{key}", "").strip()[:100]
        if not number or (number, label or str(default_label)) == current[key]:
            continue
        if not fec.account_valid(number):
            refused.append(number)
            continue
        AccountMapping.objects.update_or_create(
            organizer=organizer, key=key, defaults={"number": number, "label": label}
        )
        changed[key] = number
    if refused:
        messages.error(
            request,
            _("Numéros de compte refusés (3 chiffres au moins, puis chiffres ou lettres) : %(n)s.")
            % {"n": ", ".join(refused)},
        )
    if changed:
        audit_record(
            actor=request.user, action="accounting.chart", instance=organizer, organizer_id=organizer.pk,
            after=changed, request=request,
        )  # fmt: skip
        messages.success(request, _("Plan de comptes enregistré."))


def _venues(organizer) -> list[tuple]:
    territories = dict(
        VenueTax.objects.filter(venue__organizer=organizer).values_list("venue_id", "territory")
    )
    return [
        (venue, territories.get(venue.pk, Territory.METROPOLE)) for venue in organizer.venues.order_by("name")
    ]


def _shows(organizer) -> list[tuple]:
    """The events with dates to come, and their VAT settings (unsaved defaults for the others)."""
    events = {p.event for p in vat_rates.coming(organizer)[:500]}
    settings = {s.event_id: s for s in EventVat.objects.filter(event__in=events)}
    return [
        (event, settings.get(event.pk) or EventVat(event=event))
        for event in sorted(events, key=lambda e: e.title)
    ]


def _vat_settings(request, organizer, action: str) -> None:
    if action == "venue":
        venue = organizer.venues.filter(pk=int_or_none(request.POST.get("venue", ""))).first()
        territory = request.POST.get("territory", "")
        if venue is None or territory not in Territory.values:
            messages.error(request, _("Choisissez un lieu et un territoire."))
            return
        VenueTax.objects.update_or_create(venue=venue, defaults={"territory": territory})
        after = {"venue": venue.pk, "territory": territory}
    elif action == "event":
        event = organizer.events.filter(pk=int_or_none(request.POST.get("event", ""))).first()
        played = int_or_none(request.POST.get("played_elsewhere", "") or "0", max_len=5)
        if event is None or played is None:
            messages.error(request, _("Indiquez un nombre de représentations (0 ou plus)."))
            return
        values = {
            "new_creation": request.POST.get("new_creation") == "1",
            "played_elsewhere": played,
            "drinks_served": request.POST.get("drinks_served") == "1",
            "drink_included": request.POST.get("drink_included") == "1",
        }
        EventVat.objects.update_or_create(event=event, defaults=values)
        after = {"event": event.pk, **values}
    elif action != "apply":
        return
    if action != "apply":
        audit_record(
            actor=request.user, action="vat.settings", instance=organizer, organizer_id=organizer.pk,
            after=after, request=request,
        )  # fmt: skip
    changed = vat_rates.apply(organizer, request.user, request)
    messages.success(
        request, _("Règles de TVA enregistrées ; %(n)s tarifs de dates à venir alignés.") % {"n": changed}
    )

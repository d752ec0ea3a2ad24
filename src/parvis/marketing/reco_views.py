"""The organizer's settings of its recommendations, beside its campaigns' rules: the balance from
familiar to discovery and how far a suggestion may be, with what the latest training learnt from."""

import datetime
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from parvis.core.money import Money, format_money
from parvis.core.params import date_or_none
from parvis.recommendations import report as reco_report
from parvis.recommendations import selectors as reco
from parvis.recommendations import services as reco_services
from parvis.recommendations.models import Policy

from .staff_views import Owner, _owner


class RecommendationPolicyForm(forms.ModelForm):
    class Meta:
        model = Policy
        fields = ["curiosity", "reach_km", "holdout_percent"]
        widgets = {
            "curiosity": forms.NumberInput(attrs={"type": "range", "min": "0", "max": "1", "step": "0.05"})
        }
        help_texts = {
            "curiosity": gettext_lazy(
                "0 : ce qui ressemble le plus à ce que la personne aime ; 1 : des genres, des lieux et des "
                "spectacles moins connus à découvrir. 0,5 par défaut."
            )
        }


def _reco_owner(request, organizer_slug, network_slug) -> tuple[Owner, dict]:
    """Whose recommendations: an organizer's (its marketers) or a network's (its coordinators)."""
    owner = _owner(request, organizer_slug, network_slug)
    ids = {"organizer_id": owner.organizer.pk} if owner.organizer else {"network_id": owner.network.pk}
    return owner, ids


@login_required
def recommendation_settings(request, organizer_slug=None, network_slug=None):
    owner, ids = _reco_owner(request, organizer_slug, network_slug)
    policy = reco.policy_of(**ids)
    form = RecommendationPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        reco_services.policy_save(policy=form.save(commit=False), actor=request.user)
        messages.success(request, _("Réglages des recommandations enregistrés."))
        return redirect(owner.url("recommendations"))
    return render(
        request,
        "marketing/staff/recommendations.html",
        {
            "owner": owner,
            "form": form,
            "training": reco.latest_training(**ids),
            "list_url": owner.url("list"),
            "report_url": owner.url("recommendations_report"),
        },
        status=400 if form.errors else 200,
    )


@login_required
def recommendation_report(request, organizer_slug=None, network_slug=None):
    """What the suggestions were shown, opened, and changed against the holdout group, over a period (the
    last 90 days by default; `du` and `au`, days included)."""
    owner, ids = _reco_owner(request, organizer_slug, network_slug)
    today = timezone.localdate()
    last = date_or_none(request.GET.get("au")) or today
    first = date_or_none(request.GET.get("du")) or last - datetime.timedelta(days=89)
    if first > last:
        first, last = last, first
    since = timezone.make_aware(datetime.datetime.combine(first, datetime.time.min))
    until = timezone.make_aware(
        datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min)
    )
    report = reco_report.report(ids, since, until)
    return render(
        request,
        "marketing/staff/reco_report.html",
        {
            "owner": owner,
            "first": first,
            "last": last,
            "report": report,
            "compared": [_compared_row(row) for row in report["compared"]],
            "policy": reco.policy_of(**ids),
            "list_url": owner.url("list"),
            "settings_url": owner.url("recommendations"),
        },
    )


def _shown(value: float | None, unit: str, *, signed: bool = False) -> str:
    """A figure as staff read it, in their language: a share in % (a difference of shares in points), a
    number, an amount in euros; rounded, not cut."""
    if value is None:
        return "—"
    sign = "+" if signed and round(value, 3) > 0 else ""
    if unit == "share":
        return f"{sign}{number_format(round(100 * value, 1), 1)} " + (_("pts") if signed else "%")
    if unit == "money":
        return sign + format_money(Money(Decimal(str(round(value, 2))), "EUR"))
    return sign + number_format(round(value, 2), 2)


def _compared_row(row) -> dict:
    low, high = row.low, row.high
    if row.unit == "share" and low is not None:  # a difference of two shares stays within ±100 points
        low, high = max(low, -1.0), min(high, 1.0)
    return {
        "row": row,
        "personal": _shown(row.personal, row.unit),
        "holdout": _shown(row.holdout, row.unit),
        "difference": _shown(row.difference, row.unit, signed=True),
        "interval": (
            f"[{_shown(low, row.unit, signed=True)} ; {_shown(high, row.unit, signed=True)}]"
            if low is not None
            else "—"
        ),
        "relative": _shown(row.relative, "number", signed=True) + " %" if row.relative is not None else "—",
    }

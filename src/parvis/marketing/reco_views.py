"""The organizer's settings of its recommendations, beside its campaigns' rules: the balance from
familiar to discovery and how far a suggestion may be, with what the latest training learnt from."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from parvis.network.permissions import Perm, require_organizer_perm
from parvis.recommendations import selectors as reco
from parvis.recommendations import services as reco_services
from parvis.recommendations.models import Policy


class RecommendationPolicyForm(forms.ModelForm):
    class Meta:
        model = Policy
        fields = ["curiosity", "reach_km"]
        widgets = {
            "curiosity": forms.NumberInput(attrs={"type": "range", "min": "0", "max": "1", "step": "0.05"})
        }
        help_texts = {
            "curiosity": gettext_lazy(
                "0 : ce qui ressemble le plus à ce que la personne aime ; 1 : des genres, des lieux et des "
                "spectacles moins connus à découvrir. 0,5 par défaut."
            )
        }


@login_required
def recommendation_settings(request, organizer_slug: str):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.CAMPAIGNS)
    policy = reco.policy_of(organizer.pk)
    form = RecommendationPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        reco_services.policy_save(policy=form.save(commit=False), actor=request.user)
        messages.success(request, _("Réglages des recommandations enregistrés."))
        return redirect("staff:campaign_recommendations", organizer.slug)
    return render(
        request,
        "marketing/staff/recommendations.html",
        {"organizer": organizer, "form": form, "training": reco.latest_training(organizer.pk)},
        status=400 if form.errors else 200,
    )

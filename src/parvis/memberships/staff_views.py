"""Staff pages: an organizer's membership programmes, their members, finding and cancelling a card."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from parvis.core.audit import audit_record
from parvis.core.params import id_param
from parvis.network.permissions import Perm, has_organizer_perm, require_organizer_perm

from . import selectors, services
from .forms import MembershipLevelForm, MembershipProgramForm, SubscriptionOfferForm
from .models import Membership, MembershipLevel, Subscription, SubscriptionOffer

FORMS = {
    "program": (MembershipProgramForm, "membership_program.create", _l("Programme d'adhésion créé.")),
    "level": (MembershipLevelForm, "membership_level.create", _l("Formule d'adhésion créée.")),
    "offer": (SubscriptionOfferForm, "subscription_offer.create", _l("Formule d'abonnement créée.")),
}


def _settings_forms(request, organizer, can_create: bool) -> dict:
    """The creation forms (administrators only), bound to the POST for the one being submitted."""
    if not can_create:
        return {}
    posted = request.POST.get("action") if request.method == "POST" else None
    return {
        name: form_class(request.POST if posted == name else None, organizer=organizer, prefix=name)
        for name, (form_class, _action, _done) in FORMS.items()
    }


@login_required
def memberships(request, organizer_slug: str):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.SALES_VIEW)
    can_create = has_organizer_perm(request.user, organizer, Perm.ORGANIZER_SETTINGS)
    forms = _settings_forms(request, organizer, can_create)
    if request.method == "POST" and request.POST.get("action") in FORMS:
        require_organizer_perm(request.user, organizer_slug, Perm.ORGANIZER_SETTINGS)
        name = request.POST["action"]
        form = forms[name]
        if form.is_valid():
            created = form.save(commit=False)
            if name != "level":
                created.organizer = organizer
            created.save()
            form.save_m2m()
            audit_record(
                actor=request.user,
                action=FORMS[name][1],
                instance=created,
                organizer_id=organizer.pk,
                after={"name": created.name},
            )
            messages.success(request, str(FORMS[name][2]))
            return redirect(request.path)
    elif request.method == "POST":
        require_organizer_perm(request.user, organizer_slug, Perm.SALES_CHANGE)
        card = get_object_or_404(
            Membership, pk=id_param(request.POST, "membership"), level__program__organizer=organizer
        )
        if request.POST.get("action") == "cancel":
            services.membership_cancel(membership=card, actor=request.user, request=request)
            messages.success(request, _("Carte n° %(code)s annulée.") % {"code": card.code})
        return redirect(f"{request.path}?q={card.code}")
    now = timezone.now()
    valid = Q(memberships__state=Membership.State.ACTIVE, memberships__valid_until__gt=now)
    levels = (
        MembershipLevel.objects.filter(program__organizer=organizer)
        .select_related("program__network")
        .annotate(
            members=Count("memberships", filter=valid),
            ending=Count(
                "memberships",
                filter=valid & Q(memberships__valid_until__lte=now + services.RENEWABLE_BEFORE / 4),
            ),
        )
        .order_by("program__name", "position", "price")
    )
    q = request.GET.get("q", "").strip()[:254]
    found = list(selectors.members_of(organizer, query=q)[:20]) if q else []
    offers = SubscriptionOffer.objects.filter(organizer=organizer).annotate(
        subscribers=Count("subscriptions", filter=Q(subscriptions__state=Subscription.State.ACTIVE))
    )
    subscribers = list(selectors.subscribers_of(organizer, query=q)[:20]) if q else []
    return render(
        request,
        "memberships/staff/memberships.html",
        {
            "organizer": organizer,
            "levels": levels,
            "q": q,
            "found": found,
            "offers": offers,
            "subscribers": subscribers,
            "forms": forms,
            "can_change": has_organizer_perm(request.user, organizer, Perm.SALES_CHANGE),
        },
        status=400 if any(form.errors for form in forms.values()) else 200,
    )

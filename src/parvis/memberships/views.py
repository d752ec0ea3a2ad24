"""The member's side: join, see and download the card, use it when buying, renew it in one click."""

import hmac

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parvis.ticketing import services as sales
from parvis.ticketing.errors import SaleError
from parvis.ticketing.public import payment_target

from . import selectors, services
from .forms import MembershipJoinForm, RenewForm
from .models import Membership, MembershipProgram
from .pdf import card_pdf

SESSION_KEY = "parvis_membership"


def remember(request, membership: Membership) -> None:
    """This browser buys as this member from now on (the cart applies the card's benefits)."""
    request.session[SESSION_KEY] = membership.pk


def remembered(request) -> Membership | None:
    membership_id = request.session.get(SESSION_KEY)
    if not membership_id:
        return None
    return Membership.objects.select_related("level__program").filter(pk=membership_id).first()


def _online_providers(price) -> dict:
    providers = sales.enabled_providers()
    if price == 0:
        return {c: p for c, p in providers.items() if c == "free"}
    return {c: p for c, p in providers.items() if c not in ("free", "transfer")}


def program_join(request, program_id: int):
    program = get_object_or_404(
        MembershipProgram.objects.select_related("organizer", "network"), pk=program_id, on_sale=True
    )
    levels = selectors.levels_on_sale(program)
    if not levels:
        raise Http404
    providers = _online_providers(min(level.price for level in levels) if len(levels) == 1 else 1)
    form = MembershipJoinForm(request.POST or None, levels=levels, providers=providers)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = services.membership_order_place(
                level=data["level"],
                provider_code=data["provider"],
                other_names=data["other_names"],
                buyer=sales.Buyer(
                    email=data["email"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    language=translation.get_language() or "fr",
                ),
            )
        except SaleError as exc:
            form.add_error(None, exc.message)
        else:
            for membership in order.memberships.all():
                remember(request, membership)
            return redirect(payment_target(request, order, data["provider"]))
    return render(
        request,
        "memberships/join.html",
        {"program": program, "levels": levels, "form": form},
        status=400 if form.errors else 200,
    )


def _membership(code: str, secret: str) -> Membership:
    membership = (
        Membership.objects.select_related("level__program__organizer", "level__program__network", "order")
        .filter(code=code)
        .first()
    )
    if membership is None or not hmac.compare_digest(membership.secret.encode(), secret.encode()):
        raise Http404
    return membership


def card_view(request, code: str, secret: str):
    """The member's page: the card and its QR, what it gives, where, and renewal when it nears its end."""
    membership = _membership(code, secret)
    if membership.state == Membership.State.ACTIVE:
        remember(request, membership)
    return render(
        request,
        "memberships/card.html",
        {
            "membership": membership,
            "level": membership.level,
            "program": membership.level.program,
            "qr": selectors.card_qr_svg(membership) if membership.state == Membership.State.ACTIVE else "",
            "free_events": selectors.free_events_upcoming(membership),
            "renewable": services.renewable(membership),
            "renewal": getattr(membership, "renewal", None),
        },
    )


def card_download(request, code: str, secret: str):
    membership = _membership(code, secret)
    if membership.state != Membership.State.ACTIVE:
        raise Http404
    response = HttpResponse(card_pdf(membership), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="carte-adherent-{membership.code}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


def card_renew(request, code: str, secret: str):
    """The reminder's link: one button renews the same card for another period and goes to payment."""
    membership = _membership(code, secret)
    providers = _online_providers(membership.level.price)
    form = RenewForm(request.POST or None, providers=providers)
    if not services.renewable(membership):
        messages.info(request, SaleError("membership_renewed").message)
        return redirect(membership.get_absolute_url())
    if request.method == "POST" and form.is_valid():
        try:
            order = services.membership_renew(
                membership=membership, provider_code=form.cleaned_data["provider"]
            )
        except SaleError as exc:
            messages.error(request, exc.message)
            return redirect(membership.get_absolute_url())
        remember(request, order.memberships.get())
        return redirect(payment_target(request, order, form.cleaned_data["provider"]))
    return render(
        request,
        "memberships/renew.html",
        {
            "membership": membership,
            "level": membership.level,
            "form": form,
            "period": membership.level.period_from(max(membership.valid_until, timezone.now())),
        },
        status=400 if form.errors else 200,
    )


@require_POST
def card_forget(request):
    """Stop buying as a member in this browser (a shared computer)."""
    request.session.pop(SESSION_KEY, None)
    messages.success(request, _("Cette carte d'adhérent n'est plus utilisée dans ce navigateur."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)

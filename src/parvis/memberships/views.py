"""The member's side: join, see and download the card, use it when buying, renew it in one click."""

import hmac

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parvis.core.params import id_param, is_digits, next_url
from parvis.ticketing import inventory
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Channel, TariffKind, Ticket
from parvis.ticketing.providers import providers_without_places
from parvis.ticketing.public import payment_target

from . import selectors, services, subscriptions
from .forms import MembershipJoinForm, RenewForm, SubscribeForm
from .models import Membership, MembershipProgram, Subscription, SubscriptionOffer
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


def program_join(request, program_id: int):
    program = get_object_or_404(
        MembershipProgram.objects.select_related("organizer", "network"), pk=program_id, on_sale=True
    )
    levels = selectors.levels_on_sale(program)
    if not levels:
        raise Http404
    providers = providers_without_places(min(level.price for level in levels) if len(levels) == 1 else 1)
    form = MembershipJoinForm(
        request.POST or None, levels=levels, providers=providers, sellers=[program.organizer]
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = services.membership_order_place(
                level=data["level"],
                provider_code=data["provider"],
                other_names=data["other_names"],
                buyer=form.buyer(),
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
    providers = providers_without_places(membership.level.price)
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
        # The current card keeps its benefits in this browser; the new one takes over when it starts.
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
    return redirect(next_url(request))


def _offer_rows(offer, *, exclude=()) -> list[dict]:
    """The offer's dates with their subscriber tariff and the places left online."""

    performances = list(
        subscriptions.offer_performances(offer)
        .exclude(pk__in=list(exclude))
        .select_related("event", "venue")
        .prefetch_related("tariffs")
        .order_by("event__title", "starts_at")
    )
    left = inventory.availability(performance_ids=[p.pk for p in performances], channel=Channel.ONLINE)
    rows = []
    for performance in performances:
        tariff = min(
            (t for t in performance.tariffs.all() if t.kind == TariffKind.SUBSCRIBER and t.is_active),
            key=lambda t: (t.price, t.pk),
        )
        rows.append({"performance": performance, "tariff": tariff, "left": left.get(tariff.pk, 0)})
    return rows


def _date_label(row) -> str:
    performance = row["performance"]
    when = formats.date_format(timezone.localtime(performance.starts_at), "l j F Y, H:i")
    label = f"{performance.event.localized_title} — {when} — {row['tariff'].price} €"
    return label + (f" ({_('complet')})" if not row["left"] else "")


def offer_subscribe(request, offer_id: int):
    offer = get_object_or_404(
        SubscriptionOffer.objects.select_related("organizer"), pk=offer_id, on_sale=True
    )
    if offer.season_ends <= timezone.now():
        raise Http404
    rows = _offer_rows(offer)
    providers = providers_without_places(1)
    form = SubscribeForm(
        request.POST or None,
        providers=providers,
        sellers=[offer.organizer],
        minimum=offer.min_shows,
        choices=[(str(r["performance"].pk), _date_label(r)) for r in rows],
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = subscriptions.subscription_order_place(
                offer=offer,
                performance_ids=data["performance"],
                provider_code=data["provider"],
                buyer=form.buyer(),
            )
        except SaleError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect(payment_target(request, order, data["provider"]))
    return render(
        request,
        "memberships/subscribe.html",
        {"offer": offer, "rows": rows, "form": form},
        status=400 if form.errors else 200,
    )


def subscription_view(request, code: str, secret: str):
    """The subscriber's season: the shows (exchange a date), and more shows at the subscriber tariff."""
    subscription = Subscription.objects.select_related("offer__organizer", "order").filter(code=code).first()
    if subscription is None or not hmac.compare_digest(subscription.secret.encode(), secret.encode()):
        raise Http404
    if request.method == "POST":
        try:
            if request.POST.get("action") == "exchange":
                ticket = get_object_or_404(
                    Ticket.objects.select_related("order", "performance"),
                    pk=id_param(request.POST, "ticket"),
                    order__subscription=subscription,
                )
                subscriptions.subscription_exchange(
                    subscription=subscription,
                    ticket=ticket,
                    performance_id=int(request.POST.get("performance") or 0),
                )
                messages.success(request, _("Date échangée : votre nouveau billet est sur cette page."))
            elif request.POST.get("action") == "add":
                provider = request.POST.get("provider", "")
                order = subscriptions.subscription_add(
                    subscription=subscription,
                    performance_ids=[int(pk) for pk in request.POST.getlist("performance") if is_digits(pk)],
                    provider_code=provider,
                )
                return redirect(payment_target(request, order, provider))
        except SaleError as exc:
            messages.error(request, exc.message)
        except ValueError:
            messages.error(request, SaleError("subscription_not_eligible").message)
        return redirect(subscription.get_absolute_url())
    tickets = list(subscriptions.subscription_tickets(subscription).order_by("performance__starts_at"))
    exchanges_left = max(0, subscription.offer.exchanges - subscription.exchanges_used)
    rows = []
    if subscription.state == Subscription.State.ACTIVE:
        rows = _offer_rows(subscription.offer, exclude=[t.performance_id for t in tickets])
        for ticket in tickets:
            ticket.other_dates = [
                r for r in rows if r["performance"].event_id == ticket.performance.event_id and r["left"]
            ]
            ticket.exchangeable = exchanges_left and ticket.performance.starts_at > timezone.now()
    return render(
        request,
        "memberships/subscription.html",
        {
            "subscription": subscription,
            "offer": subscription.offer,
            "tickets": tickets,
            "rows": rows,
            "exchanges_left": exchanges_left,
            "providers": providers_without_places(1),
            "orders": subscription.orders.order_by("created_at"),
        },
    )

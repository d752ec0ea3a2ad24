"""After the purchase: the order page and its PDFs, gift vouchers, waiting lists, the terms of sale."""

import hmac
import re

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parvis.core.compiled import CompiledQuery
from parvis.core.params import id_param
from parvis.crm.privacy import self_service_token
from parvis.network.models import DEFAULT_TERMS_VERSION, Organizer
from parvis.network.selectors import terms_current, terms_of_version
from parvis.programming.models import Performance

from . import extensions, services, waitlist
from .errors import SaleError
from .forms import VoucherBuyForm, WaitlistForm
from .invoicing import invoice_for, invoice_pdf
from .models import (
    Order,
    OrderExtra,
    OrderItem,
    Tariff,
    Ticket,
    Voucher,
    WaitingEntry,
)
from .pdf import order_tickets_pdf
from .providers import providers_without_places
from .receipts import receipt_pdf
from .tasks import send_order_confirmation
from .views import CART_SESSION_KEY, payment_resume, payment_target, providers_to_resume
from .voucher_sales import voucher_order_place

_order_of_code = CompiledQuery(  # the contact too: the order page links to its data page
    Order,
    lambda code: Order.objects.select_related("organizer", "contact").filter(code=code).order_by("pk")[:1],
)


def _order(code: str, secret: str) -> Order:
    order = next(iter(_order_of_code(code)), None)
    if order is None or not hmac.compare_digest(order.secret, secret):
        raise Http404
    return order


def order_view(request, code: str, secret: str):
    order = _order(code, secret)
    if request.method == "POST" and request.POST.get("action") == "self_cancel":
        try:
            services.order_self_cancel(order=order)
        except SaleError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Commande annulée ; le remboursement est en cours."))
        return redirect(order.get_absolute_url())
    if request.method == "POST" and request.POST.get("action") == "pay":
        return redirect(payment_resume(request, order))
    if request.method == "POST" and request.POST.get("action") == "resend" and order.state == "paid":
        send_order_confirmation.enqueue(order_id=order.pk, resend=True)
        messages.success(request, _("Les billets ont été renvoyés à %(email)s.") % {"email": order.email})
        return redirect(order.get_absolute_url())
    paid = order.state == "paid"  # the page shows a paid order's tickets, another's items
    extras = _extras_of_order(order.pk)
    kinds = {extra.kind for extra in extras}  # what else the order bought (as payment_confirm reads it)
    return render(
        request,
        "ticketing/order.html",
        {
            "order": order,
            "tickets": _with_mentions(_tickets_of_order(order.pk)) if paid else [],
            "links": extensions.links_of(order, "") if paid else [],
            "items": [] if paid else _items_of_order(order.pk),
            "vouchers": Voucher.objects.filter(order=order, source=Voucher.Source.ONLINE)
            if OrderExtra.Kind.VOUCHER in kinds
            else [],
            "memberships": order.memberships.select_related("level__program")
            if OrderExtra.Kind.MEMBERSHIP in kinds
            else [],
            "passes": order.pass_holdings.select_related("product") if OrderExtra.Kind.PASS in kinds else [],
            "receipt": OrderExtra.Kind.DONATION in kinds and order.donation_receipts.exists(),
            "state": services.order_effective_state(order),
            "awaiting_transfer": order.state == "pending"
            and order.payments.filter(provider="transfer", state__in=["created", "pending"]).first(),
            "can_self_cancel": services.self_cancellation_allowed(order),
            "can_pay": bool(providers_to_resume(order)),
            # a payment that came too late, returned in full (`payment_confirm`)
            "auto_refunded": order.state == "cancelled"
            and order.payments.filter(state="refunded", amount__gt=0).exists(),
            "extras": extras,
            "privacy_url": reverse("crm:privacy", kwargs={"token": self_service_token(order.contact)})
            if order.contact_id and order.contact.is_active
            else "",
        },
    )


def _with_mentions(tickets):
    for ticket in tickets:
        ticket.mentions = extensions.mentions_of(ticket)
    return tickets


_tickets_of_order = CompiledQuery(
    Ticket,
    lambda order_id: (
        Ticket.objects.filter(order_id=order_id)
        .select_related(
            "performance__event", "performance__venue", "tariff", "slot", *extensions.ticket_relations
        )
        .order_by("performance__starts_at", "number")
    ),
)
_items_of_order = CompiledQuery(
    OrderItem,
    lambda order_id: (
        OrderItem.objects.filter(order_id=order_id)
        .select_related("performance__event", "performance__venue", "tariff")
        .order_by("pk")
    ),
)
_extras_of_order = CompiledQuery(
    OrderExtra, lambda order_id: OrderExtra.objects.filter(order_id=order_id).order_by("pk")
)


def order_pdf(request, code: str, secret: str):
    order = _order(code, secret)
    if order.state != "paid":
        raise Http404
    layout = request.GET.get("format")
    if layout not in ("a4", "compact"):
        layout = order.organizer.ticket_layout
    response = HttpResponse(order_tickets_pdf(order, layout=layout), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="billets-{order.code}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


def order_invoice(request, code: str, secret: str):
    order = _order(code, secret)
    if order.state not in ("paid", "partially_refunded"):
        raise Http404
    invoice = invoice_for(order)
    response = HttpResponse(invoice_pdf(invoice, language=order.language), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="facture-{invoice.code}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


def order_receipt(request, code: str, secret: str):
    """The donation's tax receipt (also e-mailed); a cancelled one says so."""

    receipt = _order(code, secret).donation_receipts.first()
    if receipt is None:
        raise Http404
    response = HttpResponse(receipt_pdf(receipt), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="recu-fiscal-{receipt.reference}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


def voucher_buy(request, organizer_slug: str):
    """Buy a gift voucher online; it is issued and e-mailed once paid."""

    organizer = get_object_or_404(Organizer, slug=organizer_slug, sells_gift_vouchers=True)
    providers = providers_without_places(1)
    form = VoucherBuyForm(request.POST or None, providers=providers, sellers=[organizer])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = voucher_order_place(
                organizer=organizer,
                value=data["value"],
                recipient=data["recipient"],
                provider_code=data["provider"],
                buyer=form.buyer(),
            )
        except SaleError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect(payment_target(request, order, data["provider"]))
    return render(
        request,
        "ticketing/voucher_buy.html",
        {"organizer": organizer, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
def waitlist_join(request, performance_id: int):
    performance = get_object_or_404(Performance.objects.select_related("event"), pk=performance_id)
    tariff = Tariff.objects.filter(
        pk=id_param(request.POST, "tariff"), performance=performance, is_active=True, sold_online=True
    ).first()
    form = WaitlistForm(request.POST)
    if not form.is_valid():  # each error in the person's language, nothing written
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("ticketing:performance", performance_id=performance.pk)
    try:
        if tariff is None:
            raise SaleError("unknown_tariff")
        _entry, rank = waitlist.join(
            tariff=tariff,
            quantity=form.cleaned_data["quantity"] or 1,
            email=form.cleaned_data["email"],
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            language=translation.get_language() or "fr",
        )
    except SaleError as exc:
        messages.error(request, exc.message)
    else:
        text = _(
            "Inscription sur la liste d'attente (rang %(rank)s). Des places libérées vous seront proposées."
        )
        messages.success(request, text % {"rank": rank})
    return redirect("ticketing:performance", performance_id=performance.pk)


def waitlist_offer(request, token: str):
    """The link of the e-mail: the places held for this person become their cart, then checkout."""

    entry = get_object_or_404(WaitingEntry.objects.select_related("cart"), token=token)
    live = (
        entry.state == WaitingEntry.State.OFFERED
        and entry.cart is not None
        and services.cart_live_holds(entry.cart)
    )
    if not live:
        messages.error(
            request,
            _("Cette proposition n'est plus valable : le délai est passé ou les places ont été achetées."),
        )
        return redirect("ticketing:performance", performance_id=entry.performance_id)
    request.session[CART_SESSION_KEY] = entry.cart.token
    return redirect("ticketing:checkout")


def waitlist_leave(request, token: str):
    """Leave a waiting list: a page with a button (a link alone would be followed by mail scanners)."""

    entry = get_object_or_404(WaitingEntry.objects.select_related("performance__event"), token=token)
    if request.method == "POST":
        if waitlist.leave(entry):
            messages.success(request, _("Vous n'êtes plus sur la liste d'attente."))
        return redirect("ticketing:performance", performance_id=entry.performance_id)
    return render(request, "ticketing/waitlist_leave.html", {"entry": entry})


def terms_of_sale(request, organizer_slug: str):
    """An organizer's terms of sale in force, or the version an order names (`?version=v3`); Parvis's
    general terms, drawn from its settings, while it has written none."""

    organizer = get_object_or_404(Organizer, slug=organizer_slug)
    asked = request.GET.get("version", "")
    current = terms_current(organizer_id=organizer.pk)
    if re.fullmatch(r"v\d{1,9}", asked):
        terms = terms_of_version(organizer_id=organizer.pk, version=asked)
        if terms is None:
            raise Http404
        terms = terms if terms.text else None  # emptied: Parvis's general terms applied
    else:  # the terms in force; or Parvis's general terms ("parvis-1", or an order's from before versions)
        terms = None if asked else current
    return render(
        request,
        "ticketing/terms_of_sale.html",
        {
            "organizer": organizer,
            "terms": terms,
            "version": terms.version if terms else DEFAULT_TERMS_VERSION,
            "superseded": bool(asked) and (terms.pk if terms else None) != (current.pk if current else None),
        },
    )

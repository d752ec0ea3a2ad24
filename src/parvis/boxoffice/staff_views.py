"""The counter screen and its till session: sell, find an order, refund, reprint, move cash, close, Z."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parvis.core.params import decimal_or_none, int_or_none, is_digits
from parvis.crm import selectors as crm_selectors
from parvis.crm.models import Contact
from parvis.memberships.models import MembershipLevel
from parvis.network.permissions import Perm, require_organizer_perm
from parvis.passes.models import PassProduct
from parvis.passes.services import eligible_performances
from parvis.recommendations import personal as reco_personal
from parvis.recommendations import selectors as reco_selectors
from parvis.recommendations.models import Surface
from parvis.ticketing import services as ticketing
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Order, Product, Ticket, TicketState, Voucher
from parvis.ticketing.pdf import order_tickets_pdf
from parvis.ticketing.pdf import voucher_pdf as render_voucher
from parvis.ticketing.providers import COUNTER_METHODS
from parvis.ticketing.tasks import send_order_confirmation

from . import counter_dates, journal, services
from .forms import COUNTER_CONSENT_WORDING, CashMoveForm, DrawerForm, SessionOpenForm
from .models import Chain, TillSession

ERRORS = {
    "invalid_amount": _("Montant invalide."),
    "drawer_inactive": _("Cette caisse n'est plus en service."),
    "drawer_busy": _("Cette caisse est déjà ouverte par quelqu'un d'autre."),
    "session_already_open": _("Vous avez déjà une caisse ouverte."),
    "session_closed": _("Cette session de caisse est fermée."),
    "unknown_method": _("Moyen de paiement inconnu."),
    "overpaid": _("Les paiements par carte ou chèque dépassent le total."),
    "underpaid": _("Il manque %(due)s € pour couvrir le total."),
    "unknown_contact": _("Client introuvable."),
    "reason_required": _("Indiquez le motif."),
    "training_no_refund": _("Pas de remboursement en mode formation."),
    "unknown_ticket": _("Billet introuvable."),
    "nothing_to_refund": _("Aucun de ces billets n'est remboursable."),
    "ticket_not_valid": _("Ce billet n'est plus valable : il ne peut pas être réimprimé."),
    "nothing_to_correct": _("Rien à corriger : cette vente n'a pas été payée par ce moyen."),
    "already_corrected": _("Cette vente a déjà été corrigée."),
    "tickets_required": _("Les produits se vendent avec des billets : ajoutez au moins une place."),
    "holder_required": _(
        "Indiquez le nom, le prénom et l'e-mail du titulaire : la carte ou le pass lui est envoyé."
    ),
    "training_not_supported": _("Les cartes et les pass ne se vendent pas en mode formation."),
}


def error_text(exc) -> str:
    if isinstance(exc, SaleError):
        return exc.message
    return (
        str(ERRORS.get(exc.code, exc.code)) % exc.params
        if exc.params
        else str(ERRORS.get(exc.code, exc.code))
    )


def amount_param(value: str) -> Decimal | None:
    return decimal_or_none(value or "")


def _expected(value: str, donation: Decimal) -> Decimal | None:
    """The total the seller saw (tickets and add-ons), plus the donation typed in the payment form."""
    amount = amount_param(value)
    return None if amount is None else amount + donation


def session_of(request, organizer) -> TillSession | None:
    return (
        TillSession.objects.filter(organizer=organizer, staff=request.user, closed_at__isnull=True)
        .select_related("drawer__venue", "cart", "organizer")
        .first()
    )


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def organizer_for(request, organizer_slug):
    return require_organizer_perm(request.user, organizer_slug, Perm.BOXOFFICE_SELL)


@login_required
def counter(request, organizer_slug: str):
    organizer = organizer_for(request, organizer_slug)
    journal.closures_generate(organizer, Chain.LIVE)  # days past are closed even if nobody asked
    session = session_of(request, organizer)
    if session is None:
        return render(
            request,
            "boxoffice/open.html",
            {
                "organizer": organizer,
                "form": SessionOpenForm(organizer=organizer),
                "drawer_form": DrawerForm(),
            },
        )
    holds = services.basket_holds(session)
    basket_products = services.basket_products(session)
    total = services.basket_total(session)
    search = counter_dates.CounterSearch.of(request.GET)
    found = None
    q = request.GET.get("commande", "").strip()
    if q:
        found = _orders_found(organizer, q)
    return render(
        request,
        "boxoffice/counter.html",
        {
            "organizer": organizer,
            "session": session,
            "performances": counter_dates.performances(organizer, session, search),
            "search": search,
            "holds": holds,
            "basket_lines": services.basket_lines(holds),
            "promo": session.cart.promo,
            "basket_products": basket_products,
            "products": _products(organizer),
            "total": total,
            "methods": COUNTER_METHODS,
            "consent_wording": COUNTER_CONSENT_WORDING,
            "move_form": CashMoveForm(),
            "order_query": q,
            "orders_found": found,
            "refunds_due": services.refunds_due(organizer),
            "refund_methods": {k: v for k, v in COUNTER_METHODS.items() if k != "voucher"},
            "last_sale": request.session.get("boxoffice_last_sale"),
            "last_voucher": request.session.pop("boxoffice_voucher", None),
            "membership": session.cart.membership if session.cart.membership_id else None,
            "membership_levels": _membership_levels(organizer),
            "pass_products": _pass_products(organizer),
        },
    )


def _membership_levels(organizer) -> list:
    return list(
        MembershipLevel.objects.filter(program__organizer=organizer, on_sale=True, program__on_sale=True)
        .select_related("program")
        .order_by("program__name", "position", "price")
    )


def _pass_products(organizer) -> list:
    """Passes on sale at this counter, each with `dates`: the next eligible performances with places."""

    products = list(
        PassProduct.objects.filter(organizer=organizer, on_sale=True, valid_until__gt=timezone.now())
    )
    for product in products:
        product.dates = list(
            eligible_performances(product)
            .filter(starts_at__gt=timezone.now())
            .select_related("event", "venue")
            .order_by("starts_at")[:60]
        )
    return products


def _products(organizer) -> list:
    """Add-ons on sale, each with `left` when it has a stock."""
    products = list(Product.objects.filter(organizer=organizer, is_active=True).order_by("name"))
    for product in products:
        product.left = ticketing.product_stock_left(product)
    return products


def _orders_found(organizer, q: str):
    orders = Order.objects.filter(organizer=organizer).prefetch_related(
        "tickets__performance__event", "tickets__seat_claim__seat"
    )
    by_code = orders.filter(code__iexact=q)
    if by_code.exists():
        return list(by_code)
    return list(
        orders.filter(last_name__icontains=q).order_by("-created_at")[:10]
        or orders.filter(email__iexact=q).order_by("-created_at")[:10]
    )


def session_required(request, organizer) -> TillSession:
    session = session_of(request, organizer)
    if session is None:
        raise Http404
    return session


@login_required
@require_POST
def basket(request, organizer_slug: str):
    """Add a tariff's places (the buttons), take some back, or empty the basket."""
    organizer = organizer_for(request, organizer_slug)
    session = session_required(request, organizer)
    action = request.POST.get("action", "add")
    try:
        if action == "add":
            quantity = int(request.POST.get("quantity") or 1)
            services.basket_add(
                session=session,
                tariff_id=int(request.POST["tariff"]),
                quantity=quantity,
                slot_id=int_or_none(request.POST.get("slot")),
            )
        elif action == "remove":
            services.basket_remove(session=session, hold_id=int(request.POST["hold"]), quantity=1)
        elif action in ("extra_add", "extra_remove"):
            delta = 1 if action == "extra_add" else -1
            services.basket_extra(session=session, product_id=int(request.POST["product"]), delta=delta)
        elif action == "promo":
            applied = services.basket_promo(session=session, code=request.POST.get("promo", ""))
            if applied:
                messages.success(
                    request,
                    _("Code promo %(code)s : %(reason)s.") % {"code": applied.code, "reason": applied.reason},
                )
        elif action == "member":
            card = services.basket_member(session=session, code=request.POST.get("member_code", ""))
            if card:
                messages.success(
                    request,
                    _("Carte d'adhérent %(code)s (%(name)s, %(level)s) : ses avantages s'appliquent.")
                    % {"code": card.code, "name": card.holder_name, "level": card.level.name},
                )
        elif action == "clear":
            services.basket_clear(session=session)
    except (ValueError, KeyError):
        messages.error(request, _("Demande incomplète."))
    except SaleError as exc:
        messages.error(request, exc.message)
    request.session.pop("boxoffice_last_sale", None)
    return redirect("staff:boxoffice", organizer.slug)


def _customer_from(post) -> services.Customer | None:
    if post.get("contact"):
        try:
            return services.Customer(contact_id=int(post["contact"]))
        except ValueError:
            return None
    fields = {
        k: post.get(k, "").strip() for k in ("email", "phone", "first_name", "last_name", "postal_code")
    }
    if not any(fields.values()):
        return None  # anonymous
    return services.Customer(
        **fields, consents=[p for p in COUNTER_CONSENT_WORDING if post.get(f"consent_{p}")]
    )


def _payments_from(post, method: str, total: Decimal) -> tuple[list[services.CounterPayment], Decimal | None]:
    """One button per method pays everything with it; "mixed" reads an amount per method."""
    tendered = amount_param(post.get("cash_tendered", "")) if post.get("cash_tendered", "").strip() else None
    if method in COUNTER_METHODS:
        return [services.CounterPayment(method, total, post.get(f"{method}_reference", ""))], tendered
    payments = []
    for code in COUNTER_METHODS:
        amount = (
            amount_param(post.get(f"amount_{code}", "")) if post.get(f"amount_{code}", "").strip() else None
        )
        if amount:
            payments.append(services.CounterPayment(code, amount, post.get(f"{code}_reference", "")))
    return payments, tendered


@login_required
@require_POST
def pay(request, organizer_slug: str):
    organizer = organizer_for(request, organizer_slug)
    session = session_required(request, organizer)
    donation = (
        amount_param(request.POST.get("donation", "")) if request.POST.get("donation", "").strip() else None
    )
    if donation is None and request.POST.get("donation", "").strip():
        messages.error(request, _("Montant du don invalide."))
        return redirect("staff:boxoffice", organizer.slug)
    donation = donation or Decimal(0)
    total = services.basket_total(session, donation)
    payments, tendered = _payments_from(request.POST, request.POST.get("method", ""), total)
    try:
        result = services.sale(
            session=session,
            actor=request.user,
            payments=payments,
            cash_tendered=tendered,
            customer=_customer_from(request.POST),
            expected_total=_expected(request.POST.get("expected_total", ""), donation),
            send_email=bool(request.POST.get("send_email")),
            donation=donation,
        )
    except (SaleError, services.CounterError) as exc:
        messages.error(request, error_text(exc))
        return redirect("staff:boxoffice", organizer.slug)
    request.session["boxoffice_last_sale"] = {
        "order": result.order.code if result.order else "",
        "total": str(result.total),
        "change": str(journal.money(result.change)),
        "training": session.training,
    }
    return redirect("staff:boxoffice", organizer.slug)


@login_required
def tickets_pdf(request, organizer_slug: str, code: str, layout: str):
    organizer = organizer_for(request, organizer_slug)
    order = get_object_or_404(Order, organizer=organizer, code=code)
    if layout not in ("a4", "compact", "80mm"):
        raise Http404
    return _pdf(order_tickets_pdf(order, layout=layout), f"billets-{order.code}-{layout}.pdf")


@login_required
@require_POST
def send_tickets(request, organizer_slug: str, code: str):
    organizer = organizer_for(request, organizer_slug)
    order = get_object_or_404(Order, organizer=organizer, code=code)
    if not order.email:
        messages.error(request, _("Cette commande n'a pas d'adresse e-mail."))
    else:
        send_order_confirmation.enqueue(order_id=order.pk)
        messages.success(request, _("Billets envoyés à %(email)s.") % {"email": order.email})
    return redirect("staff:boxoffice", organizer.slug)


@login_required
@require_POST
def reprint(request, organizer_slug: str, ticket_pk: int):
    organizer = organizer_for(request, organizer_slug)
    session = session_required(request, organizer)
    ticket = get_object_or_404(Ticket.objects.select_related("order"), pk=ticket_pk, organizer=organizer)
    try:
        copy = services.reprint(session=session, actor=request.user, ticket=ticket)
    except services.CounterError as exc:
        messages.error(request, error_text(exc))
        return redirect("staff:boxoffice", organizer.slug)
    pdf = order_tickets_pdf(
        ticket.order,
        layout=request.POST.get("layout", "a4"),
        tickets=Ticket.objects.filter(pk=ticket.pk),
        duplicate=copy.number,
    )
    return _pdf(pdf, f"duplicata-{ticket.order.code}-{copy.number}.pdf")


@login_required
@require_POST
def refund(request, organizer_slug: str):
    organizer = organizer_for(request, organizer_slug)
    session = session_required(request, organizer)
    ids = [int(pk) for pk in request.POST.getlist("ticket") if is_digits(pk)]
    tickets = list(
        Ticket.objects.filter(pk__in=ids, organizer=organizer, state=TicketState.VALID).select_related(
            "order", "performance__event", "tariff"
        )
    )
    method = request.POST.get("method", "cash")
    try:
        if not tickets:
            raise services.CounterError("nothing_to_refund")
        if not request.POST.get("reason", "").strip():
            raise services.CounterError("reason_required")
        if method not in COUNTER_METHODS:
            raise services.CounterError("unknown_method")
        if request.POST.get("confirm") != "1":  # a step to check the amount and the means first
            return render(
                request,
                "boxoffice/refund_confirm.html",
                {
                    "organizer": organizer,
                    "tickets": tickets,
                    "amount": sum((t.price for t in tickets), Decimal(0)),
                    "method": method,
                    "method_label": COUNTER_METHODS.get(method, method),
                    "reason": request.POST.get("reason", "").strip()[:300],
                    "order": request.POST.get("order", ""),
                },
            )
        entry = services.refund(
            session=session,
            actor=request.user,
            tickets=tickets,
            reason=request.POST.get("reason", ""),
            method=method,
        )
    except services.CounterError as exc:
        messages.error(request, error_text(exc))
    else:
        method = COUNTER_METHODS.get(request.POST.get("method", "cash"), "")
        amount = formats.localize(-entry.total)
        messages.success(
            request, _("Remboursé : %(amount)s € (%(method)s).") % {"amount": amount, "method": method}
        )
        if entry.detail.get("voucher"):
            request.session["boxoffice_voucher"] = entry.detail["voucher"]
            messages.success(request, _("Avoir émis : bon %(code)s.") % {"code": entry.detail["voucher"]})
    query = urlencode({"commande": request.POST.get("order", "")})
    return redirect(f"{reverse('staff:boxoffice', args=[organizer.slug])}?{query}")


@login_required
@require_POST
def refund_due_pay(request, organizer_slug: str):
    """Pay out a refund the counter owes (a date cancelled): the money leaves, the journal says so."""
    organizer = organizer_for(request, organizer_slug)
    session = session_required(request, organizer)
    try:
        entry = services.refund_pay_out(
            session=session,
            actor=request.user,
            payment_id=int_or_none(request.POST.get("payment", "")) or 0,
            method=request.POST.get("method", "cash"),
        )
    except services.CounterError as exc:
        messages.error(request, error_text(exc))
    else:
        method = COUNTER_METHODS.get(request.POST.get("method", "cash"), "")
        messages.success(
            request,
            _("Remboursement versé : %(amount)s € (%(method)s), commande %(code)s.")
            % {"amount": formats.localize(-entry.total), "method": method, "code": entry.order_code},
        )
    return redirect("staff:boxoffice", organizer.slug)


@login_required
@require_POST
def exchange(request, organizer_slug: str):
    organizer = organizer_for(request, organizer_slug)
    session = session_required(request, organizer)
    ticket = (
        Ticket.objects.filter(
            pk=int_param(request.POST.get("ticket")), organizer=organizer, state=TicketState.VALID
        )
        .select_related("order")
        .first()
    )
    try:
        if ticket is None:
            raise services.CounterError("unknown_ticket")
        new_ticket, entry = services.exchange(
            session=session,
            actor=request.user,
            ticket=ticket,
            tariff_id=int_param(request.POST.get("tariff")),
            method=request.POST.get("method", "cash"),
            reason=request.POST.get("reason", ""),
        )
    except (services.CounterError, SaleError) as exc:
        messages.error(request, error_text(exc))
    else:
        if entry.total > 0:
            done = _("Échangé : billet n° %(number)s, %(amount)s € à encaisser.")
        elif entry.total < 0:
            done = _("Échangé : billet n° %(number)s, %(amount)s € à rendre.")
        else:
            done = _("Échangé : billet n° %(number)s.")
        messages.success(
            request, done % {"number": new_ticket.number, "amount": formats.localize(abs(entry.total))}
        )
    query = urlencode({"commande": request.POST.get("order", "")})
    return redirect(f"{reverse('staff:boxoffice', args=[organizer.slug])}?{query}")


def int_param(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@login_required
@require_POST
def voucher_sell(request, organizer_slug: str):
    organizer = organizer_for(request, organizer_slug)
    session = session_required(request, organizer)
    value = amount_param(request.POST.get("value", ""))
    try:
        if value is None:
            raise SaleError("voucher_value")
        voucher, _entry = services.voucher_sell(
            session=session,
            actor=request.user,
            value=value,
            method=request.POST.get("method", "cash"),
            reference=request.POST.get("reference", ""),
            recipient=request.POST.get("recipient", ""),
        )
    except (SaleError, services.CounterError) as exc:
        messages.error(request, error_text(exc))
        return redirect("staff:boxoffice", organizer.slug)
    if voucher is None:
        messages.success(request, _("Bon cadeau de formation enregistré (aucun bon émis)."))
        return redirect("staff:boxoffice", organizer.slug)
    request.session["boxoffice_voucher"] = voucher.code
    value_text = formats.localize(voucher.initial_value)
    messages.success(
        request, _("Bon cadeau %(code)s vendu : %(value)s €.") % {"code": voucher.code, "value": value_text}
    )
    return redirect("staff:boxoffice", organizer.slug)


def _sold(request, organizer, result, message: str):
    request.session["boxoffice_last_sale"] = {
        "order": result.order.code,
        "total": str(result.total),
        "change": str(journal.money(result.change)),
        "training": False,
    }
    messages.success(request, message)
    return redirect("staff:boxoffice", organizer.slug)


@login_required
@require_POST
def membership_sell(request, organizer_slug: str):
    organizer = organizer_for(request, organizer_slug)
    session = session_required(request, organizer)
    method = request.POST.get("method", "cash")
    try:
        result = services.membership_sell(
            session=session,
            actor=request.user,
            level_id=int_param(request.POST.get("level")),
            customer=_customer_from(request.POST),
            payments=[services.CounterPayment(method, _level_price(organizer, request.POST.get("level")),
                                              request.POST.get("reference", ""))],
            other_names=[n.strip() for n in request.POST.get("other_names", "").splitlines() if n.strip()],
            send_email=bool(request.POST.get("send_email")),
        )  # fmt: skip
    except (SaleError, services.CounterError) as exc:
        messages.error(request, error_text(exc))
        return redirect("staff:boxoffice", organizer.slug)
    card = result.order.memberships.get()
    return _sold(request, organizer, result, _("Carte d'adhérent n° %(code)s vendue.") % {"code": card.code})


def _level_price(organizer, level_id) -> Decimal:
    level = MembershipLevel.objects.filter(pk=int_param(level_id), program__organizer=organizer).first()
    return level.price if level else Decimal(0)


@login_required
@require_POST
def pass_sell(request, organizer_slug: str):
    organizer = organizer_for(request, organizer_slug)
    session = session_required(request, organizer)
    product = PassProduct.objects.filter(
        pk=int_param(request.POST.get("product")), organizer=organizer
    ).first()
    try:
        if product is None:
            raise SaleError("pass_not_on_sale")
        result = services.pass_sell(
            session=session,
            actor=request.user,
            product_id=product.pk,
            customer=_customer_from(request.POST),
            payments=[
                services.CounterPayment(
                    request.POST.get("method", "cash"), product.price, request.POST.get("reference", "")
                )
            ],
            performance_ids=[int_param(pk) for pk in request.POST.getlist("performance") if int_param(pk)],
            send_email=bool(request.POST.get("send_email")),
        )
    except (SaleError, services.CounterError) as exc:
        messages.error(request, error_text(exc))
        return redirect("staff:boxoffice", organizer.slug)
    holding = result.order.pass_holdings.get()
    return _sold(
        request,
        organizer,
        result,
        _("Pass n° %(code)s vendu, %(n)s date(s) réservée(s).")
        % {"code": holding.code, "n": holding.entries_used},
    )


@login_required
def voucher_pdf(request, organizer_slug: str, code: str):
    organizer = organizer_for(request, organizer_slug)
    voucher = get_object_or_404(Voucher, organizer=organizer, code=code)
    return _pdf(render_voucher(voucher), f"bon-cadeau-{voucher.code}.pdf")


@login_required
def customers(request, organizer_slug: str):
    """Search as you type (htmx): name, e-mail or phone."""
    organizer = organizer_for(request, organizer_slug)
    q = request.GET.get("q", "").strip()
    found = list(crm_selectors.search(organizer, q)[:8]) if len(q) >= 2 else []
    return render(request, "boxoffice/_customers.html", {"organizer": organizer, "customers": found, "q": q})


@login_required
def customer_suggestions(request, organizer_slug: str):
    """What to offer the customer chosen at the counter (htmx): their own suggestions if they agreed to
    them, the most chosen coming shows otherwise, each with its next date that may still be booked."""
    organizer = organizer_for(request, organizer_slug)
    contact = Contact.objects.filter(
        organizer=organizer,
        pk=int_or_none(request.GET.get("contact")) or 0,
        anonymised_at=None,
        merged_into=None,
    ).first()
    rows = []
    if contact is not None:
        offered = reco_personal.offer(contact, Surface.COUNTER)
        dates = reco_selectors.bookable(timezone.now()).filter(event_id__in=[o.event_id for o in offered])
        first = {}
        for performance in dates.select_related("event", "venue").order_by("starts_at"):
            first.setdefault(performance.event_id, performance)
        rows = [(first[o.event_id], o.why) for o in offered if o.event_id in first]
    return render(
        request,
        "boxoffice/_suggestions.html",
        {
            "organizer": organizer,
            "contact": contact,
            "rows": rows,
            "common": not any(why for _p, why in rows),
        },
    )

"""Buying tickets: choose tariffs, the cart with its countdown, checkout, (demo and Stripe) payment."""

import hashlib
import hmac
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from parvis.core.compiled import CompiledQuery, insert
from parvis.core.customers import signed_in_email
from parvis.core.params import int_or_none, is_digits
from parvis.crm import network_profiles
from parvis.network.models import Network, Organizer
from parvis.programming.models import Performance

from . import extensions, inventory, services, stripe_provider
from .errors import SaleError
from .forms import CONSENTS, CheckoutForm, extras_from
from .models import (
    Cart,
    Channel,
    IdempotencyRecord,
    Order,
    Payment,
    PaymentState,
    Product,
    Tariff,
    TariffKind,
)
from .providers import enabled_providers

CART_SESSION_KEY = "parvis_cart"


MEMBER_SESSION_KEY = "parvis_membership"  # set by the member's card page (memberships.views)


_cart_of_token = CompiledQuery(Cart, lambda token: Cart.objects.filter(token=token).order_by("pk")[:1])


def _cart(request, *, create: bool) -> Cart | None:
    token = request.session.get(CART_SESSION_KEY)
    cart = next(iter(_cart_of_token(token)), None) if isinstance(token, str) and token else None
    if cart is None and create:
        cart = insert(Cart(channel=Channel.ONLINE))
        request.session[CART_SESSION_KEY] = cart.token
    member_id = _remembered_member_id(request)
    if cart is not None and member_id and not cart.membership_id:  # this browser buys as a member
        Cart.objects.filter(pk=cart.pk).update(membership_id=member_id)
        cart.membership_id = member_id
    return cart


def buyer_cart(request, *, create: bool) -> Cart | None:
    """This browser's cart (made if `create`): for the products that put things in it (the seat map)."""
    return _cart(request, create=create)


def _remembered_member_id(request) -> int | None:
    """The card this browser buys with: the one opened here, or the signed-in customer's valid card."""
    if request.session.get(MEMBER_SESSION_KEY):
        return request.session[MEMBER_SESSION_KEY]
    email = signed_in_email(request)
    if not email:
        return None
    return extensions.benefits_provider().remembered_card_id(email=email)


def _member_benefits(request, organizer_id: int):
    """This browser's member card benefits at this organizer (the cart's card, or the remembered one)."""
    cart = _cart(request, create=False)
    member_id = (cart.membership_id if cart else None) or _remembered_member_id(request)
    if not member_id:
        return None
    provider = extensions.benefits_provider()
    return provider.benefits_for(provider.card_by_id(member_id), organizer_id)


# The tickets page is the busiest of a sale: its reads are written as SQL once per process.
_published_performance = CompiledQuery(
    Performance,
    lambda performance_id: (
        Performance.objects.select_related("event__organizer", "venue", "space", "sales")
        .filter(pk=performance_id, event__status="published")
        .order_by("pk")[:1]
    ),
)
_tariffs_online = CompiledQuery(
    Tariff,
    lambda performance_id: Tariff.objects.filter(
        performance_id=performance_id, is_active=True, sold_online=True
    ).exclude(kind=TariffKind.SUBSCRIBER),  # sold only within a subscription
)


def _tickets_choose(request, tariffs, errors: list):
    """The quantities chosen, held all or nothing; then to the checkout or the cart (None, with `errors`
    filled, when the choice is refused)."""
    slot_raw = request.POST.get("slot", "")
    slot_id = int_or_none(slot_raw)
    wanted = []
    for tariff in tariffs:
        raw = request.POST.get(f"q-{tariff.pk}", "0").strip() or "0"
        if not is_digits(raw):
            errors.append(SaleError("invalid_quantity").message)
            break
        if int(raw):
            wanted.append((tariff, int(raw)))
    if not wanted and not errors:
        errors.append(_("Choisissez au moins un billet."))
    if not errors:
        had_cart = bool(request.session.get(CART_SESSION_KEY))
        cart = _cart(request, create=True)
        added = []
        try:
            for tariff, quantity in wanted:
                added.append(
                    services.cart_add(
                        cart=cart,
                        tariff_id=tariff.pk,
                        tariff=tariff,  # read above with its performance: not again
                        quantity=quantity,
                        slot_id=slot_id,
                        new_cart=not had_cart and not added,
                    )
                )
        except SaleError as exc:
            for hold in added:  # all or nothing for one choice
                inventory.release_hold(hold)
            errors.append(exc.message)
        else:
            # "Commander" goes straight to the buyer's details; "Ajouter au panier" to the cart, to
            # choose more (other dates, other venues of the network) before paying.
            then = "ticketing:checkout" if request.POST.get("then") == "checkout" else "ticketing:cart"
            return redirect(then)
    return None


def _tariff_rows(tariffs, left: dict, benefits, performance) -> list[dict]:
    """Each tariff as the page offers it: places left, the most one may take, member-only or free."""
    rows = []
    for t in tariffs:
        most = min(left.get(t.pk, 0), services.max_per_order(t))
        members_only = t.kind == TariffKind.MEMBER and benefits is None
        if t.kind == TariffKind.MEMBER and benefits is not None:
            most = min(most, benefits.persons)
        free = (
            t.kind == TariffKind.MEMBER
            and benefits is not None
            and performance.event_id in benefits.free_event_ids
        )
        rows.append(
            {"tariff": t, "left": left.get(t.pk, 0), "max": 0 if members_only else most,
             "members_only": members_only, "member_free": free}
        )  # fmt: skip
    return rows


def performance_tickets(request, performance_id: int):
    performance = next(iter(_published_performance(performance_id)), None)
    if performance is None:
        raise Http404
    tariffs = _tariffs_online(performance.pk)
    for tariff in tariffs:
        tariff.performance = performance
    errors = []
    if request.method == "POST":
        done = _tickets_choose(request, tariffs, errors)
        if done is not None:
            return done
    # Read only to show the page: a choice that succeeds has redirected already.
    left, slots = inventory.performance_availability(
        performance_id=performance.pk, channel=Channel.ONLINE, tariffs=tariffs
    )
    margin, now = services.online_close_margin(performance), timezone.now()
    # (slot, places left, whether its online sales have ended: it is then sold at the venue only)
    slots = [(slot, free, now >= slot.slot_starts_at - margin) for slot, free in slots]
    benefits = _member_benefits(request, performance.event.organizer_id)
    on_sale, reason = True, ""
    try:
        for tariff in [t for t in tariffs if t.kind != TariffKind.MEMBER][:1] or tariffs[:1]:
            services.check_on_sale(tariff, channel=Channel.ONLINE, benefits=benefits)
    except SaleError as exc:
        on_sale, reason = False, exc.message
    rows = _tariff_rows(tariffs, left, benefits, performance)
    offers = {}  # what the products above ticketing add to the page (the passes this browser holds, …)
    performance.sells_seats = any(t.seated for t in tariffs)  # read by the extensions: no query of theirs
    performance.sells_online = any(t.online for t in tariffs)
    room = [t for t in tariffs if not t.online]
    for extension in extensions.ticket_page:
        offers.update(extension.context(request, performance))
    if offers.get("seat_map_url"):  # a date with numbered seats is bought on its seat map
        return redirect(offers["seat_map_url"])
    return render(
        request,
        "ticketing/performance.html",
        {
            **offers,
            "performance": performance,
            "event": performance.event,
            "rows": rows,
            "errors": errors,
            "on_sale": on_sale and bool(tariffs),
            "reason": reason,
            # The room is full when every tariff with a place is; an online tariff still sells then.
            "sold_out": bool(room) and not any(left.get(t.pk, 0) for t in room),
            "online_left": any(left.get(t.pk, 0) for t in tariffs if t.online),
            "slots": slots,
            "benefits": benefits,
        },
        status=409 if errors else 200,
    )


def cart_view(request):
    cart = _cart(request, create=False)
    if request.method == "POST" and cart is not None:
        hold_id = request.POST.get("remove", "")
        if is_digits(hold_id):
            services.cart_remove(cart=cart, hold_id=int(hold_id))
            messages.success(request, _("Billets retirés du panier."))
        elif "member_code" in request.POST:
            try:
                card = services.cart_apply_membership(
                    cart=cart, code=request.POST["member_code"], email=request.POST.get("member_email", "")
                )
            except SaleError as exc:
                messages.error(request, exc.message)
            else:
                if card is None:
                    request.session.pop(MEMBER_SESSION_KEY, None)
                    messages.success(request, _("Carte d'adhérent retirée du panier."))
                else:
                    request.session[MEMBER_SESSION_KEY] = card.pk
                    messages.success(
                        request,
                        _("Carte d'adhérent n° %(code)s : ses avantages s'appliquent.") % {"code": card.code},
                    )
        elif "promo" in request.POST:
            try:
                applied = services.cart_apply_promo(cart=cart, code=request.POST["promo"])
            except SaleError as exc:
                messages.error(request, exc.message)
            else:
                if applied:
                    messages.success(request, _("Code promo appliqué : %(code)s.") % {"code": applied.code})
        return redirect("ticketing:cart")
    holds, total = _priced(cart)
    expires_at = min((h.expires_at for h in holds), default=None)
    return render(
        request,
        "ticketing/cart.html",
        {
            "holds": holds,
            "total": total,
            "expires_at": expires_at,
            "promo": cart.promo if cart else None,
            "membership": cart.membership if cart and cart.membership_id else None,
        },
    )


def _priced(cart):
    """The cart's live holds, each with its `unit_price` once the promo code is applied, and the total."""
    holds = services.cart_live_holds(cart) if cart else []
    prices = services.cart_unit_prices(cart, holds) if cart else {}
    for hold in holds:
        hold.unit_price = prices[hold.pk]
        hold.line_total = hold.unit_price * hold.quantity
    return holds, sum((h.unit_price * h.quantity for h in holds), Decimal(0))


def _replay(scope: str, key: str):
    record = next(iter(_idempotency_record(scope, key)), None)
    return record.response if record and record.response else None


# Read at each step of a checkout: written as SQL once per process.
_network_names = CompiledQuery(
    Network,
    lambda organizer_ids: (
        Network.objects.filter(memberships__organizer_id__in=organizer_ids).values_list("name").order_by()
    ),
)
_products_on_sale = CompiledQuery(
    Product, lambda organizer_ids: Product.objects.filter(organizer_id__in=organizer_ids, is_active=True)
)
_idempotency_record = CompiledQuery(
    IdempotencyRecord,
    lambda scope, key: IdempotencyRecord.objects.filter(scope=scope, key=key).order_by("pk")[:1],
)


def _sellers(organizers, sellers: dict[int, int]) -> list:
    """Who sells a cart's places (each organizer, or the one that sells on its behalf): whose terms apply."""

    known = {o.pk: o for o in organizers}
    missing = set(sellers.values()) - set(known)
    known |= {o.pk: o for o in Organizer.objects.filter(pk__in=missing)} if missing else {}
    return [known[pk] for pk in sorted(set(sellers.values()))]


def _checkout_form_kwargs(holds, total) -> dict:
    """What the checkout form offers for these holds: the sellers and their terms, add-ons, donations."""
    organizers = sorted({h.performance.event.organizer.name for h in holds})
    organizer_objs = {h.performance.event.organizer for h in holds}
    organizer_ids = [o.pk for o in organizer_objs]
    networks = sorted({name for (name,) in _network_names(organizer_ids)})
    sellers = services.sellers_of(organizer_ids, channel=Channel.ONLINE)
    return {
        "sellers": _sellers(organizer_objs, sellers),
        "organizer_names": organizers,
        "network_names": ", ".join(networks),
        "total": total,
        "products": _products_on_sale(organizer_ids),
        "donation_organizers": sorted(
            (o for o in organizer_objs if o.accepts_donations and sellers[o.pk] == o.pk), key=lambda o: o.name
        ),
    }


def _checkout_consents(form, data) -> list[dict]:
    """The boxes of the form, ticked or not, with their wording and version (the consent ledger's proof)."""
    now = timezone.now().isoformat()
    return [
        {
            "purpose": purpose,
            "given": bool(data.get(purpose)),
            "version": CONSENTS[purpose][0],
            "text": str(form.fields[purpose].label),
            "at": now,
            "source": "checkout",
        }
        for purpose in CONSENTS
        if purpose in form.fields
    ]


def _checkout_place(request, form, cart, holds):
    """Place the orders of a valid checkout form; where the buyer goes next (None, with the form's error,
    when the sale is refused)."""
    data = form.cleaned_data
    names = {h.pk: [request.POST.get(f"attendee-{h.pk}-{i}", "") for i in range(h.quantity)] for h in holds}
    try:
        extras, donations = extras_from(data)
        orders = services.checkout_place_orders(
            extras=extras,
            donations=donations,
            cart=cart,
            provider_code=data["provider"] or "voucher",
            voucher_code=data.get("voucher", "").strip(),
            consents=_checkout_consents(form, data),
            buyer=services.Buyer(
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                postal_code=data["postal_code"],
                postal_address=data.get("postal_address", ""),
                language=translation.get_language() or "fr",
                attendee_names=names,
                terms_accepted=True,
            ),
            customer=request.user if request.user.is_authenticated else None,
        )
    except SaleError as exc:
        form.add_error(None, exc.message)
        return None, None
    proven = signed_in_email(request).strip().lower()
    if proven and proven == data["email"].strip().lower():
        # The account proved this address: the buyer's new contacts link where they agreed to share.
        network_profiles.address_proven(proven)
    if data["provider"] == "stripe" and not all(o.state == "paid" for o in orders):
        return orders, _stripe_target(request, orders)
    if data["provider"] == "demo" and not all(o.state == "paid" for o in orders):
        return orders, f"/paiement/demo/{orders[0].checkout}/"
    if len(orders) == 1:
        return orders, orders[0].get_absolute_url()  # paid, or the transfer instructions
    return orders, f"/paiement/termine/{orders[0].checkout}/"


def _replay_record(scope: str, key: str, target: str) -> None:
    """One insert; a record already there (a race lost) keeps the first answer."""
    IdempotencyRecord.objects.bulk_create(
        [
            IdempotencyRecord(
                scope=scope, key=key, request_hash="", status_code=302, response={"next": target}
            )
        ],
        ignore_conflicts=True,
    )


def checkout_view(request):
    cart = _cart(request, create=False)
    holds, total = _priced(cart)
    form_kwargs = _checkout_form_kwargs(holds, total)
    if request.method == "POST" and cart is not None:
        key = request.POST.get("idempotency_key", "")[:64]
        scope = f"checkout:{cart.token}"
        replay = _replay(scope, key) if key else None
        if replay:  # a double submission: show what the first one did
            return redirect(replay["next"])
        form = CheckoutForm(request.POST, **form_kwargs)
        if not holds:  # the places were released meanwhile: say so rather than complain about the form
            expired = cart.holds.filter(order__isnull=True).exists()
            form.is_valid()
            form.errors.clear()
            form.add_error(None, SaleError("hold_expired" if expired else "cart_empty").message)
        elif form.is_valid():
            orders, target = _checkout_place(request, form, cart, holds)
            if target is not None:
                if key:
                    _replay_record(scope, key, target)
                _checkout_remember(request, orders[0].checkout)
                return redirect(target)
    else:
        initial = None
        if signed_in_email(request):  # a customer account fills in who buys
            user = request.user
            initial = {"email": user.email, "first_name": user.first_name, "last_name": user.last_name}
        form = CheckoutForm(initial=initial, **form_kwargs)
    if not holds and request.method == "GET":
        return redirect("ticketing:cart")
    return render(
        request,
        "ticketing/checkout.html",
        {
            "form": form,
            "holds": holds,
            "total": total,
            "expires_at": min((h.expires_at for h in holds), default=None),
        },
        status=400 if form.errors else 200,
    )


_orders_of_checkout = CompiledQuery(
    Order, lambda checkout: Order.objects.filter(checkout=checkout).select_related("organizer")
)


# The checkouts whose payment and confirmation pages this browser may open: the latest ones (older orders
# stay open through their secret link). Kept short, a buyer's session stays in its cookie (core.sessions).
CHECKOUTS_REMEMBERED = 20


def _checkout_remember(request, checkout) -> None:
    known = [c for c in request.session.get("parvis_checkouts", []) if c != str(checkout)]
    request.session["parvis_checkouts"] = [*known, str(checkout)][-CHECKOUTS_REMEMBERED:]


def _checkout_orders(request, checkout) -> list[Order]:
    orders = _orders_of_checkout(checkout)
    if not orders or str(checkout) not in request.session.get("parvis_checkouts", []):
        raise Http404
    return orders


def checkout_done(request, checkout):
    orders = _checkout_orders(request, checkout)
    return render(request, "ticketing/checkout_done.html", {"orders": orders})


_demo_payments_due = CompiledQuery(
    Payment,
    lambda order_ids: Payment.objects.filter(
        order_id__in=order_ids, provider="demo", state__in=[PaymentState.CREATED, PaymentState.PENDING]
    ).order_by("pk"),
)


def demo_payment(request, checkout):
    """The demo provider's payment page: succeed, refuse, or confirm later through a (signed) webhook."""
    if "demo" not in settings.PARVIS_PAYMENT_PROVIDERS:
        raise Http404
    orders = _checkout_orders(request, checkout)
    payments = _demo_payments_due([o.pk for o in orders])
    if request.method == "POST":
        action = request.POST.get("action")
        if any(not o.is_payable for o in orders if o.state == "pending"):
            messages.error(request, SaleError("order_not_payable").message)
        elif action == "pay":
            for payment in payments:
                paid = services.payment_confirm(payment_id=payment.pk, reference=f"demo-{payment.pk}")
                orders = [paid if o.pk == paid.pk else o for o in orders]
        elif action == "refuse":
            for payment in payments:
                services.payment_fail(payment_id=payment.pk)
            messages.error(request, SaleError("payment_refused").message)
            return redirect("ticketing:demo_payment", checkout=checkout)
        elif action == "later":
            for payment in payments:
                services.payment_mark_pending(payment_id=payment.pk)
            messages.info(request, _("Paiement en cours de confirmation par la banque (simulation)."))
        if action != "pay":  # confirming gave back each order as it now is
            orders = _checkout_orders(request, checkout)
        if all(o.state == "paid" for o in orders) or action == "later":
            return redirect(
                orders[0].get_absolute_url() if len(orders) == 1 else f"/paiement/termine/{checkout}/"
            )
        return redirect("ticketing:demo_payment", checkout=checkout)
    total = sum(p.amount for p in payments)  # less any gift voucher part
    return render(
        request,
        "ticketing/demo_payment.html",
        {
            "orders": orders,
            "total": total,
            "payments": payments,
            "webhook_signature": {p.pk: demo_webhook_signature(p.pk) for p in payments},
        },
    )


def demo_webhook_signature(payment_id: int) -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), f"demo-payment:{payment_id}".encode(), hashlib.sha256
    ).hexdigest()


@csrf_exempt
@require_POST
def demo_webhook(request):
    """What a provider's server calls: signed, idempotent (a second call confirms nothing more)."""
    payment_id = request.POST.get("payment", "")
    signature = request.headers.get("X-Parvis-Demo-Signature", "")
    if not is_digits(payment_id) or not hmac.compare_digest(
        signature, demo_webhook_signature(int(payment_id))
    ):
        return HttpResponse(status=400)
    payment = Payment.objects.filter(pk=payment_id, provider="demo").first()
    if payment is None:
        return HttpResponse(status=404)
    services.payment_confirm(payment_id=payment.pk, reference=f"demo-{payment.pk}")
    return HttpResponse(status=200)


def _stripe_target(request, orders, *, resume: bool = False) -> str:
    """Stripe's page for these orders: a new one, or (``resume``) the one still open for their checkout."""
    import stripe

    base = settings.PARVIS_BASE_URL
    urls = {
        "success_url": f"{base}/paiement/stripe/retour/{orders[0].checkout}/",
        "cancel_url": base + orders[0].get_absolute_url(),
    }
    try:
        if resume:
            url = stripe_provider.payment_resume(orders[0], **urls)
        else:
            url = stripe_provider.checkout_session_create(orders=orders, **urls)
    except stripe.StripeError:
        messages.error(request, _("Le service de paiement ne répond pas. Réessayez dans un instant."))
        url = ""
    return url or orders[0].get_absolute_url()  # nothing to pay there: the order says where it stands


def providers_to_resume(order: Order) -> set[str]:
    """The online providers through which the buyer may (still) pay this order from its page."""
    if not order.is_payable:
        return set()
    due = order.payments.filter(state__in=[PaymentState.CREATED, PaymentState.PENDING])
    return set(due.values_list("provider", flat=True)) & {"stripe", "demo"} & set(enabled_providers())


def payment_resume(request, order: Order) -> str:
    """The buyer comes back to pay an order (Stripe's page left, or out of reach when it was placed)."""
    providers = providers_to_resume(order)
    if not providers:
        messages.error(request, SaleError("order_not_payable").message)
        return order.get_absolute_url()
    _checkout_remember(request, order.checkout)  # the page paid returns to this checkout, in this browser
    if "stripe" in providers:
        return _stripe_target(request, [order], resume=True)
    return reverse("ticketing:demo_payment", kwargs={"checkout": order.checkout})


def stripe_return(request, checkout):
    import stripe

    orders = _checkout_orders(request, checkout)
    session_id = request.GET.get("session_id", "")[:200]
    if session_id:
        try:
            stripe_provider.session_return(session_id)
        except stripe.StripeError:
            pass  # the webhook will confirm; the order page says the payment is being confirmed
    return redirect(orders[0].get_absolute_url() if len(orders) == 1 else f"/paiement/termine/{checkout}/")


@csrf_exempt
@require_POST
def stripe_webhook(request):
    import stripe

    if not settings.STRIPE_WEBHOOK_SECRET:
        raise Http404
    try:
        stripe_provider.webhook_handle(request.body, request.headers.get("Stripe-Signature", ""))
    except (ValueError, stripe.SignatureVerificationError):
        return HttpResponse(status=400)
    return HttpResponse(status=200)


def payment_target(request, order, provider_code: str) -> str:
    """Where a buyer goes once an order without places (a voucher, a pass) is placed: to pay, or to it."""
    _checkout_remember(request, order.checkout)
    if provider_code == "stripe":
        return _stripe_target(request, [order])
    if provider_code == "demo" and order.state != "paid":
        return reverse("ticketing:demo_payment", kwargs={"checkout": order.checkout})
    return order.get_absolute_url()

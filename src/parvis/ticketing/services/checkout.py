"""Checkout: a cart's holds become one order per seller, each paid by its steps (docs/adr/0005)."""

import datetime
import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from parvis.core.audit import audit_record
from parvis.core.compiled import CompiledQuery, insert
from parvis.network.models import Organizer

from .. import promo
from ..errors import SaleError
from ..models import (
    Cart,
    Channel,
    Hold,
    HoldState,
    Order,
    OrderExtra,
    OrderItem,
    OrderState,
    Payment,
    PaymentState,
    Product,
    TariffKind,
    Voucher,
    live_orders_q,
)
from ..providers import PROVIDERS, TRANSFER_MARGIN, TRANSFER_MIN_WINDOW, enabled_providers
from ..vouchers import normalise_code, voucher_redeem
from .buyer import Buyer, consents_record, sellers_of
from .cart import cart_benefits, cart_discounts
from .fulfilment import order_fulfil, payment_confirm

_holds_to_order = CompiledQuery(  # each checkout's first read, written as SQL once per process
    Hold,
    lambda cart_id: (
        # Lock only the cart's holds ("self"): locking the joined tariff and performance rows too would
        # deadlock with concurrent buyers whose inserts take key-share locks on those rows.
        Hold.objects.select_for_update(of=("self",))
        .filter(cart_id=cart_id, state=HoldState.ACTIVE, order__isnull=True)
        .select_related("tariff", "performance__event__organizer")
        .order_by("id")
    ),
)


def payer_check(provider_code: str, *, channel: str, counter_payments, voucher_code: str) -> None:
    """Who pays, and whether they may on this channel: the counter's money at the box office, a partner
    channel through its API only, a gift voucher with its code, or an enabled payment provider."""
    if provider_code == "box_office":
        if channel != Channel.BOX_OFFICE or counter_payments is None:
            raise SaleError("provider_unavailable")
    elif provider_code == "channel":  # paid to a partner sales channel: only through its API
        if channel != Channel.API:
            raise SaleError("provider_unavailable")
    elif provider_code == "voucher":
        if not voucher_code.strip():
            raise SaleError("voucher_unknown")
    elif enabled_providers().get(provider_code) is None:
        raise SaleError("provider_unavailable")


def _holds_locked(cart: Cart, now) -> list[Hold]:
    """The cart's live holds, locked: none, or one expired, refuses the checkout."""
    holds = _holds_to_order(cart.pk)
    for hold in holds:
        hold.cart = cart
    if not holds:
        expired = cart.holds.filter(
            order__isnull=True, state__in=[HoldState.EXPIRED, HoldState.ACTIVE]
        ).exists()
        raise SaleError("hold_expired" if expired else "cart_empty")
    if any(h.expires_at <= now for h in holds):
        raise SaleError("hold_expired")
    return holds


@dataclass
class Priced:
    """A cart priced at checkout: what each hold costs, the add-ons and donations, who sells what."""

    holds: list[Hold]
    member: dict  # organizer id -> the member card's benefits there (or None)
    off: dict  # hold id -> discount per ticket
    promo_used: bool
    extra_lines: dict  # organizer id -> add-on and donation lines (not saved)
    sellers: dict  # organizer id -> the organizer that sells its places on this channel
    total: Decimal = Decimal(0)

    def by_seller(self) -> dict[int, list[Hold]]:
        grouped: dict[int, list[Hold]] = defaultdict(list)
        for hold in self.holds:
            grouped[self.sellers[hold.performance.event.organizer_id]].append(hold)
        return grouped

    def order_extras(self, seller_id: int) -> list:
        return [e for o, lines in self.extra_lines.items() if self.sellers[o] == seller_id for e in lines]

    def membership_id(self, seller_id: int) -> int | None:
        """The member card whose benefits this seller's order used."""
        cards = (b.membership_id for o, b in self.member.items() if b and self.sellers[o] == seller_id)
        return next(cards, None)

    def order_total(self, seller_id: int, holds: list[Hold]) -> Decimal:
        total = sum(((h.tariff.price - self.off[h.pk]) * h.quantity for h in holds), Decimal(0))
        return total + sum((e.unit_price * e.quantity for e in self.order_extras(seller_id)), Decimal(0))


def cart_price(cart: Cart, holds: list[Hold], now, *, extras: dict, donations: dict, channel: str) -> Priced:
    """Price the cart from the tariffs and products (never from the buyer): member benefits, the promo
    code (one use taken), add-ons and donations; and who sells each organizer's places."""
    organizer_ids = {h.performance.event.organizer_id for h in holds}
    member = {o: cart_benefits(cart, o, at=now) for o in organizer_ids}
    if any(
        h.tariff.kind == TariffKind.MEMBER and not member[h.performance.event.organizer_id] for h in holds
    ):
        raise SaleError("member_only")  # the card was cancelled or ended since the places were chosen
    extra_lines = _extra_lines(organizer_ids, extras, donations, member=member)
    off, promo_used = cart_discounts(cart, holds, at=now)
    if promo_used:
        promo.take_use(cart.promo)
    priced = Priced(holds, member, off, promo_used, extra_lines, sellers_of(organizer_ids, channel=channel))
    priced.total = sum(((h.tariff.price - off[h.pk]) * h.quantity for h in holds), Decimal(0))
    priced.total += sum(
        (e.unit_price * e.quantity for lines in extra_lines.values() for e in lines), Decimal(0)
    )
    if any(amount and priced.sellers.get(o, o) != o for o, amount in donations.items()):
        raise SaleError("invalid_donation")  # a gift goes to the organizer itself, with its receipt
    return priced


def _payment_window(code: str, holds: list[Hold], seller_id: int, now) -> datetime.timedelta:
    """How long the buyer has to pay; a transfer must arrive before the first performance."""
    window = PROVIDERS[code].payment_window
    if code == "transfer":
        first = min(h.performance.starts_at for h in holds)
        window = min(window, first - TRANSFER_MARGIN - now)
        seller = Organizer.objects.filter(pk=seller_id).values_list("bank_details", flat=True)
        if window < TRANSFER_MIN_WINDOW or not seller.first():
            raise SaleError("provider_unavailable")
    return window


def _order_items(order: Order, holds: list[Hold], off: dict, buyer: Buyer) -> None:
    """The order's places: each hold kept until the payment deadline and tied to the order, at once."""
    for hold in holds:
        if not Hold.objects.filter(pk=hold.pk, state=HoldState.ACTIVE, expires_at__gt=timezone.now()).update(
            expires_at=order.expires_at, order=order
        ):
            raise SaleError("hold_expired")
        names = [n.strip()[:200] for n in buyer.attendee_names.get(hold.pk, [])][: hold.quantity]
        insert(
            OrderItem(
                order=order,
                performance=hold.performance,
                tariff=hold.tariff,
                quantity=hold.quantity,
                unit_price=hold.tariff.price - off[hold.pk],
                discount=off[hold.pk],
                slot_id=hold.slot_id,
                vat_rate=hold.tariff.vat_rate,
                hold=hold,
                attendee_names=names,
            )
        )


@dataclass
class Checkout:
    """What a buyer asks at checkout: the parameters of `checkout_place_orders`."""

    cart: Cart
    buyer: Buyer
    provider_code: str
    consents: list[dict]
    customer: object
    counter_payments: list | None
    notify: bool
    voucher_code: str


def _order_place(request: Checkout, priced: Priced, seller_id: int, holds, *, now, checkout_id, contact):
    """One seller's order of the cart (not paid yet), its places, add-ons and the consents given."""
    order_total = priced.order_total(seller_id, holds)
    code = "free" if order_total == 0 else request.provider_code
    window = _payment_window(code, holds, seller_id, now)
    cart, off = request.cart, priced.off
    order = insert(
        Order(
            contact=contact,
            organizer_id=seller_id,
            checkout=checkout_id,
            channel=cart.channel,
            **request.buyer.order_fields(seller_id),
            total=order_total,
            currency=holds[0].tariff.currency,
            expires_at=now + window,
            consents=request.consents,
            customer=request.customer,
            promo=cart.promo if priced.promo_used and any(off[h.pk] for h in holds) else None,
            membership_id=next(
                (b.membership_id for o, b in priced.member.items() if b and priced.sellers[o] == seller_id),
                None,
            ),
            subscription_id=cart.subscription_id,
        )
    )
    _order_items(order, holds, off, request.buyer)
    for extra in priced.order_extras(seller_id):
        extra.order = order
        extra.save()
    consents_record(contact, order, request.consents)
    return order, code


def _order_pay(request: Checkout, order: Order, code: str, now) -> bool:
    """Start paying one order: at once (the counter's money, a gift voucher covering it), or a payment
    waiting for the buyer, with a voucher's part spent when the rest is paid. True if a voucher paid."""
    voucher_code, voucher_part = request.voucher_code, Decimal(0)
    if voucher_code.strip() and code not in ("box_office", "voucher", "free"):
        voucher_part = _voucher_part(order.organizer_id, voucher_code, order.total, now)
        if voucher_part == order.total:  # it covers the whole order after all
            code, voucher_part = "voucher", Decimal(0)
    if code in ("box_office", "voucher"):
        lines = request.counter_payments if code == "box_office" else [("voucher", order.total, voucher_code)]
        _counter_payments_record(order, lines or [], now)
        order_fulfil(order, now, notify=request.notify, paid_by=code)
        return code == "voucher" and request.provider_code != "voucher"
    if voucher_part:  # spent when the rest is paid (see order_fulfil)
        Payment.objects.create(
            order=order,
            provider="voucher",
            amount=voucher_part,
            currency=order.currency,
            reference=f"{normalise_code(voucher_code)}/{order.code}",
        )
    payment = insert(
        Payment(order=order, provider=code, amount=order.total - voucher_part, currency=order.currency)
    )
    audit_record(
        actor=request.customer,
        action="order.place",
        instance=order,
        organizer_id=order.organizer_id,
        after={"state": order.state, "total": str(order.total), "provider": code},
    )
    order.first_payment = payment
    if PROVIDERS[code].confirms_immediately:
        payment_confirm(payment_id=payment.pk)
        order.refresh_from_db()
    return voucher_part > 0


def checkout_place_orders(
    *,
    cart: Cart,
    buyer: Buyer,
    provider_code: str,
    consents: list[dict] | None = None,
    expected_total: Decimal | None = None,
    customer=None,
    extras: dict[int, list[tuple[int, int]]] | None = None,
    donations: dict[int, Decimal] | None = None,
    counter_payments: list[tuple[str, Decimal, str]] | None = None,
    notify: bool = True,
    contact=None,
    voucher_code: str = "",
) -> list[Order]:
    """Turn the cart's live holds into one pending order per organizer; free orders are confirmed at once.

    Prices come from the tariffs, never from the buyer. Nothing is written if anything is wrong.
    At the box office (`provider_code="box_office"`), `counter_payments` lists the money taken at the
    counter, (method, amount, reference): the order is paid at once and must be paid in full.
    A gift voucher (`voucher_code`) pays its organizer's order: all of it with `provider_code="voucher"`, or
    up to its balance with another provider paying the rest; the voucher is then spent when that payment is
    confirmed (so an order left unpaid never holds a voucher's money).
    Each step (who pays, the holds, the price, each seller's order, its payment) is a function of its own.
    """
    payer_check(
        provider_code, channel=cart.channel, counter_payments=counter_payments, voucher_code=voucher_code
    )
    request = Checkout(
        cart, buyer, provider_code, consents or [], customer, counter_payments, notify, voucher_code
    )
    now = timezone.now()
    with transaction.atomic():
        holds = _holds_locked(cart, now)
        priced = cart_price(
            cart, holds, now, extras=extras or {}, donations=donations or {}, channel=cart.channel
        )
        if expected_total is not None and Decimal(expected_total) != priced.total:
            raise SaleError("price_mismatch", total=str(priced.total))
        if priced.total > 0 and provider_code == "free":
            raise SaleError("provider_unavailable")
        orders, voucher_used = [], False
        checkout_id = uuid.uuid4()  # one payment page for the orders of one cart
        for seller_id, seller_holds in priced.by_seller().items():
            # The buyer's profile at this seller (one per person and organizer), unless the counter chose it.
            profile = contact if contact is not None else buyer.contact_at(seller_id, source=cart.channel)
            order, code = _order_place(
                request, priced, seller_id, seller_holds, now=now, checkout_id=checkout_id, contact=profile
            )
            voucher_used = _order_pay(request, order, code, now) or voucher_used
            orders.append(order)
        if voucher_code.strip() and provider_code not in ("voucher", "box_office") and not voucher_used:
            if priced.total:  # a code typed in that pays nothing of this cart: say so rather than ignore it
                raise SaleError("voucher_unknown")
    for order in orders:
        if order.state != OrderState.PENDING or not hasattr(order, "first_payment"):
            order.refresh_from_db()  # paid at the counter or with a voucher inside: read what it became
    return orders


def _voucher_part(organizer_id: int, code: str, order_total: Decimal, now) -> Decimal:
    """How much of this organizer's order the voucher can pay now (0 if it is another organizer's)."""

    voucher = Voucher.objects.filter(organizer_id=organizer_id, code=normalise_code(code)).first()
    if voucher is None:
        return Decimal(0)
    if voucher.cancelled_at is not None:
        raise SaleError("voucher_unknown")
    if voucher.expires_at <= now:
        raise SaleError("voucher_expired")
    return min(voucher.balance, order_total)


def order_payment_start(
    *,
    order: Order,
    provider_code: str,
    counter_payments: list[tuple[str, Decimal, str]] | None = None,
    notify: bool = True,
) -> Payment | None:
    """Start paying an order without places (a card, a pass, a voucher), in the caller's transaction.

    At the counter the money taken pays it at once; a free order or a provider that confirms immediately
    is paid at once too; otherwise the payment waits for the buyer."""
    if order.channel == Channel.BOX_OFFICE and counter_payments is not None:
        now = timezone.now()
        _counter_payments_record(order, counter_payments, now)
        order_fulfil(order, now, notify=notify)
        return None
    payment = Payment.objects.create(
        order=order, provider=provider_code, amount=order.total, currency=order.currency
    )
    if PROVIDERS[provider_code].confirms_immediately:
        payment_confirm(payment_id=payment.pk, notify=notify)
    return payment


def _counter_payments_record(order: Order, lines: list[tuple[str, Decimal, str]], now) -> None:
    """The money taken at the counter for this order, each method confirmed; it must cover the order."""

    paid = sum((Decimal(amount) for _method, amount, _ref in lines), Decimal(0))
    if paid != order.total or any(Decimal(amount) <= 0 for _m, amount, _r in lines):
        raise SaleError("price_mismatch", total=str(order.total))
    Payment.objects.bulk_create(
        Payment(
            order=order,
            provider=method,
            amount=Decimal(amount),
            currency=order.currency,
            state=PaymentState.CONFIRMED,
            # A voucher pays many orders: its code alone would not be a unique reference.
            reference=f"{normalise_code(reference)}/{order.code}" if method == "voucher" else reference,
            confirmed_at=now,
        )
        for method, amount, reference in lines
    )
    for method, amount, reference in lines:
        if method == "voucher":
            voucher_redeem(
                organizer_id=order.organizer_id, code=reference, amount=Decimal(amount), order=order
            )


def product_stock_left(product, *, lock: bool = False) -> int | None:
    """What is left of a product with a stock: the stock less what live orders hold (paid, or pending and
    not expired). Counted from the orders, so an unpaid order that expires gives its items back without
    any worker; `lock` takes the product's row first, so two buyers cannot take the last one."""

    if product.stock is None:
        return None
    if lock:
        Product.objects.select_for_update().filter(pk=product.pk).first()
    now = timezone.now()
    taken = (
        OrderExtra.objects.filter(product=product, kind=OrderExtra.Kind.PRODUCT)
        .filter(live_orders_q(now, prefix="order__"))
        .aggregate(n=Sum("quantity"))["n"]
        or 0
    )
    return max(0, product.stock - taken)


def _extra_lines(
    organizer_ids: set[int], extras: dict, donations: dict, *, member: dict | None = None
) -> dict[int, list]:
    """Validated add-on and donation lines per organizer (not saved). Prices come from the products,
    less the discount a member card gives on add-ons at that organizer."""

    lines: dict[int, list] = defaultdict(list)
    for organizer_id, wanted in extras.items():
        for product_id, quantity in wanted:
            if not quantity:
                continue
            product = Product.objects.filter(pk=product_id, organizer_id=organizer_id, is_active=True).first()
            if product is None or organizer_id not in organizer_ids:
                raise SaleError("unknown_product")
            if not 0 < quantity <= product.max_per_order:
                raise SaleError("quantity_limit", limit=product.max_per_order)
            if product.stock is not None:
                left = product_stock_left(product, lock=True)
                if quantity > left:
                    raise SaleError("out_of_stock", product=product.name, left=left)
            benefits = (member or {}).get(organizer_id)
            percent = benefits.addon_discount_percent if benefits else Decimal(0)
            lines[organizer_id].append(
                OrderExtra(
                    kind=OrderExtra.Kind.PRODUCT,
                    product=product,
                    description=product.name,
                    quantity=quantity,
                    unit_price=product.price - (product.price * percent / 100).quantize(Decimal("0.01")),
                    vat_rate=product.vat_rate,
                )
            )
    for organizer_id, amount in donations.items():
        if not amount:
            continue
        try:
            amount = Decimal(amount).quantize(Decimal("0.01"))
        except (ArithmeticError, ValueError, TypeError):
            raise SaleError("invalid_donation") from None
        accepts = Organizer.objects.filter(pk=organizer_id, accepts_donations=True).exists()
        if organizer_id not in organizer_ids or not accepts or not Decimal(1) <= amount <= Decimal(10000):
            raise SaleError("invalid_donation")
        lines[organizer_id].append(
            OrderExtra(
                kind=OrderExtra.Kind.DONATION,
                description="Don",
                quantity=1,
                unit_price=amount,
                vat_rate=Decimal("0.00"),
            )
        )
    return lines

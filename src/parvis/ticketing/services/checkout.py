"""Checkout: a cart's holds become one order per seller, each paid by its steps (docs/adr/0005)."""

import uuid
from collections import defaultdict
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
    """
    if provider_code == "box_office":
        if cart.channel != Channel.BOX_OFFICE or counter_payments is None:
            raise SaleError("provider_unavailable")
    elif provider_code == "channel":  # paid to a partner sales channel: only through its API
        if cart.channel != Channel.API:
            raise SaleError("provider_unavailable")
    elif provider_code == "voucher":
        if not voucher_code.strip():
            raise SaleError("voucher_unknown")
    elif enabled_providers().get(provider_code) is None:
        raise SaleError("provider_unavailable")
    now = timezone.now()
    with transaction.atomic():
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
        organizer_ids = {h.performance.event.organizer_id for h in holds}
        member = {o: cart_benefits(cart, o, at=now) for o in organizer_ids}
        if any(
            h.tariff.kind == TariffKind.MEMBER and not member[h.performance.event.organizer_id] for h in holds
        ):
            raise SaleError("member_only")  # the card was cancelled or ended since the places were chosen
        extra_lines = _extra_lines(organizer_ids, extras or {}, donations or {}, member=member)
        promo_code = cart.promo if cart.promo_id else None
        off, promo_used = cart_discounts(cart, holds, at=now)
        if promo_used:
            promo.take_use(promo_code)
        total = sum(((h.tariff.price - off[h.pk]) * h.quantity for h in holds), Decimal(0))
        total += sum((e.unit_price * e.quantity for lines in extra_lines.values() for e in lines), Decimal(0))
        if expected_total is not None and Decimal(expected_total) != total:
            raise SaleError("price_mismatch", total=str(total))
        if total > 0 and provider_code == "free":
            raise SaleError("provider_unavailable")
        sellers = sellers_of(organizer_ids, channel=cart.channel)
        if any(amount and sellers.get(o, o) != o for o, amount in (donations or {}).items()):
            raise SaleError("invalid_donation")  # a gift goes to the organizer itself, with its receipt
        by_organizer: dict[int, list[Hold]] = defaultdict(list)
        for hold in holds:
            by_organizer[sellers[hold.performance.event.organizer_id]].append(hold)
        orders = []
        voucher_used = False
        checkout_id = uuid.uuid4()  # one payment page for the orders of one cart
        for organizer_id, organizer_holds in by_organizer.items():
            order_total = sum(
                ((h.tariff.price - off[h.pk]) * h.quantity for h in organizer_holds), Decimal(0)
            )
            order_extras = [
                e for o, lines in extra_lines.items() if sellers[o] == organizer_id for e in lines
            ]
            order_total += sum((e.unit_price * e.quantity for e in order_extras), Decimal(0))
            code = "free" if order_total == 0 else provider_code
            window = PROVIDERS[code].payment_window
            if code == "transfer":  # the money must arrive before the first performance
                first = min(h.performance.starts_at for h in organizer_holds)
                window = min(window, first - TRANSFER_MARGIN - now)

                seller = Organizer.objects.filter(pk=organizer_id).values_list("bank_details", flat=True)
                if window < TRANSFER_MIN_WINDOW or not seller.first():
                    raise SaleError("provider_unavailable")
            if contact is None:
                contact = buyer.contact_at(organizer_id, source=cart.channel)
            order = insert(
                Order(
                    contact=contact,
                    organizer_id=organizer_id,
                    checkout=checkout_id,
                    channel=cart.channel,
                    **buyer.order_fields(organizer_id),
                    total=order_total,
                    currency=organizer_holds[0].tariff.currency,
                    expires_at=now + window,
                    consents=consents or [],
                    customer=customer,
                    promo=promo_code if promo_used and any(off[h.pk] for h in organizer_holds) else None,
                    membership_id=next(
                        (b.membership_id for o, b in member.items() if b and sellers[o] == organizer_id), None
                    ),
                    subscription_id=cart.subscription_id,
                )
            )
            for hold in organizer_holds:  # kept until the payment deadline, and tied to the order, at once
                if not Hold.objects.filter(
                    pk=hold.pk, state=HoldState.ACTIVE, expires_at__gt=timezone.now()
                ).update(expires_at=order.expires_at, order=order):
                    raise SaleError("hold_expired")
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
                        attendee_names=[n.strip()[:200] for n in buyer.attendee_names.get(hold.pk, [])][
                            : hold.quantity
                        ],
                    )
                )
            for extra in order_extras:
                extra.order = order
                extra.save()
            consents_record(contact, order, consents or [])
            voucher_part = Decimal(0)
            if voucher_code.strip() and code not in ("box_office", "voucher", "free"):
                voucher_part = _voucher_part(organizer_id, voucher_code, order_total, now)
                voucher_used = voucher_used or voucher_part > 0
                if voucher_part == order_total:  # it covers the whole order after all
                    code, voucher_part = "voucher", Decimal(0)
            if code in ("box_office", "voucher"):
                lines = counter_payments if code == "box_office" else [("voucher", order_total, voucher_code)]
                _counter_payments_record(order, lines or [], now)
                order_fulfil(order, now, notify=notify, paid_by=code)
                orders.append(order)
                continue
            if voucher_part:  # spent when the rest is paid (see order_fulfil)
                Payment.objects.create(
                    order=order,
                    provider="voucher",
                    amount=voucher_part,
                    currency=order.currency,
                    reference=f"{normalise_code(voucher_code)}/{order.code}",
                )
            payment = insert(
                Payment(
                    order=order, provider=code, amount=order_total - voucher_part, currency=order.currency
                )
            )
            audit_record(
                actor=customer,
                action="order.place",
                instance=order,
                organizer_id=organizer_id,
                after={"state": order.state, "total": str(order_total), "provider": code},
            )
            order.first_payment = payment
            if PROVIDERS[code].confirms_immediately:
                payment_confirm(payment_id=payment.pk)
                order.refresh_from_db()
            orders.append(order)
        if voucher_code.strip() and provider_code not in ("voucher", "box_office") and not voucher_used:
            if total:  # a code typed in that pays nothing of this cart: say so rather than ignore it
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

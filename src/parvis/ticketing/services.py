"""Selling: carts and holds, checkout, payment confirmation, tickets, cancellation.

Each function owns its transaction; e-mails go out after commit through a task. Capacity is only touched
through `inventory`.
"""

import contextlib
import datetime
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max, Q, Sum
from django.utils import timezone

from parvis.core.audit import audit_record
from parvis.core.background import enqueue_on_commit
from parvis.core.compiled import CompiledQuery, insert, insert_many
from parvis.crm import services as crm
from parvis.network.models import NetworkMembership
from parvis.programming.models import EventStatus, PerformanceStatus

from . import inventory, promo, signing
from .errors import SaleError
from .models import (
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
    PromoCode,
    Quota,
    SalesConfig,
    Tariff,
    TariffKind,
    Ticket,
    TicketSeries,
    TicketState,
)
from .providers import PROVIDERS, TRANSFER_MARGIN, TRANSFER_MIN_WINDOW, enabled_providers

DEFAULT_MAX_PER_ORDER = 10


def hold_duration() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.PARVIS_HOLD_MINUTES)


def _sales_config(performance) -> SalesConfig:
    try:
        return performance.sales
    except SalesConfig.DoesNotExist:
        return SalesConfig(performance=performance)


def check_on_sale(
    tariff: Tariff, *, channel: str, now: datetime.datetime | None = None, benefits=None, subscription=None
) -> None:
    """Raise SaleError unless this tariff can be sold on this channel now.

    `benefits` are those of the buyer's member card here (see `memberships.public.benefits_for`): member
    tariffs need them, and members may buy `priority_days` before the public on-sale date."""
    now = now or timezone.now()
    performance = tariff.performance
    if (
        not tariff.is_active
        or not tariff.sold_on(channel)
        or performance.event.status != EventStatus.PUBLISHED
        or performance.status not in (PerformanceStatus.PUBLISHED, PerformanceStatus.SOLD_OUT)
    ):
        raise SaleError("unknown_tariff")
    if tariff.kind == TariffKind.MEMBER and benefits is None:
        raise SaleError("member_only")
    if tariff.kind == TariffKind.SUBSCRIBER:
        from parvis.memberships.public import subscription_covers

        if subscription is None or not subscription_covers(subscription, performance):
            raise SaleError("subscriber_only")
    config = _sales_config(performance)
    opens = max(filter(None, [config.opens_at, tariff.sales_open_at]), default=None)
    if opens and benefits is not None and benefits.priority_days:
        opens -= datetime.timedelta(days=benefits.priority_days)
    if opens and now < opens:
        raise SaleError("sales_not_open")
    closes = [tariff.sales_close_at]
    if channel != Channel.BOX_OFFICE:
        closes.append(performance.starts_at - datetime.timedelta(minutes=config.online_close_minutes))
    else:
        closes.append(performance.ends_at or performance.starts_at + datetime.timedelta(hours=4))
    close = min(filter(None, closes), default=None)
    if close and now >= close:
        raise SaleError("sales_closed")


def max_per_order(tariff: Tariff) -> int:
    limits = [_sales_config(tariff.performance).max_per_order, tariff.max_per_order or DEFAULT_MAX_PER_ORDER]
    return min(limits)


# Read on every page of a purchase: written as SQL once per process (`CompiledQuery`).
_live_holds = CompiledQuery(
    Hold,
    lambda cart_id, now: (
        Hold.objects.filter(cart_id=cart_id, state=HoldState.ACTIVE, order__isnull=True, expires_at__gt=now)
        .select_related("tariff", "performance__event__organizer", "performance__venue", "slot")
        .order_by("performance__starts_at", "id")
    ),
)


def cart_live_holds(cart: Cart) -> list[Hold]:
    holds = _live_holds(cart.pk, timezone.now())
    for hold in holds:
        hold.cart = cart
    return holds


def cart_add(
    *,
    cart: Cart,
    tariff_id: int,
    quantity: int,
    channel: str = Channel.ONLINE,
    slot_id: int | None = None,
    new_cart: bool = False,
    tariff: Tariff | None = None,
) -> Hold:
    """Hold places of a tariff in the cart. `new_cart`: the caller has just created it (nothing in it yet).
    `tariff`: that tariff, if the caller has just read it with its performance, event and sales config."""
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise SaleError("invalid_quantity")
    if tariff is None or tariff.pk != tariff_id:
        try:
            tariff = next(iter(_sale_tariffs([int(tariff_id)])), None)
        except (TypeError, ValueError):
            tariff = None
    if tariff is None:
        raise SaleError("unknown_tariff")
    benefits = cart_benefits(cart, tariff.performance.event.organizer_id)
    check_on_sale(
        tariff,
        channel=channel,
        benefits=benefits,
        subscription=cart.subscription if cart.subscription_id else None,
    )
    if tariff.kind == TariffKind.MEMBER:
        members = (
            cart.holds.filter(
                state=HoldState.ACTIVE,
                order__isnull=True,
                expires_at__gt=timezone.now(),
                performance_id=tariff.performance_id,
                tariff__kind=TariffKind.MEMBER,
            ).aggregate(n=Sum("quantity"))["n"]
            or 0
        )
        if members + quantity > benefits.persons:
            raise SaleError("member_limit", limit=benefits.persons)
    already = 0
    if not new_cart:
        already = (
            cart.holds.filter(
                state=HoldState.ACTIVE,
                order__isnull=True,
                expires_at__gt=timezone.now(),
                performance_id=tariff.performance_id,
            ).aggregate(n=Sum("quantity"))["n"]
            or 0
        )
    if already + quantity > max_per_order(tariff):
        raise SaleError("quantity_limit", limit=max_per_order(tariff))
    quotas = inventory.performance_quotas(tariff.performance_id)
    slots = {q.pk for q in quotas if q.is_slot}
    if slots and slot_id is None:
        raise SaleError("slot_required")
    if slot_id is not None and slot_id not in slots:
        raise SaleError("unknown_slot")
    try:
        return inventory.hold_places(
            cart=cart,
            tariff=tariff,
            quantity=quantity,
            channel=channel,
            expires_at=timezone.now() + hold_duration(),
            slot_id=slot_id,
            quotas=quotas,
        )
    except inventory.SoldOut:
        raise SaleError("sold_out") from None


def cart_apply_promo(*, cart: Cart, code: str) -> PromoCode | None:
    """Set (or, with an empty code, remove) the cart's promo code; it must apply to something in it."""
    if not code.strip():
        Cart.objects.filter(pk=cart.pk).update(promo=None)
        cart.promo = None
        return None
    holds = list(cart_live_holds(cart))
    found = promo.promo_find(organizer_ids={h.performance.event.organizer_id for h in holds}, code=code)
    if not any(promo.applies(found, h) for h in holds):
        raise SaleError("promo_not_applicable")
    Cart.objects.filter(pk=cart.pk).update(promo=found)
    cart.promo = found
    return found


def cart_benefits(cart: Cart, organizer_id: int, *, at: datetime.datetime | None = None):
    """The benefits of the cart's member card at this organizer, or None."""
    if not cart.membership_id:
        return None
    from parvis.memberships.public import benefits_for

    return benefits_for(cart.membership, organizer_id, at=at)


def cart_discounts(cart: Cart, holds, *, at: datetime.datetime | None = None) -> tuple[dict, bool]:
    """Each hold's discount per ticket, and whether the promo code gave any of it.

    A member tariff is free at the events the card opens for free; otherwise the promo code applies."""
    code = cart.promo if cart.promo_id else None
    benefits = {}
    off, promo_used = {}, False
    for hold in holds:
        organizer_id = hold.performance.event.organizer_id
        if organizer_id not in benefits:
            benefits[organizer_id] = cart_benefits(cart, organizer_id, at=at)
        found = benefits[organizer_id]
        if (
            hold.tariff.kind == TariffKind.MEMBER
            and found
            and hold.performance.event_id in found.free_event_ids
        ):
            off[hold.pk] = hold.tariff.price
            continue
        off[hold.pk] = promo.discount(code, hold)
        promo_used = promo_used or bool(off[hold.pk])
    return off, promo_used


def cart_unit_prices(cart: Cart, holds) -> dict[int, Decimal]:
    """Each hold's price per ticket once the member card and the promo code are applied."""
    off, _promo_used = cart_discounts(cart, holds)
    return {h.pk: h.tariff.price - off[h.pk] for h in holds}


def cart_apply_membership(*, cart: Cart, code: str, email: str | None):
    """Set (or, with an empty code, remove) the member card whose benefits apply to the cart
    (`email=None` at the counter, where the staff see the card)."""
    if not code.strip():
        Cart.objects.filter(pk=cart.pk).update(membership=None)
        cart.membership = None
        return None
    from parvis.memberships.public import membership_find

    membership = membership_find(code=code, email=email)
    if not membership.is_valid_at():
        raise SaleError("member_not_valid")
    Cart.objects.filter(pk=cart.pk).update(membership=membership)
    cart.membership = membership
    return membership


def cart_remove(*, cart: Cart, hold_id: int) -> None:
    hold = cart.holds.filter(pk=hold_id, order__isnull=True).first()
    if hold is not None:
        inventory.release_hold(hold)


@dataclass
class Buyer:
    email: str
    first_name: str
    last_name: str
    postal_code: str = ""
    language: str = "fr"
    postal_address: str = ""
    attendee_names: dict[int, list[str]] = field(default_factory=dict)  # hold id -> names
    # Accepted the seller's terms of sale (online); the order then records the version in force.
    terms_accepted: bool = False

    def contact_at(self, organizer_id: int, *, source: str):
        """The buyer's one audience profile at this organizer (created if new)."""
        return crm.contact_resolve(
            organizer_id=organizer_id,
            email=self.email,
            first_name=self.first_name,
            last_name=self.last_name,
            postal_code=self.postal_code,
            language=self.language,
            source=source,
        )

    def order_fields(self, organizer_id: int | None = None) -> dict:
        """Who an order for this organizer is for, as the order keeps it (trimmed; the e-mail in lower
        case), and the version of its terms of sale the buyer accepted."""
        terms = ""
        if self.terms_accepted and organizer_id is not None:
            from parvis.network.selectors import terms_version

            terms = terms_version(organizer_id=organizer_id)
        return {
            "terms_version": terms,
            "email": self.email.strip().lower(),
            "first_name": self.first_name.strip(),
            "last_name": self.last_name.strip(),
            "postal_code": self.postal_code.strip(),
            "postal_address": self.postal_address.strip()[:300],
            "language": self.language,
        }


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
                from parvis.network.models import Organizer

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
            _record_consents(contact, order, consents or [])
            voucher_part = Decimal(0)
            if voucher_code.strip() and code not in ("box_office", "voucher", "free"):
                voucher_part = _voucher_part(organizer_id, voucher_code, order_total, now)
                voucher_used = voucher_used or voucher_part > 0
                if voucher_part == order_total:  # it covers the whole order after all
                    code, voucher_part = "voucher", Decimal(0)
            if code in ("box_office", "voucher"):
                lines = counter_payments if code == "box_office" else [("voucher", order_total, voucher_code)]
                _counter_payments_record(order, lines or [], now)
                _order_fulfil(order, now, notify=notify, paid_by=code)
                orders.append(order)
                continue
            if voucher_part:  # spent when the rest is paid (see _order_fulfil)
                from .vouchers import normalise_code

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


# What a sale reads of a tariff, its performance and event (not the event's texts).
SALE_TARIFF_FIELDS = [
    *(f.name for f in Tariff._meta.concrete_fields),
    *(f"performance__{f}" for f in ("organizer", "event", "venue", "starts_at", "ends_at", "status")),
    "performance__event__organizer",
    "performance__event__status",
    "performance__sales",
]


# The paid-at-once sale's first read, written as SQL once per process (`CompiledQuery`).
_sale_tariffs = CompiledQuery(
    Tariff,
    lambda tariff_ids: (
        Tariff.objects.select_related("performance__event", "performance__sales")
        .only(*SALE_TARIFF_FIELDS)
        .filter(pk__in=tariff_ids)
    ),
)


@dataclass
class PaidLine:
    tariff_id: int
    quantity: int
    attendee_names: list[str] = field(default_factory=list)


def order_place_paid(
    *,
    organizer_id: int,
    lines: list[PaidLine],
    buyer: Buyer,
    provider_code: str,
    reference: str,
    channel: str = Channel.API,
    expected_total: Decimal | None = None,
    notify: bool = True,
) -> tuple[Order, list[Ticket]]:
    """Sell tickets paid at once (a sales channel's API): no cart and no hold, one transaction.

    Same rules and error codes as a checkout (`check_on_sale`, the per-order limit, prices from the
    tariffs, `expected_total`). The places are taken last, just before the tickets are numbered, so the
    quota rows are locked only for the few statements before commit. Inside a caller's transaction the
    whole of it rolls back on any error (no savepoint of its own).
    """
    if provider_code != "channel" and (
        provider_code not in ("free", "demo") or enabled_providers().get(provider_code) is None
    ):
        raise SaleError("provider_unavailable")
    if not lines:
        raise SaleError("cart_empty")
    if any(isinstance(line.quantity, bool) or line.quantity <= 0 for line in lines):
        raise SaleError("invalid_quantity")
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        tariffs = {tariff.pk: tariff for tariff in _sale_tariffs([line.tariff_id for line in lines])}
        per_performance: dict[int, int] = defaultdict(int)
        for line in lines:
            tariff = tariffs.get(line.tariff_id)
            if tariff is None or tariff.performance.organizer_id != organizer_id:
                raise SaleError("unknown_tariff")
            check_on_sale(tariff, channel=channel, now=now)
            per_performance[tariff.performance_id] += line.quantity
            if per_performance[tariff.performance_id] > max_per_order(tariff):
                raise SaleError("quantity_limit", limit=max_per_order(tariff))
        quotas = {pk: inventory.performance_quotas(pk) for pk in per_performance}
        if any(q.is_slot for performance_quotas in quotas.values() for q in performance_quotas):
            raise SaleError("slot_required")
        total = sum((tariffs[line.tariff_id].price * line.quantity for line in lines), Decimal(0))
        if expected_total is not None and Decimal(expected_total) != total:
            raise SaleError("price_mismatch", total=str(total))
        if total > 0 and provider_code == "free":
            raise SaleError("provider_unavailable")
        contact = buyer.contact_at(organizer_id, source=channel)
        provider_code = "free" if total == 0 else provider_code
        order = insert(
            Order(
                contact=contact,
                organizer_id=organizer_id,
                channel=channel,
                state=OrderState.PAID,
                **buyer.order_fields(),
                total=total,
                currency=tariffs[lines[0].tariff_id].currency,
                expires_at=now,
                paid_at=now,
            )
        )
        items = insert_many(
            OrderItem(
                order=order,
                performance=tariffs[line.tariff_id].performance,
                tariff=tariffs[line.tariff_id],
                quantity=line.quantity,
                unit_price=tariffs[line.tariff_id].price,
                vat_rate=tariffs[line.tariff_id].vat_rate,
                attendee_names=[n.strip()[:200] for n in line.attendee_names][: line.quantity],
            )
            for line in lines
        )
        payment = insert(
            Payment(
                order=order,
                provider=provider_code,
                amount=total,
                currency=order.currency,
                state=PaymentState.CONFIRMED,
                confirmed_at=now,
                reference=reference,
            )
        )
        crm.interaction_record(
            contact=contact,
            organizer_id=organizer_id,
            kind=crm.Interaction.Kind.ORDER,
            at=now,
            summary=order.code,
            amount=total,
            ref=f"order:{order.code}",
        )
        audit_record(
            actor=None,
            action="order.paid",
            instance=order,
            organizer_id=organizer_id,
            after={"state": OrderState.PAID, "total": str(total), "payment": payment.provider},
        )
        if notify and order.email:  # written now, and sent only if the sale commits
            from .tasks import send_order_confirmation

            enqueue_on_commit(send_order_confirmation, order_id=order.pk)
        key = signing.signing_key_for_id(organizer_id)
        tickets = []
        # Last: the quota and numbering rows stay locked from here until commit.
        for item in sorted(items, key=lambda i: (i.performance_id, i.tariff_id)):
            try:
                quota_ids = inventory.take_places(
                    tariff=item.tariff,
                    quantity=item.quantity,
                    channel=channel,
                    quotas=quotas[item.performance_id],
                )
            except inventory.SoldOut:
                raise SaleError("sold_out") from None
            tickets += _issue_tickets(order, item, quota_ids, key)
    return order, tickets


def _voucher_part(organizer_id: int, code: str, order_total: Decimal, now) -> Decimal:
    """How much of this organizer's order the voucher can pay now (0 if it is another organizer's)."""
    from .models import Voucher
    from .vouchers import normalise_code

    voucher = Voucher.objects.filter(organizer_id=organizer_id, code=normalise_code(code)).first()
    if voucher is None:
        return Decimal(0)
    if voucher.cancelled_at is not None:
        raise SaleError("voucher_unknown")
    if voucher.expires_at <= now:
        raise SaleError("voucher_expired")
    return min(voucher.balance, order_total)


def _vouchers_spend(order: Order, now) -> bool:
    """Spend the voucher parts of an order whose other payment is confirmed; False if a voucher no longer
    has enough (spent elsewhere meanwhile): then nothing is spent."""
    from .vouchers import voucher_redeem

    parts = list(order.payments.filter(provider="voucher", state=PaymentState.CREATED))
    try:
        with transaction.atomic():
            for part in parts:
                voucher_redeem(
                    organizer_id=order.organizer_id,
                    code=part.reference.partition("/")[0],
                    amount=part.amount,
                    order=order,
                )
                Payment.objects.filter(pk=part.pk).update(state=PaymentState.CONFIRMED, confirmed_at=now)
    except SaleError:
        return False
    return True


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
        _order_fulfil(order, now, notify=notify)
        return None
    payment = Payment.objects.create(
        order=order, provider=provider_code, amount=order.total, currency=order.currency
    )
    if PROVIDERS[provider_code].confirms_immediately:
        payment_confirm(payment_id=payment.pk, notify=notify)
    return payment


def sellers_of(organizer_ids, *, channel: str) -> dict[int, int]:
    """Who sells each organizer's places on this channel: itself, or online the network that sells on its
    behalf (the seller of record of the order; the tickets stay the organizer's, signed with its key)."""
    sellers = {pk: pk for pk in organizer_ids}
    if channel != Channel.ONLINE:  # the counter and a sales channel's API sell in their own name
        return sellers
    sellers.update(_network_sellers(list(organizer_ids)))
    return sellers


_network_sellers = CompiledQuery(  # asked at each step of a checkout
    NetworkMembership,
    lambda organizer_ids: NetworkMembership.objects.filter(
        organizer_id__in=organizer_ids, sold_by_network=True, network__ticket_seller__isnull=False
    ).values_list("organizer_id", "network__ticket_seller_id"),
)


def _counter_payments_record(order: Order, lines: list[tuple[str, Decimal, str]], now) -> None:
    """The money taken at the counter for this order, each method confirmed; it must cover the order."""
    from .vouchers import normalise_code, voucher_redeem

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


def _record_consents(contact, order: Order, consents: list[dict]) -> None:
    """Boxes ticked at checkout go to the consent ledger with their wording and version (unticked: none)."""
    if contact is None:
        return
    for consent in consents:
        if consent.get("given") and consent.get("purpose") in crm.Purpose.values:
            crm.consent_record(
                contact=contact,
                purpose=consent["purpose"],
                given=True,
                source=crm.Consent.Source.CHECKOUT,
                wording=consent.get("text", ""),
                version=consent.get("version", ""),
                proof={"order": order.code, "form": "checkout"},
            )


def product_stock_left(product, *, lock: bool = False) -> int | None:
    """What is left of a product with a stock: the stock less what live orders hold (paid, or pending and
    not expired). Counted from the orders, so an unpaid order that expires gives its items back without
    any worker; `lock` takes the product's row first, so two buyers cannot take the last one."""
    from .models import OrderExtra, Product, live_orders_q

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
    from parvis.network.models import Organizer

    from .models import OrderExtra, Product

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


def payment_confirm(*, payment_id: int, reference: str = "", notify: bool = True) -> Order:
    """Confirm a payment once (webhooks and returns may repeat) and issue the tickets.

    If the places were sold to someone else after the hold expired, the payment is refunded.
    """
    now = timezone.now()
    with transaction.atomic():
        payment = next(iter(_payment_with_order(payment_id)), None)
        if payment is None:
            raise Payment.DoesNotExist
        claimed = Payment.objects.filter(
            pk=payment_id, state__in=[PaymentState.CREATED, PaymentState.PENDING]
        ).update(state=PaymentState.CONFIRMED, confirmed_at=now, reference=reference or payment.reference)
        order = payment.order
        if not claimed:  # already confirmed (or failed/refunded): nothing happens twice
            order.refresh_from_db()  # the confirmation that won has committed: report its outcome
            return order
        _order_fulfil(order, now, payment=payment, notify=notify)
    order.refresh_from_db()
    return order


# A payment's confirmation reads these: written as SQL once per process.
_payment_with_order = CompiledQuery(
    Payment, lambda payment_id: Payment.objects.select_related("order").filter(pk=payment_id)
)
_items_to_fulfil = CompiledQuery(
    OrderItem,
    lambda order_id: (
        OrderItem.objects.filter(order_id=order_id)
        .select_related("hold", "tariff", "performance")
        .order_by("pk")
    ),
)


def _order_fulfil(
    order: Order, now, *, payment: Payment | None = None, notify: bool = True, paid_by: str = "box_office"
) -> None:
    """A paid order: its holds become sold places, tickets are issued and the confirmation is sent.
    Paid through `payment`, or at once (`paid_by`: at the counter, or with a gift voucher).

    If the places were sold to someone else after the hold expired, the money is marked refunded.
    """
    items = _items_to_fulfil(order.pk)
    for item in items:
        item.order = order
    paid_in_full = payment is not None and payment.amount == order.total
    if not paid_in_full and not _vouchers_spend(
        order, now
    ):  # the voucher's balance went elsewhere: the payment goes back
        for item in items:
            inventory.release_hold(item.hold)
        _auto_refund(order, "voucher balance spent elsewhere meanwhile", voucher=True)
        return
    try:
        # Each conversion is atomic; several are made all together (one item needs no second savepoint).
        with transaction.atomic() if len(items) > 1 else contextlib.nullcontext():
            converted = [(item, inventory.convert_hold(item.hold, channel=order.channel)) for item in items]
    except inventory.SoldOut:
        _auto_refund(order, "places sold after the hold expired")
        return
    Order.objects.filter(pk=order.pk).update(state=OrderState.PAID, paid_at=now)
    # Lines other than tickets (a card, a pass, a voucher, a donation) cost something or have no items:
    # an order of tickets whose total is its tickets has none to act on.
    tickets_only = items and order.total == sum((i.unit_price * i.quantity for i in items), Decimal(0))
    kinds = set() if tickets_only else set(order.extras.values_list("kind", flat=True))
    if OrderExtra.Kind.VOUCHER in kinds:  # gift vouchers bought in this order: issued once it is paid
        from .vouchers import vouchers_of_order_issue

        vouchers_of_order_issue(order)
    if OrderExtra.Kind.PASS in kinds:  # passes bought in this order become valid
        from parvis.passes.public import holdings_of_order_issue

        holdings_of_order_issue(order)
    if OrderExtra.Kind.MEMBERSHIP in kinds:  # member cards bought in this order become valid
        from parvis.memberships.public import memberships_of_order_issue

        memberships_of_order_issue(order)
    if order.subscription_id:  # the first order of a subscription makes it valid
        from parvis.memberships.public import subscriptions_of_order_issue

        subscriptions_of_order_issue(order)
    if OrderExtra.Kind.DONATION in kinds:  # the donation's tax receipt, where the organizer issues them
        from .receipts import receipts_of_order_issue

        order.paid_at = now
        receipts_of_order_issue(order)
    crm.interaction_record(
        contact_id=order.contact_id,
        organizer_id=order.organizer_id,
        kind=crm.Interaction.Kind.ORDER,
        at=now,
        summary=order.code,
        amount=order.total,
        ref=f"order:{order.code}",
    )
    audit_record(
        actor=None,
        action="order.paid",
        instance=order,
        organizer_id=order.organizer_id,
        before={"state": order.state},
        after={"state": OrderState.PAID, "payment": payment.provider if payment else paid_by},
    )
    if notify and order.email:
        from .tasks import send_order_confirmation

        enqueue_on_commit(send_order_confirmation, order_id=order.pk)
    keys = {}  # each ticket is signed by its performance's organizer (a network may sell on its behalf)
    for item, quota_ids in sorted(converted, key=lambda pair: pair[0].performance_id):
        organizer_id = item.performance.organizer_id
        if organizer_id not in keys:
            keys[organizer_id] = signing.signing_key_for_id(organizer_id)
        _issue_tickets(
            order, item, quota_ids, keys[organizer_id]
        )  # last: the numbering row is locked briefly


def _auto_refund(order: Order, reason: str, *, voucher: bool = False) -> None:
    """A payment confirmed for an order that can no longer be fulfilled: the money goes back, the order is
    cancelled, unconfirmed parts (a voucher's) are dropped, and the buyer is told.

    Each payment returned is marked refunded; one taken by an online provider (Stripe) is also refunded
    there, through a refund recorded beside it and sent after commit."""
    confirmed = list(Payment.objects.filter(order=order, state=PaymentState.CONFIRMED, amount__gt=0))
    Payment.objects.filter(order=order, state=PaymentState.CONFIRMED).update(state=PaymentState.REFUNDED)
    Payment.objects.filter(order=order, state=PaymentState.CREATED).update(state=PaymentState.FAILED)
    Order.objects.filter(pk=order.pk).update(state=OrderState.CANCELLED)
    from .tasks import send_auto_refund_notice

    for payment in confirmed:
        if payment.provider == "stripe":
            _refund_payment(order, payment.provider, payment.amount)
    audit_record(
        actor=None,
        action="order.auto_refund",
        instance=order,
        organizer_id=order.organizer_id,
        before={"state": order.state},
        after={"state": OrderState.CANCELLED, "reason": reason},
    )
    if order.email and confirmed:
        enqueue_on_commit(send_auto_refund_notice, order_id=order.pk, voucher=voucher)


def payment_fail(*, payment_id: int) -> Order:
    """A refused payment: the order stays payable until it expires, so the buyer can try again."""
    with transaction.atomic():
        payment = Payment.objects.select_related("order").get(pk=payment_id)
        if Payment.objects.filter(
            pk=payment_id, state__in=[PaymentState.CREATED, PaymentState.PENDING]
        ).update(state=PaymentState.FAILED):
            Payment.objects.create(
                order=payment.order,
                provider=payment.provider,
                amount=payment.amount,
                currency=payment.currency,
            )
            audit_record(
                actor=None,
                action="payment.failed",
                instance=payment.order,
                organizer_id=payment.order.organizer_id,
                after={"payment": payment.pk},
            )
    return payment.order


def payment_mark_pending(*, payment_id: int) -> None:
    Payment.objects.filter(pk=payment_id, state=PaymentState.CREATED).update(state=PaymentState.PENDING)


def _issue_tickets(order: Order, item: OrderItem, quota_ids: list[int], key) -> list[Ticket]:
    """Number, sign and insert the tickets of one item in few statements: called last in the confirmation's
    transaction, so the numbering row of the performance stays locked only briefly."""
    performance = item.performance
    last = _series_take(performance, item.quantity)
    names = list(item.attendee_names) + [""] * item.quantity
    valid_until = (performance.ends_at or performance.starts_at) + signing.VALIDITY_AFTER_START
    default_name = f"{order.first_name} {order.last_name}".strip()
    tickets = []
    for offset in range(item.quantity):
        number = last - item.quantity + 1 + offset
        secret = signing.sign_ticket(
            key=key, performance_id=performance.pk, number=number, valid_until=valid_until
        )
        tickets.append(
            Ticket(
                order=order,
                item=item,
                organizer_id=performance.organizer_id,
                performance=performance,
                tariff=item.tariff,
                number=number,
                price=item.unit_price,
                vat_rate=item.vat_rate,
                attendee_name=names[offset] or default_name,
                secret=secret,
                slot_id=item.slot_id,
            )
        )
    tickets = insert_many(tickets)
    if not all(t.pk for t in tickets):  # databases that do not return ids from bulk inserts
        tickets = list(Ticket.objects.filter(performance=performance, number__in=[t.number for t in tickets]))
    insert_many([Ticket.quotas.through(ticket_id=t.pk, quota_id=q) for t in tickets for q in quota_ids])
    return tickets


def _series_take(performance, quantity: int) -> int:
    """Move the performance's ticket numbering on by `quantity` and return its last number, in one
    statement once the series exists (the row stays locked until commit: numbers never repeat)."""
    table = connection.ops.quote_name(TicketSeries._meta.db_table)
    sql = f"UPDATE {table} SET last_number = last_number + %s WHERE performance_id = %s RETURNING last_number"  # noqa: S608
    for _attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(sql, [quantity, performance.pk])
            row = cursor.fetchone()
        if row is not None:
            return row[0]
        TicketSeries.objects.get_or_create(
            performance=performance, defaults={"organizer_id": performance.organizer_id}
        )
    raise RuntimeError("ticket series could not be created")  # pragma: no cover


def order_cancel(*, order: Order, actor=None, reason: str = "", method: str = "") -> Order:
    """Cancel an order: a pending one releases its places; a paid one cancels its tickets and is refunded
    (to the methods that paid it, or by `method`)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        before = order.state
        if order.state == OrderState.PENDING:
            for hold in order.holds.all():
                inventory.release_hold(hold)
            Payment.objects.filter(
                order=order, state__in=[PaymentState.CREATED, PaymentState.PENDING]
            ).update(state=PaymentState.FAILED)
            order.state = OrderState.CANCELLED
        elif order.state in (OrderState.PAID, OrderState.PARTIALLY_REFUNDED):
            if order.extras.filter(kind=OrderExtra.Kind.PASS).exists():  # only passes not used yet
                from parvis.passes.public import holdings_of_order_cancel

                holdings_of_order_cancel(order)
            if order.subscription_id:
                from parvis.memberships.public import subscriptions_of_order_cancel

                subscriptions_of_order_cancel(order)
            if order.extras.filter(kind=OrderExtra.Kind.MEMBERSHIP).exists():
                from parvis.memberships.public import memberships_of_order_cancel

                memberships_of_order_cancel(order, actor=actor)
            valid = list(order.tickets.filter(state=TicketState.VALID))
            tickets_refund(tickets=valid, actor=actor, reason=reason, method=method)
            extras_total = sum((e.line_total for e in order.extras.all()), Decimal(0))
            if extras_total and before == OrderState.PAID:  # add-ons and donation go back with the order
                _record_refund(order, extras_total, provider=method)
                from .receipts import receipts_of_order_cancel

                receipts_of_order_cancel(order)
            order.state = OrderState.REFUNDED
        else:
            raise SaleError("not_cancellable")
        order.save(update_fields=["state"])
        audit_record(
            actor=actor,
            action="order.cancel",
            instance=order,
            organizer_id=order.organizer_id,
            before={"state": before},
            after={"state": order.state, "reason": reason},
        )
    return order


def order_effective_state(order: Order) -> str:
    """A pending order past its payment deadline is shown as expired (no worker needed to say so)."""
    if order.state == OrderState.PENDING and order.expires_at <= timezone.now():
        return OrderState.EXPIRED
    return order.state


def performance_capacity(performance) -> int:
    if performance.capacity is not None:
        return performance.capacity
    if performance.space_id and performance.space.capacity is not None:
        return performance.space.capacity
    return performance.venue.capacity or 0


def tariff_create(
    *,
    actor,
    performance,
    name: str,
    price: Decimal,
    kind: str = "full",
    vat_rate: Decimal | None = None,
    request=None,
    **fields,
) -> Tariff:
    """Add a tariff; the performance's total quota (its jauge) is created with the first one."""
    from django.db.models import Q as _Q

    from .models import Quota

    with transaction.atomic():
        if not Quota.objects.filter(_Q(is_total=True), performance=performance).exists():
            Quota.objects.create(
                performance=performance,
                name="Jauge",
                capacity=performance_capacity(performance),
                is_total=True,
            )
        tariff = Tariff(performance=performance, name=name, price=Decimal(price), kind=kind, **fields)
        if vat_rate is not None:
            tariff.vat_rate = Decimal(vat_rate)
        tariff.full_clean()
        tariff.save()
        _refresh_event_prices(performance.event)
        audit_record(
            actor=actor,
            action="tariff.create",
            instance=tariff,
            organizer_id=performance.organizer_id,
            after={"name": name, "price": str(tariff.price), "vat_rate": str(tariff.vat_rate)},
            request=request,
        )
    return tariff


def _refresh_event_prices(event) -> None:
    """The agenda's price filter reads the event's price range: keep it equal to its tariffs' prices."""
    from django.db.models import Max, Min

    prices = Tariff.objects.filter(performance__event=event, is_active=True).aggregate(
        low=Min("price"), high=Max("price")
    )
    if prices["low"] is None:
        return
    type(event).objects.filter(pk=event.pk).update(
        price_min=prices["low"], price_max=prices["high"], is_free=prices["high"] == 0
    )


def quota_create(
    *, actor, performance, name: str, capacity: int, tariffs=(), channels: str = "all", request=None
):
    from .models import Quota

    with transaction.atomic():
        quota = Quota(performance=performance, name=name, capacity=capacity, channels=channels)
        quota.full_clean()
        quota.save()
        quota.tariffs.set(tariffs)
        audit_record(
            actor=actor,
            action="quota.create",
            instance=quota,
            organizer_id=performance.organizer_id,
            after={
                "name": name,
                "capacity": capacity,
                "channels": channels,
                "tariffs": [t.pk for t in tariffs],
            },
            request=request,
        )
    return quota


def quota_set_capacity(*, actor, quota, capacity: int, request=None):
    """Change a quota's capacity; never below the places already taken (checked by the database too)."""
    from .models import Quota

    with transaction.atomic():
        before = quota.capacity
        if not Quota.objects.filter(pk=quota.pk, used__lte=capacity).update(capacity=capacity):
            raise SaleError("capacity_below_used", used=Quota.objects.get(pk=quota.pk).used)
        audit_record(
            actor=actor,
            action="quota.capacity",
            instance=quota,
            organizer_id=quota.performance.organizer_id,
            before={"capacity": before},
            after={"capacity": capacity},
            request=request,
        )


def tickets_refund(
    *,
    tickets: list[Ticket],
    actor=None,
    reason: str = "",
    request=None,
    fee_per_ticket: Decimal = Decimal(0),
    method: str = "",
) -> list[Ticket]:
    """Refund some tickets of paid orders (per ticket, partial or whole): places back, order state updated."""
    by_order: dict[int, list[Ticket]] = defaultdict(list)
    done: list[Ticket] = []
    for ticket in tickets:
        by_order[ticket.order_id].append(ticket)
    with transaction.atomic():
        for order_id, order_tickets in by_order.items():
            order = Order.objects.select_for_update().get(pk=order_id)
            refunded = Decimal(0)
            refunded_tickets: list[Ticket] = []
            for ticket in order_tickets:
                if Ticket.objects.filter(pk=ticket.pk, state=TicketState.VALID).update(
                    state=TicketState.REFUNDED
                ):
                    inventory.give_back_sold(quota_ids=[q.pk for q in ticket.quotas.all()])  # prefetched?
                    refunded += max(Decimal(0), ticket.price - fee_per_ticket)
                    refunded_tickets.append(ticket)
            if not refunded_tickets:  # all refunded already (a repeat, a double click): nothing to write
                continue
            from parvis.passes.public import entries_of_tickets_release  # a pass's entries come back

            entries_of_tickets_release([t.pk for t in refunded_tickets])
            still_valid = order.tickets.filter(state=TicketState.VALID).exists()
            before = order.state
            order.state = OrderState.PARTIALLY_REFUNDED if still_valid else OrderState.REFUNDED
            order.save(update_fields=["state"])
            if refunded:
                _record_refund(order, refunded, provider=method)
            done.extend(refunded_tickets)
            audit_record(
                actor=actor,
                action="order.refund",
                instance=order,
                organizer_id=order.organizer_id,
                before={"state": before},
                after={
                    "state": order.state,
                    "refunded": str(refunded),
                    "tickets": [t.number for t in refunded_tickets],
                    "reason": reason,
                },
                request=request,
            )
            if order.invoices.filter(kind="invoice").exists():
                from .invoicing import credit_note_for

                credit_note_for(order, refunded_tickets, fee_per_ticket=fee_per_ticket)
    return done


@contextlib.contextmanager
def _refunds_written(order: Order):
    """Around code that refunds an order: the list yielded holds, once the block is done, the refunds (the
    negative payments) it wrote."""
    last = order.payments.aggregate(last=Max("pk"))["last"] or 0
    written: list[Payment] = []
    yield written
    written += order.payments.filter(pk__gt=last, amount__lt=0, state=PaymentState.REFUNDED).order_by("pk")


@contextlib.contextmanager
def refund_noticed(order: Order):
    """Around a refund of an order by its organizer or its buyer: the buyer is told by e-mail, after commit,
    what was given back and by which means (nothing if nothing was)."""
    from .tasks import send_refund_notice

    with _refunds_written(order) as refunds:
        yield
    if refunds:
        enqueue_on_commit(send_refund_notice, order_id=order.pk, payment_ids=[p.pk for p in refunds])


def refund_as_voucher(
    *, order: Order, tickets: list[Ticket] | None = None, actor, reason: str = "", request=None
):
    """Refund tickets of an online order (the whole order, cancelled, without `tickets`) as a credit voucher
    of the amount: the money stays with the organizer, the buyer gets the voucher by e-mail. All or nothing
    (a voucher is worth at least 1.00)."""
    from .models import Voucher
    from .tasks import send_credit_voucher
    from .vouchers import voucher_issue

    with transaction.atomic():
        with _refunds_written(order) as refunds:
            if tickets is None:
                order_cancel(order=order, actor=actor, reason=reason, method="voucher")
            else:
                tickets_refund(tickets=tickets, actor=actor, reason=reason, request=request, method="voucher")
        refunded = -sum((p.amount for p in refunds if p.provider == "voucher"), Decimal(0))
        if not refunded:
            raise SaleError("nothing_to_refund")
        voucher = voucher_issue(
            organizer=order.organizer, value=refunded, source=Voucher.Source.REFUND, actor=actor, order=order
        )
        enqueue_on_commit(send_credit_voucher, voucher_id=voucher.pk)
    return voucher


def _record_refund(order: Order, amount: Decimal, *, provider: str = "") -> list[Payment]:
    """A refund (negative payments): by the method given, or back to the methods that paid. Online
    providers are told after commit; a gift voucher's part goes back on the voucher."""
    parts = [(provider, amount)] if provider else _refund_parts(order, amount)
    refunds = []
    for method, part in parts:
        refunds.append(_refund_payment(order, method, part))
        if method == "voucher" and not provider:
            from .vouchers import vouchers_of_order_restore

            vouchers_of_order_restore(order, part)
    crm.interaction_record(
        contact_id=order.contact_id,
        organizer_id=order.organizer_id,
        kind=crm.Interaction.Kind.REFUND,
        summary=order.code,
        amount=amount,
        ref=f"order:{order.code}",
    )
    return refunds


def _refund_payment(order: Order, method: str, amount: Decimal) -> Payment:
    """Money given back by `method` (a negative payment); Stripe is told after commit."""
    refund = Payment.objects.create(
        order=order,
        provider=method,
        amount=-amount,
        currency=order.currency,
        state=PaymentState.REFUNDED,
        confirmed_at=timezone.now(),
    )
    if method == "stripe":
        from .tasks import refund_to_provider

        enqueue_on_commit(refund_to_provider, payment_id=refund.pk)
    return refund


def _refund_parts(order: Order, amount: Decimal) -> list[tuple[str, Decimal]]:
    """How a refund goes back to the methods that paid the order: each up to what it paid and has not given
    back yet, a card or the counter first, a gift voucher last (its value stays with the organizer either
    way, the buyer's money does not). Whatever exceeds them (an exchange paid elsewhere) goes to the first."""
    left: dict[str, Decimal] = {}
    for method, value in (
        order.payments.filter(
            Q(state=PaymentState.CONFIRMED, amount__gt=0) | Q(state=PaymentState.REFUNDED, amount__lt=0)
        )
        .order_by("pk")
        .values_list("provider", "amount")
    ):
        left[method] = left.get(method, Decimal(0)) + value
    methods = sorted(left, key=lambda method: method == "voucher") or ["manual"]
    given: dict[str, Decimal] = {}
    rest = amount
    for method in methods:
        given[method] = min(rest, max(left.get(method, Decimal(0)), Decimal(0)))  # "manual": nothing left
        rest -= given[method]
    given[methods[0]] += rest
    return [(method, given[method]) for method in methods if given[method] > 0]


def performance_cancel(*, actor, performance, reason: str, request=None) -> int:
    """Cancel a whole date: its status, every valid ticket refunded, pending orders cancelled, buyers told.

    Returns the number of orders concerned.
    """
    from parvis.programming.services import performance_update

    from .tasks import send_cancellation_notice

    with transaction.atomic():
        performance_update(
            actor=actor,
            performance=performance,
            data={"status": PerformanceStatus.CANCELLED},
            request=request,
        )
        tickets = list(
            Ticket.objects.filter(performance=performance, state=TicketState.VALID).prefetch_related("quotas")
        )
        tickets_refund(tickets=tickets, actor=actor, reason=reason, request=request)
        pending = list(
            Order.objects.filter(state=OrderState.PENDING, items__performance=performance).distinct()
        )
        for order in pending:
            order_cancel(order=order, actor=actor, reason=reason)
        order_ids = sorted({t.order_id for t in tickets} | {o.pk for o in pending})
        for order_id in order_ids:
            enqueue_on_commit(send_cancellation_notice, order_id=order_id, performance_id=performance.pk)
    return len(order_ids)


def timed_slots_create(*, actor, performance, every_minutes: int, capacity: int, request=None) -> list[Quota]:
    """Split a performance (an exhibition's day) into timed-entry slots, each with its own capacity."""
    if every_minutes <= 0 or capacity < 0 or performance.ends_at is None:
        raise SaleError("invalid_slots")
    step = datetime.timedelta(minutes=every_minutes)
    created = []
    with transaction.atomic():
        if not Quota.objects.filter(performance=performance, is_total=True).exists():
            raise SaleError("invalid_slots")
        start = performance.starts_at
        tz = performance.venue.tzinfo
        while start + step <= performance.ends_at:
            label = start.astimezone(tz).strftime("%H:%M")
            created.append(
                Quota(
                    performance=performance,
                    name=label,
                    capacity=capacity,
                    slot_starts_at=start,
                    slot_ends_at=start + step,
                )
            )
            start += step
        Quota.objects.bulk_create(created)
        audit_record(
            actor=actor,
            action="slots.create",
            instance=performance,
            organizer_id=performance.organizer_id,
            after={"every_minutes": every_minutes, "capacity": capacity, "slots": len(created)},
            request=request,
        )
    return created


def self_cancellation_allowed(order: Order, *, now=None) -> bool:
    """Whether the buyer may cancel this order (the organizer allows it, and it is early enough)."""
    now = now or timezone.now()
    hours = order.organizer.self_cancellation_hours
    if hours is None or order.state != OrderState.PAID:
        return False
    first = (
        order.tickets.filter(state=TicketState.VALID)
        .order_by("performance__starts_at")
        .values_list("performance__starts_at", flat=True)
        .first()
    )
    return first is not None and first - datetime.timedelta(hours=hours) > now


def order_self_cancel(*, order: Order) -> Order:
    """The buyer cancels: every valid ticket refunded minus the organizer's fee per ticket."""
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("organizer").get(pk=order.pk)
        if not self_cancellation_allowed(order):
            raise SaleError("not_cancellable")
        tickets = list(order.tickets.filter(state=TicketState.VALID).prefetch_related("quotas"))
        with refund_noticed(order):
            tickets_refund(
                tickets=tickets, reason="self-service", fee_per_ticket=order.organizer.self_cancellation_fee
            )
        audit_record(
            actor=None,
            action="order.self_cancel",
            instance=order,
            organizer_id=order.organizer_id,
            before={"state": OrderState.PAID},
            after={
                "state": OrderState.REFUNDED,
                "fee_per_ticket": str(order.organizer.self_cancellation_fee),
            },
        )
    order.refresh_from_db()
    return order


def ticket_exchange(
    *,
    ticket: Ticket,
    tariff_id: int,
    actor,
    difference_paid: bool = False,
    slot_id: int | None = None,
    request=None,
    method: str = "manual",
    channel: str = Channel.BOX_OFFICE,
    subscription=None,
) -> Ticket:
    """Exchange a valid ticket for a place of another performance (or tariff) of the same organizer.

    The new place is taken like any sale; the old one goes back. A cheaper target refunds the difference;
    a dearer one needs the difference paid at the counter first (recorded as a manual payment).
    """
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().select_related("order__organizer").get(pk=ticket.pk)
        order = ticket.order
        target = (
            Tariff.objects.select_related("performance__event")
            .filter(pk=tariff_id, performance__organizer_id=ticket.organizer_id, is_active=True)
            .first()
        )
        if (
            ticket.state != TicketState.VALID
            or target is None
            or target.pk == ticket.tariff_id
            and slot_id is None
        ):
            raise SaleError("not_exchangeable")
        difference = target.price - ticket.price
        if difference > 0 and not difference_paid:
            raise SaleError("price_difference_due")
        cart = Cart.objects.create(channel=channel, subscription=subscription)
        hold = cart_add(cart=cart, tariff_id=target.pk, quantity=1, channel=channel, slot_id=slot_id)
        Hold.objects.filter(pk=hold.pk).update(order=order)
        item = OrderItem.objects.create(
            order=order,
            performance=target.performance,
            tariff=target,
            quantity=1,
            unit_price=target.price,
            vat_rate=target.vat_rate,
            hold=hold,
            slot_id=slot_id,
            attendee_names=[ticket.attendee_name],
        )
        quota_ids = inventory.convert_hold(hold, channel=channel)
        Ticket.objects.filter(pk=ticket.pk).update(state=TicketState.EXCHANGED)
        inventory.give_back_sold(quota_ids=list(ticket.quotas.values_list("id", flat=True)))
        if difference:
            Payment.objects.create(
                order=order,
                provider=method,
                amount=difference,
                currency=order.currency,
                state=PaymentState.CONFIRMED if difference > 0 else PaymentState.REFUNDED,
                confirmed_at=timezone.now(),
            )
            Order.objects.filter(pk=order.pk).update(total=F("total") + difference)
        key = signing.signing_key_for(target.performance.organizer)
        new_ticket = _issue_tickets(order, item, quota_ids, key)[0]
        audit_record(
            actor=actor,
            action="ticket.exchange",
            instance=order,
            organizer_id=order.organizer_id,
            before={
                "ticket": ticket.number,
                "performance": ticket.performance_id,
                "tariff": ticket.tariff_id,
            },
            after={
                "ticket": new_ticket.number,
                "performance": target.performance_id,
                "tariff": target.pk,
                "difference": str(difference),
            },
            request=request,
        )
        from .tasks import send_order_confirmation

        if order.email:
            enqueue_on_commit(send_order_confirmation, order_id=order.pk, resend=True)
    return new_ticket

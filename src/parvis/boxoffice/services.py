"""Counter operations. Each one is a ticketing or CRM action plus its journal entry, in one transaction:
if the journal cannot be written, the sale does not happen."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from parvis.core.audit import audit_record
from parvis.seating.services import held_seats, seats_hold
from parvis.ticketing import services as ticketing
from parvis.ticketing import vouchers
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import (
    Cart,
    Channel,
    HoldState,
    Order,
    OrderState,
    Payment,
    PaymentState,
    Product,
    Tariff,
    Ticket,
    TicketState,
    Voucher,
)
from parvis.ticketing.providers import COUNTER_METHODS

from . import journal
from .models import CashDrawer, EntryKind, JournalEntry, Reprint, TillSession
from .product_sales import membership_sell, pass_sell, voucher_sell  # noqa: F401 - the counter's views call them here
from .tasks import close_journals
from .till import (  # noqa: F401
    CounterError,
    CounterPayment,
    Customer,
    SaleResult,
    buyer_of,
    contact_for,
    journal_write,
    payments_settle,
    sale_entry,
    session_check_open,
)


def session_open(*, actor, drawer: CashDrawer, opening_float: Decimal, training: bool = False) -> TillSession:
    if opening_float < 0:
        raise CounterError("invalid_amount")
    if not drawer.is_active:
        raise CounterError("drawer_inactive")
    with transaction.atomic():
        if TillSession.objects.filter(drawer=drawer, closed_at__isnull=True).exists():
            raise CounterError("drawer_busy")
        if TillSession.objects.filter(
            staff=actor, organizer=drawer.organizer, closed_at__isnull=True
        ).exists():
            raise CounterError("session_already_open")
        session = TillSession.objects.create(
            organizer=drawer.organizer,
            drawer=drawer,
            staff=actor,
            training=training,
            opening_float=journal.money(opening_float),
            cart=Cart.objects.create(channel=Channel.BOX_OFFICE),
        )
        journal.append(
            organizer=drawer.organizer,
            chain=session.chain,
            kind=EntryKind.SESSION_OPEN,
            staff=actor,
            session=session,
            detail={"drawer": drawer.name, "opening_float": str(session.opening_float)},
        )
    return session


def basket_add(
    *,
    session: TillSession,
    tariff_id: int,
    quantity: int = 1,
    slot_id: int | None = None,
    seat_ids: list[int] | None = None,
):
    """Hold places for the sale being made: the same capacity, the same guard, as online buyers. A seated
    tariff takes these seats, or the best available ones in one tap (staff may leave a seat alone)."""

    tariff = Tariff.objects.filter(
        pk=tariff_id, performance__event__organizer_id=session.organizer_id
    ).first()
    if tariff is None:
        raise SaleError("unknown_tariff")
    if tariff.seated:
        return seats_hold(
            cart=session.cart,
            tariff_id=tariff_id,
            seat_ids=seat_ids,
            quantity=None if seat_ids else quantity,
            channel=Channel.BOX_OFFICE,
            check_gaps=False,
        )
    return ticketing.cart_add(
        cart=session.cart, tariff_id=tariff_id, quantity=quantity, channel=Channel.BOX_OFFICE, slot_id=slot_id
    )


def basket_remove(*, session: TillSession, hold_id: int, quantity: int | None = None) -> None:
    """Give back a line, or some of its places (the rest is held again)."""
    hold = session.cart.holds.filter(pk=hold_id, order__isnull=True, state=HoldState.ACTIVE).first()
    if hold is None:
        return
    keep = 0 if quantity is None else max(0, hold.quantity - quantity)
    seats = held_seats([hold.pk]).get(hold.pk)
    with transaction.atomic():
        ticketing.cart_remove(cart=session.cart, hold_id=hold.pk)
        if keep and seats:  # the last seat of the line goes back, the others are held again
            seats_hold(
                cart=session.cart,
                tariff_id=hold.tariff_id,
                seat_ids=[seat.pk for seat in seats[:keep]],
                channel=Channel.BOX_OFFICE,
                check_gaps=False,
            )
        elif keep:
            ticketing.cart_add(
                cart=session.cart, tariff_id=hold.tariff_id, quantity=keep, channel=Channel.BOX_OFFICE,
                slot_id=hold.slot_id,
            )  # fmt: skip


def basket_clear(*, session: TillSession) -> None:
    for hold in ticketing.cart_live_holds(session.cart):
        ticketing.cart_remove(cart=session.cart, hold_id=hold.pk)
    TillSession.objects.filter(pk=session.pk).update(basket_extras={})
    session.basket_extras = {}


def basket_extra(*, session: TillSession, product_id: int, delta: int) -> None:
    """One more (or one fewer) of an add-on in the sale being made."""

    if not Product.objects.filter(pk=product_id, organizer_id=session.organizer_id, is_active=True).exists():
        raise SaleError("unknown_product")
    with transaction.atomic():
        session = TillSession.objects.select_for_update(of=("self",)).get(pk=session.pk)
        extras = dict(session.basket_extras)
        quantity = max(0, extras.get(str(product_id), 0) + delta)
        if quantity:
            extras[str(product_id)] = quantity
        else:
            extras.pop(str(product_id), None)
        TillSession.objects.filter(pk=session.pk).update(basket_extras=extras)


def basket_products(session: TillSession) -> list:
    """The add-ons of the sale being made, each with `quantity` and `line_total`."""

    wanted = {int(pk): n for pk, n in session.basket_extras.items()}
    products = list(Product.objects.filter(pk__in=wanted, organizer_id=session.organizer_id).order_by("name"))
    for product in products:
        product.quantity = wanted[product.pk]
        product.line_total = product.price * product.quantity
    return products


def basket_holds(session: TillSession) -> list:
    """The places held for the sale being made, each with `unit_price` (promo code applied) and
    `line_total`."""
    session.cart.refresh_from_db(fields=["promo"])
    holds = ticketing.cart_live_holds(session.cart)
    prices = ticketing.cart_unit_prices(session.cart, holds)
    for hold in holds:
        hold.unit_price = prices[hold.pk]
        hold.line_total = hold.unit_price * hold.quantity
    return holds


@dataclass
class BasketLine:
    """Places of one date, tariff and slot at one price, however many taps added them."""

    performance: object
    tariff: object
    slot: object
    unit_price: Decimal
    quantity: int = 0
    line_total: Decimal = Decimal(0)
    hold_id: int = 0  # the latest hold: "−1" gives back one of its places
    seats: list = field(default_factory=list)  # a seated tariff's seats


def basket_lines(holds: list) -> list[BasketLine]:
    """The basket's holds as the counter shows them: one line per date, tariff and slot, in date order."""
    lines: dict[tuple, BasketLine] = {}
    seats = held_seats([h.pk for h in holds if h.tariff.seated])
    for hold in sorted(holds, key=lambda h: h.pk):
        key = (hold.performance_id, hold.tariff_id, hold.slot_id, hold.unit_price)
        line = lines.setdefault(key, BasketLine(hold.performance, hold.tariff, hold.slot, hold.unit_price))
        line.quantity += hold.quantity
        line.line_total += hold.line_total
        line.hold_id = hold.pk
        line.seats += seats.get(hold.pk, [])
    return sorted(
        lines.values(), key=lambda line: (line.performance.starts_at, line.tariff.position, line.tariff.pk)
    )


def basket_total(session: TillSession, donation: Decimal = Decimal(0)) -> Decimal:
    tickets = sum((h.line_total for h in basket_holds(session)), Decimal(0))
    return tickets + sum((p.line_total for p in basket_products(session)), Decimal(0)) + donation


def basket_promo(*, session: TillSession, code: str):
    """Apply a promo code to the sale being made (an empty code removes it)."""
    return ticketing.cart_apply_promo(cart=session.cart, code=code)


def basket_member(*, session: TillSession, code: str):
    """The customer shows a member card: its benefits apply to the sale being made (empty: removed)."""
    return ticketing.cart_apply_membership(cart=session.cart, code=code, email=None)


def _sale_figures(session: TillSession, holds, products, donation: Decimal, lines) -> tuple[dict, dict, dict]:
    """What a sale's journal entry says: VAT per rate, amount per method, the promo code or card used."""
    vat_lines = [(h.tariff.vat_rate, h.line_total) for h in holds]
    promo = session.cart.promo if session.cart.promo_id else None
    discount = sum(((h.tariff.price - h.unit_price) * h.quantity for h in holds), Decimal(0))
    promo_detail = (
        {"promo": promo.code, "promo_reason": promo.reason, "discount": str(discount)} if discount else {}
    )
    if session.cart.membership_id:
        promo_detail["membership"] = session.cart.membership.code
    vat_lines += [(p.vat_rate, p.line_total) for p in products]
    vat_lines += [(Decimal(0), donation)] if donation else []  # a gift: outside the scope of VAT
    methods: dict[str, Decimal] = {}
    for method, amount, _reference in lines:
        methods[method] = methods.get(method, Decimal(0)) + amount
    return journal.vat_breakdown(vat_lines), methods, promo_detail


def _counter_buyer(customer: Customer | None, contact) -> ticketing.Buyer:
    """Who the counter sells to: the details typed in, else the audience profile chosen."""
    return ticketing.Buyer(
        email=(customer.email if customer else "") or (contact.email if contact else ""),
        first_name=(customer.first_name if customer else "") or (contact.first_name if contact else ""),
        last_name=(customer.last_name if customer else "") or (contact.last_name if contact else ""),
        postal_code=customer.postal_code if customer else "",
    )


def sale(
    *,
    session: TillSession,
    actor,
    payments: list[CounterPayment],
    cash_tendered: Decimal | None = None,
    customer: Customer | None = None,
    expected_total: Decimal | None = None,
    send_email: bool = False,
    donation: Decimal = Decimal(0),
) -> SaleResult:
    """Sell what the basket holds. Training: nothing is sold, the places go back, the training chain
    records it. Otherwise one paid order, its tickets, and the SALE entry, or nothing at all."""
    with transaction.atomic():
        session = session_check_open(session)
        holds = basket_holds(session)
        products = basket_products(session)
        if not holds and not products:
            raise SaleError("cart_empty")
        donation = journal.money(donation or 0)
        if donation < 0:
            raise SaleError("invalid_donation")
        total = basket_total(session, donation)
        if expected_total is not None and journal.money(expected_total) != journal.money(total):
            raise SaleError("price_mismatch", total=str(total))
        lines, change = payments_settle(total, payments, cash_tendered)
        vat, methods, promo_detail = _sale_figures(session, holds, products, donation, lines)
        if session.training:
            basket_clear(session=session)
            detail = {"training": True, "lines": [[h.tariff_id, h.quantity] for h in holds], **promo_detail}
            entry = journal_write(session, actor, EntryKind.SALE, vat=vat, methods=methods, detail=detail)
            return SaleResult(None, entry, total, change)
        contact = contact_for(session, customer)
        buyer = _counter_buyer(customer, contact)
        email = buyer.email
        if not holds:
            raise CounterError("tickets_required")  # add-ons are sold with tickets
        orders = ticketing.checkout_place_orders(
            cart=session.cart,
            buyer=buyer,
            provider_code="box_office" if total else "free",
            counter_payments=lines,
            notify=send_email and bool(email),
            contact=contact,
            customer=None,
            extras={session.organizer_id: [(p.pk, p.quantity) for p in products]},
            donations={session.organizer_id: donation} if donation else None,
        )
        TillSession.objects.filter(pk=session.pk).update(basket_extras={})
        # The next sale starts without this customer's promo code or member card.
        Cart.objects.filter(pk=session.cart_id).update(promo=None, membership=None)
        if len(orders) != 1 or orders[0].state != OrderState.PAID:
            raise SaleError("sold_out")  # places lost meanwhile: roll the whole sale back
        order = orders[0]
        tickets = list(order.tickets.order_by("number").values_list("performance_id", "number"))
        entry = journal_write(
            session,
            actor,
            EntryKind.SALE,
            order_code=order.code,
            vat=vat,
            methods=methods,
            detail={"tickets": tickets, "change": str(journal.money(change)), **promo_detail},
        )
        audit_record(
            actor=actor,
            action="boxoffice.sale",
            instance=order,
            organizer_id=order.organizer_id,
            after={
                "total": str(total),
                "methods": {m: str(a) for m, a in methods.items()},
                "entry": entry.seq,
            },
        )
    return SaleResult(order, entry, total, change)


def refund(
    *, session: TillSession, actor, tickets: list[Ticket], reason: str, method: str = "cash"
) -> JournalEntry:
    """Refund tickets at the counter (places back on sale), money out by `method`, with the reason."""
    if not reason.strip():
        raise CounterError("reason_required")
    if method not in COUNTER_METHODS:
        raise CounterError("unknown_method")
    with transaction.atomic():
        session = session_check_open(session)
        if session.training:
            raise CounterError("training_no_refund")
        # Only what this counter's organizer sold: a ticket a network sold on its behalf is refunded by the
        # network's seller, who holds the money.
        if any(
            session.organizer_id != t.organizer_id or session.organizer_id != t.order.organizer_id
            for t in tickets
        ):
            raise CounterError("unknown_ticket")
        done = ticketing.tickets_refund(
            tickets=tickets, actor=actor, reason=reason.strip(), method=method, till=True
        )
        if not done:
            raise CounterError("nothing_to_refund")
        vat = journal.vat_breakdown((t.vat_rate, -t.price) for t in done)
        amount = sum((t.price for t in done), Decimal(0))
        credit = None
        if method == "voucher":  # the money stays: a credit voucher of the amount refunded
            credit = vouchers.voucher_issue(
                organizer=session.organizer, value=amount, source=Voucher.Source.REFUND, actor=actor,
                order=done[0].order,
            )  # fmt: skip
        return journal_write(
            session,
            actor,
            EntryKind.REFUND,
            order_code=done[0].order.code,
            vat=vat,
            methods={method: -amount},
            detail={
                "tickets": [[t.performance_id, t.number] for t in done],
                "reason": reason.strip()[:300],
                **({"voucher": credit.code} if credit else {}),
            },
        )


def refunds_due(organizer) -> list[Payment]:
    """What the counter owes back (a date cancelled, a counter sale cancelled by its buyer), oldest first."""
    due = list(
        Payment.objects.filter(order__organizer=organizer, state=PaymentState.REFUND_DUE)
        .select_related("order")
        .order_by("created_at", "pk")
    )
    for payment in due:
        payment.due = -payment.amount
    return due


def refund_pay_out(*, session: TillSession, actor, payment_id: int, method: str) -> JournalEntry:
    """Pay out a refund due at the counter: the money leaves by `method` and the till's journal says so,
    in one transaction (the refund is `REFUNDED` only then, so the expected cash stays right)."""
    if method not in COUNTER_METHODS or method == "voucher":
        raise CounterError("unknown_method")
    with transaction.atomic():
        session = session_check_open(session)
        if session.training:
            raise CounterError("training_no_refund")
        payment = (
            Payment.objects.select_for_update()
            .select_related("order")
            .filter(pk=payment_id, order__organizer_id=session.organizer_id)
            .first()
        )
        if payment is None or payment.state != PaymentState.REFUND_DUE:
            raise CounterError("nothing_to_refund")
        Payment.objects.filter(pk=payment.pk).update(
            state=PaymentState.REFUNDED, provider=method, confirmed_at=timezone.now()
        )
        detail = payment.detail or {}
        vat = [(Decimal(rate), -Decimal(amount)) for rate, amount in detail.get("vat", [])]
        return journal_write(
            session,
            actor,
            EntryKind.REFUND,
            order_code=payment.order.code,
            vat=journal.vat_breakdown(vat or [(Decimal(0), payment.amount)]),
            methods={method: payment.amount},
            detail={
                "tickets": detail.get("tickets", []),
                "reason": detail.get("reason", ""),
                "due": payment.pk,
            },
        )


def exchange(
    *, session: TillSession, actor, ticket: Ticket, tariff_id: int, method: str = "cash", reason: str = ""
) -> tuple[Ticket, JournalEntry]:
    """Another date or tariff for a ticket: the new place is taken like a sale, the old one goes back, the
    difference is paid or given back by `method`; the entry carries both lines (+ new, − old)."""

    if method not in COUNTER_METHODS:
        raise CounterError("unknown_method")
    with transaction.atomic():
        session = session_check_open(session)
        if session.training:
            raise CounterError("training_no_refund")
        if ticket.organizer_id != session.organizer_id:
            raise CounterError("unknown_ticket")
        target = Tariff.objects.filter(
            pk=tariff_id, performance__event__organizer_id=session.organizer_id
        ).first()
        if target is None:
            raise SaleError("unknown_tariff")
        old_price, old_rate = ticket.price, ticket.vat_rate
        new_ticket = ticketing.ticket_exchange(
            ticket=ticket, tariff_id=target.pk, actor=actor, difference_paid=True, method=method
        )
        difference = new_ticket.price - old_price
        entry = journal_write(
            session,
            actor,
            EntryKind.EXCHANGE,
            order_code=ticket.order.code,
            vat=journal.vat_breakdown([(new_ticket.vat_rate, new_ticket.price), (old_rate, -old_price)]),
            methods={method: difference} if difference else {},
            detail={
                "from": [ticket.performance_id, ticket.number],
                "to": [new_ticket.performance_id, new_ticket.number],
                "reason": reason.strip()[:300],
            },
        )
    return new_ticket, entry


def reprint(*, session: TillSession, actor, ticket: Ticket) -> Reprint:
    """A copy of a ticket: numbered, marked DUPLICATA, and written in the journal."""
    with transaction.atomic():
        session = session_check_open(session)
        if ticket.organizer_id != session.organizer_id:
            raise CounterError("unknown_ticket")
        if ticket.state != TicketState.VALID:
            raise CounterError("ticket_not_valid")
        Ticket.objects.select_for_update().filter(pk=ticket.pk).first()  # numbers per ticket, one at a time
        number = Reprint.objects.filter(ticket=ticket).count() + 1
        copy = Reprint.objects.create(ticket=ticket, number=number, staff=actor)
        journal_write(
            session,
            actor,
            EntryKind.REPRINT,
            order_code=ticket.order.code,
            detail={"ticket": [ticket.performance_id, ticket.number], "duplicate": number},
        )
    return copy


def method_correction(
    *, session: TillSession, actor, entry_seq: int, from_method: str, to_method: str, reason: str
) -> JournalEntry:
    """A sale recorded with the wrong payment method (cash instead of card…): a new entry moves the amount
    from one method to the other (− and +, total 0), the order gets the matching payment lines; the sale's
    entry is never touched."""

    if not reason.strip():
        raise CounterError("reason_required")
    if to_method not in COUNTER_METHODS or "voucher" in (from_method, to_method) or from_method == to_method:
        raise CounterError("unknown_method")
    with transaction.atomic():
        session = session_check_open(session)
        original = JournalEntry.objects.filter(
            session=session, seq=entry_seq, kind=EntryKind.SALE, chain=session.chain
        ).first()
        amount = Decimal(original.methods.get(from_method, "0")) if original else Decimal(0)
        if original is None or amount <= 0:
            raise CounterError("nothing_to_correct")
        already = JournalEntry.objects.filter(
            session=session, kind=EntryKind.CORRECTION, detail__corrects=entry_seq
        ).exists()
        if already:
            raise CounterError("already_corrected")
        order = Order.objects.filter(code=original.order_code, organizer_id=session.organizer_id).first()
        if order is not None:
            now = timezone.now()
            Payment.objects.bulk_create(
                [
                    Payment(order=order, provider=from_method, amount=-amount, currency=order.currency,
                            state=PaymentState.CONFIRMED, confirmed_at=now),
                    Payment(order=order, provider=to_method, amount=amount, currency=order.currency,
                            state=PaymentState.CONFIRMED, confirmed_at=now),
                ]
            )  # fmt: skip
        return journal_write(
            session,
            actor,
            EntryKind.CORRECTION,
            order_code=original.order_code,
            methods={from_method: -amount, to_method: amount},
            detail={"corrects": entry_seq, "reason": reason.strip()[:300]},
        )


def cash_move(*, session: TillSession, actor, amount: Decimal, reason: str) -> JournalEntry:
    """Cash put in (amount > 0) or taken out (amount < 0) of the drawer, with the reason."""
    if not amount or not reason.strip():
        raise CounterError("reason_required" if amount else "invalid_amount")
    with transaction.atomic():
        session = session_check_open(session)
        return journal_write(
            session,
            actor,
            EntryKind.CASH_IN if amount > 0 else EntryKind.CASH_OUT,
            detail={"cash": str(journal.money(amount)), "reason": reason.strip()[:300]},
        )


def expected_cash(session: TillSession) -> Decimal:
    """Float + cash taken − cash given back + cash put in − cash taken out, from the session's entries."""
    cash = session.opening_float
    for methods, detail in session.entries.values_list("methods", "detail"):
        cash += Decimal(methods.get("cash", "0"))
        cash += Decimal(detail.get("cash", "0")) if isinstance(detail, dict) else 0
    return journal.money(cash)


def session_close(*, session: TillSession, actor, counted_cash: Decimal, note: str = "") -> TillSession:
    if counted_cash < 0:
        raise CounterError("invalid_amount")
    with transaction.atomic():
        session = session_check_open(session)
        basket_clear(session=session)
        expected = expected_cash(session)
        counted = journal.money(counted_cash)
        summary = session_summary(session)
        TillSession.objects.filter(pk=session.pk).update(
            closed_at=timezone.now(),
            expected_cash=expected,
            counted_cash=counted,
            discrepancy=counted - expected,
            closing_note=note.strip()[:300],
        )
        journal_write(
            session,
            actor,
            EntryKind.SESSION_CLOSE,
            detail={
                "expected_cash": str(expected),
                "counted_cash": str(counted),
                "discrepancy": str(counted - expected),
                "note": note.strip()[:300],
                "methods": {m: str(a) for m, a in summary["methods"].items()},
            },
        )

    transaction.on_commit(close_journals.enqueue)
    session.refresh_from_db()
    return session


def session_summary(session: TillSession) -> dict:
    """What the session took, per payment method and per kind of operation."""
    methods: dict[str, Decimal] = {}
    for entry_methods in session.entries.values_list("methods", flat=True):
        for method, amount in entry_methods.items():
            methods[method] = methods.get(method, Decimal(0)) + Decimal(amount)
    kinds = dict(session.entries.values("kind").annotate(n=Count("id")).values_list("kind", "n"))
    return {"methods": methods, "kinds": kinds, "expected_cash": expected_cash(session)}


def drawer_create(*, actor, organizer, name: str, venue=None) -> CashDrawer:
    drawer = CashDrawer.objects.create(organizer=organizer, name=name.strip()[:100], venue=venue)
    audit_record(actor=actor, action="boxoffice.drawer_create", instance=drawer, organizer_id=organizer.pk)
    return drawer

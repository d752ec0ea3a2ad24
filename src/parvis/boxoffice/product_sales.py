"""Products sold at the counter besides places: gift vouchers, member cards, passes (each with its journal
entry, in the same transaction)."""

from decimal import Decimal

from django.db import transaction

from parvis.memberships.models import MembershipLevel
from parvis.memberships.services import membership_order_place
from parvis.passes.models import PassProduct
from parvis.passes.services import pass_book, pass_order_place
from parvis.ticketing import vouchers
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import (
    Channel,
    Voucher,
)
from parvis.ticketing.providers import COUNTER_METHODS
from parvis.ticketing.services import Buyer
from parvis.ticketing.voucher_sales import voucher_counter_order

from . import journal
from .models import EntryKind, JournalEntry, TillSession
from .till import (
    CounterError,
    CounterPayment,
    Customer,
    SaleResult,
    buyer_of,
    journal_write,
    payments_settle,
    sale_entry,
    session_check_open,
)


def voucher_sell(
    *, session: TillSession, actor, value: Decimal, method: str, reference: str = "", recipient: str = ""
) -> tuple[Voucher | None, JournalEntry]:
    """Sell a gift voucher. Its money is taken now but is not revenue yet (VAT is due when it is spent):
    the entry takes the money by `method` and records the same amount as vouchers issued (−), total 0."""
    if method not in COUNTER_METHODS or method == "voucher":
        raise CounterError("unknown_method")
    with transaction.atomic():
        session = session_check_open(session)
        voucher = order = None
        if not Decimal("1") <= value <= vouchers.MAX_VALUE:
            raise SaleError("voucher_value")
        value = journal.money(value)
        if not session.training:  # an order and its payment, like any sale: the voucher comes with it
            lines, _change = payments_settle(value, [CounterPayment(method, value, reference)], None)
            order = voucher_counter_order(
                organizer=session.organizer, value=value, buyer=Buyer(email="", first_name="", last_name=""),
                counter_payments=lines, recipient=recipient,
            )  # fmt: skip
            voucher = Voucher.objects.get(order=order)
        entry = journal_write(
            session,
            actor,
            EntryKind.SALE,
            order_code=order.code if order else "",
            methods={method: value, "voucher": -value},
            detail={
                "voucher_sold": voucher.code if voucher else "training",
                "reference": reference.strip()[:200],
            },
        )
    return voucher, entry


def membership_sell(
    *,
    session: TillSession,
    actor,
    level_id: int,
    customer: Customer | None,
    payments: list[CounterPayment],
    cash_tendered: Decimal | None = None,
    other_names: list[str] = (),
    send_email: bool = True,
) -> SaleResult:
    """Sell a member card at the counter: paid at once, valid at once, written in the journal."""

    level = (
        MembershipLevel.objects.select_related("program")
        .filter(pk=level_id, program__organizer_id=session.organizer_id, on_sale=True, program__on_sale=True)
        .first()
    )
    if level is None:
        raise SaleError("membership_not_on_sale")
    with transaction.atomic():
        session = session_check_open(session)
        if session.training:
            raise CounterError("training_not_supported")
        contact, buyer = buyer_of(session, customer)
        lines, _change = payments_settle(level.price, payments, cash_tendered)
        order = membership_order_place(
            level=level,
            buyer=buyer,
            provider_code="box_office",
            other_names=other_names,
            channel=Channel.BOX_OFFICE,
            counter_payments=lines,
            actor=actor,
            notify=send_email,
            contact=contact,
        )
        entry, change = sale_entry(
            session, actor, order, payments, cash_tendered, level.vat_rate,
            {"membership": order.memberships.get().code},
        )  # fmt: skip
    return SaleResult(order, entry, order.total, change)


def pass_sell(
    *,
    session: TillSession,
    actor,
    product_id: int,
    customer: Customer | None,
    payments: list[CounterPayment],
    performance_ids: list[int] = (),
    cash_tendered: Decimal | None = None,
    send_email: bool = True,
) -> SaleResult:
    """Sell a pass at its seller's counter and book its concerts in one go: everything, or nothing."""

    product = PassProduct.objects.filter(pk=product_id, organizer_id=session.organizer_id).first()
    if product is None:
        raise SaleError("pass_not_on_sale")
    if len(performance_ids) > product.entries:
        raise SaleError("pass_used_up")
    with transaction.atomic():
        session = session_check_open(session)
        if session.training:
            raise CounterError("training_not_supported")
        contact, buyer = buyer_of(session, customer)
        lines, _change = payments_settle(product.price, payments, cash_tendered)
        order = pass_order_place(
            product=product, buyer=buyer, provider_code="box_office", counter_payments=lines, contact=contact,
            notify=send_email,
        )  # fmt: skip
        holding = order.pass_holdings.get()
        booked = [
            pass_book(
                holding=holding, performance_id=pk, channel=Channel.BOX_OFFICE, actor=actor, notify=send_email
            )
            for pk in performance_ids
        ]
        entry, change = sale_entry(
            session, actor, order, payments, cash_tendered, product.vat_rate,
            {"pass": holding.code, "booked": [e.ticket.order.code for e in booked]},
        )  # fmt: skip
    return SaleResult(order, entry, order.total, change)

"""What every counter operation shares: its errors and payments, the journal entry it writes, the open
till it needs, the customer it is for."""

from dataclasses import dataclass, field
from decimal import Decimal

from parvis.crm import services as crm
from parvis.crm.models import Contact, Purpose
from parvis.ticketing import services as ticketing
from parvis.ticketing.models import (
    Order,
)
from parvis.ticketing.providers import COUNTER_METHODS

from . import journal
from .forms import COUNTER_CONSENT_WORDING
from .models import EntryKind, JournalEntry, TillSession


class CounterError(Exception):
    """A counter operation refused, with a stable code (the views translate it)."""

    def __init__(self, code: str, **params):
        self.code, self.params = code, params
        super().__init__(code)


@dataclass
class CounterPayment:
    method: str  # one of COUNTER_METHODS
    amount: Decimal
    reference: str = ""


@dataclass
class Customer:
    """Who buys: an existing contact, a new one (with the consents ticked), or nobody (anonymous)."""

    contact_id: int | None = None
    email: str = ""
    phone: str = ""
    first_name: str = ""
    last_name: str = ""
    postal_code: str = ""
    consents: list[str] = field(default_factory=list)  # purposes ticked, with the counter's wording


@dataclass
class SaleResult:
    order: Order | None
    entry: JournalEntry
    total: Decimal
    change: Decimal


def journal_write(session: TillSession, actor, kind: str, **fields) -> JournalEntry:
    """One entry of this session's chain (live or training), in the caller's transaction."""
    return journal.append(
        organizer=session.organizer, chain=session.chain, kind=kind, staff=actor, session=session, **fields
    )


def session_check_open(session: TillSession) -> TillSession:
    session = (
        TillSession.objects.select_for_update(of=("self",))
        .select_related("organizer", "cart")
        .get(pk=session.pk)
    )
    if session.closed_at is not None:
        raise CounterError("session_closed")
    return session


def payments_settle(total: Decimal, payments: list[CounterPayment], cash_tendered: Decimal | None):
    """The payment lines as recorded (cash at the amount due in cash) and the change to give."""
    for payment in payments:
        if payment.method not in COUNTER_METHODS:
            raise CounterError("unknown_method")
        if payment.amount < 0:
            raise CounterError("invalid_amount")
    non_cash = sum((p.amount for p in payments if p.method != "cash"), Decimal(0))
    if non_cash > total:
        raise CounterError("overpaid")
    cash_due = total - non_cash
    has_cash = any(p.method == "cash" for p in payments)
    if cash_due and not has_cash:
        raise CounterError("underpaid", due=str(cash_due))
    tendered = cash_due if cash_tendered is None else journal.money(cash_tendered)
    if has_cash and tendered < cash_due:
        raise CounterError("underpaid", due=str(cash_due - tendered))
    lines = [
        (p.method, journal.money(p.amount), p.reference.strip()[:200]) for p in payments if p.method != "cash"
    ]
    if cash_due:
        lines.append(("cash", journal.money(cash_due), ""))
    merged: dict[tuple[str, str], Decimal] = {}
    for method, amount, reference in lines:
        if amount:
            merged[(method, reference)] = merged.get((method, reference), Decimal(0)) + amount
    return [(m, a, r) for (m, r), a in merged.items()], (tendered - cash_due if has_cash else Decimal(0))


def contact_for(session: TillSession, customer: Customer | None):
    if customer is None:
        return None
    if customer.contact_id:
        contact = Contact.objects.filter(pk=customer.contact_id, organizer_id=session.organizer_id).first()
        if contact is None:
            raise CounterError("unknown_contact")
        return contact
    contact = crm.contact_resolve(
        organizer_id=session.organizer_id,
        email=customer.email,
        phone=customer.phone,
        first_name=customer.first_name,
        last_name=customer.last_name,
        postal_code=customer.postal_code,
        source=crm.Consent.Source.BOX_OFFICE,
    )
    if contact is not None:
        for purpose in customer.consents:
            if purpose in Purpose.values:
                crm.consent_record(
                    contact=contact,
                    purpose=purpose,
                    given=True,
                    source=crm.Consent.Source.BOX_OFFICE,
                    wording=str(COUNTER_CONSENT_WORDING.get(purpose, "")),
                    version="guichet-1",
                    proof={"session": session.pk},
                )
    return contact


def buyer_of(session: TillSession, customer: Customer | None):
    """Who a card or a pass is for: a customer with a name and an e-mail (it is sent to them)."""
    contact = contact_for(session, customer)
    email = (customer.email if customer else "") or (contact.email if contact else "")
    first = (customer.first_name if customer else "") or (contact.first_name if contact else "")
    last = (customer.last_name if customer else "") or (contact.last_name if contact else "")
    if not (email and first and last):
        raise CounterError("holder_required")
    return contact, ticketing.Buyer(email=email, first_name=first, last_name=last)


def sale_entry(
    session, actor, order, payments, cash_tendered, vat_rate, detail
) -> tuple[JournalEntry, Decimal]:
    lines, change = payments_settle(order.total, payments, cash_tendered)
    methods: dict[str, Decimal] = {}
    for method, amount, _reference in lines:
        methods[method] = methods.get(method, Decimal(0)) + amount
    entry = journal_write(
        session,
        actor,
        EntryKind.SALE,
        order_code=order.code,
        vat=journal.vat_breakdown([(vat_rate, order.total)]),
        methods=methods,
        detail={**detail, "change": str(journal.money(change))},
    )
    return entry, change

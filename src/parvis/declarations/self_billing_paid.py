"""The member's side of its self-billed invoices. The network's seller records when it pays each document
(a credit note: when it takes the amount back); the member's VAT on the document falls due on those days,
as for any service on encaissement (CGI 269-2-c), in proportion to what was paid, rate by rate:
- each payment carries, per rate, the part of the document's amounts its payment brings the document to,
  less what earlier payments carried (rounded to the cent on the running total), so the payments of a
  document settled in full carry exactly its VAT, whatever their number;
- in the member's accounting feed, the document is an entry of its sales journal on the day it was issued
  (the network's account against the revenue and the VAT awaiting payment), each payment an entry of its
  bank journal (the bank against the network's account, and the VAT moved from awaiting to collected)."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.core.audit import audit_record

from .models import SelfBillingInvoice, SelfBillingPayment

CENT = Decimal("0.01")


def paid(invoice: SelfBillingInvoice) -> Decimal:
    return sum((p.amount for p in invoice.payments.all()), Decimal(0))


def remaining(invoice: SelfBillingInvoice) -> Decimal:
    return invoice.total - paid(invoice)


def payment_record(
    *, invoice: SelfBillingInvoice, paid_on: datetime.date, amount: Decimal | None = None, actor=None,
    request=None,
) -> SelfBillingPayment:  # fmt: skip
    """Record the seller's payment of `invoice` on `paid_on` (all that remains when no amount is given).
    Refused: a day to come, nothing left to pay, an amount of the wrong sign or beyond what remains."""
    with transaction.atomic():
        invoice = SelfBillingInvoice.objects.select_for_update().get(pk=invoice.pk)
        left = remaining(invoice)
        amount = left if amount is None else amount.quantize(CENT)
        if paid_on > timezone.localdate():
            raise ValidationError(_("Un paiement est enregistré une fois fait : la date est à venir."))
        if paid_on < invoice.issued_at.astimezone(timezone.get_default_timezone()).date():
            raise ValidationError(_("Le paiement ne peut précéder l'autofacture."))
        if not left:
            raise ValidationError(_("L'autofacture %(n)s est déjà réglée.") % {"n": invoice.number})
        if not amount or (amount > 0) != (left > 0) or abs(amount) > abs(left):
            raise ValidationError(
                _("Montant refusé : il reste %(left)s € à régler sur %(n)s.")
                % {"left": f"{left:.2f}".replace(".", ","), "n": invoice.number}
            )
        payment = SelfBillingPayment.objects.create(
            invoice=invoice, paid_on=paid_on, amount=amount, recorded_by=actor
        )
        audit_record(
            actor=actor, action="self_billing.payment", instance=invoice, organizer_id=invoice.organizer_id,
            after={"number": invoice.number, "paid_on": str(paid_on), "amount": str(amount)}, request=request,
        )  # fmt: skip
    return payment


@dataclass
class Share:
    """What one payment of a document carries, per VAT rate: {rate: (excl, vat)}."""

    payment: SelfBillingPayment
    invoice: SelfBillingInvoice
    rates: dict[Decimal, tuple[Decimal, Decimal]] = field(default_factory=dict)


def shares(invoice: SelfBillingInvoice, payments: list[SelfBillingPayment]) -> list[Share]:
    """Each payment's part of the document, rate by rate, on the running total (see the module's text)."""
    found = []
    running = Decimal(0)
    for payment in payments:
        before, running = running, running + payment.amount
        share = Share(payment, invoice)
        for rate, excl, vat, _incl in invoice.lines:
            excl, vat = Decimal(excl), Decimal(vat)
            share.rates[Decimal(rate)] = (
                _part(excl, running, invoice.total) - _part(excl, before, invoice.total),
                _part(vat, running, invoice.total) - _part(vat, before, invoice.total),
            )
        found.append(share)
    return found


def _part(amount: Decimal, paid_so_far: Decimal, total: Decimal) -> Decimal:
    return (amount * paid_so_far / total).quantize(CENT) if total else Decimal(0)


def collected(organizer, first: datetime.date, last: datetime.date) -> list[Share]:
    """The member's self-billed documents paid from `first` to `last` (days, inclusive): their shares."""
    payments = SelfBillingPayment.objects.filter(invoice__organizer=organizer, paid_on__lte=last)
    by_invoice: dict[int, list[SelfBillingPayment]] = defaultdict(list)
    touched = set(payments.filter(paid_on__gte=first).values_list("invoice_id", flat=True))
    for payment in payments.filter(invoice_id__in=touched).order_by("paid_on", "pk"):
        by_invoice[payment.invoice_id].append(payment)
    invoices = SelfBillingInvoice.objects.select_related("seller").in_bulk(list(by_invoice))
    found = []
    for invoice_id, documents_payments in by_invoice.items():
        for share in shares(invoices[invoice_id], documents_payments):
            if share.payment.paid_on >= first:
                found.append(share)
    return sorted(found, key=lambda s: (s.payment.paid_on, s.payment.pk))


def issued(organizer, first: datetime.date, last: datetime.date) -> list[SelfBillingInvoice]:
    """The member's self-billed documents issued from `first` to `last` (local days, inclusive)."""
    zone = timezone.get_default_timezone()
    start = datetime.datetime.combine(first, datetime.time(), tzinfo=zone)
    end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time(), tzinfo=zone)
    return list(
        SelfBillingInvoice.objects.filter(organizer=organizer, issued_at__gte=start, issued_at__lt=end)
        .select_related("seller")
        .order_by("issued_at", "pk")
    )

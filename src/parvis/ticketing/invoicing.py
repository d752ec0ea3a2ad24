"""Invoices and receipts: gapless numbering per organizer, HT/TVA/TTC per VAT rate, frozen at issue.

Ticket prices are VAT-inclusive (TTC). The VAT of each rate is computed on the rate's total, so that the
breakdown adds up to the cent: HT = round(TTC / (1 + rate)), TVA = TTC − HT.
"""

import io
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import formats, translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from parvis.core.money import Money, format_money, vat_split

from . import extensions
from .models import Invoice, InvoiceSeries, Order, OrderState, TicketState

CENT = Decimal("0.01")


def vat_breakdown(lines: list[dict]) -> list[dict]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        totals[line["vat_rate"]] += Decimal(line["total_incl_tax"])
    breakdown = []
    for rate, incl in sorted(totals.items(), key=lambda kv: Decimal(kv[0])):
        excl, tax = vat_split(incl, Decimal(rate))
        breakdown.append({"vat_rate": rate, "excl_tax": str(excl), "tax": str(tax), "incl_tax": str(incl)})
    return breakdown


def _order_lines(order: Order) -> list[dict]:
    lines = []
    items = order.items.select_related("performance__event", "performance__venue", "tariff")
    for item in items:
        quantity = (
            item.tickets.filter(state=TicketState.VALID).count()
            if order.state != OrderState.PENDING
            else item.quantity
        )
        if not quantity:
            continue
        local = item.performance.starts_at.astimezone(item.performance.venue.tzinfo)
        when = formats.date_format(local, "j F Y, H:i")
        lines.append(
            {
                "description": f"{item.performance.event.title} — {when} — {item.tariff.localized_name}",
                "quantity": quantity,
                "unit_incl_tax": str(item.unit_price),
                "vat_rate": str(item.vat_rate),
                "total_incl_tax": str(item.unit_price * quantity),
            }
        )
    for extra in order.extras.all():
        description = _("Don (hors champ de la TVA)") if extra.kind == "donation" else extra.description
        lines.append(
            {
                "description": description,
                "quantity": extra.quantity,
                "unit_incl_tax": str(extra.unit_price),
                "vat_rate": str(extra.vat_rate),
                "total_incl_tax": str(extra.line_total),
            }
        )
    return lines


def _seller(organizer) -> dict:
    return {
        "name": organizer.legal_name or organizer.name,
        "address": organizer.address,
        "siret": organizer.siret,
        "vat_number": organizer.vat_number,
        "licences": organizer.license_numbers,
    }


def _issue(order: Order, kind: str, lines: list[dict]) -> Invoice:
    """Number (next in the organizer's gapless series) and freeze an invoice or credit note."""
    breakdown = vat_breakdown(lines)
    with transaction.atomic():
        series, _created = InvoiceSeries.objects.get_or_create(organizer_id=order.organizer_id)
        InvoiceSeries.objects.filter(pk=series.pk).update(last_number=F("last_number") + 1)
        number = InvoiceSeries.objects.values_list("last_number", flat=True).get(pk=series.pk)
        return Invoice.objects.create(
            organizer_id=order.organizer_id,
            order=order,
            kind=kind,
            number=number,
            seller=_seller(order.organizer),
            buyer={
                "name": f"{order.first_name} {order.last_name}".strip(),
                "email": order.email,
                "postal_code": order.postal_code,
                **extensions.invoice_buyer_of(order),
            },
            lines=lines,
            vat_breakdown=breakdown,
            total_excl_tax=sum((Decimal(b["excl_tax"]) for b in breakdown), Decimal(0)),
            total_tax=sum((Decimal(b["tax"]) for b in breakdown), Decimal(0)),
            total_incl_tax=sum((Decimal(b["incl_tax"]) for b in breakdown), Decimal(0)),
            currency=order.currency,
        )


def invoice_for(order: Order) -> Invoice:
    """The order's invoice, issued (and numbered) the first time it is asked for."""
    existing = order.invoices.filter(kind=Invoice.Kind.INVOICE).first()
    if existing:
        return existing
    with transaction.atomic():
        Order.objects.select_for_update().filter(
            pk=order.pk
        ).first()  # one invoice per order, even if asked twice
        existing = order.invoices.filter(kind=Invoice.Kind.INVOICE).first()
        if existing:
            return existing
        with translation.override(order.language or "fr"):
            lines = _order_lines(order)
        return _issue(order, Invoice.Kind.INVOICE, lines)


def credit_note_for(order: Order, tickets: list, *, fee_per_ticket: Decimal = Decimal(0)) -> Invoice:
    """A credit note (négative) for refunded tickets of an invoiced order, in the same gapless series."""
    with translation.override(order.language or "fr"):
        lines = []
        label = _("Remboursement")
        for ticket in tickets:
            amount = max(Decimal(0), ticket.price - fee_per_ticket)
            lines.append(
                {
                    "description": f"{label} — {ticket.performance.event.title} — n° {ticket.number:06d}",
                    "quantity": 1,
                    "unit_incl_tax": str(-amount),
                    "vat_rate": str(ticket.vat_rate),
                    "total_incl_tax": str(-amount),
                }
            )
    return _issue(order, Invoice.Kind.CREDIT_NOTE, lines)


def _company_lines(buyer: dict) -> list[str]:
    return [
        text
        for text in [
            buyer.get("company", ""),
            *buyer.get("address", "").splitlines(),
            f"SIRET {buyer['siret']}" if buyer.get("siret") else "",
            f"{_('TVA intracommunautaire')} {buyer['vat_number']}" if buyer.get("vat_number") else "",
            f"{_('Bon de commande')} {buyer['purchase_order']}" if buyer.get("purchase_order") else "",
        ]
        if text
    ]


def invoice_pdf(invoice: Invoice, *, language: str = "fr") -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    width, height = A4
    money = lambda value: format_money(Money(Decimal(value), invoice.currency))  # noqa: E731
    with translation.override(language):
        title = _("Avoir") if invoice.kind == Invoice.Kind.CREDIT_NOTE else _("Facture")
        page.setTitle(f"{title} {invoice.code}")
        y = height - 20 * mm
        page.setFont("Helvetica-Bold", 16)
        page.drawString(20 * mm, y, f"{title} {invoice.code}")
        page.setFont("Helvetica", 10)
        page.drawRightString(width - 20 * mm, y, formats.date_format(invoice.issued_at, "j F Y"))
        y -= 12 * mm
        seller = invoice.seller
        for text in [
            seller["name"],
            *seller.get("address", "").splitlines(),
            f"SIRET {seller['siret']}" if seller.get("siret") else "",
            f"{_('TVA intracommunautaire')} {seller['vat_number']}" if seller.get("vat_number") else "",
            f"{_('Licences')} {seller['licences']}" if seller.get("licences") else "",
        ]:
            if text:
                page.drawString(20 * mm, y, text[:90])
                y -= 5 * mm
        y -= 5 * mm
        page.setFont("Helvetica-Bold", 10)
        page.drawString(20 * mm, y, _("Client"))
        page.setFont("Helvetica", 10)
        page.drawString(45 * mm, y, f"{invoice.buyer['name']} — {invoice.buyer['email']}")
        for text in _company_lines(invoice.buyer):  # a professional buyer's details (B2B invoice)
            y -= 5 * mm
            page.drawString(45 * mm, y, text[:90])
        y -= 12 * mm
        page.setFont("Helvetica-Bold", 9)
        for x, label in [
            (20, _("Désignation")),
            (125, _("Qté")),
            (140, _("PU TTC")),
            (165, _("TVA")),
            (178, _("Total TTC")),
        ]:
            page.drawString(x * mm, y, label)
        page.setFont("Helvetica", 9)
        for line in invoice.lines:
            y -= 6 * mm
            page.drawString(20 * mm, y, line["description"][:62])
            page.drawString(125 * mm, y, str(line["quantity"]))
            page.drawString(140 * mm, y, money(line["unit_incl_tax"]))
            page.drawString(165 * mm, y, f"{line['vat_rate']} %")
            page.drawString(178 * mm, y, money(line["total_incl_tax"]))
        y -= 12 * mm
        page.setFont("Helvetica-Bold", 9)
        for x, label in [(100, _("Taux")), (125, _("Total HT")), (150, _("TVA")), (175, _("Total TTC"))]:
            page.drawString(x * mm, y, label)
        page.setFont("Helvetica", 9)
        for row in invoice.vat_breakdown:
            y -= 6 * mm
            page.drawString(100 * mm, y, f"{row['vat_rate']} %")
            page.drawString(125 * mm, y, money(row["excl_tax"]))
            page.drawString(150 * mm, y, money(row["tax"]))
            page.drawString(175 * mm, y, money(row["incl_tax"]))
        y -= 8 * mm
        page.setFont("Helvetica-Bold", 10)
        page.drawString(100 * mm, y, _("Total"))
        page.drawString(125 * mm, y, money(invoice.total_excl_tax))
        page.drawString(150 * mm, y, money(invoice.total_tax))
        page.drawString(175 * mm, y, money(invoice.total_incl_tax))
        page.setFont("Helvetica", 8)
        page.drawString(20 * mm, 20 * mm, _("Commande %(code)s — acquittée.") % {"code": invoice.order.code})
        page.showPage()
    page.save()
    return buffer.getvalue()

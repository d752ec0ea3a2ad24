"""E-tickets as PDF (reportlab, no system library): one A4 page per ticket with its signed QR code."""

import io

import segno
from django.utils import formats, translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from parvis.core.money import Money, format_money

from .models import Order, Ticket

QR_BORDER = 2  # quiet zone, in modules


def draw_qr(page: canvas.Canvas, data: str, x: float, y: float, size: float) -> None:
    """Draw `data` as a QR code (vector: one rectangle per run of dark modules) in a `size` square whose
    lower-left corner is (x, y). No image to encode: about half the time of a PDF with a PNG inside."""
    qr = segno.make(data, error="m", micro=False)
    rows = [list(row) for row in qr.matrix]
    modules = len(rows) + 2 * QR_BORDER
    unit = size / modules
    page.saveState()
    page.setFillColorRGB(1, 1, 1)
    page.rect(x, y, size, size, stroke=0, fill=1)  # the quiet zone stays white on any background
    page.setFillColorRGB(0, 0, 0)
    path = page.beginPath()
    for r, row in enumerate(rows):
        top = y + size - (r + QR_BORDER + 1) * unit
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            path.rect(x + (start + QR_BORDER) * unit, top, (c - start) * unit, unit)
    page.drawPath(path, stroke=0, fill=1)
    page.restoreState()


def ticket_lines(ticket: Ticket) -> list[tuple[str, str]]:
    """The legal mentions of a ticket, in the order's language."""
    performance = ticket.performance
    venue = performance.venue
    local = performance.starts_at.astimezone(venue.tzinfo)
    price = _("Gratuit") if ticket.price == 0 else format_money(Money(ticket.price, ticket.tariff.currency))
    tariff = ticket.tariff.localized_name
    pass_entry = getattr(ticket, "pass_entry", None)  # booked with a pass: the pass pays the place
    if pass_entry is not None:
        tariff = f"{_('Pass')} {pass_entry.holding.code} ({tariff})"
        price = _("Compris dans le pass")
    organizer = ticket.organizer
    operator = organizer.legal_name or organizer.name
    if organizer.license_numbers:
        operator += f" — {_('licences')} {organizer.license_numbers}"
    return [
        (_("Organisateur"), operator),
        (_("Évènement"), performance.event.title),
        (_("Date"), formats.date_format(local, "l j F Y, H:i")),
        *([(_("Créneau"), ticket.slot.name)] if ticket.slot_id else []),
        (
            _("Lieu"),
            ", ".join(p for p in [venue.name, venue.street, f"{venue.postcode} {venue.town}".strip()] if p),
        ),
        (_("Tarif"), tariff),
        (_("Prix"), price),
        (_("Billet n°"), f"{ticket.number:06d}"),
        (_("Nom"), ticket.attendee_name),
    ]


def order_tickets_pdf(
    order: Order, *, layout: str = "a4", tickets=None, duplicate: int | None = None
) -> bytes:
    """The order's valid tickets (or those given): A4, one per page, or the 80 mm thermal layout.
    A reprint at the counter passes its number: every page then says DUPLICATA n°."""
    if tickets is None:
        tickets = order.tickets.filter(state="valid")
    tickets = tickets.select_related(
        "performance__event", "performance__venue", "tariff", "organizer", "slot"
    ).order_by("performance__starts_at", "number")
    if layout == "80mm":
        return _thermal_pdf(order, tickets, duplicate)
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    page.setTitle(f"Billets {order.code}")
    page.setAuthor(order.organizer.name)
    width, height = A4
    with translation.override(order.language or "fr"):
        for ticket in tickets:
            if duplicate:
                page.setFont("Helvetica-Bold", 16)
                page.drawRightString(width - 20 * mm, height - 15 * mm, _duplicate_mark(duplicate))
            y = height - 25 * mm
            page.setFont("Helvetica-Bold", 18)
            page.drawString(20 * mm, y, ticket.performance.event.title[:60])
            y -= 12 * mm
            for label, value in ticket_lines(ticket):
                page.setFont("Helvetica", 9)
                page.drawString(20 * mm, y, label.upper())
                page.setFont("Helvetica-Bold" if label == _("Billet n°") else "Helvetica", 12)
                page.drawString(55 * mm, y, str(value)[:70])
                y -= 8 * mm
            size = 70 * mm
            draw_qr(page, ticket.secret, width - size - 20 * mm, height - size - 35 * mm, size)
            page.setFont("Helvetica", 8)
            page.drawString(
                20 * mm,
                20 * mm,
                _("Commande %(code)s — billet personnel, présentez le QR code à l'entrée.")
                % {"code": order.code},
            )
            page.showPage()
    page.save()
    return buffer.getvalue()


def _duplicate_mark(number: int) -> str:
    return _("DUPLICATA n° %(n)s") % {"n": number}


def _thermal_pdf(order: Order, tickets, duplicate: int | None) -> bytes:
    """80 mm roll paper (counter printers): one 80 × 150 mm page per ticket, QR code under the mentions."""
    width, height = 80 * mm, 150 * mm
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=(width, height), pageCompression=1)
    page.setTitle(f"Billets {order.code}")
    page.setAuthor(order.organizer.name)
    with translation.override(order.language or "fr"):
        for ticket in tickets:
            y = height - 8 * mm
            if duplicate:
                page.setFont("Helvetica-Bold", 11)
                page.drawCentredString(width / 2, y, _duplicate_mark(duplicate))
                y -= 6 * mm
            page.setFont("Helvetica-Bold", 11)
            page.drawString(4 * mm, y, ticket.performance.event.title[:38])
            y -= 6 * mm
            for label, value in ticket_lines(ticket):
                if label == _("Évènement"):
                    continue
                page.setFont("Helvetica", 6)
                page.drawString(4 * mm, y, label.upper())
                page.setFont("Helvetica-Bold" if label == _("Billet n°") else "Helvetica", 8)
                page.drawString(22 * mm, y, str(value)[:48])
                y -= 4.5 * mm
            size = 46 * mm
            draw_qr(page, ticket.secret, (width - size) / 2, 10 * mm, size)
            page.setFont("Helvetica", 6)
            page.drawCentredString(width / 2, 6 * mm, _("Commande %(code)s") % {"code": order.code})
            page.showPage()
    page.save()
    return buffer.getvalue()


def voucher_pdf(voucher) -> bytes:
    """A gift voucher on an A6 card: value, code (and its QR), validity, the organizer."""
    from reportlab.lib.pagesizes import A6, landscape

    width, height = landscape(A6)
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=(width, height), pageCompression=1)
    page.setTitle(f"Bon cadeau {voucher.code}")
    organizer = voucher.organizer
    page.setFont("Helvetica-Bold", 16)
    page.drawString(10 * mm, height - 15 * mm, _("Bon cadeau"))
    page.setFont("Helvetica", 10)
    page.drawString(10 * mm, height - 22 * mm, organizer.legal_name or organizer.name)
    page.setFont("Helvetica-Bold", 22)
    page.drawString(10 * mm, height - 40 * mm, format_money(Money(voucher.initial_value, voucher.currency)))
    page.setFont("Helvetica", 9)
    if voucher.recipient:
        page.drawString(10 * mm, height - 50 * mm, _("Pour %(name)s") % {"name": voucher.recipient[:60]})
    page.drawString(
        10 * mm,
        height - 57 * mm,
        _("Valable jusqu'au %(date)s") % {"date": formats.date_format(voucher.expires_at, "j F Y")},
    )
    page.setFont("Courier-Bold", 13)
    page.drawString(10 * mm, 12 * mm, voucher.code)
    size = 38 * mm
    draw_qr(page, voucher.code, width - size - 8 * mm, 8 * mm, size)
    page.showPage()
    page.save()
    return buffer.getvalue()

"""E-tickets as PDF (reportlab, no system library): one A4 page per ticket with its signed QR code."""

import io

import segno
from django.utils import formats, translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from parvis.core.money import Money, format_money

from .models import Order, Ticket


def _qr_image(secret: str) -> ImageReader:
    buffer = io.BytesIO()
    segno.make(secret, error="m", micro=False).save(buffer, kind="png", scale=8, border=2)
    buffer.seek(0)
    return ImageReader(buffer)


def ticket_lines(ticket: Ticket) -> list[tuple[str, str]]:
    """The legal mentions of a ticket, in the order's language."""
    performance = ticket.performance
    venue = performance.venue
    local = performance.starts_at.astimezone(venue.tzinfo)
    price = _("Gratuit") if ticket.price == 0 else format_money(Money(ticket.price, ticket.tariff.currency))
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
        (_("Tarif"), ticket.tariff.localized_name),
        (_("Prix"), price),
        (_("Billet n°"), f"{ticket.number:06d}"),
        (_("Nom"), ticket.attendee_name),
    ]


def order_tickets_pdf(order: Order) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    page.setTitle(f"Billets {order.code}")
    page.setAuthor(order.organizer.name)
    width, height = A4
    tickets = order.tickets.select_related(
        "performance__event", "performance__venue", "tariff", "organizer", "slot"
    ).order_by("performance__starts_at", "number")
    with translation.override(order.language or "fr"):
        for ticket in tickets:
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
            page.drawImage(
                _qr_image(ticket.secret),
                width - size - 20 * mm,
                height - size - 35 * mm,
                width=size,
                height=size,
            )
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

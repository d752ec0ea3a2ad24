"""E-tickets as PDF (reportlab, no system library): a laid-out ticket with its signed QR code, one per A4
page with practical information, three per page (compact), or on an 80 mm roll."""

import datetime
import io

import segno
from django.utils import formats, translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfgen import canvas

from parvis.core.compiled import CompiledQuery
from parvis.core.money import Money, format_money

from . import extensions
from .models import Order, Ticket

QR_BORDER = 2  # quiet zone, in modules


# One mask pattern for every code, instead of segno scoring the eight (ISO/IEC 18004 § 7.8): the scoring
# took 10 ms of a 45 ms ticket e-mail. Any mask decodes alike, and on random data (a signed ticket) the
# patterns the scoring avoids (large blocks, false finder patterns) are as unlikely with one as another.
QR_MASK = 0


def draw_qr(page: canvas.Canvas, data: str, x: float, y: float, size: float) -> None:
    """Draw `data` as a QR code (vector: one rectangle per run of dark modules) in a `size` square whose
    lower-left corner is (x, y). No image to encode: about half the time of a PDF with a PNG inside.

    The runs are written as PDF operators in module units (integers, under one scaling), not through
    reportlab's path, which formats each coordinate as a float in Python (5 ms a code)."""
    qr = segno.make(data, error="m", micro=False, mask=QR_MASK)
    modules = len(qr.matrix) + 2 * QR_BORDER
    unit = size / modules
    page.saveState()
    page.setFillColorRGB(1, 1, 1)
    page.rect(x, y, size, size, stroke=0, fill=1)  # the quiet zone stays white on any background
    page.setFillColorRGB(0, 0, 0)
    page.translate(x, y + size)
    page.scale(unit, -unit)  # one module = 1, rows counted downwards from the top
    runs = []
    for r, row in enumerate(qr.matrix, start=QR_BORDER):
        c, width = 0, len(row)
        while c < width:
            if not row[c]:
                c += 1
                continue
            start = c
            while c < width and row[c]:
                c += 1
            runs.append(f"{start + QR_BORDER} {r} {c - start} 1 re")
    runs.append("f")
    page.addLiteral("\n".join(runs))
    page.restoreState()


def _doors(performance) -> datetime.datetime:
    if performance.doors_at:
        return performance.doors_at
    return performance.starts_at - datetime.timedelta(minutes=performance.venue.doors_minutes_before)


def _address(venue) -> list[str]:
    return [p for p in [venue.name, venue.street, f"{venue.postcode} {venue.town}".strip()] if p]


def ticket_lines(ticket: Ticket) -> list[tuple[str, str]]:
    """The legal mentions of a ticket, in the order's language."""
    performance = ticket.performance
    venue = performance.venue
    local = performance.starts_at.astimezone(venue.tzinfo)
    doors = _doors(performance).astimezone(venue.tzinfo)
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
        (_("Portes"), formats.time_format(doors, "H:i")),
        *([(_("Créneau"), ticket.slot.name)] if ticket.slot_id else []),
        (_("Lieu"), ", ".join(_address(venue))),
        (_("Tarif"), tariff),
        (_("Prix"), price),
        *extensions.mentions_of(ticket),
        (_("Billet n°"), f"{ticket.number:06d}"),
        (_("Nom"), ticket.attendee_name),
    ]


def _logo(organizer):
    """The organizer's logo, ready to draw, or None (no logo, or a file that cannot be read)."""
    if not organizer.logo:
        return None
    try:
        with organizer.logo.open("rb") as f:
            return ImageReader(io.BytesIO(f.read()))
    except (OSError, ValueError):
        return None


def _wrapped(page, text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    lines = simpleSplit(text, font, size, width) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        while lines[-1] and page.stringWidth(lines[-1] + "…", font, size) > width:
            lines[-1] = lines[-1][:-1]
        lines[-1] += "…"
    return lines


def _ticket_card(page, ticket: Ticket, order: Order, box: tuple[float, float, float, float], logos) -> None:
    """One ticket in the box (x, y, width, height): the organizer's logo, the show, date and doors, the
    venue's whole address, tariff and holder on the left; the QR code on the right, in a column that no
    text reaches."""
    x, y, width, height = box
    pad = 6 * mm
    qr = min(48 * mm, height - 2 * pad)
    text_width = width - qr - 3 * pad
    page.saveState()
    page.setStrokeColorRGB(0.75, 0.75, 0.75)
    page.roundRect(x, y, width, height, 3 * mm, stroke=1, fill=0)
    page.restoreState()
    top = y + height - pad
    organizer = ticket.organizer
    if organizer.pk not in logos:
        logos[organizer.pk] = _logo(organizer)
    logo = logos[organizer.pk]
    left = x + pad
    if logo is not None:
        w, h = logo.getSize()
        scale = min(30 * mm / w, 12 * mm / h)
        page.drawImage(logo, left, top - h * scale, w * scale, h * scale, mask="auto")
        left += w * scale + 4 * mm
    page.setFont("Helvetica", 8)
    page.drawString(left, top - 4 * mm, (organizer.name)[:60])
    page.setFont("Helvetica-Bold", 9)
    page.drawRightString(x + width - pad, top - 4 * mm, f"{_('Billet n°')} {ticket.number:06d}")
    cursor = top - 17 * mm
    page.setFont("Helvetica-Bold", 15)
    for line in _wrapped(page, ticket.performance.event.title, "Helvetica-Bold", 15, text_width, 2):
        page.drawString(x + pad, cursor, line)
        cursor -= 6.5 * mm
    cursor -= 1 * mm
    said = dict(ticket_lines(ticket))
    rows = [
        (_("Date"), said[_("Date")]),
        (_("Portes"), said[_("Portes")]),
        *([(_("Créneau"), said[_("Créneau")])] if _("Créneau") in said else []),
        (_("Lieu"), "\n".join(_address(ticket.performance.venue))),
        (_("Tarif"), f"{said[_('Tarif')]} — {said[_('Prix')]}"),
        *extensions.mentions_of(ticket),
        *([(_("Nom"), said[_("Nom")])] if said[_("Nom")] else []),
    ]
    label_width = 18 * mm
    for label, value in rows:
        page.setFont("Helvetica", 7)
        page.drawString(x + pad, cursor + 0.5 * mm, label.upper())
        page.setFont("Helvetica", 10)
        for part in value.split("\n"):
            for line in _wrapped(page, part, "Helvetica", 10, text_width - label_width, 2):
                page.drawString(x + pad + label_width, cursor, line)
                cursor -= 4.6 * mm
        cursor -= 0.8 * mm
    draw_qr(page, ticket.secret, x + width - pad - qr, y + (height - qr) / 2 - 2 * mm, qr)
    page.setFont("Helvetica", 6.5)
    footer = f"{_('Commande')} {order.code} — {said[_('Organisateur')]}"
    page.drawString(x + pad, y + 3.5 * mm, _wrapped(page, footer, "Helvetica", 6.5, text_width, 1)[0])


def printable(order: Order, tickets=None) -> list[Ticket]:
    """The order's valid tickets (or those given), with what a printed ticket shows, in print order. A
    list is taken as it is (read here already)."""
    if isinstance(tickets, list):
        return tickets
    if tickets is None:
        return _valid_tickets(order.pk)  # a confirmation's: its SQL written once per process
    return list(_for_print(tickets))


def _for_print(tickets):
    return tickets.select_related(
        "performance__event",
        "performance__venue",
        "tariff",
        "organizer",
        "slot",
        *extensions.ticket_relations,
    ).order_by("performance__starts_at", "number")


_valid_tickets = CompiledQuery(
    # An online ticket is not printed: its access is a personal link (the confirmation gives it).
    Ticket,
    lambda order_id: _for_print(
        Ticket.objects.filter(order_id=order_id, state="valid", tariff__online=False)
    ),
)


def order_tickets_pdf(
    order: Order, *, layout: str = "a4", tickets=None, duplicate: int | None = None
) -> bytes:
    """The order's valid tickets (or those given): A4 with one ticket per page and its practical
    information, `compact` (three tickets per A4 page, to cut), or the 80 mm thermal layout.
    A reprint at the counter passes its number: every ticket then says DUPLICATA n°."""
    tickets = printable(order, tickets)
    if layout == "80mm":
        return _thermal_pdf(order, tickets, duplicate)
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    page.setTitle(f"Billets {order.code}")
    page.setAuthor(order.organizer.name)
    width, height = A4
    margin = 12 * mm
    logos: dict = {}
    per_page = 3 if layout == "compact" else 1
    card_height = (height - 2 * margin - (per_page - 1) * 6 * mm) / per_page if per_page > 1 else 95 * mm
    with translation.override(order.language or "fr"):
        for n, ticket in enumerate(tickets):
            slot = n % per_page
            if n and not slot:
                page.showPage()
            top = height - margin - slot * (card_height + 6 * mm)
            if duplicate:
                page.setFont("Helvetica-Bold", 11)
                page.drawRightString(width - margin, top + 2 * mm, _duplicate_mark(duplicate))
            _ticket_card(
                page, ticket, order, (margin, top - card_height, width - 2 * margin, card_height), logos
            )
            if per_page > 1 and slot < per_page - 1:
                page.saveState()
                page.setDash(2, 3)
                page.setStrokeColorRGB(0.6, 0.6, 0.6)
                cut = top - card_height - 3 * mm
                page.line(margin / 2, cut, width - margin / 2, cut)
                page.restoreState()
            if per_page == 1:
                _practical(page, ticket, order, top - card_height - 12 * mm, margin, width)
        page.showPage()
    page.save()
    return buffer.getvalue()


def _practical(page, ticket: Ticket, order: Order, top: float, margin: float, width: float) -> None:
    """Under an A4 ticket: how to come in, and whom to ask."""
    venue = ticket.performance.venue
    organizer = ticket.organizer
    page.setFont("Helvetica-Bold", 11)
    page.drawString(margin, top, _("Informations pratiques"))
    contact = " — ".join(p for p in [organizer.email, organizer.phone] if p)
    lines = [
        _("Présentez ce billet à l'entrée, imprimé ou sur votre téléphone."),
        _("Portes ouvertes à %(doors)s.") % {"doors": dict(ticket_lines(ticket))[_("Portes")]},
        ", ".join(_address(venue)),
        *([_("Contact : %(contact)s") % {"contact": contact}] if contact else []),
        _("Billet personnel, ni repris ni échangé sauf dans les conditions de vente de l'organisateur."),
    ]
    cursor = top - 7 * mm
    page.setFont("Helvetica", 9.5)
    for text in lines:
        for line in simpleSplit(text, "Helvetica", 9.5, width - 2 * margin):
            page.drawString(margin, cursor, line)
            cursor -= 5 * mm
        cursor -= 1.5 * mm


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

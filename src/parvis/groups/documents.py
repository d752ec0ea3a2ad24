"""A group's quote (devis) and invoice, as French public buyers expect them: the establishment with its
SIRET and UAI, the purchase order, the Chorus Pro service code and commitment number, the Pass Culture
reference, the deposit received, payment by bank transfer within 30 days (the public sector's time
limit, Code de la commande publique R2192-10) and the seller's bank details.

The quote counts the people announced; the invoice those counted at the door."""

import datetime
import io
from decimal import Decimal

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from parvis.core.money import Money, format_money, vat_split

from .models import GroupBooking
from .pricing import amount

PAYMENT_DAYS = 30


def lines_of(booking: GroupBooking, kind: str) -> tuple[list[tuple[str, int, Decimal, Decimal]], Decimal]:
    """(description, quantity, unit TTC, total TTC) lines, and the total."""
    offer = booking.offer
    pupils, adults = (
        (booking.final_pupils, booking.final_adults)
        if kind == "invoice"
        else (booking.pupils, booking.adults)
    )
    due = amount(offer, pupils, adults)
    when = formats.date_format(timezone.localtime(booking.performance.starts_at), "SHORT_DATETIME_FORMAT")
    title = f"{offer.name} — {offer.event.title} — {when}"
    if offer.pricing == "per_group":
        lines = [(title, 1, offer.price, offer.price)]
    else:
        lines = [(title, due.paying, offer.price, due.total)]
    if due.free_adults:
        lines.append((_("Accompagnateurs gratuits"), due.free_adults, Decimal(0), Decimal(0)))
    return lines, due.total


def booking_pdf(booking: GroupBooking, kind: str) -> bytes:
    with translation.override("fr"):
        return _pdf(booking, kind)


def _pdf(booking: GroupBooking, kind: str) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    is_invoice = kind == "invoice"
    code = booking.invoice_code if is_invoice else booking.quote_code
    issued = booking.invoiced_at if is_invoice else booking.quoted_at
    title = _("Facture") if is_invoice else _("Devis")
    page.setTitle(f"{title} {code}")
    y = _parties(page, booking, f"{title} {code}", issued)
    lines, total = lines_of(booking, kind)
    y = _lines(page, booking, lines, total, y)
    y = _deposit(page, booking, total, is_invoice, y)
    _terms(page, booking, code, issued, is_invoice, y)
    page.showPage()
    page.save()
    return buffer.getvalue()


def _money(value) -> str:
    return format_money(Money(Decimal(value), "EUR"))


def _parties(page, booking: GroupBooking, heading: str, issued) -> float:
    """The title, the seller and the client with its public-buyer references; the height reached."""
    width, height = A4
    organizer = booking.organizer
    y = height - 20 * mm
    page.setFont("Helvetica-Bold", 16)
    page.drawString(20 * mm, y, heading)
    page.setFont("Helvetica", 10)
    page.drawRightString(width - 20 * mm, y, formats.date_format(timezone.localtime(issued), "j F Y"))
    y -= 12 * mm
    for text in (
        organizer.legal_name or organizer.name,
        *organizer.address.splitlines(),
        f"SIRET {organizer.siret}" if organizer.siret else "",
        f"{_('TVA intracommunautaire')} {organizer.vat_number}" if organizer.vat_number else "",
    ):
        if text:
            page.drawString(20 * mm, y, text[:90])
            y -= 5 * mm
    y -= 4 * mm
    page.setFont("Helvetica-Bold", 10)
    page.drawString(20 * mm, y, _("Client"))
    page.setFont("Helvetica", 10)
    establishment = booking.establishment
    for text in (
        booking.establishment_name,
        f"UAI {establishment.uai}" if establishment and establishment.uai else "",
        f"{establishment.postcode} {establishment.town}" if establishment else "",
        f"SIRET {booking.siret}" if booking.siret else "",
        f"{_('Responsable')} : {booking.leader_name} — {booking.leader_email}",
        f"{_('Bon de commande')} : {booking.purchase_order}" if booking.purchase_order else "",
        f"Chorus Pro — {_('code service')} : {booking.chorus_service}" if booking.chorus_service else "",
        f"Chorus Pro — {_('n° d’engagement')} : {booking.chorus_commitment}"
        if booking.chorus_commitment
        else "",
        f"Pass Culture — {_('part collective, offre')} {booking.pass_culture}"
        if booking.pass_culture
        else "",
    ):
        if text.strip():
            page.drawString(45 * mm, y, text[:80])
            y -= 5 * mm
    return y - 6 * mm


def _lines(page, booking: GroupBooking, lines, total: Decimal, y: float) -> float:
    width, _height = A4
    page.setFont("Helvetica-Bold", 9)
    for x, label in ((20, _("Désignation")), (125, _("Qté")), (140, _("PU TTC")), (165, _("TVA")),
                     (178, _("Total TTC"))):  # fmt: skip
        page.drawString(x * mm, y, label)
    page.setFont("Helvetica", 9)
    rate = booking.offer.vat_rate
    for description, quantity, unit, line_total in lines:
        y -= 6 * mm
        page.drawString(20 * mm, y, description[:62])
        page.drawString(125 * mm, y, str(quantity))
        page.drawString(140 * mm, y, _money(unit))
        page.drawString(165 * mm, y, f"{rate} %")
        page.drawString(178 * mm, y, _money(line_total))
    excl, tax = vat_split(total, Decimal(rate))
    y -= 10 * mm
    page.setFont("Helvetica-Bold", 10)
    for label, value in (
        (_("Total HT"), excl),
        (_("TVA %(rate)s %%") % {"rate": rate}, tax),
        (_("Total TTC"), total),
    ):
        page.drawString(120 * mm, y, label)
        page.drawRightString(width - 20 * mm, y, _money(value))
        y -= 6 * mm
    return y


def _deposit(page, booking: GroupBooking, total: Decimal, is_invoice: bool, y: float) -> float:
    width, _height = A4
    deposit = booking.deposit_received
    page.setFont("Helvetica", 10)
    if not is_invoice and booking.offer.deposit_percent:
        asked = (total * booking.offer.deposit_percent / 100).quantize(Decimal("0.01"))
        page.drawString(20 * mm, y, _("Acompte demandé : %(n)s %% soit %(amount)s.")
                        % {"n": booking.offer.deposit_percent, "amount": _money(asked)})  # fmt: skip
        y -= 6 * mm
    if is_invoice and deposit:
        page.drawString(120 * mm, y, _("Acompte reçu"))
        page.drawRightString(width - 20 * mm, y, f"− {_money(deposit)}")
        y -= 6 * mm
        page.setFont("Helvetica-Bold", 10)
        page.drawString(120 * mm, y, _("Reste à payer"))
        page.drawRightString(width - 20 * mm, y, _money(total - deposit))
        y -= 6 * mm
    return y - 6 * mm


def _terms(page, booking: GroupBooking, code: str, issued, is_invoice: bool, y: float) -> None:
    page.setFont("Helvetica", 9)
    if is_invoice:
        due = timezone.localtime(issued) + datetime.timedelta(days=PAYMENT_DAYS)
        terms = _("Paiement par virement, à %(days)s jours, au plus tard le %(date)s. Référence : %(code)s.")
        terms %= {"days": PAYMENT_DAYS, "date": formats.date_format(due, "j F Y"), "code": code}
    else:
        terms = _("Devis établi pour l'effectif annoncé ; la facture suivra l'effectif compté à l'arrivée, "
                  "payable par virement après la visite.")  # fmt: skip
    page.drawString(20 * mm, y, terms[:120])
    y -= 5 * mm
    for text in booking.organizer.bank_details.splitlines():
        page.drawString(20 * mm, y, text[:100])
        y -= 5 * mm
    page.setFont("Helvetica", 8)
    page.drawString(20 * mm, 20 * mm, _("Réservation %(code)s") % {"code": booking.code})

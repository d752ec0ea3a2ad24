"""The member card as a PDF: a credit-card-sized page with the holders, the validity and a signed QR code."""

import io

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from parvis.ticketing import signing
from parvis.ticketing.pdf import draw_qr

from .models import Membership

CARD_SIZE = (85.6 * mm, 54 * mm)  # ISO/IEC 7810 ID-1, like a bank card
PAGE_SIZE = (105 * mm, 148 * mm)  # A6 portrait: the card, then what it gives


def card_secret(membership: Membership) -> str:
    """The QR's content: the card signed with its programme organizer's key (checked by the door)."""
    key = signing.signing_key_for(membership.level.program.organizer)
    return signing.sign_card(
        key=key,
        membership_id=membership.pk,
        persons=membership.level.persons,
        valid_until=membership.valid_until,
    )


def card_pdf(membership: Membership) -> bytes:
    level = membership.level
    program = level.program
    width, height = PAGE_SIZE
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=PAGE_SIZE, pageCompression=1)
    page.setTitle(_("Carte d'adhérent %(code)s") % {"code": membership.code})
    left, top = 8 * mm, height - 12 * mm
    page.setFont("Helvetica-Bold", 14)
    page.drawString(left, top, _("Carte d'adhérent"))
    page.setFont("Helvetica", 10)
    page.drawString(left, top - 6 * mm, program.name[:60])
    page.drawString(
        left, top - 11 * mm, f"{level.name} — {program.organizer.legal_name or program.organizer.name}"[:70]
    )
    page.setFont("Helvetica-Bold", 12)
    page.drawString(left, top - 20 * mm, membership.holder_name[:50])
    page.setFont("Helvetica", 10)
    y = top - 26 * mm
    for name in membership.other_names[:6]:
        page.drawString(left, y, name[:50])
        y -= 5 * mm
    page.drawString(
        left,
        y - 2 * mm,
        _("Valable du %(start)s au %(end)s")
        % {
            "start": formats.date_format(timezone.localtime(membership.valid_from), "j F Y"),
            "end": formats.date_format(timezone.localtime(membership.valid_until), "j F Y"),
        },
    )
    page.setFont("Courier-Bold", 13)
    page.drawString(left, y - 9 * mm, membership.code)
    size = 52 * mm
    draw_qr(page, card_secret(membership), (width - size) / 2, 12 * mm, size)
    page.setFont("Helvetica", 7)
    page.drawCentredString(width / 2, 8 * mm, _("Présentez cette carte à l'entrée et au guichet."))
    page.showPage()
    page.save()
    return buffer.getvalue()

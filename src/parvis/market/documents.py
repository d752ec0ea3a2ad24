"""The market's printed documents: a participant's badge, and their day's agenda."""

import io

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab.lib.colors import HexColor, white
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from parvis.ticketing.pdf import draw_qr

from .badges import badge_secret
from .models import Access, Participant

BADGE_SIZE = (105 * mm, 148 * mm)  # A6 portrait, the size of a lanyard's sleeve


def badge_pdf(participant: Participant) -> bytes:
    market, category = participant.market, participant.category
    width, height = BADGE_SIZE
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=BADGE_SIZE, pageCompression=1)
    page.setTitle(_("Badge %(code)s") % {"code": participant.code})
    page.setFillColor(HexColor(category.colour))
    page.rect(0, height - 22 * mm, width, 22 * mm, stroke=0, fill=1)
    page.setFillColor(white)
    page.setFont("Helvetica-Bold", 15)
    page.drawString(8 * mm, height - 12 * mm, market.name[:40])
    page.setFont("Helvetica", 9)
    days = _("du %(start)s au %(end)s") % {
        "start": formats.date_format(market.starts_on, "j F"),
        "end": formats.date_format(market.ends_on, "j F Y"),
    }
    page.drawString(8 * mm, height - 18 * mm, days)
    page.setFillColor(HexColor("#111827"))
    left, y = 8 * mm, height - 32 * mm
    if participant.photo:
        try:
            page.drawImage(
                ImageReader(participant.photo.open("rb")),
                width - 33 * mm,
                height - 58 * mm,
                25 * mm,
                32 * mm,
                preserveAspectRatio=True,
                mask="auto",
            )
        except (OSError, ValueError):  # an unreadable photo leaves the badge without it
            pass
    page.setFont("Helvetica-Bold", 16)
    page.drawString(left, y, participant.first_name[:22])
    page.drawString(left, y - 7 * mm, participant.last_name[:22])
    page.setFont("Helvetica", 10)
    page.drawString(left, y - 14 * mm, participant.organisation_name[:40])
    page.drawString(left, y - 19 * mm, participant.role[:40])
    page.setFillColor(HexColor(category.colour))
    page.rect(left, y - 29 * mm, width - 16 * mm, 7 * mm, stroke=0, fill=1)
    page.setFillColor(white)
    page.setFont("Helvetica-Bold", 11)
    page.drawCentredString(width / 2, y - 26.6 * mm, category.name.upper()[:36])
    page.setFillColor(HexColor("#111827"))
    size = 50 * mm
    draw_qr(page, badge_secret(participant), (width - size) / 2, 16 * mm, size)
    page.setFont("Helvetica", 7)
    gives = ", ".join(str(Access(a).label) for a in category.access if a in Access.values)
    page.drawCentredString(
        width / 2, 11 * mm, (_("Accès : %(what)s") % {"what": gives})[:90] if gives else ""
    )
    page.setFont("Courier-Bold", 10)
    page.drawCentredString(width / 2, 6 * mm, participant.code)
    page.showPage()
    page.save()
    return buffer.getvalue()


def agenda_pdf(participant: Participant, entries: list[dict]) -> bytes:
    """A participant's agenda: meetings and sessions in time order (`selectors.agenda_of`)."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pageCompression=1)
    page.setTitle(_("Agenda — %(name)s") % {"name": participant.name})
    width, height = page._pagesize
    y = height - 25 * mm
    page.setFont("Helvetica-Bold", 15)
    page.drawString(20 * mm, y, participant.market.name[:60])
    page.setFont("Helvetica", 11)
    page.drawString(20 * mm, y - 7 * mm, _("Agenda de %(name)s") % {"name": participant.name})
    y -= 18 * mm
    day = None
    for entry in entries:
        local = timezone.localtime(entry["starts_at"])
        if local.date() != day:
            day = local.date()
            y -= 4 * mm
            page.setFont("Helvetica-Bold", 11)
            page.drawString(20 * mm, y, formats.date_format(day, "l j F Y"))
            y -= 7 * mm
        page.setFont("Helvetica", 10)
        when = f"{local:%H:%M}–{timezone.localtime(entry['ends_at']):%H:%M}"
        page.drawString(20 * mm, y, when)
        page.drawString(45 * mm, y, entry["title"][:70])
        page.setFont("Helvetica", 8)
        page.drawString(45 * mm, y - 4 * mm, entry["where"][:90])
        y -= 11 * mm
        if y < 25 * mm:
            page.showPage()
            y = height - 25 * mm
    if not entries:
        page.drawString(20 * mm, y, _("Rien de prévu pour l'instant."))
    page.showPage()
    page.save()
    return buffer.getvalue()

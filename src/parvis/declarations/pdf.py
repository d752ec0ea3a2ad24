"""A daily revenue statement as a PDF (A4 landscape, reportlab): the organizer, the performance, the
statement's number and date, one row per tariff, the totals, the rules and the statement's fingerprint."""

import io

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from .models import DailyStatement

COLUMNS = (  # title, x (mm), right-aligned
    (gettext_lazy("Tarif"), 12, False),
    (gettext_lazy("Prix unitaire"), 120, True),
    (gettext_lazy("Émis"), 140, True),
    (gettext_lazy("Exonérés"), 160, True),
    (gettext_lazy("Annulés"), 180, True),
    (gettext_lazy("Recette"), 205, True),
    (gettext_lazy("Contrôlés"), 228, True),
    (gettext_lazy("Numéros"), 234, False),
)


def statement_pdf(statement: DailyStatement) -> bytes:
    performance = statement.performance
    width, height = landscape(A4)
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=(width, height), pageCompression=1)
    page.setTitle(_("Bordereau de recettes n° %(n)s") % {"n": statement.number})
    organizer = statement.organizer
    y = height - 15 * mm
    page.setFont("Helvetica-Bold", 14)
    page.drawString(12 * mm, y, _("Bordereau de recettes n° %(n)s") % {"n": statement.number})
    page.setFont("Helvetica", 9)
    y -= 6 * mm
    page.drawString(12 * mm, y, f"{organizer.legal_name or organizer.name} — {performance.venue.name}"[:120])
    y -= 5 * mm
    when = formats.date_format(timezone.localtime(performance.starts_at), "l j F Y H:i")
    page.drawString(12 * mm, y, f"{performance.event.title} — {when}"[:140])
    y -= 5 * mm
    issued = formats.date_format(timezone.localtime(statement.issued_at), "j F Y H:i")
    text = _("Établi le %(date)s.") % {"date": issued}
    if statement.supersedes_id:
        text += " " + _("Remplace le bordereau n° %(n)s.") % {"n": statement.supersedes.number}
    page.drawString(12 * mm, y, text)
    y -= 9 * mm
    page.setFont("Helvetica-Bold", 8)
    for title, x, right in COLUMNS:
        (page.drawRightString if right else page.drawString)(x * mm, y, str(title))
    page.setFont("Helvetica", 8)
    for line in statement.lines:
        y -= 5 * mm
        if y < 25 * mm:
            page.showPage()
            page.setFont("Helvetica", 8)
            y = height - 15 * mm
        tariff = line["tariff"] + (" " + _("(part de pass)") if line["pass"] else "")
        values = (tariff[:60], line["unit_price"], line["issued"], line["exonerated"], line["cancelled"],
                  line["revenue"], line["scanned"], _numbers(line["numbers"]))  # fmt: skip
        for (_title, x, right), value in zip(COLUMNS, values, strict=True):
            (page.drawRightString if right else page.drawString)(x * mm, y, str(value))
    totals = statement.totals
    y -= 7 * mm
    page.setFont("Helvetica-Bold", 8)
    total_row = (
        (12, _("Total")), (140, totals["issued"]), (160, totals["exonerated"]), (180, totals["cancelled"]),
        (205, totals["revenue"]), (228, totals["scanned"]),
    )  # fmt: skip
    for x, value in total_row:
        (page.drawString if x == 12 else page.drawRightString)(x * mm, y, str(value))
    page.setFont("Helvetica", 7)
    y -= 10 * mm
    for rule in (
        _(
            "Recette : prix des billets valables (une retenue d'annulation n'est pas une recette) ; "
            "une entrée de pass compte pour sa part, le prix du pass divisé par son nombre d'entrées."
        ),
        _(
            "Exonérés : billets valables à 0 € qui ne sont pas des entrées de pass. Annulés : remboursés, "
            "annulés ou échangés."
        ),  # fmt: skip
        _("Empreinte %(hash)s — précédente %(previous)s")
        % {"hash": statement.hash, "previous": statement.previous_hash},
    ):
        page.drawString(12 * mm, y, str(rule)[:190])
        y -= 4 * mm
    page.save()
    return buffer.getvalue()


def _numbers(numbers: list[int]) -> str:
    """Ticket numbers as ranges: 1-4, 7, 9-10 (cut to fit a line)."""
    parts, start, previous = [], None, None
    for n in numbers:
        if start is None:
            start = previous = n
        elif n == previous + 1:
            previous = n
        else:
            parts.append(f"{start}-{previous}" if previous != start else str(start))
            start = previous = n
    if start is not None:
        parts.append(f"{start}-{previous}" if previous != start else str(start))
    text = ", ".join(parts)
    return text if len(text) <= 60 else text[:57] + "…"


def self_billing_pdf(invoice) -> bytes:
    """A self-billed invoice (autofacturation): the member as supplier, the network's seller as customer,
    the amounts per VAT rate, the mentions the law asks."""
    width, height = A4
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    if invoice.is_credit_note:
        title = _("Avoir n° %(n)s — Autofacturation") % {"n": invoice.number}
    elif invoice.corrects_id:
        title = _("Facture rectificative n° %(n)s — Autofacturation") % {"n": invoice.number}
    else:
        title = _("Facture n° %(n)s — Autofacturation") % {"n": invoice.number}
    page.setTitle(title)
    y = height - 20 * mm
    page.setFont("Helvetica-Bold", 14)
    page.drawString(15 * mm, y, title)
    page.setFont("Helvetica", 9)
    for label, party in ((_("Fournisseur"), invoice.organizer), (_("Client"), invoice.seller)):
        y -= 9 * mm
        page.setFont("Helvetica-Bold", 9)
        page.drawString(15 * mm, y, label)
        page.setFont("Helvetica", 9)
        details = [party.legal_name or party.name, f"SIRET {party.siret or '—'}"]
        if party.vat_number:
            details.append(_("TVA intracommunautaire %(n)s") % {"n": party.vat_number})
        for text in details:
            y -= 4.5 * mm
            page.drawString(15 * mm, y, text[:110])
    y -= 9 * mm
    issued = formats.date_format(timezone.localtime(invoice.issued_at), "DATE_FORMAT")
    page.drawString(15 * mm, y, _("Période : %(p)s — établie le %(d)s") % {"p": invoice.period, "d": issued})
    if invoice.corrects_id:
        y -= 5 * mm
        page.drawString(
            15 * mm,
            y,
            _("Se rapporte à la facture n° %(n)s : le relevé des reversements de la période a changé depuis.")
            % {"n": invoice.corrects.number},
        )
    y -= 5 * mm
    page.drawString(
        15 * mm,
        y,
        _("Ventes de billets et de pass du réseau reversées au fournisseur (relevé des reversements).")[:120],
    )
    y -= 9 * mm
    page.setFont("Helvetica-Bold", 9)
    page.drawString(15 * mm, y, _("Taux de TVA"))
    for text, x in ((_("HT"), 90), (_("TVA"), 130), (_("TTC"), 175)):
        page.drawRightString(x * mm, y, text)
    page.setFont("Helvetica", 9)
    for rate, excl, vat, incl in invoice.lines:
        y -= 5 * mm
        page.drawString(15 * mm, y, f"{rate} %")
        for value, x in ((excl, 90), (vat, 130), (incl, 175)):
            page.drawRightString(x * mm, y, f"{value} €")
    y -= 7 * mm
    page.setFont("Helvetica-Bold", 9)
    page.drawString(15 * mm, y, _("Total"))
    for value, x in ((invoice.total_excl, 90), (invoice.total_vat, 130), (invoice.total, 175)):
        page.drawRightString(x * mm, y, f"{value} €")
    page.setFont("Helvetica", 8)
    y -= 12 * mm
    mention = _("Autofacturation : facture établie par le client au nom et pour le compte du fournisseur.")
    page.drawString(15 * mm, y, f"{mention} (CGI, art. 289-I-2)")
    page.showPage()
    page.save()
    return buffer.getvalue()

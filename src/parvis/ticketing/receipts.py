"""Tax receipts for donations (reçus fiscaux, CERFA n° 11580, art. 200, 238 bis and 978 of the CGI).

Issued when the order that carries the donation is paid, for organizers entitled to issue them; numbered
without gap per organizer and year (the organizer's row is locked while numbering); never deleted.
"""

import io
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from parvis.crm import services as crm
from parvis.network.models import Organizer

from .extensions import Attachment, LineKind
from .models import DonationReceipt, Order, OrderExtra

_UNITS = (
    "zéro un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize dix-sept "
    "dix-huit dix-neuf"
).split()
_TENS = {2: "vingt", 3: "trente", 4: "quarante", 5: "cinquante", 6: "soixante", 8: "quatre-vingt"}


def _below_100(n: int) -> str:
    if n < 20:
        return _UNITS[n]
    tens, unit = divmod(n, 10)
    if tens in (7, 9):  # soixante-dix…, quatre-vingt-dix…
        base, rest = _TENS[tens - 1], 10 + unit
        joiner = " et " if tens == 7 and unit == 1 else "-"
        return f"{base}{joiner}{_UNITS[rest]}"
    if unit == 0:
        return _TENS[tens] + ("s" if tens == 8 else "")
    joiner = " et " if unit == 1 and tens != 8 else "-"
    return f"{_TENS[tens]}{joiner}{_UNITS[unit]}"


def _below_1000(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    if not hundreds:
        return _below_100(rest)
    head = "cent" if hundreds == 1 else f"{_UNITS[hundreds]} cent"
    if not rest:
        return head + ("s" if hundreds > 1 else "")
    return f"{head} {_below_100(rest)}"


def number_in_words(n: int) -> str:
    """French words for 0 ≤ n < 1,000,000 (1990 spelling kept traditional: spaces, "et un")."""
    thousands, rest = divmod(n, 1000)
    if not thousands:
        return _below_1000(rest)
    head = "mille" if thousands == 1 else f"{_below_1000(thousands).removesuffix('s')} mille"
    return head if not rest else f"{head} {_below_1000(rest)}"


def euros_in_words(amount: Decimal) -> str:
    euros, cents = divmod(int((amount * 100).quantize(Decimal(1))), 100)
    text = f"{number_in_words(euros)} euro{'s' if euros > 1 else ''}"
    if cents:
        text += f" et {number_in_words(cents)} centime{'s' if cents > 1 else ''}"
    return text


def receipts_of_order_issue(order: Order) -> list[DonationReceipt]:
    """The receipt for the order's donation, if its organizer issues them (once; caller's transaction)."""
    organizer = order.organizer
    if not organizer.issues_tax_receipts or order.donation_receipts.exists():
        return []
    amount = sum((e.line_total for e in order.extras.filter(kind=OrderExtra.Kind.DONATION)), Decimal(0))
    if not amount:
        return []
    year = timezone.localdate().year
    with transaction.atomic():
        Organizer.objects.select_for_update().filter(pk=organizer.pk).first()  # one number at a time
        last = DonationReceipt.objects.filter(organizer=organizer, year=year).aggregate(n=Max("number"))["n"]
        methods = sorted({p.provider for p in order.payments.filter(state="confirmed", amount__gt=0)})
        receipt = DonationReceipt.objects.create(
            organizer=organizer,
            year=year,
            number=(last or 0) + 1,
            order=order,
            donor_name=f"{order.first_name} {order.last_name}".strip(),
            donor_address=" ".join(p for p in [order.postal_address, order.postal_code] if p),
            amount=amount,
            received_on=timezone.localdate(order.paid_at or timezone.now()),
            method=", ".join(methods),
        )
    return [receipt]


def receipts_of_order_cancel(order: Order) -> int:
    """A refunded donation: its receipt stays, marked cancelled (the donor must not deduct it)."""
    return DonationReceipt.objects.filter(order=order, cancelled_at__isnull=True).update(
        cancelled_at=timezone.now()
    )


def receipt_pdf(receipt: DonationReceipt) -> bytes:
    """The receipt, laid out after the CERFA n° 11580 model, in French (the form's language)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    organizer = receipt.organizer
    width, height = A4
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    page.setTitle(f"Reçu fiscal {receipt.reference}")
    with translation.override("fr"):
        y = height - 20 * mm

        def line(text: str, size: int = 10, bold: bool = False, gap: float = 6):
            nonlocal y
            page.setFont("Helvetica-Bold" if bold else "Helvetica", size)
            page.drawString(18 * mm, y, text[:110])
            y -= gap * mm

        line(_("Reçu au titre des dons à certains organismes d'intérêt général"), 13, True)
        line(_("Articles 200, 238 bis et 978 du code général des impôts — modèle CERFA n° 11580"), 9)
        line(_("Reçu n° %(ref)s") % {"ref": receipt.reference}, 11, True, 10)
        if receipt.cancelled_at:
            line(
                _("ANNULÉ le %(date)s (don remboursé)")
                % {"date": formats.date_format(receipt.cancelled_at, "j F Y")},
                12,
                True,
                10,
            )
        line(_("Bénéficiaire des versements"), 11, True)
        line(organizer.legal_name or organizer.name)
        for part in (organizer.address or "").splitlines():
            line(part)
        if organizer.siret:
            line(f"SIRET {organizer.siret}")
        line(organizer.tax_receipt_status or _("Organisme d'intérêt général"), gap=10)
        line(_("Donateur"), 11, True)
        line(receipt.donor_name)
        line(receipt.donor_address or "—", gap=10)
        line(_("Le bénéficiaire reconnaît avoir reçu au titre des dons et versements ouvrant droit"))
        line(_("à réduction d'impôt la somme de :"))
        line(f"{formats.number_format(receipt.amount, 2)} €", 14, True)
        line(_("Somme en toutes lettres : %(words)s") % {"words": euros_in_words(receipt.amount)})
        line(_("Date du versement : %(date)s") % {"date": formats.date_format(receipt.received_on, "j F Y")})
        line(_("Forme du don : déclaration de don manuel — nature du don : numéraire"))
        line(_("Mode de versement : %(method)s") % {"method": receipt.method or "—"}, gap=12)
        line(_("Fait le %(date)s") % {"date": formats.date_format(receipt.issued_at, "j F Y")})
        line(organizer.tax_receipt_signatory or "")
    page.showPage()
    page.save()
    return buffer.getvalue()


class DonationLines(LineKind):
    """A donation in an order: its tax receipt once paid (where the organizer issues them), cancelled with
    the refund, attached as a PDF."""

    extra_kind = OrderExtra.Kind.DONATION

    def order_paid(self, order, *, paid_at) -> None:
        receipts_of_order_issue(order)
        given = sum(
            (line.line_total for line in order.extras.filter(kind=OrderExtra.Kind.DONATION)), Decimal(0)
        )
        if given:  # on the giver's timeline (the thank-you journeys start from it)
            crm.interaction_record(
                contact_id=order.contact_id,
                organizer_id=order.organizer_id,
                kind=crm.Interaction.Kind.DONATION,
                at=paid_at,
                summary=order.code,
                amount=given,
                ref=f"order:{order.code}",
            )

    def extras_refunded(self, order) -> None:
        receipts_of_order_cancel(order)

    def attachments(self, order, context: dict) -> list[Attachment]:
        return [
            Attachment(f"recu-fiscal-{receipt.reference}.pdf", receipt_pdf(receipt))
            for receipt in order.donation_receipts.filter(cancelled_at__isnull=True)
        ]

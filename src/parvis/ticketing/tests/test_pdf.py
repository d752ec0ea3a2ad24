"""The e-ticket PDF: legal mentions, and a QR code that a real decoder reads from the rendered page."""

import datetime
import io

import pypdfium2
import pytest
import zxingcpp
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image

from parvis.ticketing import signing
from parvis.ticketing.pdf import order_tickets_pdf

from .factories import buy, on_sale_performance, tariff

pytestmark = pytest.mark.django_db


def _pages(pdf: bytes):
    document = pypdfium2.PdfDocument(pdf)
    for page in document:
        yield page.render(scale=2).to_pil(), page.get_textpage().get_text_range()


def test_each_ticket_page_has_its_mentions_and_a_verifiable_qr_code():
    performance = on_sale_performance(title="Quatuor <Ébène>")
    performance.organizer.legal_name = "SCOP Le Club"
    performance.organizer.license_numbers = "PLATESV-R-2026-000123"
    performance.organizer.save()
    order = buy(tariff(performance, "Réduit", "12.50"), 2)
    tickets = list(order.tickets.order_by("number"))
    pages = list(_pages(order_tickets_pdf(order)))
    assert len(pages) == 2
    keys = signing.public_keys_of(performance.organizer)
    for (image, text), ticket in zip(pages, tickets, strict=True):
        assert "SCOP Le Club" in text and "PLATESV-R-2026-000123" in text
        assert "Quatuor <Ébène>" in text and "Réduit" in text and "12,50" in text
        assert f"{ticket.number:06d}" in text and "Ana Lima" in text
        assert performance.venue.name in text
        # Only QR codes are looked for: printed text can pass for a 1D barcode (an ITF false positive seen).
        decoded = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        assert len(decoded) == 1
        assert decoded[0].text == ticket.secret
        claims = signing.verify_secret(decoded[0].text, keys)
        assert (claims.number, claims.performance_id) == (ticket.number, performance.pk)


def test_free_tickets_say_gratuit():
    order = buy(tariff(on_sale_performance(), "Invitation", "0.00"), 1, provider="free")
    ((_, text),) = _pages(order_tickets_pdf(order))
    assert "Gratuit" in text


def _qr_rect(image, page_height: float, scale: float = 2):
    """The QR code's square on the page, in PDF points (left, bottom, right, top)."""
    (found,) = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    p = found.position
    xs = [p.top_left.x, p.top_right.x, p.bottom_left.x, p.bottom_right.x]
    ys = [p.top_left.y, p.top_right.y, p.bottom_left.y, p.bottom_right.y]
    return min(xs) / scale, page_height - max(ys) / scale, max(xs) / scale, page_height - min(ys) / scale


def test_the_a4_ticket_is_laid_out_no_text_under_the_qr_code_doors_and_the_whole_address():
    performance = on_sale_performance(
        title="Une soirée au long titre qui ne tient pas sur une seule ligne du billet"
    )
    venue = performance.venue
    venue.street = "Passage des Anciens Ateliers de la Manufacture Royale, bâtiment C, escalier 4"
    venue.postcode, venue.town, venue.doors_minutes_before = "69001", "Lyon", 45
    venue.save()
    order = buy(tariff(performance, "Plein", "20.00"), 1)
    document = pypdfium2.PdfDocument(order_tickets_pdf(order))
    page = document[0]
    text_page = page.get_textpage()
    text = text_page.get_text_range()
    assert "Manufacture Royale" in text and "escalier 4" in text and "69001 Lyon" in text
    doors = (performance.starts_at - datetime.timedelta(minutes=45)).astimezone(venue.tzinfo)
    assert "PORTES" in text and doors.strftime("%H:%M") in text
    assert "Informations pratiques" in text
    left, bottom, right, top = _qr_rect(page.render(scale=2).to_pil(), page.get_height())
    for i in range(text_page.count_chars()):
        x0, y0, x1, y1 = text_page.get_charbox(i)
        if x1 - x0 <= 0:
            continue
        overlaps = x0 < right and x1 > left and y0 < top and y1 > bottom
        assert not overlaps, f"text under the QR code: {text_page.get_text_range(i, 1)!r}"


def test_the_organizer_logo_is_printed_and_a_broken_one_is_left_out(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    performance = on_sale_performance()
    organizer = performance.organizer
    logo = io.BytesIO()
    Image.new("RGB", (300, 120), (200, 30, 60)).save(logo, "PNG")
    organizer.logo.save("logo.png", ContentFile(logo.getvalue()))
    order = buy(tariff(performance), 1)
    page = pypdfium2.PdfDocument(order_tickets_pdf(order))[0]
    images = [o for o in page.get_objects() if o.type == pypdfium2.raw.FPDF_PAGEOBJ_IMAGE]
    assert len(images) == 1
    (tmp_path / organizer.logo.name).write_bytes(b"not an image")
    page = pypdfium2.PdfDocument(order_tickets_pdf(order))[0]
    assert not [o for o in page.get_objects() if o.type == pypdfium2.raw.FPDF_PAGEOBJ_IMAGE]


def test_the_compact_layout_puts_three_tickets_on_a_page_each_code_readable():
    performance = on_sale_performance()
    order = buy(tariff(performance), 4)
    pages = list(_pages(order_tickets_pdf(order, layout="compact")))
    assert len(pages) == 2
    first, _text = pages[0]
    decoded = zxingcpp.read_barcodes(first, formats=zxingcpp.BarcodeFormat.QRCode)
    secrets = {t.secret for t in order.tickets.all()}
    assert len(decoded) == 3 and {d.text for d in decoded} < secrets
    assert len(zxingcpp.read_barcodes(pages[1][0], formats=zxingcpp.BarcodeFormat.QRCode)) == 1


def test_the_buyer_chooses_the_layout_and_the_email_follows_the_organizer(client):
    performance = on_sale_performance()
    performance.organizer.ticket_layout = "compact"
    performance.organizer.save()
    order = buy(tariff(performance), 3)
    url = reverse("ticketing:order_pdf", args=[order.code, order.secret])
    assert len(pypdfium2.PdfDocument(client.get(url).content)) == 1  # the organizer's choice
    assert len(pypdfium2.PdfDocument(client.get(url + "?format=a4").content)) == 3
    assert len(pypdfium2.PdfDocument(client.get(url + "?format=zz").content)) == 1

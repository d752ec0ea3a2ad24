"""The e-ticket PDF: legal mentions, and a QR code that a real decoder reads from the rendered page."""

import pypdfium2
import pytest
import zxingcpp

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

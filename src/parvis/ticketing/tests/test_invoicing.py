"""Invoices: gapless numbering per organizer (also under concurrency), VAT per rate adding up to the cent."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pypdfium2
import pytest
from django.db import connections

from parvis.testing import OrganizerFactory
from parvis.ticketing import services
from parvis.ticketing.invoicing import invoice_for, invoice_pdf, vat_breakdown
from parvis.ticketing.models import Cart, Invoice

from .factories import buy, buyer, on_sale_performance, tariff


def test_vat_is_computed_per_rate_on_totals():
    lines = [
        {"vat_rate": "5.50", "total_incl_tax": "28.00"},
        {"vat_rate": "5.50", "total_incl_tax": "18.00"},
        {"vat_rate": "10.00", "total_incl_tax": "14.00"},
        {"vat_rate": "20.00", "total_incl_tax": "5.00"},
    ]
    rows = {r["vat_rate"]: r for r in vat_breakdown(lines)}
    assert rows["5.50"] == {"vat_rate": "5.50", "excl_tax": "43.60", "tax": "2.40", "incl_tax": "46.00"}
    assert rows["10.00"] == {"vat_rate": "10.00", "excl_tax": "12.73", "tax": "1.27", "incl_tax": "14.00"}
    assert rows["20.00"] == {"vat_rate": "20.00", "excl_tax": "4.17", "tax": "0.83", "incl_tax": "5.00"}


@pytest.mark.django_db
def test_an_order_with_two_rates_gets_one_numbered_invoice_with_its_breakdown(client):
    organizer = OrganizerFactory(
        legal_name="SCIC Théâtre", siret="12345678900012", address="2 place du Parvis"
    )
    show = on_sale_performance(organizer=organizer)
    expo = on_sale_performance(organizer=organizer)
    cart = Cart.objects.create()
    services.cart_add(cart=cart, tariff_id=tariff(show, price="28.00").pk, quantity=2)
    services.cart_add(cart=cart, tariff_id=tariff(expo, price="14.00", vat_rate=Decimal("10")).pk, quantity=1)
    order = services.checkout_place_orders(cart=cart, buyer=buyer(), provider_code="demo")[0]
    order = services.payment_confirm(payment_id=order.payments.get().pk)
    invoice = invoice_for(order)
    assert invoice.number == 1 and invoice_for(order).pk == invoice.pk
    assert invoice.total_incl_tax == Decimal("70.00")
    assert invoice.total_excl_tax + invoice.total_tax == invoice.total_incl_tax
    assert [r["vat_rate"] for r in invoice.vat_breakdown] == ["5.50", "10.00"]
    text = pypdfium2.PdfDocument(invoice_pdf(invoice)).get_page(0).get_textpage().get_text_range()
    assert "F-000001" in text and "SCIC Théâtre" in text and "12345678900012" in text and "70,00" in text
    response = client.get(order.get_absolute_url() + "facture.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    second = buy(tariff(on_sale_performance(organizer=organizer)), 1)
    assert invoice_for(second).number == 2
    other = buy(tariff(on_sale_performance()), 1)
    assert invoice_for(other).number == 1  # each organizer has its own series


@pytest.mark.django_db
def test_unpaid_orders_have_no_invoice(client):
    order = buy(tariff(on_sale_performance()), 1, confirm=False)
    assert client.get(order.get_absolute_url() + "facture.pdf").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_concurrent_invoices_are_numbered_without_gaps_or_doubles():
    organizer = OrganizerFactory()
    performance = on_sale_performance(organizer=organizer, capacity=100)
    full = tariff(performance)
    orders = [buy(full, 1) for _ in range(24)]

    def issue(order):
        try:
            return invoice_for(order).number
        finally:
            connections.close_all()

    with ThreadPoolExecutor(8) as pool:
        numbers = sorted(pool.map(issue, orders + orders))  # each asked twice at once
    assert numbers == sorted(list(range(1, 25)) * 2)
    assert Invoice.objects.filter(organizer=organizer).count() == 24

"""Tax receipts for donations: issued when paid, numbered without gap per organizer and year, amount in
words, e-mailed as PDF; cancelled (not deleted) when the donation is refunded; the address is asked."""

from decimal import Decimal

import pypdfium2
import pytest
from django.core import mail
from django.utils import timezone

from parvis.ticketing import services
from parvis.ticketing.models import Cart, DonationReceipt, Order
from parvis.ticketing.receipts import euros_in_words, number_in_words, receipt_pdf

from .factories import buyer, on_sale_performance, tariff
from .test_web import _checkout_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def theatre():
    performance = on_sale_performance()
    organizer = performance.organizer
    organizer.accepts_donations = organizer.issues_tax_receipts = True
    organizer.tax_receipt_status = "Association loi 1901 d'intérêt général, à caractère culturel"
    organizer.save()
    return performance, tariff(performance, price="20.00")


def _donate(full, amount, **buyer_fields):
    cart = Cart.objects.create()
    services.cart_add(cart=cart, tariff_id=full.pk, quantity=1)
    (order,) = services.checkout_place_orders(
        cart=cart,
        buyer=buyer(postal_address="3 rue des Lilas, Montreuil", **buyer_fields),
        provider_code="demo",
        donations={full.performance.event.organizer_id: Decimal(amount)},
    )
    return services.payment_confirm(payment_id=order.payments.get().pk)


def test_receipts_are_numbered_per_year_and_say_the_amount_in_words(
    theatre, django_capture_on_commit_callbacks
):
    performance, full = theatre
    with django_capture_on_commit_callbacks(execute=True):
        first = _donate(full, "50")
    second = _donate(full, "1234.50")
    receipts = list(DonationReceipt.objects.order_by("number"))
    year = timezone.localdate().year
    assert [(r.year, r.number, r.amount) for r in receipts] == [
        (year, 1, Decimal("50.00")),
        (year, 2, Decimal("1234.50")),
    ]
    assert receipts[0].order == first and receipts[1].order == second
    assert receipts[0].donor_address.startswith("3 rue des Lilas")
    text = pypdfium2.PdfDocument(receipt_pdf(receipts[1]))[0].get_textpage().get_text_range()
    assert f"{year}-00002" in text and "mille deux cent trente-quatre euros et cinquante centimes" in text
    assert "CERFA n° 11580" in text and "Ana Lima" in text
    names = [name for message in mail.outbox for name, _c, _t in message.attachments]
    assert f"recu-fiscal-{year}-00001.pdf" in names


def test_the_donor_downloads_the_receipt_from_the_order_page(theatre, client):
    performance, full = theatre
    order = _donate(full, "40")
    page = client.get(order.get_absolute_url()).content.decode()
    assert "recu-fiscal.pdf" in page
    pdf = client.get(f"{order.get_absolute_url()}recu-fiscal.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    other = _donate(full, "10")
    wrong = f"/commande/{order.code}/{other.secret}/recu-fiscal.pdf"
    assert client.get(wrong).status_code == 404


def test_a_refunded_donation_keeps_its_receipt_marked_cancelled(theatre):
    performance, full = theatre
    order = _donate(full, "30")
    services.order_cancel(order=order, reason="erreur")
    receipt = DonationReceipt.objects.get()
    assert receipt.cancelled_at is not None
    assert "ANNULÉ" in pypdfium2.PdfDocument(receipt_pdf(receipt))[0].get_textpage().get_text_range()


def test_no_receipt_where_the_organizer_does_not_issue_them(theatre):
    performance, full = theatre
    type(performance.organizer).objects.filter(pk=performance.organizer.pk).update(issues_tax_receipts=False)
    _donate(full, "30")
    assert not DonationReceipt.objects.exists()


def test_checkout_asks_for_the_address_of_a_donor(theatre, client):
    performance, full = theatre
    client.post(f"/billets/{performance.pk}/", {f"q-{full.pk}": "1"})
    field = f"donation-{performance.organizer.pk}"
    response = client.post("/panier/commande/", _checkout_data(client, **{field: "25"}))
    assert response.status_code == 400 and not Order.objects.exists()
    response = client.post(
        "/panier/commande/",
        _checkout_data(client, **{field: "25", "postal_address": "1 place du Parvis, Paris"}),
    )
    assert response.status_code == 302
    assert Order.objects.get().postal_address == "1 place du Parvis, Paris"


@pytest.mark.parametrize(
    "n, words",
    [
        (71, "soixante et onze"),
        (80, "quatre-vingts"),
        (81, "quatre-vingt-un"),
        (200, "deux cents"),
        (201, "deux cent un"),
        (1000, "mille"),
        (21000, "vingt et un mille"),
        (280000, "deux cent quatre-vingt mille"),
    ],
)
def test_numbers_in_french_words(n, words):
    assert number_in_words(n) == words


def test_euros_in_words():
    assert euros_in_words(Decimal("1.01")) == "un euro et un centime"

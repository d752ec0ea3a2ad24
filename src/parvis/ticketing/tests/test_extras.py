"""Add-ons (20 % VAT) and donations (outside VAT) at checkout: prices, limits, invoice lines, refunds."""

import re
from decimal import Decimal

import pytest

from parvis.testing import OrganizerFactory
from parvis.ticketing import services
from parvis.ticketing.errors import SaleError
from parvis.ticketing.invoicing import invoice_for
from parvis.ticketing.models import Cart, Order, OrderExtra, Product

from .factories import buyer, on_sale_performance, tariff

pytestmark = pytest.mark.django_db


def _cart(performance, price="20.00"):
    cart = Cart.objects.create()
    existing = performance.tariffs.first() or tariff(performance, price=price)
    services.cart_add(cart=cart, tariff_id=existing.pk, quantity=1)
    return cart


def test_a_programme_and_a_donation_are_added_priced_by_the_server_and_invoiced_per_vat_rate():
    performance = on_sale_performance()
    organizer = performance.organizer
    organizer.accepts_donations = True
    organizer.save()
    programme = Product.objects.create(organizer=organizer, name="Programme", price=Decimal("5.00"))
    order = services.checkout_place_orders(
        cart=_cart(performance),
        buyer=buyer(),
        provider_code="demo",
        extras={organizer.pk: [(programme.pk, 2)]},
        donations={organizer.pk: Decimal("15")},
        expected_total=Decimal("45.00"),
    )[0]
    assert order.total == Decimal("45.00")
    assert sorted(order.extras.values_list("kind", "unit_price", "vat_rate")) == [
        ("donation", Decimal("15.00"), Decimal("0.00")),
        ("product", Decimal("5.00"), Decimal("20.00")),
    ]
    order = services.payment_confirm(payment_id=order.payments.get().pk)
    invoice = invoice_for(order)
    rates = {row["vat_rate"]: row for row in invoice.vat_breakdown}
    assert rates["20.00"] == {"vat_rate": "20.00", "excl_tax": "8.33", "tax": "1.67", "incl_tax": "10.00"}
    assert rates["0.00"]["tax"] == "0.00" and rates["5.50"]["incl_tax"] == "20.00"
    assert invoice.total_incl_tax == Decimal("45.00")
    services.order_cancel(order=order, reason="test")
    refunds = order.payments.filter(amount__lt=0).values_list("amount", flat=True)
    assert sum(refunds) == Decimal("-45.00")


@pytest.mark.parametrize("donation", [Decimal("0.5"), Decimal("10001"), "abc"])
def test_bad_donations_are_refused(donation):
    performance = on_sale_performance()
    performance.organizer.accepts_donations = True
    performance.organizer.save()
    with pytest.raises(SaleError) as exc:
        services.checkout_place_orders(
            cart=_cart(performance),
            buyer=buyer(),
            provider_code="demo",
            donations={performance.organizer_id: donation},
        )
    assert exc.value.code == "invalid_donation" and not Order.objects.exists()


def test_donations_only_where_accepted_and_products_only_of_the_seller():
    performance = on_sale_performance()
    with pytest.raises(SaleError) as exc:
        services.checkout_place_orders(
            cart=_cart(performance),
            buyer=buyer(),
            provider_code="demo",
            donations={performance.organizer_id: Decimal("10")},
        )
    assert exc.value.code == "invalid_donation"
    foreign = Product.objects.create(organizer=OrganizerFactory(), name="Mug", price=Decimal("12"))
    inactive = Product.objects.create(
        organizer=performance.organizer, name="Old", price=Decimal("1"), is_active=False
    )
    for wanted in (
        {performance.organizer_id: [(foreign.pk, 1)]},
        {foreign.organizer_id: [(foreign.pk, 1)]},
        {performance.organizer_id: [(inactive.pk, 1)]},
    ):
        with pytest.raises(SaleError) as exc:
            services.checkout_place_orders(
                cart=_cart(performance), buyer=buyer(), provider_code="demo", extras=wanted
            )
        assert exc.value.code == "unknown_product"
    assert not OrderExtra.objects.exists()


def test_the_checkout_page_offers_products_and_donation(client):
    performance = on_sale_performance()
    organizer = performance.organizer
    organizer.accepts_donations = True
    organizer.save()
    drink = Product.objects.create(organizer=organizer, name="Boisson", price=Decimal("3.50"))
    full = tariff(performance, price="10.00")
    client.post(f"/billets/{performance.pk}/", {f"q-{full.pk}": "1"})
    page = client.get("/panier/commande/").content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page).group(1)
    field = f"product-{organizer.pk}-{drink.pk}"
    assert f'name="{field}"' in page and f'name="donation-{organizer.pk}"' in page
    client.post(
        "/panier/commande/",
        {
            "email": "a@example.org",
            "first_name": "A",
            "last_name": "B",
            "terms": "on",
            "provider": "demo",
            "idempotency_key": key,
            field: "2",
            f"donation-{organizer.pk}": "5",
        },
    )
    order = Order.objects.get()
    assert order.total == Decimal("22.00")

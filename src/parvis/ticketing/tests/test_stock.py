"""Merchandise stock: what is left is the stock less what live orders hold; an unpaid order that expires
gives its items back without any worker; a refunded order too; the counter shows what is left."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from parvis.boxoffice.tests.helpers import open_counter
from parvis.testing import login_staff
from parvis.ticketing import services
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Cart, Order, Product

from .factories import buyer, on_sale_performance, tariff

pytestmark = pytest.mark.django_db


def _order(full, product, quantity):
    cart = Cart.objects.create()
    services.cart_add(cart=cart, tariff_id=full.pk, quantity=1)
    return services.checkout_place_orders(
        cart=cart,
        buyer=buyer(),
        provider_code="demo",
        extras={product.organizer_id: [(product.pk, quantity)]},
    )[0]


def test_stock_is_counted_from_live_orders():
    performance = on_sale_performance()
    full = tariff(performance, price="10.00")
    tote = Product.objects.create(organizer=performance.organizer, name="Sac", price=Decimal("8"), stock=3)
    first = _order(full, tote, 2)
    assert services.product_stock_left(tote) == 1
    with pytest.raises(SaleError) as exc:
        _order(full, tote, 2)
    assert exc.value.code == "out_of_stock" and "reste 1" in exc.value.message
    Order.objects.filter(pk=first.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert services.product_stock_left(tote) == 3  # the unpaid order expired: its bags are back
    second = _order(full, tote, 3)
    paid = services.payment_confirm(payment_id=second.payments.get().pk)
    assert services.product_stock_left(tote) == 0
    services.order_cancel(order=paid, reason="annulé")
    assert services.product_stock_left(tote) == 3


def test_the_counter_shows_what_is_left_and_refuses_more(client):
    from parvis.boxoffice import services as counter

    performance = on_sale_performance()
    full = tariff(performance, price="10.00")
    tote = Product.objects.create(organizer=performance.organizer, name="Sac", price=Decimal("8"), stock=1)
    user, session = open_counter(performance.organizer)
    login_staff(client, user)
    page = client.get(reverse("staff:boxoffice", args=[performance.organizer.slug])).content.decode()
    assert "1 en stock" in page
    counter.basket_add(session=session, tariff_id=full.pk, quantity=1)
    counter.basket_extra(session=session, product_id=tote.pk, delta=2)
    session.refresh_from_db()
    with pytest.raises(SaleError) as exc:
        counter.sale(session=session, actor=user, payments=[counter.CounterPayment("cash", Decimal("26"))])
    assert exc.value.code == "out_of_stock"

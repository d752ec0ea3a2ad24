"""SACEM and SACD statements per performance: tickets by VAT rate with pass shares, programmes of the
performance's orders, bar, catering and expenses typed by staff; the month's file per society, one
performance's file, bad input refused whole, and who may type."""

import html
from decimal import Decimal

import pytest
from django.urls import reverse

from parvis.declarations.models import PerformanceRights
from parvis.network.models import Role
from parvis.passes.services import pass_book
from parvis.passes.tests.factories import bought_pass, club, concert, pass_product
from parvis.programming.models import Genre
from parvis.testing import login_staff, staff
from parvis.ticketing import services as sales
from parvis.ticketing.models import Cart, Product, Tariff
from parvis.ticketing.tests.factories import buy, buyer

pytestmark = pytest.mark.django_db


def _sheet(response) -> list[list[str]]:
    return [line.split(";") for line in response.content.decode("utf-8-sig").strip().splitlines()]


def test_sacem_and_sacd_statements(client, network):
    organizer = club(network, "club-droits")
    gig = concert(organizer, days=4, price="20.00", genre=Genre.JAZZ)
    play = concert(organizer, days=4, price="30.00", genre=Genre.THEATRE)
    full = Tariff.objects.get(performance=gig)
    programme = Product.objects.create(organizer=organizer, name="Programme", price=Decimal("6.00"))
    cart = Cart.objects.create()
    sales.cart_add(cart=cart, tariff_id=full.pk, quantity=3)
    [order] = sales.checkout_place_orders(
        cart=cart, buyer=buyer(), provider_code="demo", extras={organizer.pk: [(programme.pk, 1)]}
    )
    sales.payment_confirm(payment_id=order.payments.get().pk)
    sales.tickets_refund(tickets=[order.tickets.first()], reason="Malade")
    pass_book(holding=bought_pass(pass_product(organizer, network)), performance_id=gig.pk)  # 15 €
    buy(Tariff.objects.get(performance=play), 2)

    admin = staff(organizer, Role.ADMINISTRATOR, username="admin@example.org")
    login_staff(client, admin)
    url = reverse("staff:rights", args=[organizer.slug])
    month = gig.local_starts_at.strftime("%Y-%m")
    page = client.get(url, {"mois": month}).content.decode()
    assert page.count('data-testid="rights-row"') == 2

    sacem = _sheet(client.get(url, {"mois": month, "format": "sacem"}))
    assert [line[7:11] for line in sacem[1:]] == [
        ["Billetterie", "5,50", "55,00", "52,13"],  # 2 × 20 + the pass's 15, VAT included; 55 / 1.055
        ["Programmes et produits", "20,00", "6,00", "5,00"],
    ]
    assert sacem[1][5:7] == ["3", "0"]

    data = {"mois": month, "performance": gig.pk, "bar": "120", "bar_rate": "20.00", "catering": "40,5",
            "catering_rate": "10.00", "expenses": "800"}  # fmt: skip
    client.post(url, data)
    sacem = _sheet(client.get(url, {"mois": month, "format": "sacem", "representation": gig.pk}))
    assert [line[7:12] for line in sacem[1:]] == [
        ["Billetterie", "5,50", "55,00", "52,13", "800,00"],
        ["Bar", "20,00", "120,00", "100,00", ""],
        ["Restauration", "10,00", "40,50", "36,82", ""],
        ["Programmes et produits", "20,00", "6,00", "5,00", ""],
    ]

    sacd = _sheet(client.get(url, {"mois": month, "format": "sacd"}))
    assert len(sacd) == 2 and sacd[1][1] == play.event.title
    assert sacd[1][5:] == ["2", "0", "60,00", "56,87", "0,00"]
    gig_sacd = _sheet(client.get(url, {"mois": month, "format": "sacd", "representation": gig.pk}))
    assert gig_sacd[1][7:] == ["55,00", "52,13", "15,00"]  # the pass's share, named apart

    bad = client.post(url, {**data, "bar": "douze"}, follow=True)
    assert "rien n'a été enregistré" in html.unescape(bad.content.decode())
    assert PerformanceRights.objects.get().takings["bar"] == [["20.00", "120.00"]]

    login_staff(client, staff(organizer, Role.BOX_OFFICE, username="seller@example.org"))
    assert client.get(url, {"mois": month}).status_code == 200
    assert client.post(url, data).status_code == 403

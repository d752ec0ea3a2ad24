"""The network's circulation board: pairs of members, flows from the first member to the next ones, the
members that bring audiences to the others; from consenting people only, small figures hidden."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from parvis.analytics import circulation, rollups
from parvis.analytics.boards import Filters
from parvis.crm import network_profiles
from parvis.crm.models import Contact
from parvis.crm.services import consent_record
from parvis.network.models import NetworkRole, NetworkStaff, Role
from parvis.passes.services import pass_book
from parvis.passes.tests.factories import bought_pass, club, concert, pass_product
from parvis.programming.models import Festival
from parvis.testing import UserFactory, login_staff, staff
from parvis.ticketing import services
from parvis.ticketing.models import Cart, Ticket
from parvis.ticketing.tests.factories import buyer

pytestmark = pytest.mark.django_db


def _goes(email: str, performances, *, share: bool = True):
    """A person buys a ticket at each performance's club, a day apart, in this order."""
    start = timezone.now() - datetime.timedelta(days=30)
    for day, performance in enumerate(performances):
        cart = Cart.objects.create()
        services.cart_add(cart=cart, tariff_id=performance.tariffs.get().pk, quantity=1)
        [order] = services.checkout_place_orders(cart=cart, buyer=buyer(email=email), provider_code="demo")
        order = services.payment_confirm(payment_id=order.payments.get().pk)
        Ticket.objects.filter(order=order).update(issued_at=start + datetime.timedelta(days=day))
        consent_record(contact=order.contact, purpose="network_sharing", given=share, source="checkout")
    network_profiles.address_proven(email)


@pytest.fixture
def clubs(network):
    return [
        club(network, slug, town)
        for slug, town in (("alpha", "Paris"), ("beta", "Montreuil"), ("gamma", "Pantin"))
    ]


def test_flows_from_the_first_club_to_the_next_and_small_figures_hidden(network, clubs):
    a, b, c = (concert(x) for x in clubs)
    for i in range(12):
        _goes(f"ab{i}@example.org", [a, b])
    for i in range(3):
        _goes(f"cb{i}@example.org", [c, b])  # too few to be shown
    for i in range(5):
        _goes(f"no{i}@example.org", [b, a], share=False)  # did not agree: not counted
    rollups.settle()
    data = circulation.board(network, Filters(start=timezone.localdate(), end=timezone.localdate()))
    charts = {chart.key: chart for chart in data["charts"]}
    assert charts["together"].rows == [["Club alpha", "Club beta", 12]]
    assert charts["flows"].rows == [["Club alpha", "Club beta", 12]]
    assert "1 passages sous le seuil" in charts["flows"].summary
    assert charts["recruiters"].rows == [["Club alpha", 12]]
    assert 'role="img"' in charts["flows"].svg and "Club alpha → Club beta : 12" in charts["flows"].svg


def test_only_the_networks_coordinators_open_the_circulation_board(client, network, clubs):
    url = reverse("staff:network_analytics_circulation", args=[network.slug])
    login_staff(client, staff(clubs[0], Role.ADMINISTRATOR))
    assert client.get(url).status_code == 404
    coordinator = UserFactory()
    NetworkStaff.objects.create(network=network, user=coordinator, role=NetworkRole.COORDINATOR)
    login_staff(client, coordinator)
    page = client.get(url)
    assert page.status_code == 200 and "Publics en commun, par paire de lieux" in page.content.decode()
    answer = client.get(url + "?export=together&format=csv")
    assert answer.status_code == 200 and answer.content.decode("utf-8-sig").startswith("Lieu;Autre lieu")


def test_first_visits_thanks_to_the_pass_or_the_festival_and_the_matrix(network, clubs):
    a, b, c = (concert(x) for x in clubs)
    for i in range(12):
        _goes(f"ab{i}@example.org", [a, b])
    product = pass_product(clubs[0], network, entries=3)
    for i in range(11):  # a pass bought at alpha, used first at beta
        email = f"pass{i}@example.org"
        holding = bought_pass(product, email=email)
        pass_book(holding=holding, performance_id=b.pk)
        for contact in Contact.objects.filter(email=email):
            consent_record(contact=contact, purpose="network_sharing", given=True, source="checkout")
        network_profiles.address_proven(email)
    Festival.objects.create(
        network=network,
        slug="f",
        name="Festival",
        starts_on=timezone.localdate() - datetime.timedelta(days=1),
        ends_on=timezone.localdate() + datetime.timedelta(days=30),
    ).events.add(c.event)
    for i in range(10):
        _goes(f"fc{i}@example.org", [a, c])  # gamma's first visits: dates of the festival
    rollups.settle()
    data = circulation.board(network, Filters(start=timezone.localdate(), end=timezone.localdate()))
    charts = {chart.key: chart for chart in data["charts"]}
    thanks = {row[0]: row[1:] for row in charts["thanks"].rows}
    assert thanks["Club beta"] == [23, 11, 0, 47.8]  # 11 of 23 first visits with the pass
    assert thanks["Club gamma"] == [10, 0, 10, 100.0]
    matrix = {row[0]: row[1:] for row in charts["matrix"].rows}
    assert charts["matrix"].columns[1:] == ["Club alpha", "Club beta", "Club gamma"]
    assert matrix["Club alpha"][1] == 23 and matrix["Club beta"][0] == 23 and matrix["Club beta"][2] is None
    assert "<title>Club alpha · Club beta : 23</title>" in charts["matrix"].svg  # the pass holders too

"""The network's circulation board: pairs of members, flows from the first member to the next ones, the
members that bring audiences to the others; from consenting people only, small figures hidden."""

import contextlib
import datetime
import random

import pytest
from django.urls import reverse
from django.utils import timezone

from parvis.analytics import circulation, rollups
from parvis.analytics import routes as rollup_routes
from parvis.analytics.boards import Filters
from parvis.analytics.models import Route, RouteContact
from parvis.crm import network_profiles
from parvis.crm.dedupe import contacts_merge
from parvis.crm.models import Contact
from parvis.crm.services import consent_record
from parvis.network.models import NetworkMembership, NetworkRole, NetworkStaff, Role
from parvis.passes.services import pass_book
from parvis.passes.tests.factories import bought_pass, club, concert, pass_product
from parvis.programming.models import Festival
from parvis.testing import UserFactory, login_staff, staff
from parvis.ticketing import services
from parvis.ticketing.errors import SaleError
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


def _brute_routes(network) -> tuple[dict, dict]:
    """The routes from scratch: every live link, each linked contact's first valid ticket read from the
    tickets themselves, the pass codes carried."""
    from parvis.analytics.people import VOIDED
    from parvis.crm import network_audience

    rows = network_audience.live_rows(network)
    profile_of = {contact: profile for profile, _organizer, contact in rows}
    first: dict[int, tuple] = {}
    for contact, organizer, at, _pk, entry in (
        Ticket.objects.filter(order__contact_id__in=list(profile_of))
        .exclude(state__in=VOIDED)
        .order_by("issued_at", "pk")
        .values_list("order__contact_id", "performance__organizer_id", "issued_at", "pk", "pass_entry")
    ):
        first.setdefault(contact, (organizer, at, entry is not None))
    here: dict[int, dict] = {}
    for contact, (organizer, at, by_pass) in sorted(first.items()):
        visits = here.setdefault(profile_of[contact], {})
        if organizer not in visits or (at, contact) < visits[organizer][:2]:
            visits[organizer] = (at, contact, by_pass)
    carriers = network_audience.pass_carriers(network)
    routes = {}
    for profile in set(profile_of.values()):
        visits = here.get(profile, {})
        routes[profile] = (
            sorted({o for p, o, _c in rows if p == profile}),
            [(o, visits[o][2]) for o in sorted(visits, key=lambda o: visits[o][:2])],
            any(profile_of[c] == profile for c in carriers if c in profile_of),
        )
    counted = {v[1] for visits in here.values() for v in visits.values()}
    members = {contact: (profile, contact in counted) for contact, profile in profile_of.items()}
    return routes, members


def _held_routes(network) -> tuple[dict, dict]:
    routes = {
        r.profile_id: ([int(v) for v in r.venues.split(",")], rollup_routes.parse_path(r.path), r.with_pass)
        for r in Route.objects.filter(network=network)
    }
    members = {
        m.contact_id: (m.profile_id, m.first_here) for m in RouteContact.objects.filter(network=network)
    }
    return routes, members


@pytest.mark.parametrize("seed", [3, 4])
def test_the_routes_equal_a_count_from_scratch_after_every_settle_and_after_a_rebuild(network, clubs, seed):
    rng = random.Random(seed)
    dates = [concert(x) for x in clubs]
    product = pass_product(clubs[0], network, entries=20)
    holding = bought_pass(product, email="m1@example.org")
    emails = [f"m{i}@example.org" for i in range(1, 8)]
    for step in range(40):
        action = rng.choice(
            ["buy", "buy", "buy", "share", "share", "prove", "refund", "merge", "pass", "leave"]
        )
        email = rng.choice(emails)
        if action == "buy":
            _goes(email, [rng.choice(dates)], share=rng.random() < 0.8)
        elif action == "share":
            contact = Contact.objects.filter(merged_into__isnull=True).order_by("?").first()
            if contact:
                consent_record(
                    contact=contact,
                    purpose="network_sharing",
                    given=rng.random() < 0.6,
                    source="self_service",
                )
        elif action == "prove":
            network_profiles.address_proven(email)
        elif action == "refund":
            ticket = Ticket.objects.filter(state="valid", pass_entry__isnull=True).order_by("?").first()
            if ticket:
                services.tickets_refund(tickets=[ticket])
        elif action == "merge":
            contact = Contact.objects.filter(merged_into__isnull=True).order_by("?").first()
            other = (
                Contact.objects.filter(organizer=contact.organizer, merged_into__isnull=True)
                .exclude(pk=contact.pk)
                .first()
                if contact
                else None
            )
            if other:
                contacts_merge(survivor=contact, merged=other)
        elif action == "pass":
            with contextlib.suppress(SaleError):  # a date it already booked, or no entry left
                pass_book(holding=holding, performance_id=rng.choice(dates).pk)
        elif action == "leave" and step > 30:  # a member leaves, then joins again
            membership = NetworkMembership.objects.get(network=network, organizer=clubs[2])
            membership.delete()
            NetworkMembership.objects.create(network=network, organizer=clubs[2])
        rollups.settle()
        assert _held_routes(network) == _brute_routes(network), (step, action)
    routes, members = _brute_routes(network)
    assert routes and members and any(len(r[0]) > 1 for r in routes.values())  # the world was not empty
    Route.objects.all().delete()
    RouteContact.objects.create(network=network, contact_id=10**9, profile_id=10**9)  # a stale row
    rollup_routes.rebuild()
    assert _held_routes(network) == (routes, members)

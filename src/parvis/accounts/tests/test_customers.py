"""Customer accounts: a one-time sign-in link by e-mail, the account gathering everything bought with the
address, and what it changes when buying (passes and member cards usable, checkout filled in)."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from parvis.accounts import customers
from parvis.memberships.tests.factories import level, member, program
from parvis.network.models import Role
from parvis.passes.tests.factories import bought_pass, club, concert, pass_product
from parvis.testing import staff
from parvis.ticketing.tests.factories import buy, on_sale_performance, tariff

pytestmark = pytest.mark.django_db


def _link(client, email: str) -> str:
    mail.outbox.clear()
    response = client.post("/compte/", {"email": email})
    assert response.status_code == 200 and 'data-testid="link-sent"' in response.content.decode()
    if not mail.outbox:
        return ""
    return re.search(r"http://\S+/compte/lien/\S+/", mail.outbox[0].body)[0].split("testserver", 1)[-1]


def _path(link: str) -> str:
    return "/compte/" + link.split("/compte/", 1)[1]


def test_a_buyer_signs_in_by_link_and_sees_orders_passes_and_cards(client, organizer, network):
    order = buy(tariff(on_sale_performance(organizer=organizer)))
    card = member(level(program(organizer)))
    holding = bought_pass(pass_product(club(network, "asso"), network))
    link = _link(client, "ANA@example.org")
    assert link and not get_user_model().objects.filter(email="ana@example.org").exists()
    confirm = client.get(_path(link))
    assert confirm.status_code == 200  # a page with a button: opening the link alone signs nobody in
    assert client.get("/compte/").status_code == 200 and "Recevoir" in client.get("/compte/").content.decode()
    response = client.post(_path(link))
    assert response.status_code == 302
    user = get_user_model().objects.get(email="ana@example.org")
    assert (user.first_name, user.last_name, user.has_usable_password()) == ("Ana", "Lima", False)
    page = client.get("/compte/").content.decode()
    assert order.code in page and card.code in page and holding.code in page
    assert "3 entrées restantes" in page
    data_link = re.search(r'href="(/mes-donnees/[^"]+/)" data-testid="my-data"', page)[1]
    assert client.get(data_link).status_code == 200  # the organizer's data, without another e-mail
    # The link works once.
    client.post("/compte/deconnexion/")
    again = client.post(_path(link), follow=True)
    assert "plus valable" in again.content.decode() and "_auth_user_id" not in client.session


def test_a_forged_or_old_link_signs_nobody_in(client):
    assert client.post("/compte/lien/garbage/").status_code == 302
    assert "_auth_user_id" not in client.session
    assert customers.customer_for_token("x" * 40) is None


def test_staff_cannot_sign_in_by_link_and_are_told_nothing_different(client, organizer):
    staff(organizer, Role.ADMINISTRATOR, username="admin@example.org", email="admin@example.org")
    assert _link(client, "admin@example.org") == ""  # same page, no e-mail: they use the staff login
    assert customers.sign_in_link("admin@example.org") is None


def test_a_signed_in_customer_books_with_their_pass_and_buys_with_their_card(client, organizer, network):
    venue_club = club(network, "club-x")
    performance = concert(venue_club)
    product = pass_product(club(network, "asso"), network)
    holding = bought_pass(product)
    members = tariff(on_sale_performance(organizer=organizer), name="Adhérent", price="5.00", kind="member")
    member(level(program(organizer)))
    client.post(_path(_link(client, "ana@example.org")))
    page = client.get(f"/billets/{performance.pk}/").content.decode()
    assert "Réserver avec mon pass" in page  # never opened in this browser: the account knows it
    client.post(f"/billets/{performance.pk}/pass/", {"holding": holding.pk})
    holding.refresh_from_db()
    assert holding.entries_used == 1
    assert client.post(f"/billets/{members.performance_id}/", {f"q-{members.pk}": "1"}).status_code == 302
    checkout = client.get("/panier/commande/").content.decode()
    assert 'value="ana@example.org"' in checkout and 'value="Lima"' in checkout


def test_link_requests_are_throttled_per_address(client, settings):
    settings.PARVIS_LOGIN_MAX_FAILURES = 2
    for _ in range(2):
        assert client.post("/compte/", {"email": "ana@example.org"}).status_code == 200
    refused = client.post("/compte/", {"email": "ana@example.org"})
    assert refused.status_code == 400 and "Trop de demandes" in refused.content.decode()
    assert len(mail.outbox) == 2

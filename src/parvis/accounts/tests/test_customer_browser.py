"""A buyer on a phone signs in with the link from the e-mail and finds their order in their account."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from parvis.accounts.tests.test_network_account import _clubs
from parvis.ticketing.tests.factories import buy, on_sale_performance, tariff
from parvis.web.tests.conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_buyer_signs_in_by_link_and_finds_the_order(phone_page, live_server, organizer):
    order = buy(tariff(on_sale_performance(organizer=organizer, title="Le Misanthrope")))
    page = phone_page
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Mon compte").click()
    assert axe_violations(page) == []
    page.get_by_label("Votre e-mail").fill("ana@example.org")
    page.get_by_role("button", name="Recevoir mon lien de connexion").click()
    expect(page.get_by_test_id("link-sent")).to_be_visible()
    link = re.search(r"/compte/lien/\S+/", mail.outbox[-1].body)[0]
    page.goto(live_server.url + link)
    page.get_by_role("button", name="Me connecter").click()
    expect(page.get_by_test_id("account-order")).to_contain_text(order.code)
    expect(page.get_by_text("Le Misanthrope")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Me déconnecter").click()
    expect(page.get_by_role("button", name="Recevoir mon lien de connexion")).to_be_visible()


def test_a_spectator_sees_the_venues_linked_in_one_account_and_withdraws_at_one(
    phone_page, live_server, network
):
    """Tickets at three clubs of the network, consent to share at two: one account shows the three orders
    and the two linked venues; unticking one club's sharing takes it out of the network profile."""
    clubs, orders = _clubs(network)
    page = phone_page
    page.goto(live_server.url + "/compte/")
    page.get_by_label("Votre e-mail").fill("ana@example.org")
    page.get_by_role("button", name="Recevoir mon lien de connexion").click()
    expect(page.get_by_test_id("link-sent")).to_be_visible()  # the page answered: nothing left in flight
    link = re.search(r"/compte/lien/\S+/", mail.outbox[-1].body)[0]
    page.goto(live_server.url + link)
    page.get_by_role("button", name="Me connecter").click()
    expect(page.get_by_test_id("account-order")).to_have_count(3)
    linked = page.get_by_test_id("network-linked")
    expect(linked).to_contain_text("Club Alpha")
    expect(linked).to_contain_text("Club Bravo")
    expect(linked).not_to_contain_text("Club Charlie")
    assert axe_violations(page) == []
    page.locator(f"#c{orders[1].contact.pk}-network_sharing").uncheck()
    page.get_by_role("button", name="Enregistrer mes choix").click()
    expect(page.get_by_text("Vos choix sont enregistrés.")).to_be_visible()
    expect(linked).to_contain_text("Club Alpha")
    expect(linked).not_to_contain_text("Club Bravo")
    expect(page.get_by_test_id("account-order")).to_have_count(3)  # their own tickets stay theirs

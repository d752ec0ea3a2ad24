"""A buyer on a phone signs in with the link from the e-mail and finds their order in their account."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

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

"""A visitor on a phone joins the museum's friends, then books the exhibition for free with the card."""

import pytest
from playwright.sync_api import expect

from parvis.memberships.models import Membership
from parvis.ticketing.models import Order
from parvis.ticketing.tests.factories import on_sale_performance, tariff
from parvis.web.tests.conftest import axe_violations

from .factories import level, program

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_joins_and_the_card_makes_the_exhibition_free(phone_page, organizer):
    performance = on_sale_performance(organizer=organizer, title="Lumières du Nord")
    tariff(performance, price="14.00")
    tariff(performance, name="Adhérent", price="7.00", kind="member")
    friends = program(organizer, name="Les Amis du Musée")
    duo = level(friends, name="Duo", kind="duo", persons=2, price="60.00")
    duo.free_events.add(performance.event)
    page = phone_page
    page.goto(organizer.get_absolute_url())
    page.get_by_role("link", name="Devenir adhérent").click()
    assert axe_violations(page) == []
    page.get_by_role("radio", name="Duo").check()
    page.get_by_label("E-mail de l'adhérent").fill("lea@example.org")
    page.get_by_label("Prénom").fill("Léa")
    page.locator("#id_last_name").fill("Durand")
    page.get_by_label("Autres personnes sur la carte").fill("Hugo Durand")
    page.get_by_label("J'accepte les conditions générales de vente.").check()
    page.get_by_label("Paiement de démonstration").check()
    page.get_by_role("button", name="Adhérer et payer").click()
    page.wait_for_url("**/paiement/demo/**")
    page.get_by_role("button", name="Payer (succès)").click()
    page.get_by_test_id("membership-link").click()
    expect(page.get_by_test_id("member-card")).to_contain_text("Hugo Durand")
    assert axe_violations(page) == []
    card = Membership.objects.get()
    assert card.state == "active"
    page.get_by_role("link", name="Lumières du Nord").first.click()
    expect(page.get_by_test_id("member-benefits")).to_contain_text("Duo")
    page.get_by_label("Adhérent").select_option("2")
    page.get_by_role("button", name="Ajouter au panier").click()
    expect(page.get_by_test_id("cart-membership")).to_contain_text(card.code)
    assert axe_violations(page) == []
    expect(page.locator(".lead strong")).to_have_text("0,00 €")
    order_count = Order.objects.count()
    page.get_by_role("link", name="Commander").click()
    assert page.url.endswith("/commande/") or "commande" in page.url
    assert Order.objects.count() == order_count  # nothing is placed before the buyer confirms

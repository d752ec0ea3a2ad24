"""A visitor on a phone buys the network's pass, books three concerts in three clubs, and sees it used up."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from parvis.passes.models import PassEntry, PassHolding
from parvis.web.tests.conftest import axe_violations

from .factories import club, concert, pass_product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_buys_the_pass_and_books_three_concerts_in_three_clubs(phone_page, network, organizer):
    clubs = [
        club(network, "alpha", "Paris"),
        club(network, "beta", "Montreuil"),
        club(network, "gamma", "Pantin"),
    ]
    for i, c in enumerate(clubs):
        concert(c, days=4 + i, title=f"Quartet {c.slug}")
    pass_product(organizer, network, max_per_venue=1, name="Pass 3 clubs")
    page = phone_page
    page.goto(network.get_absolute_url())
    page.get_by_role("link", name="Découvrir le pass").click()
    assert axe_violations(page) == []
    page.get_by_label("E-mail du titulaire").fill("lea@example.org")
    page.get_by_label("Prénom").fill("Léa")
    page.locator("#id_last_name").fill("Durand")
    page.get_by_label("J'accepte les conditions générales de vente.").check()
    page.get_by_label("Paiement de démonstration").check()
    page.get_by_role("button", name="Acheter le pass").click()
    page.wait_for_url("**/paiement/demo/**")
    page.get_by_role("button", name="Payer (succès)").click()
    page.get_by_test_id("pass-link").click()
    expect(page.get_by_test_id("entries-left")).to_contain_text("3 entrées restantes")
    assert axe_violations(page) == []
    for left in ("2 entrées restantes", "1 entrée restante"):
        page.get_by_role("button", name="Réserver avec mon pass").first.click()
        expect(page.get_by_test_id("entries-left")).to_contain_text(left)
    page.get_by_role("button", name="Réserver avec mon pass").first.click()
    expect(page.get_by_test_id("used-up")).to_be_visible()
    expect(page.get_by_role("button", name="Réserver avec mon pass")).to_have_count(0)
    holding = PassHolding.objects.get()
    assert holding.entries_used == 3
    entries = PassEntry.objects.filter(holding=holding, state="booked")
    assert entries.values("venue").distinct().count() == 3
    assert {e.ticket.organizer for e in entries} == set(clubs)
    # The pass, then a ticket per concert, each e-mailed to the holder.
    assert [m.to for m in mail.outbox] == [["lea@example.org"]] * 4
    expect(page.locator(".performances li")).to_have_count(3)

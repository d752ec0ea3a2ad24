"""A buyer on a phone buys a virtual visit and opens it; the same link in a second browser waits until the
first stops (one device at a time)."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from parvis.online.models import OnlineContent
from parvis.ticketing.tests.factories import on_sale_performance, tariff
from parvis.web.tests.conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PLAYER = "https://player.example.net/embed/visite"


def _player(page):
    """The hosted player, answered by the test instead of the Internet."""
    page.route(
        "https://player.example.net/**",
        lambda route: route.fulfill(
            body="<!doctype html><p>Salle des Lumières</p>", content_type="text/html; charset=utf-8"
        ),
    )


def test_a_buyer_buys_a_virtual_visit_and_opens_it(phone_page, browser, live_server, organizer):
    performance = on_sale_performance(organizer=organizer, title="Lumières du Nord", days=0)
    type(performance).objects.filter(pk=performance.pk).update(
        starts_at=timezone.now() - datetime.timedelta(days=1)
    )
    visit = tariff(performance, name="Visite virtuelle", price="6.00", online=True)
    visit.sales_close_at = timezone.now() + datetime.timedelta(days=90)
    visit.save()
    OnlineContent.objects.create(
        performance=performance, kind="on_demand", on_demand_days=7, embed_url=PLAYER, max_devices=1
    )
    page = phone_page
    _player(page)
    page.goto(f"/billets/{performance.pk}/")
    expect(page.get_by_test_id("online-notice")).to_contain_text("7 jours")
    expect(page.get_by_test_id("online-badge")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Visite virtuelle").select_option("1")
    page.get_by_role("button", name="Commander").click()
    page.wait_for_url("**/panier/commande/")
    page.get_by_role("textbox", name="E-mail").fill("lea@example.org")
    page.get_by_label("Prénom").fill("Léa")
    page.locator("#id_last_name").fill("Durand")
    page.get_by_label("J'accepte les conditions générales de vente.").check()
    page.get_by_label("Paiement de démonstration").check()
    page.get_by_role("button", name="Payer").click()
    page.wait_for_url("**/paiement/demo/**")
    page.get_by_role("button", name="Payer (succès)").click()
    link = page.get_by_test_id("online-link")
    expect(link).to_contain_text("Lumières du Nord")
    href = link.get_attribute("href")
    link.click()
    expect(page.get_by_test_id("online-open")).to_be_visible()
    expect(page.frame_locator("[data-testid=online-embed]").locator("p")).to_have_text("Salle des Lumières")
    expect(page.get_by_test_id("online-window")).to_contain_text("1 appareil")
    assert axe_violations(page) == []
    # The link shared with a second browser: refused while the first watches, let in once it stops.
    other = browser.new_context(base_url=live_server.url, locale="fr-FR")
    second = other.new_page()
    _player(second)
    second.goto(href)
    expect(second.get_by_test_id("online-refused")).to_contain_text("1 appareil, le maximum")
    page.get_by_test_id("online-stop").click()
    page.wait_for_url("**/en-ligne/arrete/")
    expect(page.get_by_role("status")).to_contain_text("Lecture arrêtée sur cet appareil")
    second.reload()
    expect(second.get_by_test_id("online-open")).to_be_visible()
    other.close()

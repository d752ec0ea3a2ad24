"""A whole counter shift in Chromium: open the till, sell cash and card, refund a ticket, close with a
count, print the Z report. A cash sale of two full-price tickets takes 3 actions after the screen opens."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from parvis.boxoffice import journal
from parvis.boxoffice.models import Chain, Closure, TillSession
from parvis.network.models import Role
from parvis.testing import staff
from parvis.ticketing.models import Order, TicketState
from parvis.ticketing.tests.factories import buy, on_sale_performance, tariff
from parvis.web.tests.conftest import axe_violations, staff_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_counter_shift(page):
    csp = []  # each counter action once logged a Content-Security-Policy violation: none now
    page.on("console", lambda msg: csp.append(msg.text) if "Content Security Policy" in msg.text else None)
    performance = on_sale_performance(capacity=20, days=0)
    tariff(performance, name="Plein", price="18.00")
    organizer = performance.organizer
    # Later in the season: a date in seven weeks, and a sold-out one.
    late = on_sale_performance(organizer=organizer, days=50, title="Le Misanthrope")
    tariff(late, name="Plein", price="25.00")
    full = on_sale_performance(organizer=organizer, days=3, capacity=1, title="Complet ce soir")
    buy(tariff(full, name="Plein", price="10.00"), 1)
    user = staff(organizer, Role.BOX_OFFICE, username="guichet@club.example")
    staff_login(page, user)
    page.get_by_role("link", name="Guichet").click()
    page.get_by_label("Nom de la caisse").fill("Accueil")
    page.get_by_role("button", name="Créer la caisse").click()
    page.get_by_label("Fonds de caisse (€)").fill("100")
    page.get_by_role("button", name="Ouvrir la caisse").click()
    tariff_button = page.get_by_role(
        "button", name=f"{performance.event.title} : Plein, 18,00 €", exact=False
    )
    tariff_button.wait_for()
    assert axe_violations(page) == []

    # Cash, anonymous, two full-price tickets: three actions.
    tariff_button.click()
    page.locator("#basket-total", has_text="18,00").wait_for()
    tariff_button.click()
    page.locator("#basket-total", has_text="36,00").wait_for()
    lines = page.get_by_test_id("basket-lines").locator("li")
    expect(lines).to_have_count(1)  # one line per date and tariff, however many taps
    expect(lines.first).to_contain_text("2 × Plein")
    expect(lines.first).to_contain_text(timezone.localtime(performance.starts_at).strftime("%H:%M"))
    page.get_by_role("button", name="Espèces", exact=True).click()
    page.locator(".sale-done").wait_for()
    cash_order = Order.objects.get(organizer=organizer, channel="box_office")
    assert cash_order.total == 36 and cash_order.tickets.count() == 2

    # Card, with the terminal's reference.
    tariff_button.click()
    page.locator("#basket-total", has_text="18,00").wait_for()
    page.get_by_text("Références, paiement mixte").click()
    page.get_by_label("Référence — Carte (terminal)").fill("TPE-4411")
    page.get_by_role("button", name="Carte (terminal)", exact=True).click()
    page.locator(".sale-done").wait_for()
    card_order = Order.objects.filter(channel="box_office").exclude(pk=cash_order.pk).get()
    assert card_order.payments.get().reference == "TPE-4411"

    # The whole season is sold here: a date in seven weeks is found by its show; a sold-out one says so.
    sold_out = page.get_by_role("button", name=f"{full.event.title} : Plein, 10,00 €, complet")
    expect(sold_out).to_be_disabled()
    expect(sold_out).to_contain_text("Complet")
    page.get_by_label("Spectacle ou lieu").fill("misanthrope")
    with page.expect_response(lambda response: "spectacle=misanthrope" in response.url):
        page.get_by_role("button", name="Chercher les dates").click()
    # The results swapped in, htmx still has to take over their forms: a click before that was lost.
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
    late_button = page.get_by_role("button", name="Le Misanthrope : Plein, 25,00 €", exact=False)
    late_button.click()
    page.locator("#basket-total", has_text="25,00").wait_for()
    page.get_by_role("button", name="Vider").click()
    page.get_by_text("Choisissez un tarif").wait_for()

    # Refund one ticket of the cash sale, after a step that says the amount and the means.
    page.get_by_label("Code, nom ou e-mail").fill(cash_order.code)
    page.get_by_role("button", name="Chercher la commande").click()
    first = cash_order.tickets.order_by("number").first()
    page.locator(f"#t-{first.pk}").check()
    page.get_by_label("Motif du remboursement").fill("Spectateur malade")
    page.get_by_role("button", name="Rembourser les billets cochés").click()
    expect(page.get_by_test_id("refund-amount")).to_contain_text("18,00 € en Espèces")
    first.refresh_from_db()
    assert first.state == TicketState.VALID  # nothing yet
    assert axe_violations(page) == []
    page.get_by_role("button", name="Confirmer : rembourser 18,00 €").click()
    page.get_by_text("Remboursé : 18,00 €").wait_for()
    first.refresh_from_db()
    assert first.state == TicketState.REFUNDED

    # Close: 100 float + 36 − 18 cash = 118 expected; 117 counted.
    page.get_by_role("link", name="Fermer la caisse").click()
    assert page.inner_text("#expected-cash").startswith("118,00")
    page.get_by_label("Espèces comptées dans le tiroir (€)").fill("117")
    page.get_by_role("button", name="Fermer la caisse").click()
    page.wait_for_url("**/sessions/*/")
    assert page.inner_text("#discrepancy").startswith("-1,00")
    assert TillSession.objects.get().closed_at is not None

    # The day is over: its Z is generated and printed.
    journal.closures_generate(organizer, Chain.LIVE, today=timezone.localdate() + datetime.timedelta(days=1))
    z = Closure.objects.get(kind="day")
    page.goto(f"/staff/o/{organizer.slug}/guichet/clotures/")
    page.get_by_role("link", name="Clôture journalière (Z)").first.click()
    assert page.inner_text("#closure-total").startswith("36,00") and z.total == 36
    page.evaluate("window.print = () => { window.printed = true; }")
    page.get_by_role("button", name="Imprimer").click()
    assert page.evaluate("window.printed") is True
    assert axe_violations(page) == []
    assert csp == []

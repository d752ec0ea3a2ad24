"""A buyer on a phone picks two seats by tapping them on the map and three by best available; a keyboard
user picks seats through the list; axe-core finds no serious violation on the seat map; a box-office
seller sells two seats chosen on the counter's map."""

import re

import pytest
from playwright.sync_api import expect

from parvis.boxoffice.tests.helpers import open_counter
from parvis.seating.models import ClaimState, SeatClaim
from parvis.ticketing.models import Order
from parvis.web.tests.conftest import axe_violations, htmx_settled, staff_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_buyer_on_a_phone_taps_two_seats_then_asks_for_the_three_best(phone_page, seated):
    performance, plan, full = seated
    page = phone_page
    page.goto(f"/billets/{performance.pk}/")  # the tickets page leads to the seat map
    expect(page.get_by_role("heading", name="Choisir vos places")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name="rang B, place 4 — Catégorie 1 — libre").tap()
    expect(page.get_by_role("link", name="rang B, place 4 — Catégorie 1 — choisie")).to_be_visible()
    htmx_settled(page)
    page.get_by_role("link", name="rang B, place 5 — Catégorie 1 — libre").tap()
    expect(page.get_by_test_id("chosen-summary")).to_contain_text("rang B, place 4 ; rang B, place 5")
    htmx_settled(page)
    assert axe_violations(page) == []
    page.get_by_test_id("take-chosen").tap()
    expect(page).to_have_url(re.compile(r"/panier/"))
    page.wait_for_load_state("load")
    page.goto(f"/places/{performance.pk}/")
    page.get_by_label("Nombre de places").select_option("3")
    page.get_by_test_id("best-available").tap()
    expect(page).to_have_url(re.compile(r"/panier/"))
    page.wait_for_load_state("load")
    assert SeatClaim.objects.filter(performance=performance, state=ClaimState.HELD).count() == 5
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390


def test_a_keyboard_user_picks_seats_through_the_list(page, seated):
    performance, plan, full = seated
    page.goto(f"/places/{performance.pk}/")
    row_c = page.locator("details", has_text="rang C — 10 places libres")
    row_c.locator("summary").focus()
    page.keyboard.press("Enter")  # opens the row
    for number in ("6", "7"):
        row_c.get_by_label(f"place {number} — libre, Catégorie 1").focus()
        page.keyboard.press("Space")
    page.get_by_test_id("take-list").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/panier/"))
    page.wait_for_load_state("load")
    seats = SeatClaim.objects.filter(performance=performance, state=ClaimState.HELD).select_related("seat")
    assert sorted((c.seat.row, c.seat.number) for c in seats) == [("C", "6"), ("C", "7")]


def test_a_box_office_sale_with_seats_chosen_on_the_counters_map(page, seated):
    performance, plan, full = seated
    user, _session = open_counter(performance.organizer, username="guichet@theatre.example")
    staff_login(page, user)
    page.goto(f"/staff/o/{performance.organizer.slug}/guichet/")
    page.get_by_role("link", name=f"Plan de salle — {performance.event.title}").click()
    expect(page.get_by_role("heading", name="Plan de salle")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name="rang A, place 3 — Catégorie 1 — libre").click()
    htmx_settled(page)
    page.get_by_role("link", name="rang A, place 4 — Catégorie 1 — libre").click()
    htmx_settled(page)
    page.get_by_test_id("counter-take").click()
    lines = page.get_by_test_id("basket-seats")
    expect(lines).to_have_text("rang A, place 3 ; rang A, place 4")
    page.get_by_role("button", name="Espèces", exact=True).click()
    page.locator(".sale-done").wait_for()
    order = Order.objects.get(channel="box_office")
    seats = SeatClaim.objects.filter(ticket__order=order, state=ClaimState.SOLD).select_related("seat")
    assert sorted((c.seat.row, c.seat.number) for c in seats) == [("A", "3"), ("A", "4")]

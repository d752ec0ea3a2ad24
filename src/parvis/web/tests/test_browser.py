"""End-to-end journeys in Chromium: a visitor on a phone, a programmer publishing, accessibility checks."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from parvis.network.models import Role
from parvis.testing import EventFactory, PerformanceFactory, VenueFactory, join, staff

from .conftest import admin_login, axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _soon(days):
    return (timezone.localtime() + datetime.timedelta(days=days)).replace(
        hour=20, minute=30, second=0, microsecond=0
    )


@pytest.fixture
def agenda(network, organizer, venue):
    other = VenueFactory(organizer=organizer, slug="paris", name="Le Duc", town="Paris")
    PerformanceFactory(
        event=EventFactory(
            organizer=organizer,
            title="Théâtre d'ombres",
            genre="theatre",
            slug="ombres",
            description="Un spectacle.",
            price_min=12,
        ),
        venue=other,
        starts_at=_soon(2),
    )
    PerformanceFactory(
        event=EventFactory(
            organizer=organizer,
            title="Quartet Aurore",
            genre="jazz",
            slug="aurore",
            is_free=True,
            sign_language=True,
        ),
        venue=venue,
        starts_at=_soon(3),
    )
    PerformanceFactory(
        event=EventFactory(
            organizer=organizer, title="Trio Sillage", genre="jazz", slug="sillage", price_min=15
        ),
        venue=venue,
        starts_at=_soon(4),
    )
    return network


def test_visitor_filters_the_agenda_on_a_phone_and_opens_an_event(phone_page, agenda):
    page = phone_page
    page.goto(f"/r/{agenda.slug}/")
    results = page.locator("#agenda-results .card")
    assert results.count() == 3
    # No horizontal scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # The filters wait behind one button: the first result shows on the first screen.
    panel = page.locator("details.filters-panel")
    expect(panel).not_to_have_attribute("open", "")
    first = results.first.bounding_box()
    assert first["y"] + first["height"] <= page.viewport_size["height"]
    page.get_by_text("Filtres", exact=True).click()
    page.get_by_label("Jazz", exact=True).check()  # htmx refreshes the results on change
    expect(results).to_have_count(2)
    assert "genre=jazz" in page.url
    page.reload()  # the button says how many criteria are set
    expect(page.locator("details.filters-panel > summary")).to_contain_text("1 actif")
    expect(panel).not_to_have_attribute("open", "")

    page.get_by_label("Rechercher").fill("sillage")
    expect(results).to_have_count(1)
    page.get_by_role("link", name="Trio Sillage").click()
    page.wait_for_url("**/e/sillage/")
    assert page.get_by_role("heading", level=1).inner_text() == "Trio Sillage"


def test_the_filters_panel_is_open_on_a_wide_screen(page, agenda):
    page.goto(f"/r/{agenda.slug}/")
    expect(page.locator("details.filters-panel")).to_have_attribute("open", "")
    expect(page.get_by_label("Ville")).to_be_visible()


def test_accent_folded_search_without_javascript(browser, live_server, agenda):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"/r/{agenda.slug}/?q=theatre")
    assert page.locator("#agenda-results .card").count() == 1
    assert "Théâtre d'ombres" in page.locator("#agenda-results").inner_text()
    context.close()


def test_administrator_with_totp_creates_an_event_with_three_dates_and_publishes_it(
    page, network, organizer, venue
):
    admin = staff(organizer, Role.ADMINISTRATOR, username="admin@club.example")
    admin_login(page, admin)  # administrators must enrol a second factor first

    page.get_by_role("link", name="Programmation").first.click()
    page.get_by_role("link", name="Nouvel évènement").click()
    page.locator("#id_title").fill("Nuits de la contrebasse")
    page.get_by_label("Genre").select_option("jazz")
    page.locator("#id_description").fill("Trois soirées autour de la contrebasse.")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Évènement créé").wait_for()

    start = timezone.localdate() + datetime.timedelta(days=5)
    page.get_by_label("Lieu").select_option(str(venue.pk))
    page.get_by_label("Date (ou première date)").fill(start.isoformat())
    page.get_by_label("Dernière date (pour une série)").fill((start + datetime.timedelta(days=2)).isoformat())
    for day in {start.weekday(), (start.weekday() + 1) % 7, (start.weekday() + 2) % 7}:
        page.locator(f"input[name=weekdays][value='{day}']").check()
    page.get_by_label("Heure(s)").fill("21:00")
    page.get_by_role("button", name="Ajouter les dates").click()
    page.get_by_text("3 date(s) ajoutée(s).").wait_for()
    page.get_by_role("button", name="Publier").click()
    page.get_by_text("Évènement publié.").wait_for()

    page.goto(f"/r/{network.slug}/?q=contrebasse")
    assert page.locator("#agenda-results .card").count() == 3
    page.get_by_role("link", name="Nuits de la contrebasse").first.click()
    assert page.locator(".performances li").count() == 3


@pytest.mark.parametrize("path", ["agenda", "event", "login", "staff"])
def test_no_serious_accessibility_violation(page, agenda, organizer, path):
    join(agenda, organizer)
    if path == "staff":
        user = staff(organizer, Role.PROGRAMMING, username="prog@club.example")
        page.goto("/staff/login/")
        page.get_by_label("E-mail ou identifiant").fill(user.username)
        page.get_by_label("Mot de passe").fill("correct-horse-battery")
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url("**/staff/")
        page.goto(f"/staff/o/{organizer.slug}/evenements/nouveau/")
    else:
        url = {
            "agenda": f"/r/{agenda.slug}/",
            "event": f"/o/{organizer.slug}/e/ombres/",
            "login": "/staff/login/",
        }[path]
        page.goto(url)
    assert axe_violations(page) == []


def test_buyer_on_a_phone_buys_two_tickets_for_two_venues_in_one_cart(
    phone_page, network, organizer, other_organizer, live_server
):
    from django.core import mail

    from parvis.ticketing.models import Order
    from parvis.ticketing.tests.factories import on_sale_performance, tariff

    a = on_sale_performance(organizer=organizer, title="Nuit bleue", slug="nuit-bleue")
    b = on_sale_performance(organizer=other_organizer, title="Matin clair", slug="matin-clair")
    tariff(a, price="12.00")
    tariff(b, price="9.50")
    page = phone_page
    for performance in (a, b):
        page.goto(performance.event.get_absolute_url())
        page.get_by_role("link", name="Billets").first.click()
        page.get_by_label("Plein").select_option("1")
        page.get_by_role("button", name="Ajouter au panier").click()
        page.wait_for_url("**/panier/")
    expect(page.locator(".performances li")).to_have_count(2)
    assert "21,50" in page.locator("main").inner_text()
    expect(page.locator("[data-countdown-left]")).to_contain_text(":")  # the countdown runs
    page.get_by_role("link", name="Commander").click()
    summary = page.get_by_test_id("order-summary")  # what is bought, before any field to fill
    expect(summary.locator("tbody tr")).to_have_count(2)
    first = summary.locator("tbody tr").filter(has_text="Nuit bleue")
    for text in ("Nuit bleue", a.venue.name, "Plein", "12,00"):
        expect(first).to_contain_text(text)
    expect(first).to_contain_text(str(a.local_starts_at.day))
    expect(summary.locator("tfoot")).to_contain_text("21,50")
    assert axe_violations(page) == []
    page.get_by_role("textbox", name="E-mail").fill("lea@example.org")
    page.get_by_label("Prénom").fill("Léa")
    page.locator("#id_last_name").fill("Durand")
    terms = page.get_by_label("J'accepte les conditions générales de vente.")
    links = page.locator(f"#{terms.get_attribute('aria-describedby').split()[0]} a")  # the box's description
    expect(links).to_have_count(2)  # each seller's terms, in a new window
    assert all(link.get_attribute("target") == "_blank" for link in links.all())
    terms.check()
    page.get_by_label("Paiement de démonstration").check()
    page.get_by_role("button", name="Payer").click()
    page.wait_for_url("**/paiement/demo/**")
    page.get_by_role("button", name="Payer (succès)").click()
    page.wait_for_url("**/paiement/termine/**")
    assert page.get_by_role("link").filter(has_text="Club").count() == 2
    orders = Order.objects.all()
    assert sorted(o.state for o in orders) == ["paid", "paid"]
    assert sorted(o.tickets.count() for o in orders) == [1, 1]
    assert sorted(m.to[0] for m in mail.outbox) == ["lea@example.org", "lea@example.org"]
    assert all(m.attachments[0][1].startswith(b"%PDF") for m in mail.outbox)
    page.get_by_role("link").filter(has_text="Club A").click()
    expect(page.get_by_test_id("order-state")).to_have_text("Payée")
    expect(page.get_by_test_id("order-terms")).to_contain_text("parvis-1")  # the terms its buyer accepted


def test_buyer_on_a_phone_goes_from_the_tickets_straight_to_the_details(phone_page, organizer):
    from parvis.ticketing.models import Hold
    from parvis.ticketing.tests.factories import on_sale_performance, tariff

    performance = on_sale_performance(organizer=organizer, title="Nuit bleue", slug="nuit-bleue")
    tariff(performance, price="12.00")
    page = phone_page
    page.goto(f"/billets/{performance.pk}/")
    page.get_by_label("Plein").select_option("2")
    commander = page.get_by_role("button", name="Commander")
    box = commander.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]  # no sideways scrolling
    commander.click()
    page.wait_for_url("**/panier/commande/")
    expect(page.locator("main")).to_contain_text("Nuit bleue")
    expect(page.get_by_role("textbox", name="E-mail")).to_be_visible()
    assert [hold.quantity for hold in Hold.objects.all()] == [2]


def test_no_serious_accessibility_violation_in_the_purchase_pages(page, organizer):
    from parvis.ticketing.tests.factories import on_sale_performance, tariff

    performance = on_sale_performance(organizer=organizer)
    tariff(performance, price="12.00", eligibility="Sur justificatif")
    page.goto(f"/billets/{performance.pk}/")
    assert axe_violations(page) == []
    page.get_by_label("Plein").select_option("2")
    page.get_by_role("button", name="Ajouter au panier").click()
    page.wait_for_url("**/panier/")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Commander").click()
    assert axe_violations(page) == []
    page.goto(f"/o/{organizer.slug}/conditions-de-vente/")  # the general terms the checkout links to
    assert axe_violations(page) == []


def test_buyer_who_left_the_payment_page_pays_later_from_the_order_page_on_a_phone(phone_page, organizer):
    from parvis.ticketing.models import Order
    from parvis.ticketing.tests.factories import buy, on_sale_performance, tariff

    performance = on_sale_performance(organizer=organizer, title="Nuit bleue", slug="nuit-bleue")
    order = buy(tariff(performance, price="12.00"), 2, confirm=False)  # placed, then the page was left
    page = phone_page
    page.goto(order.get_absolute_url())  # from the e-mail's link, on another device
    assert axe_violations(page) == []
    pay = page.get_by_role("button", name="Payer la commande")
    box = pay.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]
    pay.click()
    page.wait_for_url("**/paiement/demo/*/")
    page.get_by_role("button", name="Payer (succès)").click()
    page.wait_for_url(f"**{order.get_absolute_url()}")
    expect(page.get_by_test_id("order-state")).to_have_text("Payée")
    assert Order.objects.get(pk=order.pk).tickets.count() == 2


def test_programmer_sets_prices_once_for_every_date_makes_an_exception_and_duplicates_a_date(
    page, organizer, venue
):
    from .conftest import staff_login

    event = EventFactory(organizer=organizer, title="Le Misanthrope", slug="misanthrope", genre="theatre")
    for days in (5, 6, 7):
        PerformanceFactory(event=event, venue=venue, starts_at=_soon(days))
    staff_login(page, staff(organizer, Role.PROGRAMMING, username="prog@club.example"))
    # through the staff menu, to the event, then its prices
    page.get_by_role("link", name="Programmation").first.click()
    menu = page.get_by_role("navigation", name=re.compile("Menu de l.équipe"))
    expect(menu.get_by_role("link", name="Programmation")).to_have_attribute("aria-current", "page")
    page.get_by_role("link", name="Le Misanthrope").click()
    page.get_by_role("link", name="Tarifs", exact=True).click()
    for name, price in (("Plein tarif", "28"), ("Moins de 26 ans", "10")):
        page.get_by_label(re.compile(r"^Nom\b(?! \()")).fill(name)
        page.get_by_label(re.compile("^Prix TTC")).fill(price)
        page.get_by_role("button", name="Ajouter le tarif").click()
        page.get_by_text("Tarif ajouté à toutes les dates à venir.").wait_for()
    assert axe_violations(page) == []
    # one date's own price
    page.get_by_role("link", name="Le Misanthrope").click()
    page.get_by_role("link", name=re.compile("^Billetterie")).nth(1).click()
    page.get_by_role("link", name="Plein tarif").click()
    page.get_by_label(re.compile("^Prix TTC")).fill("22")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Tarif de la date modifié.").wait_for()
    expect(page.get_by_text("propre à cette date")).to_be_visible()
    # a fourth date like the first
    page.get_by_role("link", name="Le Misanthrope").click()
    page.get_by_role("link", name=re.compile("^Dupliquer ")).first.click()
    page.get_by_label(re.compile("^Nouvelle date")).fill(
        (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    )
    page.get_by_role("button", name="Créer la date").click()
    page.get_by_text("Date dupliquée").wait_for()
    rows = page.locator("#tariffs-title + .table-wrap tbody tr")
    expect(rows).to_have_count(2)
    assert "28,00" in rows.first.inner_text() or "28,00" in rows.nth(1).inner_text()


def test_visitor_on_a_phone_picks_an_exhibition_day_in_the_calendar_then_a_slot(phone_page, organizer, venue):
    from parvis.ticketing import services as sales
    from parvis.ticketing.tests.factories import tariff

    expo = EventFactory(organizer=organizer, title="Lumières du Nord", slug="lumieres", genre="exhibition")
    days = []
    for n in range(3, 13):
        at = _soon(n).replace(hour=10, minute=0)
        day = PerformanceFactory(
            event=expo, venue=venue, starts_at=at, ends_at=at + datetime.timedelta(hours=2)
        )
        tariff(day, price="12.00")
        sales.timed_slots_create(actor=None, performance=day, every_minutes=60, capacity=20)
        days.append(day)
    page = phone_page
    page.goto(f"/o/{organizer.slug}/")
    expect(page.locator("#agenda-results .card")).to_have_count(1)
    expect(page.locator("#agenda-results .card")).to_contain_text("10 jours")
    page.get_by_role("link", name="Lumières du Nord").click()
    calendar = page.locator("table.calendar").first
    expect(calendar).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert axe_violations(page) == []
    chosen = days[2].local_starts_at
    page.get_by_role("link", name=re.compile(f"Billets pour le .* {chosen.day} ")).click()
    page.wait_for_url(f"**/billets/{days[2].pk}/")
    expect(page.get_by_text("Créneau d'entrée")).to_be_visible()
    expect(page.get_by_role("radio")).to_have_count(2)

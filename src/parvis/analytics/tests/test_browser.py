"""A director reads the sales dashboard on a phone and on a desktop, filters it and downloads a chart's
data; a coordinator opens the network's, and its circulation view; axe-core finds no serious violation."""

import csv
import io
import os

import pytest
from playwright.sync_api import expect

from parvis.crm.models import Contact
from parvis.network.models import NetworkRole, NetworkStaff, Role
from parvis.testing import UserFactory, join, staff
from parvis.ticketing.models import Channel
from parvis.ticketing.tests.factories import buy, on_sale_performance, tariff
from parvis.web.tests.conftest import axe_violations, staff_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _season(organizer):
    jazz = on_sale_performance(organizer=organizer, title="Nuit bleue", genre="jazz")
    play = on_sale_performance(organizer=organizer, title="Les Bonnes", genre="theatre", days=12)
    buy(tariff(jazz, price="25.00"), 3)
    buy(tariff(play, price="18.00"), 2, channel=Channel.ONLINE)
    return jazz, play


def _read_the_board(page, organizer):
    page.goto(f"/staff/o/{organizer.slug}/tableaux/ventes/")
    expect(page.get_by_test_id("total-net")).to_have_text("5")
    expect(page.get_by_role("img", name="5 billets nets (5 vendus")).to_be_visible()  # named by its summary
    assert axe_violations(page) == []
    page.get_by_label("Genre", exact=True).select_option(label="Jazz")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_test_id("total-net")).to_have_text("3")
    section = page.get_by_role("region", name="Par spectacle", exact=True)
    section.get_by_text("Les données du graphique").click()
    expect(section.get_by_role("row", name="Nuit bleue")).to_be_visible()
    with page.expect_download() as download:
        section.get_by_role("link", name="Télécharger (CSV)").click()
    rows = list(
        csv.reader(io.StringIO(open(download.value.path(), encoding="utf-8-sig").read()), delimiter=";")
    )
    assert rows[1][:4] == ["Nuit bleue", "3", "0", "3"] and len(rows) == 2
    assert axe_violations(page) == []


def test_a_director_reads_filters_and_exports_the_sales_on_a_phone(phone_page, organizer):
    _season(organizer)
    director = staff(organizer, Role.READ_ONLY)
    staff_login(phone_page, director)
    _read_the_board(phone_page, organizer)
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the phone: charts and tables fit or scroll in their box


def test_a_director_reads_the_sales_on_a_desktop_and_a_coordinator_the_networks(page, organizer, network):
    _season(organizer)
    staff_login(page, staff(organizer, Role.PROGRAMMING))
    _read_the_board(page, organizer)
    page.get_by_role("link", name="Remplissage").click()
    expect(
        page.get_by_role("heading", name="Remplissage par date (dates à risque en premier)")
    ).to_be_visible()
    assert axe_violations(page) == []
    page.context.clear_cookies()
    coordinator = UserFactory()
    NetworkStaff.objects.create(network=network, user=coordinator, role=NetworkRole.COORDINATOR)
    join(network, organizer)
    staff_login(page, coordinator)
    page.goto(f"/staff/r/{network.slug}/tableaux/ventes/")
    expect(page.get_by_test_id("total-net")).to_have_text("5")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Circulation des publics").click()
    expect(page.get_by_role("heading", name="Publics en commun, par paire de lieux")).to_be_visible()
    expect(
        page.get_by_role("heading", name="D'où viennent les publics : premier lieu, puis les suivants")
    ).to_be_visible()
    assert axe_violations(page) == []


def test_a_director_reads_the_audiences_and_the_marketing_boards_on_a_phone(phone_page, organizer):
    jazz, _play = _season(organizer)
    Contact.objects.filter(organizer=organizer).update(postal_code="93100", departement="93", birth_year=1990)
    staff_login(phone_page, staff(organizer, Role.READ_ONLY))
    phone_page.goto(f"/staff/o/{organizer.slug}/tableaux/publics/")
    expect(phone_page.get_by_test_id("figure-people")).to_have_text("1")  # Ana bought both
    expect(phone_page.get_by_role("img", name="l'adresse viennent de 93 Seine-Saint-Denis")).to_be_visible()
    section = phone_page.get_by_role("region", name="D'où viennent-ils : départements")
    section.get_by_text("Les données du graphique").click()
    expect(section.get_by_role("row", name="93 Seine-Saint-Denis")).to_be_visible()
    if shots := os.environ.get("PARVIS_SCREENSHOTS"):  # a look at the page, when asked
        phone_page.screenshot(path=f"{shots}/audiences-phone.png", full_page=True)
    assert axe_violations(phone_page) == []
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    phone_page.get_by_role("link", name="Marketing").first.click()
    expect(phone_page.get_by_role("heading", name="Campagnes", exact=True)).to_be_visible()
    assert axe_violations(phone_page) == []

"""A teacher books a class on a phone (the school found in the directory), the education team confirms,
the teacher downloads the teaching pack; the door's phone counts classes in, online and offline."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from parvis.checkin import services as checkin
from parvis.checkin.models import CheckinList
from parvis.groups import door, establishments, services
from parvis.groups.models import GroupBooking, GroupOffer
from parvis.network.models import Role
from parvis.testing import staff
from parvis.ticketing.tests.factories import on_sale_performance, tariff
from parvis.web.tests.conftest import PHONE, admin_login, axe_violations, go_offline

from .test_bookings import DIRECTORY, _ask, _offer, _uai

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_teacher_books_a_class_on_a_phone_and_gets_the_teaching_pack(
    phone_page, browser, live_server, organizer
):
    performance = on_sale_performance(organizer=organizer, title="Lumières du Nord", capacity=60)
    tariff(performance, price="14.00")
    offer = GroupOffer.objects.create(
        organizer=organizer, event=performance.event, name="Visite contée", audiences=["school"],
        min_size=5, max_size=35, adults_free_per=8, price="5.00",
    )  # fmt: skip
    offer.teaching_pack.save("dossier-lumieres.pdf", ContentFile(b"%PDF-1.4 dossier"), save=True)
    establishments.import_directory(DIRECTORY)
    page = phone_page
    page.goto(organizer.get_absolute_url())
    page.get_by_test_id("group-offers-link").click()
    page.get_by_test_id("group-offer").click()
    assert axe_violations(page) == []
    page.get_by_label("Établissements scolaires").check()
    page.get_by_label("Établissement ou structure").fill("tilleuls")
    page.get_by_role("button", name="École élémentaire des Tilleuls").click()
    expect(page.get_by_label("UAI de l'établissement")).to_have_value(_uai("0139001"))
    page.get_by_label("Niveau ou âge").fill("CE2")
    page.get_by_label("Élèves ou participants").fill("24")
    page.get_by_label("Accompagnateurs").fill("3")
    page.locator("input[name=dates]").first.check()
    page.get_by_label("Responsable du groupe (prénom et nom)").fill("Inès Garnier")
    page.get_by_label("E-mail").fill("ines.garnier@ecole.example")
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_test_id("group-state")).to_have_text("Demandée")
    assert axe_violations(page) == []
    booking = GroupBooking.objects.get()
    assert booking.establishment.uai == _uai("0139001") and booking.pupils == 24
    # The education team confirms, on a desktop.
    desk = browser.new_context(base_url=live_server.url, locale="fr-FR")
    team = desk.new_page()
    admin_login(team, staff(organizer, Role.ADMINISTRATOR))
    team.goto(f"/staff/o/{organizer.slug}/groupes/")
    team.get_by_role("link", name=booking.code).click()
    team.get_by_role("button", name="Confirmer à cette date").click()
    expect(team.get_by_test_id("group-state")).to_have_text("Confirmée")
    assert axe_violations(team) == []
    desk.close()
    # The teacher's page now has the visit, the quote and the teaching pack.
    page.reload()
    expect(page.get_by_test_id("group-date")).to_contain_text(performance.venue.name)
    with page.expect_download() as download:
        page.get_by_test_id("teaching-pack").click()
    assert download.value.suggested_filename.startswith("dossier-lumieres")


def test_the_door_counts_a_class_online_and_another_offline(browser, live_server, organizer):
    """The door phone reads a class's code, asks how many came (prefilled with the booking's numbers), and
    the count is the arrival; offline, it travels with the queued scan and counts when the phone syncs."""
    offer, (performance, _second) = _offer(capacity=80)
    for email in ("ines.garnier@ecole.example", "paul.roux@ecole.example"):
        _ask(Client(), offer, performance, pupils=28, adults=3, leader_email=email)
    first, second = GroupBooking.objects.order_by("pk")
    for booking in (first, second):
        services.confirm(actor=None, booking=booking, performance=performance)
    type(performance).objects.filter(pk=performance.pk).update(
        starts_at=timezone.now() + datetime.timedelta(minutes=20)
    )
    first.refresh_from_db(), second.refresh_from_db()
    checkin_list = CheckinList.objects.create(organizer=offer.organizer, name="Accueil des groupes")
    checkin_list.performances.add(performance)
    _device, token = checkin.device_create(organizer=offer.organizer, name="Accueil")
    codes = [door.group_secret(first), door.group_secret(second)]  # each leader's page shows its code
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True, locale="fr-FR",
        timezone_id="Europe/Paris",
    )  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"/porte/#appareil={token}")
    page.get_by_role("button", name="Accueil des groupes").click()
    page.wait_for_selector("#screen-scan:not([hidden])")

    page.fill("#manual", codes[0])
    page.press("#manual", "Enter")
    dialog = page.get_by_role("dialog", name="Combien sont venus ?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Accompagnateurs")).to_have_value("3")
    expect(dialog).to_contain_text("Réservé : 28 élèves, 3 accompagnateurs")
    assert axe_violations(page) == []
    dialog.get_by_label("Élèves ou participants").fill("25")
    dialog.get_by_role("button", name="Faire entrer le groupe").click()
    page.wait_for_selector("#verdict[data-result=accepted]")
    expect(page.locator("#verdict-detail")).to_contain_text("Compté : 25 élèves, 3 accompagnateurs")
    page.click("#verdict-close")
    first.refresh_from_db()
    assert first.state == "visited" and (first.final_pupils, first.places) == (25, 28)

    page.evaluate("navigator.serviceWorker.ready")
    go_offline(page)
    page.fill("#manual", codes[1])
    page.press("#manual", "Enter")
    dialog.get_by_role("button", name="Faire entrer le groupe").click()  # as booked
    page.wait_for_selector("#verdict[data-result=accepted]")
    assert page.is_visible("#verdict-offline")
    page.click("#verdict-close")
    # Scanned again on this phone: counted already, no question.
    page.fill("#manual", codes[1])
    page.press("#manual", "Enter")
    page.wait_for_selector("#verdict[data-result=accepted]")
    page.click("#verdict-close")
    second.refresh_from_db()
    assert second.state == "confirmed"
    context.set_offline(False)
    page.wait_for_selector("#door-pending[data-count='0']", timeout=15_000)
    second.refresh_from_db()
    assert second.state == "visited" and (second.final_pupils, second.final_adults) == (28, 3)
    context.close()

"""A teacher books a class on a phone (the school found in the directory), the education team confirms,
the teacher downloads the teaching pack."""

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from parvis.groups import establishments
from parvis.groups.models import GroupBooking, GroupOffer
from parvis.network.models import Role
from parvis.testing import staff
from parvis.ticketing.tests.factories import on_sale_performance, tariff
from parvis.web.tests.conftest import admin_login, axe_violations

from .test_bookings import DIRECTORY, _uai

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

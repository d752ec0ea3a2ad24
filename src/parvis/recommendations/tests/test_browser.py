"""« Vous aimerez aussi » on a phone (issue 23): the section reads well on a small screen, passes axe,
and a suggestion leads to its show; a person's « Mes recommandations » says why and a suggestion opened
is kept; the report reads on a phone too; at the counter, choosing a customer shows what to offer them."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from parvis.network.models import Role
from parvis.recommendations import training
from parvis.recommendations.models import Impression, Surface
from parvis.testing import staff
from parvis.web.tests.conftest import axe_violations, htmx_settled, staff_login

from .test_event_page import catalogue  # noqa: F401 - the fixture
from .test_personal import season  # noqa: F401 - the fixture
from .test_report import START, six  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_on_a_phone_sees_what_else_to_book_and_follows_a_suggestion(
    phone_page,
    organizer,
    catalogue,  # noqa: F811
):
    training.train_organizer(organizer)
    page = phone_page
    page.goto(catalogue["source"].event.get_absolute_url())

    section = page.get_by_role("region", name="Vous aimerez aussi")
    expect(section).to_be_visible()
    expect(section.get_by_role("listitem").filter(has_text="Trio du soir")).to_contain_text(
        "Le public de « Quartet » l'a aussi choisi"
    )
    expect(section).not_to_contain_text("Complet")
    assert axe_violations(page) == []
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the phone

    section.get_by_role("link", name="Ballades").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ballades")


def test_the_report_reads_on_a_phone(phone_page, organizer, six):  # noqa: F811
    user = staff(organizer, Role.MARKETING, username="com@club.example")
    page = phone_page
    staff_login(page, user)
    start = timezone.localdate(START) - datetime.timedelta(days=1)
    page.goto(f"/staff/o/{organizer.slug}/campagnes/recommandations/rapport/?du={start.isoformat()}")

    table = page.get_by_role("table", name="Ce que changent les suggestions personnelles")
    expect(table.get_by_role("row").filter(has_text="Billets achetés par personne")).to_contain_text("+0,33")
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_at_the_counter_choosing_a_customer_shows_what_to_offer(page, organizer, season):  # noqa: F811
    user = staff(organizer, Role.BOX_OFFICE, username="guichet@club.example")
    staff_login(page, user)
    page.goto(f"/staff/o/{organizer.slug}/guichet/")
    page.get_by_label("Nom de la caisse").fill("Accueil")
    page.get_by_role("button", name="Créer la caisse").click()
    page.get_by_label("Fonds de caisse (€)").fill("100")
    page.get_by_role("button", name="Ouvrir la caisse").click()
    page.get_by_role("button", name="Jazz 3 : Plein", exact=False).click()
    page.locator("#basket-total", has_text="20,00").wait_for()

    page.get_by_label("Rechercher (nom, e-mail, téléphone)").fill("ana@")
    page.get_by_label("ana@example.org", exact=False).check()
    htmx_settled(page)

    offered = page.get_by_test_id("counter-suggestions")
    expect(offered).to_contain_text("À proposer à")
    expect(offered).to_contain_text("Jazz 2")
    expect(offered).to_contain_text("Parce que vous avez aimé")
    assert axe_violations(page) == []


def test_a_person_on_a_phone_reads_why_and_opens_a_suggestion(phone_page, organizer, season):  # noqa: F811
    page = phone_page
    page.goto("/compte/")
    page.get_by_label("Votre e-mail").fill("ana@example.org")
    page.get_by_role("button", name="Recevoir mon lien de connexion").click()
    expect(page.get_by_test_id("link-sent")).to_be_visible()
    page.goto(re.search(r"/compte/lien/\S+/", mail.outbox[-1].body)[0])
    page.get_by_role("button", name="Me connecter").click()
    page.goto("/compte/recommandations/")

    expect(page.get_by_text("Parce que vous avez aimé", exact=False).first).to_be_visible()
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_role("link", name="Jazz 2").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Jazz 2")
    shown = Impression.objects.get(surface=Surface.ACCOUNT)
    assert shown.clicked_event_id == season["jazz2"].event_id  # the suggestion opened, kept

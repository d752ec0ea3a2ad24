"""The market in Chromium: a professional applies on a phone, the team approves, the professional pays and
opens the badge; asks for a meeting that the other accepts and the team places; an exhibitor scans badges
with the network down, the scans go when it is back, and the contacts are exported."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from parvis.market import accreditation, badges
from parvis.market.models import Lead, Meeting, Participant
from parvis.network.models import Role
from parvis.testing import VenueFactory, staff
from parvis.web.tests.conftest import axe_violations, go_offline, staff_login

from .factories import category, exhibitor, market, participant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_professional_applies_is_approved_pays_and_opens_the_badge(phone_page, browser, live_server):
    fair = market(venue=VenueFactory())
    category(fair, fee="90.00")
    page = phone_page
    page.goto(f"/o/{fair.organizer.slug}/marche/{fair.slug}/")
    assert axe_violations(page) == []
    page.get_by_test_id("apply-professional").click()
    page.locator("#id_first_name").fill("Inès")
    page.locator("#id_last_name").fill("Moreau")
    page.locator("#id_email").fill("ines@studio.example")
    page.locator("#id_organisation_name").fill("Studio Lumen")
    page.locator("#id_role").fill("Productrice")
    page.locator("#id_siret").fill("73282932000074")
    page.locator("#id_billing_address").fill("3 rue des Ateliers, Marseille")
    page.get_by_label("Figurer dans l'annuaire des participants").check()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_test_id("participant-state")).to_have_text("Candidature reçue")
    applicant = Participant.objects.get()
    # The team approves, on a desktop.
    desk = browser.new_context(base_url=live_server.url, locale="fr-FR")
    team = desk.new_page()
    staff_login(team, staff(fair.organizer, Role.PROGRAMMING))
    team.goto(f"/staff/o/{fair.organizer.slug}/marche/{fair.slug}/")
    team.get_by_role("link", name="Inès Moreau").click()
    team.get_by_label("Accepter").check()
    assert axe_violations(team) == []
    team.get_by_role("button", name="Envoyer").click()
    expect(team.get_by_test_id("market-queue")).to_contain_text("Aucune demande en attente")
    desk.close()
    # The professional pays (the demo provider) and gets the badge.
    page.reload()
    expect(page.get_by_test_id("participant-state")).to_have_text("Acceptée, à payer")
    page.get_by_label("Paiement de démonstration").check()
    page.get_by_role("button", name="Payer").click()
    page.get_by_role("button", name="Payer (succès)").click()
    page.goto(applicant.get_absolute_url())
    expect(page.get_by_test_id("participant-state")).to_have_text("Accrédité")
    with page.expect_download() as download:
        page.get_by_test_id("participant-badge").click(modifiers=["Alt"])
    assert download.value.suggested_filename == f"badge-{applicant.code}.pdf"
    assert Participant.objects.get().order.state == "paid"


def test_a_meeting_is_asked_accepted_and_placed_by_the_team(phone_page, browser, live_server):
    fair = market(venue=VenueFactory())
    pro = category(fair)
    ana = participant(fair, pro, 1, first_name="Ana")
    ben = participant(fair, pro, 2, first_name="Ben", last_name="Bernard", in_directory=True)
    from parvis.market import meetings

    for offset in range(2):
        meetings.slots_create(
            market=fair,
            day=fair.starts_on + datetime.timedelta(days=offset),
            start=datetime.time(9),
            end=datetime.time(10),
        )
    meetings.tables_create(market=fair, area="Salon", count=2)
    page = phone_page
    page.goto(ana.get_absolute_url())
    page.get_by_label("Chercher dans l'annuaire").fill("bernard")
    page.get_by_role("button", name="Chercher").click()
    page.get_by_test_id("meeting-candidates").get_by_placeholder("Objet").fill("Tournée 2027")
    page.get_by_role("button", name="Demander — Ben Bernard").click()
    expect(page.get_by_test_id("meetings-asked")).to_contain_text("En attente de réponse")
    assert axe_violations(page) == []
    page.goto(ben.get_absolute_url())
    page.get_by_test_id("meetings-pending").get_by_role("button", name="Accepter").click()
    assert Meeting.objects.get().state == "accepted"
    desk = browser.new_context(base_url=live_server.url, locale="fr-FR")
    team = desk.new_page()
    staff_login(team, staff(fair.organizer, Role.PROGRAMMING))
    team.goto(f"/staff/o/{fair.organizer.slug}/marche/{fair.slug}/")
    team.get_by_test_id("schedule").click()
    expect(team.get_by_test_id("last-schedule")).to_contain_text("1 placés")
    desk.close()
    page.goto(ana.get_absolute_url())
    expect(page.get_by_test_id("agenda")).to_contain_text("Ben Bernard — Tournée 2027")


@pytest.fixture
def exhibitor_phone(browser, live_server):
    """A phone of its own: its requests fail while the network is down, by design."""
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="fr-FR",
        accept_downloads=True,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_an_exhibitor_scans_badges_offline_then_exports_its_contacts(exhibitor_phone):
    fair = market(venue=VenueFactory())
    pro = category(fair)
    studio = exhibitor(fair, 1)
    scanner = participant(fair, pro, 1, exhibitor=studio)
    visitor = participant(fair, pro, 2, share_with_exhibitors=True, first_name="Vera", last_name="Visite")
    shy = participant(fair, pro, 3)
    page = exhibitor_phone
    page.goto(scanner.get_absolute_url())
    page.get_by_test_id("participant-leads").click()
    page.get_by_test_id("leads-scanner").click()
    assert axe_violations(page) == []
    page.evaluate("navigator.serviceWorker.ready")
    page.reload()  # now under the service worker, which keeps the page for the offline reload below
    go_offline(page)
    for person in (visitor, shy):
        page.get_by_label("Code du badge (si la caméra ne lit pas)").fill(badges.badge_secret(person))
        page.get_by_role("button", name="Enregistrer le contact").click()
    expect(page.locator("#leads-pending")).to_have_attribute("data-count", "2")
    page.reload()  # nothing is lost on the phone
    expect(page.locator("#leads-pending")).to_have_attribute("data-count", "2")
    assert not Lead.objects.exists()
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#leads-pending")).to_have_attribute("data-count", "0", timeout=15_000)
    expect(page.get_by_test_id("leads-recent")).to_contain_text("Vera Visite")
    assert Lead.objects.filter(exhibitor=studio).count() == 2
    page.goto(scanner.get_absolute_url())
    page.get_by_test_id("participant-leads").click()
    expect(page.get_by_test_id("leads")).to_contain_text("coordonnées non partagées")
    with page.expect_download() as download:
        page.get_by_test_id("leads-csv").click()
    text = open(download.value.path(), encoding="utf-8").read()
    assert "Vera" in text and shy.email not in text


def test_the_door_phone_admits_badges_online_and_offline_by_category(exhibitor_phone):
    from parvis.checkin import services as door
    from parvis.checkin.models import CheckinList, Scan
    from parvis.checkin.tests.test_scanner_browser import _enter

    fair = market(venue=VenueFactory(), days_ahead=0)
    pro = category(fair, access=["market"])
    student = category(fair, kind="student", access=["sessions"])
    holder, learner = participant(fair, pro, 1), participant(fair, student, 2)
    gone = participant(fair, pro, 3)
    cancelled = badges.badge_secret(gone)  # printed, then the accreditation is cancelled
    accreditation.cancel(actor=None, participant=gone)
    CheckinList.objects.create(
        organizer=fair.organizer, name="Entrée du marché", areas=[f"market:{fair.pk}:market"]
    )
    _device, token = door.device_create(organizer=fair.organizer, name="Téléphone accueil")
    good, other = badges.badge_secret(holder), badges.badge_secret(learner)  # the key exists before the list
    page = exhibitor_phone
    page.goto(f"/porte/#appareil={token}")
    page.get_by_role("button", name="Entrée du marché").click()
    page.wait_for_selector("#screen-scan:not([hidden])")
    assert _enter(page, good) == ("accepted", "", False)
    assert _enter(page, other)[:2] == ("refused", "badge_area")
    page.evaluate("navigator.serviceWorker.ready")
    go_offline(page)
    assert _enter(page, good) == ("accepted", "", True)
    assert _enter(page, other) == ("refused", "badge_area", True)
    assert _enter(page, cancelled) == ("refused", "badge_revoked", True)
    page.context.set_offline(False)
    page.wait_for_selector("#door-pending[data-count='0']", timeout=15_000)
    assert Scan.objects.filter(code_ref=f"badge:{holder.pk}", accepted=True).count() == 2


def test_a_round_table_door_offline_admits_its_registered_and_its_speakers_only(exhibitor_phone):
    from parvis.checkin import services as door
    from parvis.checkin.tests.test_scanner_browser import _enter
    from parvis.market import sessions

    fair = market(venue=VenueFactory(), days_ahead=0)
    student = category(fair, kind="student", access=["sessions"])
    registered, speaker, outsider = (participant(fair, student, n) for n in range(3))
    start = timezone.now() + datetime.timedelta(minutes=30)
    table = sessions.session_create(
        actor=None,
        market=fair,
        title="Table ronde du matin",
        kind="round_table",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        capacity=10,
        speakers=[speaker],
    )
    sessions.register(session=table, participant=registered)
    _device, token = door.device_create(organizer=fair.organizer, name="Téléphone salle")
    secrets = [badges.badge_secret(p) for p in (registered, speaker, outsider)]
    page = exhibitor_phone
    page.goto(f"/porte/#appareil={token}")
    page.get_by_role("button", name="Table ronde du matin").first.click()
    page.wait_for_selector("#screen-scan:not([hidden])")
    page.evaluate("navigator.serviceWorker.ready")
    go_offline(page)
    assert _enter(page, secrets[0]) == ("accepted", "", True)
    assert _enter(page, secrets[1]) == ("accepted", "", True)
    assert _enter(page, secrets[2]) == ("refused", "badge_area", True)
    page.context.set_offline(False)

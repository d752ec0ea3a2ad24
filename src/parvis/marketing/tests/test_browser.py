"""A marketer in Chromium builds a campaign for a segment with an event block and a recommendation
block, previews it as a contact at phone width, sends a test (received by a real SMTP server), schedules
it; a recipient's one-click unsubscribe, posted as a mail provider does, withdraws the consent (issue 22)."""

import datetime
import re

import pytest
from django.test import override_settings
from django.utils import timezone

from parvis.core.tests.smtp import Sink
from parvis.crm.models import Consent, Purpose, Segment
from parvis.crm.selectors import consent_state
from parvis.marketing import services
from parvis.marketing.models import Campaign
from parvis.network.models import Role
from parvis.testing import PerformanceFactory, staff
from parvis.web.tests.conftest import axe_violations, htmx_settled, staff_login

from .factories import person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_marketer_builds_previews_tests_and_schedules_a_campaign_and_one_click_unsubscribes(
    page, organizer
):
    concert = PerformanceFactory(event__organizer=organizer, event__title="Nuit du jazz")
    ana = person(organizer, "ana@example.org", first="Ana", last="Lima")
    person(organizer, "bob@example.org", first="Bob")  # consented, not in the segment
    fans = Segment.objects.create(organizer=organizer, name="Fans de jazz", kind=Segment.Kind.STATIC)
    fans.members.set([ana])
    user = staff(organizer, Role.MARKETING, username="com@club.example", email="com@club.example")

    with Sink() as sink, override_settings(**sink.email_settings()):
        staff_login(page, user)
        page.goto(f"/staff/o/{organizer.slug}/publics/")
        page.get_by_role("link", name="Campagnes").first.click()
        page.get_by_role("link", name="Nouvelle campagne").click()
        page.get_by_label("Nom interne").fill("Lettre du jazz")
        page.locator("#id_subject_fr").fill("Ce mois-ci, {{ prenom | chers amis }}")
        page.get_by_label("Adresse de l'expéditeur").fill("lettre@club.example")
        page.get_by_label("Fans de jazz").first.check()
        page.get_by_role("button", name="Texte", exact=True).click()
        page.get_by_label("Texte (français)").fill("<p>Bonjour {{ prenom }}, voici le mois.</p>")
        page.get_by_role("button", name="Spectacles choisis dans l'agenda").click()
        page.get_by_label("Nuit du jazz").check()
        page.get_by_role("button", name="Spectacles recommandés à chacun").click()
        assert (
            page.get_by_label("Texte (français)").input_value()
            == "<p>Bonjour {{ prenom }}, voici le mois.</p>"
        )
        assert axe_violations(page) == []
        page.get_by_role("button", name="Enregistrer").click()
        page.wait_for_url(re.compile(r".*/campagnes/\d+/$"))
        letter = Campaign.objects.get()
        assert [b["type"] for b in letter.blocks] == ["text", "events", "recommended"]
        assert letter.blocks[1]["ids"] == [concert.event_id]

        # The audience: one person, Ana (Bob is not in the segment); her preview on a phone.
        page.get_by_text("1 destinataire").wait_for()
        htmx_settled(page)
        page.get_by_role("link", name="aperçu").click()
        page.get_by_label("Écran").select_option("phone")
        page.get_by_role("button", name="Voir").click()
        frame = page.frame_locator("iframe.mail-preview")
        frame.get_by_text("Bonjour Ana, voici le mois.").wait_for()
        assert frame.get_by_text("Nuit du jazz").first.is_visible()
        assert page.locator("iframe.mail-preview").bounding_box()["width"] <= 375
        assert axe_violations(page) == []

        page.get_by_role("button", name="Envoyer le test").click()
        page.get_by_text("Test envoyé à com@club.example").wait_for()
        assert sink.subjects() == ["[Test] Ce mois-ci, Ana"]

        when = timezone.localtime() + datetime.timedelta(days=3)
        page.get_by_label("Envoyer le").fill(when.strftime("%Y-%m-%dT10:00"))
        page.get_by_role("button", name="Programmer l'envoi").click()
        page.get_by_text("Campagne programmée.").wait_for()
        letter.refresh_from_db()
        assert letter.state == Campaign.State.SCHEDULED

        # The day comes (here: now); Ana's mail provider posts the one-click unsubscribe it found.
        services.campaign_schedule(campaign=letter, actor=None)
        received = [m for m in sink.messages if m["To"] == "ana@example.org"]
        assert len(received) == 1 and len(sink.messages) == 2
        url = re.search(r"<(https?://[^>]+/desinscription/)>", received[0]["List-Unsubscribe"]).group(1)
        path = url.split("://", 1)[1].split("/", 1)[1]
        # The visible link leads to a page with a button (a scanner opening the link withdraws nothing).
        page.goto(f"/{path}")
        assert axe_violations(page) == []
        assert consent_state(ana, Purpose.ORGANIZER_NEWSLETTER).given is True
        answer = page.request.post(
            f"/{path}",
            data="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert answer.status == 200
    state = consent_state(ana, Purpose.ORGANIZER_NEWSLETTER)
    assert state.given is False and state.source == Consent.Source.UNSUBSCRIBE

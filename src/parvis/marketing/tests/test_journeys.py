"""Journeys: people enter from their timeline once the journey is started, go through the waits at their
time (a late run catches up), receive each message once and only with consent, and leave when they buy;
the staff switch a ready-made journey on and read its funnel (issue 22)."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from parvis.crm.models import Interaction, Purpose
from parvis.crm.services import interaction_record
from parvis.marketing import journey_templates, journeys
from parvis.marketing.models import Campaign, Journey, JourneyEntry, Recipient
from parvis.testing import login_staff, staff

from .factories import person

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)


def _signup(contact, at):
    interaction_record(
        contact=contact, organizer_id=contact.organizer_id, kind=Interaction.Kind.SIGNUP, at=at
    )


def _welcome(organizer):
    journey = journey_templates.journey_create(organizer=organizer, key="welcome", actor=None)
    Campaign.objects.filter(pk__in=journeys.message_ids(journey)).update(from_email="lettre@club.example")
    return journey_templates.journey_switch(journey=journey, actor=None, active=True)


@pytest.mark.parametrize("scattered", [50, 0], ids=["grouped-updates", "bulk-update"])
def test_the_welcome_journey_sends_each_message_once_at_its_time(organizer, monkeypatch, scattered):
    monkeypatch.setattr(journeys, "SCATTERED", scattered)  # both ways of saving where people are
    before = person(organizer, "before@example.org", first="Avant")
    _signup(before, timezone.now() - 2 * HOUR)  # before the start: does not enter
    journey = _welcome(organizer)
    ana = person(organizer, "ana@example.org", first="Ana")
    nobody = person(organizer, "no-consent@example.org", given=False)
    now = timezone.now()
    for contact in (ana, nobody):
        _signup(contact, now)
    _signup(ana, now)  # a second sign-up: still one entry

    mail.outbox.clear()
    assert journeys.run(now)["entered"] == 2  # one entry per person
    assert JourneyEntry.objects.filter(journey=journey).count() == 2
    assert [m.subject for m in mail.outbox] == ["Bienvenue, Ana !"]  # not to the one without consent

    journeys.run(now + 10 * HOUR)  # within the 72 h wait: nothing
    assert len(mail.outbox) == 1
    mail.outbox.clear()
    journeys.run(now + 100 * HOUR)  # late: catches up, once
    journeys.run(now + 101 * HOUR)
    assert [m.subject for m in mail.outbox] == ["Trois idées pour votre prochaine sortie"]
    entry = JourneyEntry.objects.get(journey=journey, contact=ana)
    assert entry.state == JourneyEntry.State.DONE and entry.due_at == entry.entered_at + 72 * HOUR
    assert Recipient.objects.filter(contact=ana, state=Recipient.State.SENT).count() == 2
    funnel = journeys.funnel(journey)
    assert (funnel["entered"], funnel["done"], funnel["converted"]) == (2, 2, 0)


def test_who_buys_leaves_the_journey(organizer):
    journey = journey_templates.journey_create(organizer=organizer, key="after_show", actor=None)
    journey_templates.journey_switch(journey=journey, actor=None, active=True)
    ana = person(organizer, "ana@example.org", first="Ana")
    now = timezone.now()
    interaction_record(contact=ana, organizer_id=organizer.pk, kind=Interaction.Kind.ATTENDANCE, at=now)
    journeys.run(now)
    interaction_record(contact=ana, organizer_id=organizer.pk, kind=Interaction.Kind.ORDER, at=now + HOUR)
    mail.outbox.clear()
    call_command("journeys_run")  # the cron's pass (now: the 20 h are not over, she bought meanwhile)
    journeys.run(now + 30 * HOUR)
    assert mail.outbox == []
    assert JourneyEntry.objects.get(contact=ana).state == JourneyEntry.State.CONVERTED
    assert journeys.funnel(journey)["converted"] == 1


def test_a_stopped_journey_sends_nothing(organizer):
    journey = _welcome(organizer)
    journey_templates.journey_switch(journey=journey, actor=None, active=False)
    _signup(person(organizer, "ana@example.org"), timezone.now())
    mail.outbox.clear()
    assert journeys.run()["entered"] == 0 and mail.outbox == []


def test_the_staff_switch_a_ready_made_journey_on_and_read_its_funnel(organizer, client):
    login_staff(client, staff(organizer, "marketing"))
    base = f"/staff/o/{organizer.slug}/campagnes/parcours/"
    assert client.get(base).status_code == 200
    answer = client.post(base, {"template": "welcome"})
    journey = Journey.objects.get()
    assert answer["Location"] == f"{base}{journey.pk}/" and not journey.active
    page = client.get(answer["Location"]).content.decode()
    assert "Bienvenue, {{ prenom | et merci }} !" in page and "Attendre 72 h" in page
    client.post(f"{base}{journey.pk}/marche/", {"active": "1"})
    journey.refresh_from_db()
    assert journey.active and journey.watermark == (
        Interaction.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    )
    assert client.post(base, {"template": "nope"}).status_code == 302
    assert Journey.objects.count() == 1
    login_staff(client, staff(organizer, "box_office"))
    assert client.get(base).status_code == 403
    assert Campaign.objects.filter(state=Campaign.State.JOURNEY).count() == 2
    assert Purpose.ORGANIZER_NEWSLETTER == Campaign.objects.first().purpose

"""A journey written by hand in the staff pages (issue 22): trigger and entry rule, steps added one at a
time with clear errors, removed or moved only while nobody is in it; the contact's page says which
journeys the person is in; only the organizer's marketers see any of it."""

import pytest
from django.core import mail
from django.utils import timezone

from parvis.crm.models import Interaction, Segment, Tag
from parvis.crm.services import interaction_record
from parvis.marketing import journeys
from parvis.marketing.models import Campaign, Journey, JourneyEntry
from parvis.marketing.tasks import journey_notify
from parvis.network.models import OrganizerStaff
from parvis.testing import login_staff, staff

from .factories import person

pytestmark = pytest.mark.django_db


def _base(organizer):
    return f"/staff/o/{organizer.slug}/campagnes/parcours/"


def _new(client, organizer, **fields):
    data = {"name": "Avant le spectacle", "trigger": "before", "days": "2", "exit_on_purchase": "on"}
    data.update(fields)
    answer = client.post(f"{_base(organizer)}nouveau/", data)
    return answer, Journey.objects.filter(organizer=organizer).order_by("-pk").first()


def _add(client, journey, **fields):
    return client.post(f"{_base(journey.organizer)}{journey.pk}/etapes/", {"action": "add", **fields})


def test_a_marketer_writes_a_journey_step_by_step_with_clear_errors(organizer, other_organizer, client):
    manager = staff(organizer, "marketing", email="relations@club.example", first_name="Inès")
    login_staff(client, manager)
    answer, journey = _new(client, organizer, days="400")
    assert answer.status_code == 200 and journey is None and "Un an au plus." in answer.content.decode()
    answer, journey = _new(client, organizer)
    assert answer["Location"] == f"{_base(organizer)}{journey.pk}/"
    assert (journey.trigger, journey.days, journey.reentry_days, journey.active) == ("before", 2, None, False)
    refused = client.post(f"{_base(organizer)}{journey.pk}/marche/", {"active": "1"}, follow=True)
    assert "Ajoutez au moins une étape" in refused.content.decode()

    missing = _add(client, journey, kind="wait")
    assert missing.status_code == 400 and "Ce champ est obligatoire." in missing.content.decode()
    foreign = Segment.objects.create(organizer=other_organizer, name="Ailleurs", kind=Segment.Kind.STATIC)
    assert _add(client, journey, kind="check", test="segment", segment=foreign.pk).status_code == 400
    vip = Tag.objects.create(organizer=organizer, name="VIP")
    assert _add(client, journey, kind="until", hours="-3").status_code == 302
    written = _add(client, journey, kind="send")
    message = Campaign.objects.get(organizer=organizer, state=Campaign.State.JOURNEY)
    assert written["Location"] == f"/staff/o/{organizer.slug}/campagnes/{message.pk}/modifier/"
    _add(client, journey, kind="check", test="tag", tag=vip.pk, negate="on", otherwise="skip")
    _add(client, journey, kind="notify", user=manager.pk)
    _add(client, journey, kind="tag", tag=vip.pk)
    journey.refresh_from_db()
    assert journey.steps == [
        {"kind": "until", "hours": -3},
        {"kind": "send", "campaign": message.pk},
        {"kind": "check", "test": "tag", "arg": vip.pk, "negate": True, "otherwise": "skip"},
        {"kind": "notify", "user": manager.pk},
        {"kind": "tag", "tag": vip.pk, "remove": False},
    ]
    page = client.get(f"{_base(organizer)}{journey.pk}/").content.decode()
    assert "Attendre jusqu&#x27;à 3 h avant la représentation" in page
    assert (
        "Si la personne n&#x27;a pas l&#x27;étiquette « VIP » ; sinon elle passe l&#x27;étape suivante"
        in page
    )
    assert "Prévenir Inès" in page and "Retirer l'étape 5" in page
    assert (
        client.get(f"/staff/o/{organizer.slug}/campagnes/{message.pk}/")
        .content.decode()
        .count("Avant le spectacle")
    )

    steps = f"{_base(organizer)}{journey.pk}/etapes/"
    client.post(steps, {"action": "up", "index": "1"})
    client.post(steps, {"action": "remove", "index": "4"})
    journey.refresh_from_db()
    assert [s["kind"] for s in journey.steps] == ["send", "until", "check", "notify"]


def test_steps_are_only_added_at_the_end_while_people_are_in_the_journey(organizer, client):
    login_staff(client, staff(organizer, "marketing"))
    _answer, journey = _new(client, organizer, trigger="signup", days="0")
    _add(client, journey, kind="wait", hours="24")
    client.post(f"{_base(organizer)}{journey.pk}/marche/", {"active": "1"})
    ana = person(organizer, "ana@example.org", first="Ana")
    interaction_record(contact=ana, organizer_id=organizer.pk, kind=Interaction.Kind.SIGNUP)
    journeys.run()
    refused = client.post(
        f"{_base(organizer)}{journey.pk}/etapes/", {"action": "remove", "index": "0"}, follow=True
    )
    assert "Des personnes sont dans ce parcours" in refused.content.decode()
    _add(client, journey, kind="exit")
    journey.refresh_from_db()
    assert [s["kind"] for s in journey.steps] == ["wait", "exit"]
    edit = client.get(f"{_base(organizer)}{journey.pk}/modifier/").content.decode()
    assert "Arrêtez le parcours pour changer son déclencheur." in edit
    client.post(
        f"{_base(organizer)}{journey.pk}/modifier/", {"name": "Bienvenue", "trigger": "lapsed", "days": "9"}
    )
    journey.refresh_from_db()
    assert (journey.name, journey.trigger, journey.days) == ("Bienvenue", "signup", 0)  # trigger kept
    contact_page = client.get(f"/staff/o/{organizer.slug}/publics/{ana.pk}/").content.decode()
    assert (
        "Dans le parcours « Bienvenue » depuis le" in contact_page
        and "prochaine étape (2 sur 2) le" in contact_page
    )


def test_only_the_organizers_marketers_reach_its_journeys(organizer, other_organizer, client):
    journey = Journey.objects.create(organizer=organizer, name="J", trigger="signup", steps=[])
    login_staff(client, staff(other_organizer, "marketing"))
    assert client.get(f"/staff/o/{other_organizer.slug}/campagnes/parcours/{journey.pk}/").status_code == 404
    login_staff(client, staff(organizer, "box_office"))
    assert client.get(f"{_base(organizer)}{journey.pk}/").status_code == 403
    assert _add(client, journey, kind="exit").status_code == 403
    assert client.get(f"{_base(organizer)}nouveau/").status_code == 403


def test_a_staff_member_who_lost_their_role_is_told_nothing(organizer):
    manager = staff(organizer, "marketing", email="relations@club.example")
    journey = Journey.objects.create(
        organizer=organizer, name="J", trigger="signup", steps=[{"kind": "notify", "user": manager.pk}]
    )
    ana = person(organizer, "ana@example.org", first="Ana", last="Lima")
    mail.outbox.clear()
    journey_notify.call(journey_id=journey.pk, step=0, user_id=manager.pk, contact_ids=[ana.pk])
    assert [m.to for m in mail.outbox] == [["relations@club.example"]]
    OrganizerStaff.objects.filter(user=manager).delete()
    journey_notify.call(journey_id=journey.pk, step=0, user_id=manager.pk, contact_ids=[ana.pk])
    assert len(mail.outbox) == 1
    assert JourneyEntry.objects.count() == 0 and timezone.now()

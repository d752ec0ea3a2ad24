"""The marketing board: a campaign's clicks, sales after a click and uplift against its holdout group; a
journey's funnel in the period; the recommendations' comparison; figures of the owner only."""

import csv
import io
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from parvis.crm.models import Consent, Purpose
from parvis.crm.services import consent_record
from parvis.marketing import audience, delivery
from parvis.marketing.models import Campaign, Journey, JourneyEntry, Recipient
from parvis.marketing.tests.factories import campaign, person
from parvis.network.models import NetworkMembership, NetworkRole, NetworkStaff, Role
from parvis.testing import PerformanceFactory, UserFactory, login_staff, staff
from parvis.ticketing.models import Order
from parvis.ticketing.tests.factories import buy, tariff

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(organizer, client):
    """A letter to 20 people, a quarter held out; one receiver clicks and buys 2 tickets at 25 €."""
    show = tariff(PerformanceFactory(event__organizer=organizer), price="25.00")
    for n in range(20):
        contact = person(organizer, f"p{n:02d}@example.org", first=f"P{n}")
        consent_record(
            contact=contact, purpose=Purpose.EMAIL_TRACKING, given=True, source=Consent.Source.SELF_SERVICE
        )
    letter = campaign(
        organizer,
        name="Lettre de décembre",
        holdout_percent=25,
        blocks=[{"type": "button", "label_fr": "Réserver", "url": "https://club.example/r"}],
    )
    audience.freeze(letter)
    Campaign.objects.filter(pk=letter.pk).update(state=Campaign.State.SENDING, send_at=timezone.now())
    letter.refresh_from_db()
    mail.outbox.clear()
    delivery.part_send(letter, 0)
    Campaign.objects.filter(pk=letter.pk).update(state=Campaign.State.SENT, finished_at=timezone.now())
    receiver = Recipient.objects.filter(campaign=letter, state=Recipient.State.SENT).order_by("pk").first()
    page = next(m.alternatives[0][0] for m in mail.outbox if m.to[0] == receiver.address)
    client.get(re.search(r'href="https?://[^/"]+(/m/[^"]+/l/\d+/)"', page).group(1))
    order = buy(show, 2)
    Order.objects.filter(pk=order.pk).update(contact_id=receiver.contact_id)
    return letter


def _journey(organizer, letter):
    message = campaign(organizer, name="Relance", state=Campaign.State.JOURNEY)
    journey = Journey.objects.create(
        organizer=organizer,
        name="Après un premier concert",
        trigger=Journey.Trigger.values[0],
        steps=[{"kind": "send", "campaign": message.pk}],
    )
    now = timezone.now()
    contacts = list(Recipient.objects.filter(campaign=letter).values_list("contact_id", flat=True)[:3])
    for contact_id, state in zip(contacts, ["converted", "done", "active"], strict=True):
        JourneyEntry.objects.create(
            journey=journey, contact_id=contact_id, state=state, entered_at=now, due_at=now
        )
        Recipient.objects.create(
            campaign=message,
            contact_id=contact_id,
            address=f"{contact_id}@example.org",
            state="sent",
            sent_at=now,
        )
    return journey


def test_the_board_shows_campaigns_journeys_and_recommendations(client, organizer, sent):
    _journey(organizer, sent)
    login_staff(client, staff(organizer, Role.READ_ONLY))
    url = reverse("staff:analytics_marketing", args=[organizer.slug])
    page = client.get(url)
    assert page.status_code == 200
    answer = client.get(url + "?export=campaigns&format=csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:5] == ["Campagne", "Envoyée le", "Envoyés", "Ouvertures", "Clics"]
    [row] = rows[1:]
    held = Recipient.objects.filter(campaign=sent, state=Recipient.State.HOLDOUT).count()
    assert row[0] == "Lettre de décembre" and row[2] == str(20 - held) and row[4] == "1"
    assert row[5] == "1" and row[6] == "50.00"  # one order after the click
    assert float(row[7]) == round(100 / (20 - held), 1) and row[8] == "0.0"  # no holdout buyer
    answer = client.get(url + "?export=journeys&format=csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[1] == ["Après un premier concert", "3", "1", "1", "33.3", "3", "0"]
    html = page.content.decode()
    assert "Aucune suggestion personnelle montrée sur cette période." in html
    assert 'aria-labelledby="summary-campaigns"' in html


def test_a_campaign_sent_before_the_period_and_anothers_campaigns_are_not_shown(
    client, organizer, other_organizer, sent
):
    login_staff(client, staff(organizer, Role.ADMINISTRATOR))
    url = reverse("staff:analytics_marketing", args=[organizer.slug])
    html = client.get(url + "?du=2020-01-01&au=2020-03-01").content.decode()
    assert "Aucune campagne envoyée sur cette période." in html
    login_staff(client, staff(other_organizer, Role.ADMINISTRATOR))
    assert client.get(url).status_code == 404
    html = client.get(reverse("staff:analytics_marketing", args=[other_organizer.slug])).content.decode()
    assert "Lettre de décembre" not in html


def test_a_network_sees_its_own_campaigns_only(client, network, organizer, sent):
    NetworkMembership.objects.get_or_create(network=network, organizer=organizer)
    own = campaign(
        network=network, name="Lettre du réseau", state=Campaign.State.SENT, send_at=timezone.now()
    )
    coordinator = UserFactory()
    NetworkStaff.objects.create(network=network, user=coordinator, role=NetworkRole.COORDINATOR)
    login_staff(client, coordinator)
    page = client.get(reverse("staff:network_analytics_marketing", args=[network.slug]))
    assert page.status_code == 200
    html = page.content.decode()
    assert own.name in html and "Lettre de décembre" not in html  # a member's letter is its own

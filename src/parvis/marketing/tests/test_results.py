"""A campaign's links go through the click counter, which keeps the person only with their consent to the
measure of their clicks and leads only where the campaign's links lead; sales are counted after a click
and compared with a holdout group that received nothing (issue 22)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from parvis.crm.models import Consent, Interaction, Purpose
from parvis.crm.services import consent_record
from parvis.marketing import audience, delivery, results
from parvis.marketing.models import Campaign, Click, Open, Recipient
from parvis.testing import PerformanceFactory
from parvis.ticketing.models import Order
from parvis.ticketing.tests.factories import buy, tariff

from .factories import campaign, person

pytestmark = pytest.mark.django_db


def _send(letter) -> dict[str, str]:
    audience.freeze(letter)
    Campaign.objects.filter(pk=letter.pk).update(state=Campaign.State.SENDING, send_at=timezone.now())
    letter.refresh_from_db()
    mail.outbox.clear()
    delivery.part_send(letter, 0)
    return {m.to[0]: m.alternatives[0][0] for m in mail.outbox}


def _links(page: str) -> list[str]:
    """The page's counted links, each once, in order (an event card links its title and its button)."""
    return list(dict.fromkeys(re.findall(r'href="https?://[^/"]+(/m/[^"]+/[le]/\d+/)"', page)))


def test_clicks_are_counted_named_only_with_consent_and_lead_only_where_the_campaign_leads(organizer, client):
    concert = PerformanceFactory(event__organizer=organizer, event__title="Nuit du jazz")
    ana = person(organizer, "ana@example.org", first="Ana")
    consent_record(
        contact=ana, purpose=Purpose.EMAIL_TRACKING, given=True, source=Consent.Source.SELF_SERVICE
    )
    person(organizer, "bob@example.org", first="Bob")
    letter = campaign(
        organizer,
        blocks=[
            {
                "type": "text",
                "fr": '<p>Lire <a href="https://club.example/journal?a=1&amp;b=2">le journal</a></p>',
            },
            {"type": "events", "ids": [concert.event_id]},
            {"type": "button", "label_fr": "Agenda", "url": "https://club.example/agenda"},
        ],
    )
    pages = _send(letter)
    ana_links, bob_links = _links(pages["ana@example.org"]), _links(pages["bob@example.org"])
    assert len(ana_links) == 3 and "club.example" not in "".join(ana_links)  # every link is counted

    answer = client.get(ana_links[0])
    assert answer.status_code == 302 and answer["Location"] == "https://club.example/journal?a=1&b=2"
    answer = client.get(ana_links[1])
    assert answer["Location"].endswith(concert.event.get_absolute_url())
    assert client.get(bob_links[2])["Location"] == "https://club.example/agenda"

    clicks = Click.objects.filter(campaign=letter)
    assert clicks.count() == 3
    assert clicks.exclude(recipient=None).count() == 2  # Ana's, named; Bob's is only counted
    assert {c.recipient.contact_id for c in clicks.exclude(recipient=None)} == {ana.pk}
    assert Interaction.objects.filter(contact=ana, kind=Interaction.Kind.EMAIL_CLICKED).count() == 2
    assert not Interaction.objects.filter(kind=Interaction.Kind.EMAIL_CLICKED).exclude(contact=ana).exists()

    # Only the campaign's own links: another event, another index, a forged token lead nowhere.
    other = PerformanceFactory(event__title="Ailleurs")
    token_path = ana_links[0].rsplit("/l/", 1)[0]
    assert client.get(f"{token_path}/e/{other.event_id}/").status_code == 404
    assert client.get(f"{token_path}/l/9/").status_code == 404
    assert client.get(token_path.replace("/m/", "/m/9") + "/l/0/").status_code == 404


def test_sales_after_a_click_and_against_the_holdout_group(organizer, client):
    show = tariff(PerformanceFactory(event__organizer=organizer), price="25.00")
    people = []
    for n in range(40):
        contact = person(organizer, f"p{n:02d}@example.org", first=f"P{n}")
        consent_record(
            contact=contact, purpose=Purpose.EMAIL_TRACKING, given=True, source=Consent.Source.SELF_SERVICE
        )
        people.append(contact)
    letter = campaign(
        organizer,
        holdout_percent=25,
        blocks=[{"type": "button", "label_fr": "Réserver", "url": "https://club.example/r"}],
    )
    pages = _send(letter)
    held = Recipient.objects.filter(campaign=letter, state=Recipient.State.HOLDOUT)
    assert 3 <= held.count() <= 17  # about a quarter, drawn by a hash
    assert len(pages) == 40 - held.count()  # the holdout group received nothing
    assert not set(pages) & set(held.values_list("address", flat=True))

    first_receiver = (
        Recipient.objects.filter(campaign=letter, state=Recipient.State.SENT).order_by("pk").first()
    )
    client.get(_links(pages[first_receiver.address])[0])
    buyer_of_holdout = held.order_by("pk").first()
    for contact_id in (first_receiver.contact_id, buyer_of_holdout.contact_id):
        order = buy(show, 2)
        Order.objects.filter(pk=order.pk).update(contact_id=contact_id)

    figures = results.results(letter)
    assert figures["clicks"] == 1 and figures["clickers"] == 1
    assert figures["after_clicks"]["orders"] == 1 and figures["after_clicks"]["tickets"] == 2
    assert figures["after_clicks"]["revenue"] == Decimal("50.00")
    assert figures["received"].buyers == 1 and figures["received"].people == 40 - held.count()
    assert figures["holdout"].buyers == 1 and figures["holdout"].people == held.count()


def test_opens_are_an_aggregate_with_machines_apart(organizer, client):
    person(organizer, "ana@example.org", first="Ana")
    letter = campaign(organizer)
    page = _send(letter)["ana@example.org"]
    pixel = re.search(r'<img src="https?://[^/"]+(/m/[^"]+/o\.gif)"', page).group(1)
    Recipient.objects.filter(campaign=letter).update(sent_at=timezone.now() - datetime.timedelta(hours=1))
    answer = client.get(pixel, HTTP_USER_AGENT="Mozilla/5.0 (Macintosh)", REMOTE_ADDR="192.0.2.10")
    assert answer.status_code == 200 and answer["Content-Type"] == "image/gif"
    client.get(pixel, HTTP_USER_AGENT="Mozilla/5.0", REMOTE_ADDR="17.58.0.1")  # Apple's proxy
    client.get(pixel, HTTP_USER_AGENT="Barracuda Sentinel (EE) scanner", REMOTE_ADDR="192.0.2.99")
    assert client.get("/m/1.forged/o.gif").status_code == 200  # a forged token: the image, nothing counted
    figures = results.results(letter)
    assert (figures["opens"], figures["machine_opens"]) == (1, 2)
    assert not Open.objects.exclude(recipient=None).exists()  # Ana did not consent to the measure

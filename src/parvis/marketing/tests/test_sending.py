"""A campaign sent through a real SMTP server (aiosmtpd): each consenting person once, in their language,
personalised, DKIM-signed (verified by dkimpy), with both unsubscribe headers inside the signature; the
one-click POST withdraws the consent in the ledger; a 4xx is tried again later, a 5xx suppresses the
address (issue 22)."""

import datetime
import email.policy
import re

import dkim
import pytest
from django.test import override_settings
from django.utils import timezone

from parvis.core.models import MailBounce
from parvis.core.tests.smtp import Sink
from parvis.crm.models import Consent, Interaction, Purpose
from parvis.crm.selectors import consent_state
from parvis.marketing import delivery, services
from parvis.marketing.models import Campaign, Recipient, Suppression
from parvis.testing import UserFactory, staff

from .factories import campaign, person

pytestmark = pytest.mark.django_db


def _dns_for(domain):
    def lookup(name, timeout=5):
        assert name.decode() == f"{domain.dns_name}."
        return domain.dns_value.encode()

    return lookup


def _parsed(message):
    return email.message_from_bytes(message.as_bytes(), policy=email.policy.default)


def _send(client_campaign, sink, capture):
    with override_settings(**sink.email_settings()), capture(execute=True):
        services.campaign_schedule(campaign=client_campaign, actor=None)


def test_each_consenting_person_gets_one_message_in_their_language_signed_and_unsubscribable(
    organizer, client, django_capture_on_commit_callbacks
):
    ana = person(organizer, "ana@example.org", first="Ana", last="Lima")
    bob = person(organizer, "bob@example.org", first="Bob", language="en")
    person(organizer, "nameless@example.org")
    person(organizer, "never@example.org", given=None)  # never asked
    person(organizer, "withdrew@example.org", given=False)
    person(organizer, "other-purpose@example.org", purpose=Purpose.PARTNER_OFFERS)
    person(organizer, "gone@example.org")
    Suppression.objects.create(address="gone@example.org", reason="complaint", at=timezone.now())
    domain = services.domain_add(campaign_owner={"organizer": organizer}, domain="club.example", actor=None)
    letter = campaign(organizer)

    with Sink() as sink:
        _send(letter, sink, django_capture_on_commit_callbacks)
        received = {m["To"]: m for m in sink.messages}

    assert sorted(received) == ["ana@example.org", "bob@example.org", "nameless@example.org"]
    letter.refresh_from_db()
    assert letter.state == Campaign.State.SENT
    assert Recipient.objects.filter(campaign=letter, state=Recipient.State.SENT).count() == 3

    for message in received.values():
        raw = message.as_bytes().replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n")
        assert dkim.verify(raw, dnsfunc=_dns_for(domain)), message["To"]
        signed = message["DKIM-Signature"].replace("\r\n", "").replace("\t", "").replace(" ", "")
        assert "list-unsubscribe:list-unsubscribe-post" in signed
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in message.get_payload()] == ["text/plain", "text/html"]

    ana_message = _parsed(received["ana@example.org"])
    assert str(ana_message["Subject"]) == "Décembre au club, Ana"
    assert "Bonjour Ana," in ana_message.get_body(("html",)).get_content()
    assert "Bonjour Ana," in ana_message.get_body(("plain",)).get_content()
    assert "Voir l'agenda" in ana_message.get_body(("plain",)).get_content()
    bob_message = _parsed(received["bob@example.org"])
    assert str(bob_message["Subject"]) == "December at the club, Bob"
    assert "Hello Bob," in bob_message.get_body(("html",)).get_content()
    nameless = _parsed(received["nameless@example.org"])
    assert str(nameless["Subject"]) == "Décembre au club, chers amis"
    assert "Bonjour cher public," in nameless.get_body(("html",)).get_content()

    assert Interaction.objects.filter(contact=ana, kind=Interaction.Kind.EMAIL_SENT).count() == 1
    assert Interaction.objects.filter(contact=bob, kind=Interaction.Kind.EMAIL_SENT).count() == 1

    # The mail provider's one-click request (RFC 8058): the consent is withdrawn at once, with its proof.
    header = str(ana_message["List-Unsubscribe"]).strip()
    assert header.startswith("<mailto:unsubscribe+")
    path = re.search(r"<https?://[^/]+(/m/[^>]+)>", header).group(1)
    answer = client.post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 200
    state = consent_state(ana, Purpose.ORGANIZER_NEWSLETTER)
    assert state.given is False
    assert state.source == Consent.Source.UNSUBSCRIBE
    assert state.proof["campaign"] == letter.pk and state.proof["one_click"] is True
    assert consent_state(bob, Purpose.ORGANIZER_NEWSLETTER).given is True


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelined", "one-by-one"])
def test_a_refusal_for_now_is_tried_again_later_and_a_refusal_for_good_suppresses_the_address(
    organizer, django_capture_on_commit_callbacks, pipelining
):
    person(organizer, "later@example.org", first="Léa")
    person(organizer, "nobody@example.org")
    person(organizer, "fine@example.org")
    letter = campaign(organizer)
    refusals = {
        "later@example.org": "451 4.7.1 Greylisted, try again",
        "nobody@example.org": "550 5.1.1 No such user",
    }
    state = {"greylist": True}

    def answer(address, _n):
        if address == "later@example.org" and not state["greylist"]:
            return None
        return refusals.get(address)

    with Sink(answer=answer, pipelining=pipelining) as sink:
        _send(letter, sink, django_capture_on_commit_callbacks)
        assert sorted(m["To"] for m in sink.messages) == ["fine@example.org"]
        later = Recipient.objects.get(campaign=letter, address="later@example.org")
        assert later.state == Recipient.State.QUEUED and later.tries == 1
        assert later.next_try_at > timezone.now()
        assert Recipient.objects.get(address="nobody@example.org").state == Recipient.State.BOUNCED
        assert Suppression.objects.get(address="nobody@example.org").reason == Suppression.Reason.HARD_BOUNCE
        assert MailBounce.objects.filter(address="nobody@example.org", code=550).exists()
        letter.refresh_from_db()
        assert letter.state == Campaign.State.SENDING  # one person still waits

        # A late worker catches up: the row is due, the greylisting over.
        Recipient.objects.filter(pk=later.pk).update(
            next_try_at=timezone.now() - datetime.timedelta(seconds=1)
        )
        state["greylist"] = False
        with override_settings(**sink.email_settings()):
            assert delivery.part_send(letter, later.part) is None
        assert sorted(m["To"] for m in sink.messages) == ["fine@example.org", "later@example.org"]
    letter.refresh_from_db()
    assert letter.state == Campaign.State.SENT

    # The next campaign leaves the bounced address out before sending.
    letter2 = campaign(organizer, name="Janvier")
    with Sink() as sink:
        _send(letter2, sink, django_capture_on_commit_callbacks)
        assert sorted(m["To"] for m in sink.messages) == ["fine@example.org", "later@example.org"]


def test_a_test_send_goes_to_staff_addresses_only(organizer, django_capture_on_commit_callbacks):
    marketer = staff(organizer, "marketing", email="marketing@club.example")
    letter = campaign(organizer)
    outsider = UserFactory(email="outsider@example.org")
    with pytest.raises(services.PermissionDenied):
        services.campaign_test(
            campaign=letter, actor=marketer, addresses=[outsider.email], contact=None, language="fr"
        )
    with Sink() as sink:
        with override_settings(**sink.email_settings()), django_capture_on_commit_callbacks(execute=True):
            services.campaign_test(
                campaign=letter,
                actor=marketer,
                addresses=["marketing@club.example"],
                contact=None,
                language="en",
            )
        assert sink.subjects() == ["[Test] December at the club, dear friends"]
    assert not Recipient.objects.filter(campaign=letter).exists()


def test_a_networks_campaign_reaches_each_consenting_address_once_signed_for_the_network(
    network, organizer, other_organizer, django_capture_on_commit_callbacks
):
    for club in (organizer, other_organizer):
        person(club, "ana@example.org", first="Ana", purpose=Purpose.NETWORK_NEWSLETTER)
    person(other_organizer, "bob@example.org", first="Bob", purpose=Purpose.NETWORK_NEWSLETTER)
    person(organizer, "club-only@example.org", purpose=Purpose.ORGANIZER_NEWSLETTER)
    domain = services.domain_add(campaign_owner={"network": network}, domain="reseau.example", actor=None)
    letter = campaign(network=network, from_email="lettre@reseau.example", from_name=network.name)
    with Sink() as sink:
        _send(letter, sink, django_capture_on_commit_callbacks)
        received = {m["To"]: m for m in sink.messages}
    assert sorted(received) == ["ana@example.org", "bob@example.org"]
    for message in received.values():
        raw = message.as_bytes().replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n")
        assert dkim.verify(raw, dnsfunc=_dns_for(domain))
        assert "Jazz" in str(message["From"])
    letter.refresh_from_db()
    assert letter.state == Campaign.State.SENT

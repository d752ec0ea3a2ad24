"""Who a campaign reaches: its segments (include, exclude) intersected with a consent given for its
purpose, minus suppressed addresses, once per address, once per household if asked; a network reaches
only those who consented to the network; a contact without the consent never receives a marketing message,
whatever happened before (property test) (issue 22)."""

import datetime

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from parvis.crm.models import Consent, Contact, Household, Purpose, Segment
from parvis.crm.privacy import contact_erase
from parvis.crm.selectors import consent_state
from parvis.crm.services import consent_record
from parvis.marketing import audience, delivery, services
from parvis.marketing.models import Campaign, Recipient, Suppression
from parvis.testing import OrganizerFactory

from .factories import campaign, person

pytestmark = pytest.mark.django_db


def _addresses(letter) -> list[str]:
    return sorted(p.address for p in audience.people(letter))


def test_segments_included_and_excluded_meet_the_consent(organizer):
    ana, bob, cleo = (person(organizer, f"{n}@example.org") for n in ("ana", "bob", "cleo"))
    dan = person(organizer, "dan@example.org", given=False)
    fans = Segment.objects.create(organizer=organizer, name="Fans", kind=Segment.Kind.STATIC)
    fans.members.set([ana, bob, dan])
    staff_list = Segment.objects.create(organizer=organizer, name="Équipe", kind=Segment.Kind.STATIC)
    staff_list.members.set([bob])
    letter = campaign(organizer)
    assert _addresses(letter) == ["ana@example.org", "bob@example.org", "cleo@example.org"]
    letter.include_segments.set([fans])
    assert _addresses(letter) == ["ana@example.org", "bob@example.org"]  # dan: no consent
    letter.exclude_segments.set([staff_list])
    assert _addresses(letter) == ["ana@example.org"]
    assert audience.preview(letter)[0] == 1
    assert cleo.pk not in {p.contact_id for p in audience.people(letter)}


def test_one_message_per_address_and_per_household_if_asked(organizer):
    home = Household.objects.create(organizer=organizer, name="Lima")
    ana = person(organizer, "ana@example.org")
    Contact.objects.filter(pk=ana.pk).update(household=home, last_seen_at=timezone.now())
    twin = person(organizer, "ANA@example.org")  # the same address, typed otherwise, on another profile
    leo = person(organizer, "leo@example.org")
    Contact.objects.filter(pk=leo.pk).update(household=home)
    letter = campaign(organizer)
    people = list(audience.people(letter))
    assert sorted(p.address for p in people) == ["ana@example.org", "leo@example.org"]
    assert twin.pk not in {p.contact_id for p in people}  # the one seen most recently wins
    letter.one_per_household = True
    assert _addresses(letter) == ["ana@example.org"]

    assert audience.freeze(letter) == 1
    assert audience.freeze(letter) == 1  # run again: nobody twice
    assert Recipient.objects.filter(campaign=letter).count() == 1


def test_a_network_reaches_only_those_who_consented_to_the_network(network, organizer, other_organizer):
    outside = OrganizerFactory()
    person(organizer, "ana@example.org", purpose=Purpose.NETWORK_NEWSLETTER)
    person(other_organizer, "ana@example.org", purpose=Purpose.NETWORK_NEWSLETTER)
    person(other_organizer, "bob@example.org", purpose=Purpose.ORGANIZER_NEWSLETTER)  # the club's only
    person(outside, "cleo@example.org", purpose=Purpose.NETWORK_NEWSLETTER)  # not a member
    letter = campaign(network=network)
    assert _addresses(letter) == ["ana@example.org"]

    # Unsubscribing from the network's campaign withdraws at every profile of the address in the network.
    assert audience.freeze(letter) == 1
    recipient = Recipient.objects.get(campaign=letter)
    assert services.unsubscribe(recipient=recipient, proof={"ip": "127.0.0.1"}, one_click=False)
    for contact in Contact.objects.filter(email="ana@example.org"):
        assert consent_state(contact, Purpose.NETWORK_NEWSLETTER).given is False
    assert _addresses(campaign(network=network, name="Suivante")) == []
    assert not services.unsubscribe(recipient=recipient, proof={}, one_click=True)  # already done


def test_an_erased_contact_between_freezing_and_sending_is_skipped(organizer):
    ana = person(organizer, "ana@example.org")
    person(organizer, "bob@example.org")
    letter = campaign(organizer)
    audience.freeze(letter)
    Campaign.objects.filter(pk=letter.pk).update(state=Campaign.State.SENDING)
    contact_erase(contact=ana)
    mail.outbox.clear()
    assert delivery.part_send(letter, 0) is None
    assert [m.to for m in mail.outbox] == [["bob@example.org"]]
    assert Recipient.objects.get(contact=ana).state == Recipient.State.SKIPPED


# Each person's story with the organizer's newsletter, in any order: consent given or withdrawn (the
# latest row is the state), an address suppressed, a profile erased.
STORIES = st.lists(
    st.lists(st.sampled_from(["give", "withdraw", "other_purpose", "suppress", "erase"]), max_size=4),
    min_size=1,
    max_size=8,
)


@settings(max_examples=40, deadline=None)
@given(stories=STORIES)
def test_no_one_without_a_given_consent_receives_a_campaign_and_everyone_with_one_does(stories):
    with transaction.atomic():
        club = OrganizerFactory(slug="prop-club")
        base = timezone.now() - datetime.timedelta(days=30)
        for n, story in enumerate(stories):
            contact = Contact.objects.create(organizer=club, email=f"p{n}@example.org", first_name=f"P{n}")
            for step, what in enumerate(story):
                at = base + datetime.timedelta(hours=step)
                if what in ("give", "withdraw", "other_purpose") and contact.is_active:
                    purpose = (
                        Purpose.PARTNER_OFFERS if what == "other_purpose" else Purpose.ORGANIZER_NEWSLETTER
                    )
                    consent_record(
                        contact=contact,
                        purpose=purpose,
                        given=what != "withdraw",
                        source=Consent.Source.IMPORT,
                        at=at,
                    )
                elif what == "suppress":
                    Suppression.objects.get_or_create(
                        address=contact.email, defaults={"reason": "manual", "at": at}
                    )
                elif what == "erase" and contact.is_active:
                    contact_erase(contact=contact)
                    contact.refresh_from_db()
        letter = campaign(club)
        audience.freeze(letter)
        Campaign.objects.filter(pk=letter.pk).update(state=Campaign.State.SENDING)
        mail.outbox.clear()
        delivery.part_send(letter, 0)
        received = sorted(address for m in mail.outbox for address in m.to)
        may = sorted(
            c.email
            for c in Contact.objects.filter(organizer=club)
            if c.is_active
            and (state := consent_state(c, Purpose.ORGANIZER_NEWSLETTER)) is not None
            and state.given
            and not Suppression.objects.filter(address=c.email).exists()
        )
        assert received == may
        transaction.set_rollback(True)


def test_an_erasure_forgets_the_address_each_campaign_went_to(organizer):
    ana = person(organizer, "ana@example.org")
    bob = person(organizer, "bob@example.org")
    letter = campaign(organizer)
    audience.freeze(letter)
    contact_erase(contact=ana)
    contact_erase(contact=bob)  # two rows of one campaign anonymised: each its own address
    addresses = set(Recipient.objects.filter(campaign=letter).values_list("address", flat=True))
    assert len(addresses) == 2 and all(a.endswith("@anonyme.invalid") for a in addresses)

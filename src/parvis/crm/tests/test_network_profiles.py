"""One person across a network's organizers, only where they consented (issue 33): links made and broken
with each consent, erasure, merge, proof of address and membership; the read interface never returns a
contact that may not be linked; the network's tables hold no readable address."""

import hashlib

import pytest
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from parvis.crm import network_audience as audience
from parvis.crm import network_profiles
from parvis.crm.dedupe import contacts_merge
from parvis.crm.models import (
    AddressAlias,
    Consent,
    Contact,
    Identifier,
    NetworkLink,
    NetworkProfile,
    Purpose,
)
from parvis.crm.privacy import contact_erase
from parvis.crm.services import consent_record, contact_resolve
from parvis.network.models import Network, NetworkMembership
from parvis.testing import OrganizerFactory

pytestmark = pytest.mark.django_db
SHARING = Purpose.NETWORK_SHARING


def _network(n: int = 3, slug: str = "jazz"):
    network = Network.objects.create(slug=slug, name=slug)
    clubs = [OrganizerFactory() for _ in range(n)]
    for club in clubs:
        NetworkMembership.objects.create(network=network, organizer=club)
    return network, clubs


def _share(contact, given: bool = True):
    return consent_record(contact=contact, purpose=SHARING, given=given, source=Consent.Source.CHECKOUT)


def _person(clubs, email: str, *, consent_at=()):
    contacts = [
        contact_resolve(organizer_id=club.pk, email=email, first_name="Ana", last_name="Lima")
        for club in clubs
    ]
    for i in consent_at:
        _share(contacts[i])
    return contacts


def test_consenting_contacts_link_once_the_address_is_proven_and_a_withdrawal_unlinks_at_once():
    network, clubs = _network()
    contacts = _person(clubs, "ana@example.org", consent_at=(0, 1))
    assert not NetworkLink.objects.exists()  # a typed address links nobody
    assert network_profiles.address_proven("ana@example.org") == 3
    (profile,) = audience.linked_profiles(network)
    assert set(audience.contacts_of(profile)) == {contacts[0], contacts[1]}  # not the club without consent
    assert audience.organizers_of(profile) == sorted([clubs[0].pk, clubs[1].pk])
    assert audience.profile_for_email(network, "ana@example.org") == profile
    with transaction.atomic():
        _share(contacts[1], given=False)
        assert list(audience.contacts_of(profile)) == [contacts[0]]  # in the same transaction
    assert NetworkLink.objects.get().contact == contacts[0]
    _share(contacts[0], given=False)
    assert not NetworkLink.objects.exists() and not NetworkProfile.objects.exists()  # its digest went too
    assert audience.profile_for_email(network, "ana@example.org") is None


def test_erasure_merge_and_membership_take_the_contact_out():
    network, clubs = _network()
    ana = _person(clubs, "ana@example.org", consent_at=(0, 1, 2))
    network_profiles.address_proven("ana@example.org")
    assert NetworkLink.objects.count() == 3
    contact_erase(contact=ana[2])
    assert set(NetworkLink.objects.values_list("contact", flat=True)) == {ana[0].pk, ana[1].pk}
    # A second contact of the same person at club 0 (another address) merged into the first.
    other = contact_resolve(organizer_id=clubs[0].pk, email="a.lima@example.org")
    _share(other)
    network_profiles.address_proven("a.lima@example.org")
    assert NetworkProfile.objects.count() == 2  # another address: another profile (never by name)
    contacts_merge(survivor=ana[0], merged=other)
    assert not NetworkLink.objects.filter(contact=other).exists()
    assert NetworkLink.objects.filter(contact=ana[0]).count() == 1
    NetworkMembership.objects.get(network=network, organizer=clubs[1]).delete()
    assert list(NetworkLink.objects.values_list("contact", flat=True)) == [ana[0].pk]
    NetworkMembership.objects.create(network=network, organizer=clubs[1])  # back: its consenting contacts too
    assert set(NetworkLink.objects.values_list("contact", flat=True)) == {ana[0].pk, ana[1].pk}


def test_the_network_tables_hold_no_readable_address_and_each_network_its_own_hash():
    network, clubs = _network(2)
    other_network = Network.objects.create(slug="other", name="Other")
    NetworkMembership.objects.create(network=other_network, organizer=clubs[0])
    _person(clubs, "ana@example.org", consent_at=(0, 1))
    network_profiles.address_proven("ana@example.org")
    digests = set(NetworkProfile.objects.values_list("digest", flat=True))
    assert len(digests) == 2  # one per network, different
    assert hashlib.sha256(b"ana@example.org").hexdigest() not in digests  # keyed, not a bare hash
    assert all("@" not in d and "ana" not in d for d in digests)


def test_link_all_rebuilds_what_the_syncs_made(django_assert_max_num_queries):
    network, clubs = _network()
    for n in range(12):
        email = f"p{n}@example.org"
        _person(clubs, email, consent_at=[i for i in range(3) if (n + i) % 2 == 0])
        if n % 4 != 3:
            network_profiles.address_proven(email)
    made = _state(network)
    with django_assert_max_num_queries(12):  # set-based: not a query per contact
        linked = network_profiles.link_all(network)
    assert linked == sum(len(v) for v in made) and _state(network) == made


def _state(network) -> set[frozenset]:
    """The grouping of contacts into profiles (profile ids change with a rebuild)."""
    groups: dict[int, set] = {}
    for profile_id, contact_id in NetworkLink.objects.filter(network=network).values_list(
        "profile", "contact"
    ):
        groups.setdefault(profile_id, set()).add(contact_id)
    return {frozenset(g) for g in groups.values()}


def test_circulation_suppresses_small_counts():
    network, clubs = _network()
    for n in range(12):
        _person(clubs, f"ab{n}@example.org", consent_at=(0, 1))
        network_profiles.address_proven(f"ab{n}@example.org")
    for n in range(3):
        _person(clubs, f"ac{n}@example.org", consent_at=(0, 2))
        network_profiles.address_proven(f"ac{n}@example.org")
    cells = audience.circulation(network)
    a, b, c = sorted(club.pk for club in clubs)
    assert cells[(a, b)] == 12 and cells[(a, a)] == 15
    assert cells[(a, c)] is None and cells[(c, c)] is None  # 3 people: not shown


# What the person does, in any order: consent or withdraw at a club, prove the address, erase at a club,
# book there with a pass, confirm another person's address as theirs or take it back (the third number is
# then that other person).
OPS = st.lists(
    st.tuples(
        st.sampled_from(["give", "withdraw", "prove", "erase", "pass", "alias", "unalias"]),
        st.integers(0, 2),
        st.integers(0, 2),
    ),
    max_size=14,
)


def _alias(main: int, other: int, state: str) -> None:
    if main == other:
        return
    address = f"p{other}@example.org"
    if state == "confirmed" and AddressAlias.objects.filter(address=address, state=state).exists():
        return  # one account per address
    AddressAlias.objects.update_or_create(
        main=f"p{main}@example.org", address=address, defaults={"state": state}
    )
    network_profiles.holders_sync(address)


@settings(max_examples=60, deadline=None)
@given(ops=OPS)
def test_no_read_returns_a_contact_that_may_not_be_linked_whatever_happened(ops):
    with transaction.atomic():
        network, clubs = _network(slug="prop")
        people = [_person(clubs, f"p{n}@example.org") for n in range(3)]
        for op, person, club in ops:
            contact = Contact.objects.get(pk=people[person][club].pk)
            if op == "give" and contact.is_active:
                _share(contact)
            elif op == "withdraw" and contact.is_active:
                _share(contact, given=False)
            elif op == "prove":
                network_profiles.address_proven(f"p{person}@example.org")
            elif op == "erase":
                contact_erase(contact=contact)
            elif op == "pass" and contact.is_active:
                network_profiles.pass_identity(contact, f"PASS{person}")
            elif op in ("alias", "unalias"):
                _alias(person, club, "confirmed" if op == "alias" else "refused")
        allowed = {c.pk for c in Contact.objects.all() if network_profiles.link_key(c)}
        returned = {c.pk for p in NetworkProfile.objects.all() for c in audience.contacts_of(p)}
        linked = set(NetworkLink.objects.values_list("contact", flat=True))
        assert returned <= allowed  # never a contact that may not be linked
        assert linked == allowed  # and every one that may (withdrawal and erasure took effect at once)
        made = _state(network)
        network_profiles.link_all(network)
        assert _state(network) == made
        transaction.set_rollback(True)


def test_a_customer_signing_in_proves_the_address(client):
    from parvis.accounts import customers

    network, clubs = _network(2)
    _person(clubs, "ana@example.org", consent_at=(0, 1))
    token = customers.sign_in_link("ana@example.org").rsplit("/", 2)[-2]
    assert customers.customer_for_token(token) is not None
    assert Identifier.objects.filter(value="ana@example.org", verified_at__isnull=False).count() == 2
    (profile,) = audience.linked_profiles(network)
    assert len(audience.organizers_of(profile)) == 2

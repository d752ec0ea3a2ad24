"""A nominative pass links its holder's contacts at each club it visits, where the holder consented to
share with the network, without any proven address (issue 33); a proven address takes over."""

import pytest

from parvis.crm import network_audience as audience
from parvis.crm import network_profiles
from parvis.crm.models import Consent, Identifier, NetworkLink, Purpose
from parvis.crm.services import consent_record
from parvis.passes.services import pass_book

from .factories import bought_pass, club, concert, pass_product

pytestmark = pytest.mark.django_db


def _share(contact, given=True):
    consent_record(
        contact=contact, purpose=Purpose.NETWORK_SHARING, given=given, source=Consent.Source.CHECKOUT
    )


def test_the_pass_links_the_clubs_it_visited_where_the_holder_consented(network, organizer):
    clubs = [club(network, slug) for slug in ("alpha", "beta", "gamma")]
    holding = bought_pass(pass_product(organizer, network), email="ana@example.org")
    entries = [pass_book(holding=holding, performance_id=concert(c).pk) for c in clubs]
    contacts = [e.ticket.order.contact for e in entries]
    assert {c.organizer for c in contacts} == set(clubs)
    codes = Identifier.objects.filter(kind=Identifier.Kind.PASS).values_list("contact", "value")
    assert sorted(codes) == sorted((c.pk, holding.code) for c in contacts)
    assert not NetworkLink.objects.exists()  # nobody consented yet: nothing links, pass or not
    for contact in contacts[:2]:
        _share(contact)
    (profile,) = audience.linked_profiles(network)
    assert set(audience.contacts_of(profile)) == set(contacts[:2])  # not the third club: no consent
    assert audience.profile_for_email(network, "ana@example.org") is None  # the address is not proven
    _share(contacts[2])
    assert set(audience.contacts_of(profile)) == set(contacts)
    assert network_profiles.link_all(network) == 3  # the rebuild agrees
    (rebuilt,) = audience.linked_profiles(network)
    assert set(audience.contacts_of(rebuilt)) == set(contacts)
    # The holder proves the address (signs in): the same three contacts now link by it, in one profile.
    network_profiles.address_proven("ana@example.org")
    by_address = audience.profile_for_email(network, "ana@example.org")
    assert by_address is not None and set(audience.contacts_of(by_address)) == set(contacts)
    assert list(audience.linked_profiles(network)) == [by_address]
    _share(contacts[1], given=False)  # a withdrawal still unlinks at once
    assert set(audience.contacts_of(by_address)) == {contacts[0], contacts[2]}


def test_two_passes_are_two_people_until_an_address_is_proven(network, organizer):
    clubs = [club(network, slug) for slug in ("alpha", "beta")]
    product = pass_product(organizer, network)
    ana, bea = bought_pass(product, email="ana@example.org"), bought_pass(product, email="bea@example.org")
    for holding, where in ((ana, clubs[0]), (bea, clubs[1])):
        _share(pass_book(holding=holding, performance_id=concert(where).pk).ticket.order.contact)
    assert audience.linked_profiles(network).count() == 2
    assert all(len(audience.organizers_of(p)) == 1 for p in audience.linked_profiles(network))

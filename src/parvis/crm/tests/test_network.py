"""What crosses to the network: only people who consented to share their profile with it."""

import pytest

from parvis.crm import network_audience as audience
from parvis.crm import network_profiles, services
from parvis.network.models import NetworkRole, NetworkStaff, Role
from parvis.testing import NetworkFactory, OrganizerFactory, join, login_staff, staff
from parvis.ticketing import services as sales
from parvis.ticketing.models import Cart
from parvis.ticketing.tests.factories import buyer, on_sale_performance, tariff

pytestmark = pytest.mark.django_db


def _coordinator(network):
    user = staff(OrganizerFactory(), Role.READ_ONLY)
    NetworkStaff.objects.create(network=network, user=user, role=NetworkRole.COORDINATOR)
    return user


def _people(organizers, prefix: str, n: int, *, proven: bool = True, given: bool = True):
    for i in range(n):
        email = f"{prefix}{i}@example.org"
        for organizer in organizers:
            contact = services.contact_resolve(
                organizer_id=organizer.pk, email=email, first_name="Lou", last_name=f"{prefix}{i}"
            )
            services.consent_record(
                contact=contact, purpose="network_sharing", given=given, source="checkout"
            )
        if proven:
            network_profiles.address_proven(email)


def test_the_network_sees_figures_about_people_who_agreed_never_a_contact(client, network):
    club, theatre, cellar, outsider = (
        OrganizerFactory(name=n) for n in ("Club", "Théâtre", "Cave", "Ailleurs")
    )
    join(network, club, theatre, cellar)
    _people([club, theatre], "both", 12)  # 12 people linked at the club and the theatre
    _people([club, cellar], "few", 3)  # 3 at the club and the cellar: too few to show
    _people([club, theatre], "typed", 5, proven=False)  # addresses never proven: not linked
    _people([club, theatre], "no", 5, given=False)  # no consent
    _people([outsider], "else", 12)  # not in the network

    login_staff(client, _coordinator(network))
    page = client.get(f"/staff/r/{network.slug}/publics/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "@example.org" not in html and "both0" not in html  # never a contact
    assert "15 personnes reliées dans le réseau" in html
    assert "<td>Club</td><td>Théâtre</td><td>12</td>" in html
    assert "<td>Club</td><td>15</td>" in html and "<td>Théâtre</td><td>12</td>" in html
    assert "<td>Cave</td><td>moins de 10</td>" in html and "Ailleurs" not in html
    assert "paire de lieux compte moins de 10 personnes" in html
    # Nobody booked with a pass: that group is too small to show; the others are 15, each at two venues.
    assert "<td>15</td><td>2,0</td><td>15</td>" in html
    assert "moins de 10 personnes : non montré" in html


def test_the_pass_effect_compares_holders_with_the_others_above_the_threshold(network):
    clubs = [OrganizerFactory() for _ in range(3)]
    join(network, *clubs)
    _people(clubs, "pass", 10)  # at three venues, each with a pass
    for contact in services.Contact.objects.filter(email__startswith="pass"):
        network_profiles.pass_identity(contact, f"P{contact.email[4:].split('@')[0]}")
    _people(clubs[:1], "one", 9)
    _people(clubs[:2], "two", 3)
    effect = audience.pass_effect(network)
    assert effect["pass"] == {"people": 10, "venues": 3.0, "several": 10}
    assert effect["no_pass"] == {"people": 12, "venues": 1.2, "several": 3}
    assert audience.pass_effect(network, min_count=11)["pass"] is None  # a group under the threshold
    for contact in services.Contact.objects.filter(email="pass0@example.org"):
        services.consent_record(contact=contact, purpose="network_sharing", given=False, source="staff")
    assert audience.pass_effect(network)["pass"] is None  # 9 left: withdrawn at once, not shown


@pytest.mark.parametrize("role", list(Role))
def test_organizer_staff_do_not_see_the_network_audience(client, network, role):
    club = OrganizerFactory()
    join(network, club)
    login_staff(client, staff(club, role))
    assert client.get(f"/staff/r/{network.slug}/publics/").status_code == 404


def test_checkout_offers_network_sharing_and_records_it(network):
    performance = on_sale_performance()
    join(network, performance.organizer)
    cart = Cart.objects.create()
    sales.cart_add(cart=cart, tariff_id=tariff(performance).pk, quantity=1)
    consents = [{"purpose": "network_sharing", "given": True, "version": "2026-11", "text": "J'accepte…"}]
    order = sales.checkout_place_orders(cart=cart, buyer=buyer(), provider_code="demo", consents=consents)[0]
    assert order.contact.consents.get().purpose == "network_sharing"


def test_the_terms_of_a_network_member_name_the_joint_controllers(client, network):
    member = OrganizerFactory(slug="membre")
    OrganizerFactory(slug="seul")  # in no network
    join(network, member)
    html = client.get("/o/membre/conditions-de-vente/").content.decode()
    assert "responsables conjoints de ce traitement" in html and network.name in html
    assert "responsables conjoints" not in client.get("/o/seul/conditions-de-vente/").content.decode()
    english = client.get("/o/membre/conditions-de-vente/", headers={"accept-language": "en"}).content.decode()
    assert "joint controllers" in english


def test_a_coordinator_of_another_network_does_not_see_this_one(client, network):
    other = NetworkFactory()
    login_staff(client, _coordinator(other))
    assert client.get(f"/staff/r/{network.slug}/publics/").status_code == 404
    assert client.get(f"/staff/r/{other.slug}/publics/").status_code == 200

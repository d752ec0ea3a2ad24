"""What crosses to the network: only people who consented to share their profile with it."""

import pytest

from parvis.crm import services
from parvis.network.models import NetworkRole, NetworkStaff, Role
from parvis.testing import OrganizerFactory, join, login_staff, staff
from parvis.ticketing import services as sales
from parvis.ticketing.models import Cart
from parvis.ticketing.tests.factories import buyer, on_sale_performance, tariff

pytestmark = pytest.mark.django_db


def _coordinator(network):
    user = staff(OrganizerFactory(), Role.READ_ONLY)
    NetworkStaff.objects.create(network=network, user=user, role=NetworkRole.COORDINATOR)
    return user


def test_the_network_sees_only_people_who_agreed_to_share(client, network):
    club, theatre, outsider = OrganizerFactory(), OrganizerFactory(), OrganizerFactory()
    join(network, club, theatre)
    shared = services.contact_resolve(
        organizer_id=club.pk, email="shared@example.org", first_name="Lou", last_name="A"
    )
    services.consent_record(contact=shared, purpose="network_sharing", given=True, source="checkout")
    private = services.contact_resolve(organizer_id=theatre.pk, email="private@example.org", first_name="Max")
    services.consent_record(contact=private, purpose="organizer_newsletter", given=True, source="checkout")
    withdrawn = services.contact_resolve(organizer_id=theatre.pk, email="gone@example.org")
    services.consent_record(contact=withdrawn, purpose="network_sharing", given=True, source="checkout")
    services.consent_record(contact=withdrawn, purpose="network_sharing", given=False, source="self_service")
    elsewhere = services.contact_resolve(organizer_id=outsider.pk, email="else@example.org")
    services.consent_record(contact=elsewhere, purpose="network_sharing", given=True, source="checkout")

    login_staff(client, _coordinator(network))
    page = client.get(f"/staff/r/{network.slug}/publics/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "shared@example.org" in html
    for absent in ("private@example.org", "gone@example.org", "else@example.org"):
        assert absent not in html


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

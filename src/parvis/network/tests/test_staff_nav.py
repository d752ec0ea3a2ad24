"""Every staff page has the staff's menu (what the role may open, the current section marked), not the
public cart."""

import re

import pytest
from django.urls import reverse

from parvis.network.models import NetworkRole, NetworkStaff, OrganizerStaff, Role
from parvis.testing import OrganizerFactory, UserFactory, login_staff, staff

pytestmark = pytest.mark.django_db


def _menu(html: str) -> str:
    match = re.search(r'<nav class="staff-nav".*?</nav>', html, re.S)
    assert match, "no staff menu"
    return match.group(0)


def test_the_menu_follows_the_role_and_marks_the_current_section(client, organizer):
    login_staff(client, staff(organizer, Role.BOX_OFFICE))
    page = client.get(reverse("staff:order_list", args=[organizer.slug])).content.decode()
    menu = _menu(page)
    assert "Guichet" in menu and "Commandes" in menu and "Programmation" in menu
    assert "Réglages" not in menu and "Journal d" not in menu and "Équipe" not in menu
    assert re.search(r'aria-current="page">Commandes<', menu)
    assert 'href="/panier/"' not in page and "Se déconnecter" in page
    admin = staff(organizer, Role.ADMINISTRATOR)
    login_staff(client, admin)
    page = client.get(reverse("staff:organizer_settings", args=[organizer.slug])).content.decode()
    menu = _menu(page)
    assert "Réglages" in menu and "Journal d" in menu
    assert re.search(r'aria-current="page">Réglages<', menu)


def test_another_organizer_is_one_click_away_and_public_pages_keep_the_cart(client, organizer):
    user = UserFactory()
    other = OrganizerFactory(name="Le Caveau")
    OrganizerStaff.objects.create(organizer=organizer, user=user, role=Role.PROGRAMMING)
    OrganizerStaff.objects.create(organizer=other, user=user, role=Role.PROGRAMMING)
    login_staff(client, user)
    menu = _menu(client.get(reverse("staff:event_list", args=[organizer.slug])).content.decode())
    assert "Autre structure" in menu and reverse("staff:event_list", args=[other.slug]) in menu
    public = client.get(organizer.get_absolute_url()).content.decode()
    assert 'class="staff-nav"' not in public and 'href="/panier/"' in public


def test_a_network_page_has_the_network_menu(client, network):
    user = UserFactory()
    NetworkStaff.objects.create(network=network, user=user, role=NetworkRole.COORDINATOR)
    login_staff(client, user)
    menu = _menu(client.get(reverse("staff:network_settlements", args=[network.slug])).content.decode())
    assert re.search(r'aria-current="page">Reversements<', menu) and "Coordination" in menu

"""The staff page of memberships and subscriptions: who may see it, who may cancel a card, and whose."""

import pytest
from django.urls import reverse

from parvis.core.testing import login_staff, staff
from parvis.memberships.models import Membership
from parvis.memberships.tests.factories import level, member, program
from parvis.network.models import Role

pytestmark = pytest.mark.django_db


def test_sales_staff_find_a_member_and_only_those_who_may_change_sales_cancel(client, organizer):
    card = member(level(program(organizer)))
    url = reverse("staff:memberships", args=[organizer.slug])
    login_staff(client, staff(organizer, Role.READ_ONLY, username="lecture@example.org"))
    page = client.get(url, {"q": card.email})
    assert page.status_code == 200 and f"<h3>{card.code}" in page.content.decode()
    assert 'data-testid="members-count">1<' in page.content.decode()
    assert client.post(url, {"membership": card.pk, "action": "cancel"}).status_code == 403
    card.refresh_from_db()
    assert card.state == Membership.State.ACTIVE
    login_staff(client, staff(organizer, Role.BOX_OFFICE, username="guichet@example.org"))
    assert client.post(url, {"membership": card.pk, "action": "cancel"}).status_code == 302
    card.refresh_from_db()
    assert card.state == Membership.State.CANCELLED


def test_another_organizers_staff_see_nothing_and_cancel_nothing(client, organizer, other_organizer):
    card = member(level(program(organizer)))
    login_staff(client, staff(other_organizer, Role.ADMINISTRATOR, username="autre@example.org"))
    assert client.get(reverse("staff:memberships", args=[organizer.slug])).status_code == 404
    own_url = reverse("staff:memberships", args=[other_organizer.slug])
    assert f"<h3>{card.code}" not in client.get(own_url, {"q": card.code}).content.decode()
    assert client.post(own_url, {"membership": card.pk, "action": "cancel"}).status_code == 404
    card.refresh_from_db()
    assert card.state == Membership.State.ACTIVE

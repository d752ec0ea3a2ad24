"""The staff page of memberships and subscriptions: who may see it, who may cancel a card, and whose."""

import pytest
from django.urls import reverse

from parvis.memberships.models import Membership
from parvis.memberships.tests.factories import level, member, program
from parvis.network.models import Role
from parvis.testing import login_staff, staff

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


def test_administrators_create_a_programme_its_levels_and_a_subscription(client, organizer, other_organizer):
    from parvis.memberships.models import MembershipLevel, MembershipProgram, SubscriptionOffer
    from parvis.testing import EventFactory

    url = reverse("staff:memberships", args=[organizer.slug])
    login_staff(client, staff(organizer, Role.BOX_OFFICE, username="guichet@example.org"))
    denied = client.post(url, {"action": "program", "program-name": "Amis", "program-reminder_days": 30})
    assert denied.status_code == 403 and not MembershipProgram.objects.exists()
    login_staff(client, staff(organizer, Role.ADMINISTRATOR, username="admin@example.org"))
    page = client.get(url).content.decode()
    assert "Nouveau programme d'adhésion" in page
    created = client.post(
        url,
        {"action": "program", "program-name": "Amis", "program-reminder_days": 30, "program-on_sale": "on"},
    )
    assert created.status_code == 302
    prog = MembershipProgram.objects.get()
    assert prog.organizer == organizer
    expo = EventFactory(organizer=organizer, status="published")
    foreign = program(other_organizer, name="Autre")
    level_data = {
        "action": "level",
        "level-kind": "duo",
        "level-name": "Duo",
        "level-price": "60.00",
        "level-vat_rate": "0.00",
        "level-months": 12,
        "level-persons": 2,
        "level-priority_days": 7,
        "level-addon_discount_percent": "10",
        "level-free_events": [expo.pk],
        "level-on_sale": "on",
    }
    refused = client.post(url, {**level_data, "level-program": foreign.pk})  # another organizer's programme
    assert refused.status_code == 400 and not MembershipLevel.objects.exists()
    assert client.post(url, {**level_data, "level-program": prog.pk}).status_code == 302
    level_obj = MembershipLevel.objects.get()
    assert level_obj.persons == 2 and list(level_obj.free_events.all()) == [expo]
    offer = {
        "action": "offer",
        "offer-name": "Abonnement",
        "offer-season_starts": "2027-09-01T00:00",
        "offer-season_ends": "2027-06-30T00:00",
        "offer-min_shows": 4,
        "offer-exchanges": 1,
        "offer-on_sale": "on",
    }
    backwards = client.post(url, offer)
    assert backwards.status_code == 400 and not SubscriptionOffer.objects.exists()
    assert client.post(url, {**offer, "offer-season_ends": "2028-06-30T00:00"}).status_code == 302
    assert SubscriptionOffer.objects.get().organizer == organizer

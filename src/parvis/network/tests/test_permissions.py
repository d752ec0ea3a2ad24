"""Each role's access, and the wall between organizers: 404 without a role, 403 without the permission."""

import pytest
from django.urls import reverse

from parvis.core.models import AuditLogEntry
from parvis.network.models import OrganizerStaff, Role
from parvis.network.permissions import Perm, has_organizer_perm, organizers_with_perm, requires_two_factor
from parvis.programming.models import Event
from parvis.testing import EventFactory, UserFactory, login_staff, staff

pytestmark = pytest.mark.django_db

# What each role may do with the programming and the team.
EXPECTED = {
    Role.ADMINISTRATOR: {"view": True, "change": True, "team": True, "audit": True},
    Role.PROGRAMMING: {"view": True, "change": True, "team": False, "audit": False},
    Role.BOX_OFFICE: {"view": True, "change": False, "team": False, "audit": False},
    Role.DOOR: {"view": True, "change": False, "team": False, "audit": False},
    Role.MARKETING: {"view": True, "change": False, "team": False, "audit": False},
    Role.READ_ONLY: {"view": True, "change": False, "team": False, "audit": False},
    Role.INSPECTOR: {"view": False, "change": False, "team": False, "audit": False},
}


@pytest.mark.parametrize("role", list(Role))
def test_role_matrix_on_pages(client, organizer, role):
    user = staff(organizer, role)
    event = EventFactory(organizer=organizer, status="draft", title="Brouillon A")
    login_staff(client, user)
    expected = EXPECTED[role]

    response = client.get(reverse("staff:event_list", args=[organizer.slug]))
    assert response.status_code == (200 if expected["view"] else 403)

    response = client.post(
        reverse("staff:event_create", args=[organizer.slug]),
        {"title": "Nouveau", "genre": "jazz", "share_with_network": "on"},
    )
    assert response.status_code == (302 if expected["change"] else 403)
    assert Event.objects.filter(title="Nouveau").exists() is expected["change"]

    response = client.post(
        reverse("staff:event_edit", args=[organizer.slug, event.pk]), {"title": "Changé", "genre": "jazz"}
    )
    event.refresh_from_db()
    assert (event.title == "Changé") is expected["change"]

    assert client.get(reverse("staff:team", args=[organizer.slug])).status_code == (
        200 if expected["team"] else 403
    )
    assert client.get(reverse("staff:audit_log", args=[organizer.slug])).status_code == (
        200 if expected["audit"] else 403
    )


@pytest.mark.parametrize("role", list(Role))
def test_staff_of_another_organizer_get_404_and_change_nothing(client, organizer, other_organizer, role):
    outsider = staff(other_organizer, role)
    draft = EventFactory(organizer=organizer, status="draft", title="Secret A")
    login_staff(client, outsider)

    for url in [
        reverse("staff:event_list", args=[organizer.slug]),
        reverse("staff:event_detail", args=[organizer.slug, draft.pk]),
        reverse("staff:team", args=[organizer.slug]),
        reverse("staff:audit_log", args=[organizer.slug]),
    ]:
        assert client.get(url).status_code == 404, url
    # The draft is not visible publicly either.
    assert client.get(draft.get_absolute_url()).status_code == 404
    # Writes are refused and change nothing.
    assert (
        client.post(
            reverse("staff:event_edit", args=[organizer.slug, draft.pk]), {"title": "Piraté", "genre": "jazz"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("staff:event_status", args=[organizer.slug, draft.pk]), {"status": "published"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("staff:team", args=[organizer.slug]),
            {"email": "intrus@example.org", "role": "administrator"},
        ).status_code
        == 404
    )
    draft.refresh_from_db()
    assert (draft.title, draft.status) == ("Secret A", "draft")
    assert not OrganizerStaff.objects.filter(user__username="intrus@example.org").exists()
    assert not AuditLogEntry.objects.filter(organizer=organizer).exists()


def test_event_of_another_organizer_cannot_be_reached_through_own_slug(client, organizer, other_organizer):
    user = staff(organizer, Role.PROGRAMMING)
    foreign = EventFactory(organizer=other_organizer)
    login_staff(client, user)
    assert client.get(reverse("staff:event_detail", args=[organizer.slug, foreign.pk])).status_code == 404
    assert (
        client.post(
            reverse("staff:event_edit", args=[organizer.slug, foreign.pk]), {"title": "x", "genre": "jazz"}
        ).status_code
        == 404
    )


def test_anonymous_is_sent_tologin_staff(client, organizer):
    response = client.get(reverse("staff:event_list", args=[organizer.slug]))
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


def test_organizers_with_perm_is_scoped(organizer, other_organizer):
    user = staff(organizer, Role.READ_ONLY)
    assert list(organizers_with_perm(user, Perm.PROGRAMMING_VIEW)) == [organizer]
    assert list(organizers_with_perm(user, Perm.PROGRAMMING_CHANGE)) == []
    assert not has_organizer_perm(user, other_organizer, Perm.PROGRAMMING_VIEW)


def test_inactive_user_has_no_permission(organizer):
    user = staff(organizer, Role.ADMINISTRATOR)
    user.is_active = False
    user.save()
    assert not has_organizer_perm(user, organizer, Perm.PROGRAMMING_VIEW)


def test_only_administrators_require_two_factor(organizer):
    assert requires_two_factor(staff(organizer, Role.ADMINISTRATOR))
    assert not requires_two_factor(staff(organizer, Role.PROGRAMMING))
    assert requires_two_factor(UserFactory(is_superuser=True))


def test_coordinator_curates_only_own_network(client, network, organizer):
    from parvis.network.models import NetworkStaff
    from parvis.testing import NetworkFactory

    other_network = NetworkFactory()
    coordinator = UserFactory()
    NetworkStaff.objects.create(network=network, user=coordinator)
    event = EventFactory(organizer=organizer)
    login_staff(client, coordinator)
    assert client.get(reverse("staff:network_curation", args=[network.slug])).status_code == 200
    assert client.get(reverse("staff:network_curation", args=[other_network.slug])).status_code == 404
    response = client.post(reverse("staff:network_feature", args=[network.slug, event.pk]), {"featured": "1"})
    assert response.status_code == 302
    assert network.featured.filter(event=event).exists()
    page = client.get(reverse("staff:network_curation", args=[network.slug]))
    assert [e.action for e in page.context["audit_entries"]] == ["network.feature"]
    # A coordinator is not staff of the member organizers.
    assert client.get(reverse("staff:event_list", args=[organizer.slug])).status_code == 404
    # Programming staff are not coordinators.
    programmer = staff(organizer, Role.ADMINISTRATOR)
    login_staff(client, programmer)
    assert (
        client.post(
            reverse("staff:network_feature", args=[network.slug, event.pk]), {"featured": "0"}
        ).status_code
        == 404
    )
    assert network.featured.filter(event=event).exists()

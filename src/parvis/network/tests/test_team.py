import pytest
from django.core import mail
from django.urls import reverse

from parvis.core.models import AuditLogEntry
from parvis.network.models import OrganizerStaff, Role
from parvis.testing import login_staff, staff

pytestmark = pytest.mark.django_db


def _admin_client(client, organizer):
    admin = staff(organizer, Role.ADMINISTRATOR)
    login_staff(client, admin)
    return admin


def test_admin_grants_a_role_and_the_new_member_is_invited(
    client, organizer, django_capture_on_commit_callbacks
):
    _admin_client(client, organizer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("staff:team", args=[organizer.slug]), {"email": "Nouvelle@Example.org", "role": Role.DOOR}
        )
    assert response.status_code == 302
    membership = OrganizerStaff.objects.get(user__username="nouvelle@example.org")
    assert membership.role == Role.DOOR
    assert len(mail.outbox) == 1 and "/staff/password/" in mail.outbox[0].body
    entry = AuditLogEntry.objects.get(action="staff.grant")
    assert entry.organizer == organizer and entry.after == {"user": "nouvelle@example.org", "role": "door"}


def test_the_last_administrator_cannot_be_removed(client, organizer):
    admin = _admin_client(client, organizer)
    membership = OrganizerStaff.objects.get(user=admin)
    client.post(reverse("staff:team_revoke", args=[organizer.slug, membership.pk]))
    assert OrganizerStaff.objects.filter(pk=membership.pk).exists()


def test_bad_input_keeps_the_form_and_changes_nothing(client, organizer):
    _admin_client(client, organizer)
    response = client.post(
        reverse("staff:team", args=[organizer.slug]), {"email": "pas-un-email", "role": "king"}
    )
    assert response.status_code == 400
    assert OrganizerStaff.objects.count() == 1


def test_invitation_task_is_safe_to_run_twice(organizer):
    from parvis.network.tasks import send_staff_invitation
    from parvis.testing import UserFactory

    invited = UserFactory(username="invitee@example.org")
    invited.set_unusable_password()
    invited.save()
    send_staff_invitation.call(user_id=invited.pk, organizer_id=organizer.pk)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["invitee@example.org"]
    invited.set_password("now-set-by-the-person")
    invited.save()
    send_staff_invitation.call(user_id=invited.pk, organizer_id=organizer.pk)
    send_staff_invitation.call(user_id=999999, organizer_id=organizer.pk)
    assert len(mail.outbox) == 1

"""Writes to organizers' teams. Audited."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from parvis.core.audit import audit_record, audited_update, snapshot

from .models import Organizer, OrganizerStaff, Role
from .tasks import send_staff_invitation


def staff_role_grant(
    *,
    actor,
    organizer: Organizer,
    email: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    request=None,
) -> OrganizerStaff:
    if role not in Role.values:
        raise ValidationError(_("Rôle inconnu."))
    User = get_user_model()
    email = email.strip().lower()
    with transaction.atomic():
        user = User.objects.filter(username__iexact=email).first()
        created = user is None
        if created:
            user = User(username=email, email=email, first_name=first_name, last_name=last_name)
            user.set_unusable_password()
            user.save()
        membership, new_role = OrganizerStaff.objects.get_or_create(organizer=organizer, user=user, role=role)
        if not new_role:
            raise ValidationError(_("Cette personne a déjà ce rôle."))
        audit_record(
            actor=actor,
            action="staff.grant",
            instance=membership,
            after={"user": email, "role": role},
            organizer=organizer,
            request=request,
        )
        if created:
            transaction.on_commit(
                lambda: send_staff_invitation.enqueue(user_id=user.pk, organizer_id=organizer.pk)
            )
    return membership


def staff_role_revoke(*, actor, membership: OrganizerStaff, request=None) -> None:
    with transaction.atomic():
        if (
            membership.role == Role.ADMINISTRATOR
            and not OrganizerStaff.objects.filter(organizer=membership.organizer, role=Role.ADMINISTRATOR)
            .exclude(pk=membership.pk)
            .exists()
        ):
            raise ValidationError(_("Impossible de retirer le dernier administrateur."))
        audit_record(
            actor=actor,
            action="staff.revoke",
            instance=membership,
            before={"user": membership.user.username, "role": membership.role},
            organizer=membership.organizer,
            request=request,
        )
        membership.delete()


def organizer_update(*, actor, organizer: Organizer, data: dict, request=None) -> Organizer:
    return audited_update(
        actor=actor,
        instance=organizer,
        data=data,
        action="organizer.update",
        organizer=organizer,
        request=request,
    )


def venue_save(*, actor, venue, request=None):
    """Create or update a venue of an organizer (the form has set venue.organizer)."""
    from .models import Venue

    with transaction.atomic():
        before = snapshot(Venue.objects.get(pk=venue.pk)) if venue.pk else None
        venue.full_clean()
        venue.save()
        audit_record(
            actor=actor,
            action="venue.update" if before else "venue.create",
            instance=venue,
            before=before,
            after=snapshot(venue),
            organizer=venue.organizer,
            request=request,
        )
    return venue


def space_create(*, actor, venue, name: str, capacity: int | None, request=None):
    from .models import Space

    with transaction.atomic():
        if Space.objects.filter(venue=venue, name__iexact=name.strip()).exists():
            raise ValidationError(_("Une salle de ce nom existe déjà dans ce lieu."))
        space = Space.objects.create(venue=venue, name=name.strip(), capacity=capacity)
        audit_record(
            actor=actor,
            action="space.create",
            instance=space,
            after=snapshot(space),
            organizer=venue.organizer,
            request=request,
        )
    return space

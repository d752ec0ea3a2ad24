"""Writes to organizers' teams. Audited."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from parvis.core.audit import audit_record, audited_update, snapshot

from .models import Organizer, OrganizerStaff, Role, Space, TermsOfSale, Venue
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


def organizer_update(
    *, actor, organizer: Organizer, data: dict, terms: tuple[str, str] | None = None, request=None
) -> Organizer:
    """Change an organizer's settings and, with `terms` (French, English), publish its terms of sale as a
    new version if their text changed; in one transaction."""
    with transaction.atomic():
        audited_update(
            actor=actor,
            instance=organizer,
            data=data,
            action="organizer.update",
            organizer=organizer,
            request=request,
        )
        if terms is not None:
            terms_publish(actor=actor, organizer=organizer, text=terms[0], text_en=terms[1], request=request)
    return organizer


def terms_publish(*, actor, organizer: Organizer, text: str, text_en: str = "", request=None):
    """Publish a new version of the organizer's terms of sale, unless the text is that of the current one.
    An empty text goes back to Parvis's general terms (also a new version, so orders say which applied)."""
    text, text_en = text.strip(), text_en.strip()
    with transaction.atomic():
        # The organizer's row is locked: two administrators saving at once get two numbers, in turn.
        Organizer.objects.select_for_update().filter(pk=organizer.pk).first()
        current = organizer.terms_versions.first()
        if (current is None and not text) or (current and (current.text, current.text_en) == (text, text_en)):
            return current
        terms = TermsOfSale.objects.create(
            organizer=organizer,
            number=current.number + 1 if current else 1,
            text=text,
            text_en=text_en if text else "",
            published_by=actor,
        )
        audit_record(
            actor=actor,
            action="terms.publish",
            instance=terms,
            after={"version": terms.version, "characters": len(text), "english": bool(text_en)},
            organizer=organizer,
            request=request,
        )
    return terms


def venue_save(*, actor, venue, request=None):
    """Create or update a venue of an organizer (the form has set venue.organizer)."""

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

"""Writes of the audience relations: identity resolution, touchpoints, the consent ledger, notes."""

import datetime
from decimal import Decimal

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from parvis.core import changes as feed
from parvis.core.compiled import CompiledQuery, insert
from parvis.core.params import is_digits

from . import network_profiles
from .models import Consent, Contact, Identifier, Interaction, Purpose, name_key


def normalise_email(value: str) -> str:
    """Lower-cased, trimmed e-mail; "" if it is not a valid address."""
    value = (value or "").strip().lower()
    if not value:
        return ""
    try:
        validate_email(value)
    except ValidationError:
        return ""
    return value


def normalise_phone(value: str, region: str = "FR") -> str:
    """E.164 form (+33612345678); "" if it is not a valid number."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def departement_of(postal_code: str, country: str = "FR") -> str:
    """The French département of a postcode: 75011 → 75, 20090 → 2A, 20200 → 2B, 97400 → 974."""
    code = (postal_code or "").strip().replace(" ", "")
    if country != "FR" or len(code) != 5 or not is_digits(code, max_len=5):
        return ""
    if code.startswith("97") or code.startswith("98"):
        return code[:3]
    if code.startswith("20"):
        return "2A" if int(code) < 20200 else "2B"
    return code[:2]


def _active(contact: Contact) -> Contact:
    while contact.merged_into_id is not None:
        contact = contact.merged_into
    return contact


# The contact alone (no Identifier row, no merged contact joined): one light query at each sale.
_contact_by_identifier = CompiledQuery(
    Contact,
    lambda organizer_id, kind, value: Contact.objects.filter(
        identifiers__organizer_id=organizer_id, identifiers__kind=kind, identifiers__value=value
    ).order_by("pk")[:1],
)


def contact_lookup(organizer_id: int, kind: str, value: str) -> Contact | None:
    found = _contact_by_identifier(organizer_id, kind, value)
    return _active(found[0]) if found else None


def contact_resolve(
    *,
    organizer_id: int,
    email: str = "",
    phone: str = "",
    first_name: str = "",
    last_name: str = "",
    postal_code: str = "",
    language: str = "",
    source: str = "",
) -> Contact | None:
    """The one contact of this organizer that a touchpoint belongs to, created if new.

    Exact match on the normalised e-mail first, then on the phone. Blanks of a known contact are filled
    in; nothing it already has is overwritten. Two touchpoints arriving at once for a new address make
    one contact: the identifier's unique constraint lets one insert through and the other finds it.
    Without a usable e-mail or phone there is nobody to attach to: None.
    """
    email, phone = normalise_email(email), normalise_phone(phone)
    if not email and not phone:
        return None
    for _attempt in range(3):
        contact, found_by = None, None
        if email:
            contact, found_by = contact_lookup(organizer_id, Identifier.Kind.EMAIL, email), "email"
        if contact is None and phone:
            contact, found_by = contact_lookup(organizer_id, Identifier.Kind.PHONE, phone), "phone"
        if contact is not None:
            # The identifier it was found by points to someone already: only the other one is attached.
            _complete(contact, email, phone, first_name, last_name, postal_code, language, known=found_by)
            return contact
        try:
            with transaction.atomic():
                contact = Contact.objects.create(
                    organizer_id=organizer_id,
                    first_name=first_name.strip()[:100],
                    last_name=last_name.strip()[:100],
                    email=email,
                    phone=phone,
                    postal_code=postal_code.strip()[:10],
                    departement=departement_of(postal_code),
                    language=language or "fr",
                    source=source,
                )
                Identifier.objects.bulk_create(
                    [
                        Identifier(organizer_id=organizer_id, contact=contact, kind=kind, value=value)
                        for kind, value in ((Identifier.Kind.EMAIL, email), (Identifier.Kind.PHONE, phone))
                        if value
                    ]
                )
                feed.record(
                    "contact.updated", organizer_id=organizer_id, subject="contact", subject_id=contact.pk
                )
            return contact
        except IntegrityError:  # someone else created it meanwhile: find theirs
            continue
    raise RuntimeError("contact_resolve: identifiers kept changing")


def _complete(contact, email, phone, first_name, last_name, postal_code, language, known: str = "") -> None:
    """Fill in a known contact's blanks, and attach its identifiers (but `known`, which points to it)."""
    changes = {}
    if first_name and not contact.first_name:
        changes["first_name"] = first_name.strip()[:100]
    if last_name and not contact.last_name:
        changes["last_name"] = last_name.strip()[:100]
    if postal_code and not contact.postal_code:
        changes["postal_code"] = postal_code.strip()[:10]
        changes["departement"] = departement_of(postal_code)
    if email and not contact.email:
        changes["email"] = email
    if phone and not contact.phone:
        changes["phone"] = phone
    if changes:
        first = changes.get("first_name", contact.first_name)
        last = changes.get("last_name", contact.last_name)
        changes["name_key"] = name_key(first, last)
        Contact.objects.filter(pk=contact.pk).update(**changes, updated_at=timezone.now())
        feed.record(
            "contact.updated", organizer_id=contact.organizer_id, subject="contact", subject_id=contact.pk
        )
        for name, value in changes.items():
            setattr(contact, name, value)
    for kind, value in ((Identifier.Kind.EMAIL, email), (Identifier.Kind.PHONE, phone)):
        if value and kind != known:
            identifier_attach(contact, kind, value)


def identifier_attach(contact: Contact, kind: str, value: str) -> None:
    """Another e-mail or phone of this person, unless it already points to someone (a possible duplicate)."""
    try:
        with transaction.atomic():
            Identifier.objects.get_or_create(
                organizer_id=contact.organizer_id, kind=kind, value=value, defaults={"contact": contact}
            )
    except IntegrityError:
        pass


def interaction_record(
    *,
    contact: Contact | None = None,
    contact_id: int | None = None,
    organizer_id: int,
    kind: str,
    at: datetime.datetime | None = None,
    summary: str = "",
    amount: Decimal | None = None,
    ref: str = "",
    venue_id: int | None = None,
    performance_id: int | None = None,
    author=None,
    announced: bool = False,
) -> Interaction | None:
    """Add a touchpoint to a contact's timeline (one insert), and to the change feed the sync API follows
    (one more), unless the caller's own change already `announced` it: a sale's `order.paid` stands for
    its order's touchpoint, an entry's `ticket.checked_in` for its visit (one INSERT less on those paths).
    """
    contact_id = contact.pk if contact is not None else contact_id
    if contact_id is None:
        return None
    interaction = insert(
        Interaction(
            organizer_id=organizer_id,
            contact_id=contact_id,
            kind=kind,
            occurred_at=at or timezone.now(),
            summary=summary[:300],
            amount=amount,
            ref=ref[:60],
            venue_id=venue_id,
            performance_id=performance_id,
            author=author if getattr(author, "is_authenticated", False) else None,
        )
    )
    if not announced:
        feed.record(
            "interaction.added", organizer_id=organizer_id, subject="interaction", subject_id=interaction.pk
        )
    return interaction


def interactions_add(interactions: list[Interaction]) -> list[Interaction]:
    """Add many touchpoints at once (one INSERT, and one for the change feed the sync API follows)."""
    made = Interaction.objects.bulk_create(interactions)
    feed.record_many("interaction.added", subject="interaction", rows=[(i.organizer_id, i.pk) for i in made])
    return made


def interactions_delete(interactions) -> int:
    """Delete touchpoints (a queryset), telling the feed which ones went."""
    gone = list(interactions.values_list("organizer_id", "pk"))
    interactions.filter(pk__in=[pk for _o, pk in gone]).delete()
    feed.record_many("interaction.deleted", subject="interaction", rows=gone)
    return len(gone)


def consent_record(
    *,
    contact: Contact,
    purpose: str,
    given: bool,
    source: str,
    wording: str = "",
    version: str = "",
    proof: dict | None = None,
    actor=None,
    channel: str = "email",
    at: datetime.datetime | None = None,
) -> Consent:
    """Add a row to the consent ledger (never changed afterwards), and to the timeline."""
    if purpose not in Purpose.values:
        raise ValueError(f"unknown purpose {purpose!r}")
    at = at or timezone.now()
    with transaction.atomic():
        consent = Consent.objects.create(
            organizer_id=contact.organizer_id,
            contact=contact,
            purpose=purpose,
            channel=channel,
            given=given,
            at=at,
            source=source,
            wording=wording,
            version=version,
            proof=proof or {},
            actor=actor if getattr(actor, "is_authenticated", False) else None,
        )
        interaction_record(
            contact=contact,
            organizer_id=contact.organizer_id,
            kind=Interaction.Kind.CONSENT,
            at=at,
            summary=f"{'+' if given else '−'} {Purpose(purpose).label}",
            ref=f"consent:{consent.pk}",
            author=actor,
        )
        feed.record(
            "consent.changed", organizer_id=contact.organizer_id, subject="consent", subject_id=consent.pk
        )
        if purpose == Purpose.NETWORK_SHARING:  # linked or unlinked at once, in this transaction
            network_profiles.contact_sync(contact)
    return consent


def note_add(*, actor, contact: Contact, text: str) -> Interaction:
    return interaction_record(
        contact=contact,
        organizer_id=contact.organizer_id,
        kind=Interaction.Kind.NOTE,
        summary=text.strip(),
        author=actor,
    )

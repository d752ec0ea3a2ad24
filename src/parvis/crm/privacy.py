"""GDPR rights, self-served: signed links, data export, correction, consents, erasure; double opt-in.

A guest has no password: they prove they hold the e-mail address by opening a signed link sent to it.
Each organizer is a separate controller, so a link opens one organizer's data about the person; one more
link opens them all at once, to download or erase everything in one step.
"""

import csv
import datetime
import io
import json
import zipfile

from django.core import signing
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from parvis.core import changes, erasure
from parvis.core.audit import audit_record
from parvis.core.text import of_name

from . import extensions, importer, network_profiles, services
from .models import Consent, Contact, Identifier, Interaction, PrivacyRequest, Purpose
from .selectors import consent_state

LINK_SALT = "parvis.crm.self-service"
LINK_MAX_AGE = datetime.timedelta(days=7)
SIGNUP_SALT = "parvis.crm.signup"
SIGNUP_MAX_AGE = datetime.timedelta(days=3)
RESPONSE_TIME = datetime.timedelta(days=30)  # one month to answer a request (GDPR art. 12)


def self_service_token(contact: Contact) -> str:
    return signing.dumps({"c": contact.pk}, salt=LINK_SALT, compress=True)


def contact_for_token(token: str) -> Contact | None:
    """The contact a self-service link opens, if the link is genuine, recent and the contact still exists."""
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    contact = Contact.objects.select_related("organizer").filter(pk=data.get("c")).first()
    if contact is None or not contact.is_active:
        return None
    return contact


ALL_SALT = "parvis.crm.self-service-all"


def all_organizers_token(contacts) -> str:
    """One link for every organizer that knows the address: the profiles it opens, signed."""
    return signing.dumps({"cs": sorted(c.pk for c in contacts)}, salt=ALL_SALT, compress=True)


def contacts_for_all_token(token: str) -> list[Contact]:
    """The live profiles an all-organizers link opens (none if the link is forged or old)."""
    try:
        data = signing.loads(token, salt=ALL_SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature:
        return []
    ids = [i for i in data.get("cs", []) if isinstance(i, int)][:100]
    return list(
        Contact.objects.select_related("organizer")
        .filter(pk__in=ids, merged_into__isnull=True, anonymised_at__isnull=True)
        .order_by("organizer__name")
    )


def export_zip_all(contacts: list[Contact]) -> bytes:
    """Every organizer's archive in one file, a folder each."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for contact in contacts:
            with zipfile.ZipFile(io.BytesIO(export_zip(contact))) as one:
                for name in one.namelist():
                    archive.writestr(f"{contact.organizer.slug}/{name}", one.read(name))
    return buffer.getvalue()


def email_identifiers(email: str) -> list[int]:
    """The ids of this address's identifiers, one per organizer's live contact that holds it."""
    return list(
        Identifier.objects.filter(
            kind=Identifier.Kind.EMAIL,
            value=services.normalise_email(email) or "-",
            contact__merged_into__isnull=True,
            contact__anonymised_at__isnull=True,
        )
        .order_by("contact__organizer__name")
        .values_list("pk", flat=True)
    )


def _request(contact: Contact, kind: str, *, completed: bool = True, actor=None) -> PrivacyRequest:
    now = timezone.now()
    return PrivacyRequest.objects.create(
        organizer_id=contact.organizer_id,
        contact=contact,
        kind=kind,
        channel=PrivacyRequest.Channel.STAFF if actor else PrivacyRequest.Channel.SELF_SERVICE,
        received_at=now,
        due_at=now + RESPONSE_TIME,
        completed_at=now if completed else None,
        handled_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


# --- Access: everything the organizer holds about the person, as JSON and CSV in a zip ---------------------


def _held_elsewhere(contact: Contact) -> dict:
    sections: dict = {}
    for holder in extensions.personal_data:
        sections.update(holder.export(contact))
    return sections


def personal_data(contact: Contact) -> dict:
    """Everything the organizer holds about the person: the CRM's own, and each holder's (its orders…)."""
    return {
        "controller": {"name": contact.organizer.name, "id": contact.organizer.slug},
        "generated_at": timezone.now(),
        "contact": {
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "email": contact.email,
            "phone": contact.phone,
            "postal_code": contact.postal_code,
            "town": contact.town,
            "address": contact.address,
            "language": contact.language,
            "birth_year": contact.birth_year,
            "tags": list(contact.tags.values_list("name", flat=True)),
            "custom_fields": contact.custom_fields,
            "created_at": contact.created_at,
        },
        "identifiers": list(contact.identifiers.values("kind", "value", "created_at")),
        **{
            key: value for holder in extensions.personal_data for key, value in holder.export(contact).items()
        },
        "interactions": list(
            contact.interactions.order_by("occurred_at").values(
                "kind", "occurred_at", "summary", "amount", "ref"
            )
        ),
        "consents": list(
            contact.consents.order_by("at").values(
                "purpose", "channel", "given", "at", "source", "wording", "version"
            )
        ),
    }


def export_zip(contact: Contact, *, actor=None) -> bytes:
    data = personal_data(contact)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
        for name in ("orders", "tickets", "interactions", "consents", "identifiers"):
            rows = data[name]
            out = io.StringIO()
            if rows:
                writer = csv.DictWriter(out, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
            archive.writestr(f"{name}.csv", "\ufeff" + out.getvalue())  # BOM: Excel reads UTF-8
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(data["contact"]))
        writer.writeheader()
        writer.writerow(data["contact"])
        archive.writestr("contact.csv", "\ufeff" + out.getvalue())
    _request(contact, PrivacyRequest.Kind.ACCESS, actor=actor)
    return buffer.getvalue()


# --- Rectification and consents --------------------------------------------------------------------------


def contact_correct(*, contact: Contact, data: dict, actor=None) -> Contact:
    fields = ("first_name", "last_name", "postal_code", "town", "address", "language", "birth_year")
    changes = {name: data[name] for name in fields if name in data and data[name] != getattr(contact, name)}
    if "phone" in data:
        phone = services.normalise_phone(data["phone"])
        if phone != contact.phone:
            changes["phone"] = phone
    if not changes:
        return contact
    with transaction.atomic():
        before = {name: getattr(contact, name) for name in changes}
        for name, value in changes.items():
            setattr(contact, name, value)
        if "postal_code" in changes:
            contact.departement = services.departement_of(contact.postal_code)
        contact.save()
        if changes.get("phone"):
            services.identifier_attach(contact, Identifier.Kind.PHONE, changes["phone"])
        _request(contact, PrivacyRequest.Kind.RECTIFICATION, actor=actor)
        audit_record(
            actor=actor,
            action="crm.correct",
            instance=contact,
            organizer_id=contact.organizer_id,
            before=before,
            after=changes,
        )
    return contact


def purpose_wording() -> dict[str, str]:
    """What a self-service page shows for each purpose, in the language now: recorded with the choice."""
    return {purpose: str(label) for purpose, label in Purpose.choices}


def consent_proof(request) -> dict:
    """What a consent given on a page keeps as its proof: where, when, from which browser."""
    return {
        "ip": request.META.get("REMOTE_ADDR", ""),
        "user_agent": request.headers.get("User-Agent", "")[:300],
        "at": timezone.now().isoformat(),
        "url": request.path,
    }


def consents_set(
    *, contact: Contact, wanted: dict[str, bool], wording: dict[str, str], version: str, proof: dict
):
    """The person's own choices from the self-service page: only changes are written to the ledger."""

    for purpose, given in wanted.items():
        current = consent_state(contact, purpose)
        if (current.given if current else False) == given:
            continue
        services.consent_record(
            contact=contact,
            purpose=purpose,
            given=given,
            source=Consent.Source.SELF_SERVICE,
            wording=wording.get(purpose, ""),
            version=version,
            proof=proof,
        )
        if not given and purpose in (Purpose.ORGANIZER_NEWSLETTER, Purpose.RECOMMENDATIONS):
            _request(contact, PrivacyRequest.Kind.OBJECTION)


# --- Erasure ---------------------------------------------------------------------------------------------


def contact_erase(*, contact: Contact, actor=None, register: bool = True) -> None:
    """Anonymise the person everywhere this organizer holds them, keeping what the law requires.

    Orders, tickets, payments and the consent ledger stay (accounting, ticketing records and proof of
    consent), without name, e-mail, phone or address. Invoices are legal documents issued to the buyer
    and are kept unchanged (10-year retention). Staff notes are deleted: they are free text about the
    person. Statistics keep the département. Copies no app owns forget the person too: the audit entries
    about them keep what happened but not who, stored background work naming them is deleted, and so are
    the development outbox's messages to them and their rows in the contact files imported.
    """
    now = timezone.now()
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        if contact.anonymised_at:
            return
        emails = extensions.contact_emails(contact)
        phones = list(contact.identifiers.filter(kind=Identifier.Kind.PHONE).values_list("value", flat=True))
        about = [("crm.contact", [contact.pk])]
        for holder in extensions.personal_data:
            about += [(label, list(ids)) for label, ids in holder.about(contact)]
        erased: dict = {}
        for holder in extensions.personal_data:  # its orders and tickets, …
            erased.update(holder.erase(contact))
        services.interactions_delete(Interaction.objects.filter(contact=contact, kind=Interaction.Kind.NOTE))
        for consent in Consent.objects.filter(contact=contact).exclude(proof={}):
            consent.proof = {k: v for k, v in consent.proof.items() if k not in ("ip", "user_agent", "email")}
            consent.save(update_fields=["proof"])
        Identifier.objects.filter(contact=contact).delete()
        network_profiles.contact_unlink(contact)  # out of every network profile at once
        contact.tags.clear()
        Contact.objects.filter(pk=contact.pk).update(
            first_name="",
            last_name="",
            name_key="",
            email="",
            phone="",
            postal_code="",
            town="",
            address="",
            birth_year=None,
            custom_fields={},
            household=None,
            anonymised_at=now,
        )
        changes.record(
            "contact.erased", organizer_id=contact.organizer_id, subject="contact", subject_id=contact.pk
        )
        words = erasure.words_of(
            contact.first_name,
            contact.last_name,
            f"{contact.first_name} {contact.last_name}",
            contact.phone,
            contact.address,
            *phones,
            *emails,
        )
        erased["audit_entries"] = erasure.audit_pseudonymise(about, words)
        erased["stored_tasks"] = erasure.task_results_forget(words)
        erased["imported_files"] = importer.forget(
            organizer_id=contact.organizer_id, emails=emails, phones=phones
        )
        erasure.outbox_forget(emails)
        if register:  # a person's request (not the retention job)
            _request(contact, PrivacyRequest.Kind.ERASURE, actor=actor)
        contact.refresh_from_db()  # the entry names the contact as it is now: anonymous
        audit_record(
            actor=actor,
            action="crm.erase" if register else "crm.retention",
            instance=contact,
            organizer_id=contact.organizer_id,
            after=erased,
        )


# --- Double opt-in newsletter sign-up --------------------------------------------------------------------


def signup_token(contact: Contact, purpose: str, version: str) -> str:
    return signing.dumps({"c": contact.pk, "p": purpose, "v": version}, salt=SIGNUP_SALT, compress=True)


def signup_confirm(token: str, *, wording: str, proof: dict) -> Contact | None:
    """The person confirmed from the e-mail's link: the consent is given now, with its proof.

    `wording` is the text of the sign-up form, with "%(of_organizer)s" for "du Caveau" (core.text.of_name).
    """
    try:
        data = signing.loads(token, salt=SIGNUP_SALT, max_age=SIGNUP_MAX_AGE)
    except signing.BadSignature:
        return None
    contact = Contact.objects.filter(
        pk=data.get("c"), merged_into__isnull=True, anonymised_at__isnull=True
    ).first()
    if contact is None or data.get("p") not in Purpose.values:
        return None

    if contact.email:  # the link came to this mailbox
        network_profiles.address_proven(services.normalise_email(contact.email))
    current = consent_state(contact, data["p"])
    if current is None or not current.given:  # a second click changes nothing
        with transaction.atomic():
            services.consent_record(
                contact=contact,
                purpose=data["p"],
                given=True,
                source=Consent.Source.DOUBLE_OPT_IN,
                wording=wording % {"of_organizer": of_name(contact.organizer.name)},
                version=data.get("v", ""),
                proof=proof,
            )
            services.interaction_record(
                contact=contact,
                organizer_id=contact.organizer_id,
                kind=Interaction.Kind.SIGNUP,
                summary=data["p"],
            )
    return contact

"""Importing contacts from a CSV or XLSX file exported by another ticketing system.

Files come as they are: UTF-8 or Windows/Latin-1, with or without a BOM, separated by commas, semicolons
or tabs, with Excel dates. Every bad row is reported with its reason and nothing is lost silently; good
rows are deduplicated against existing contacts (the same identity resolution as every touchpoint), so
importing the same file twice changes nothing the second time.
"""

import csv
import datetime
import hashlib
import io
import json
from collections import defaultdict
from collections.abc import Iterator

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parvis.core import changes as feed
from parvis.core.params import is_digits
from parvis.core.text import fold

from . import services
from .models import (
    Consent,
    Contact,
    Identifier,
    ImportJob,
    ImportMapping,
    Interaction,
    Purpose,
    Tag,
    name_key,
)
from .selectors import consent_state

FIELDS = {
    "": _("— ne pas importer —"),
    "first_name": _("Prénom"),
    "last_name": _("Nom"),
    "email": _("E-mail"),
    "phone": _("Téléphone"),
    "postal_code": _("Code postal"),
    "town": _("Commune"),
    "address": _("Adresse"),
    "birth_year": _("Année ou date de naissance"),
    "language": _("Langue"),
    "tags": _("Étiquettes (séparées par des virgules)"),
    "newsletter": _("Accepte la lettre d'information (oui/non)"),
}
# Header names seen in exports of other systems, folded: the mapping is guessed from them.
SYNONYMS = {
    "first_name": {"prenom", "first name", "firstname", "given name"},
    "last_name": {"nom", "nom de famille", "last name", "lastname", "surname", "family name"},
    "email": {"email", "e-mail", "courriel", "mail", "adresse e-mail", "adresse email", "e mail"},
    "phone": {"telephone", "tel", "tel.", "mobile", "portable", "phone", "telephone mobile"},
    "postal_code": {"code postal", "cp", "zip", "postcode", "postal code", "code_postal"},
    "town": {"ville", "commune", "city", "town"},
    "address": {"adresse", "address", "adresse postale"},
    "birth_year": {"annee de naissance", "date de naissance", "naissance", "birth year", "birthdate", "ddn"},
    "language": {"langue", "language", "lang"},
    "tags": {"tags", "etiquettes", "categories", "categorie"},
    "newsletter": {"newsletter", "lettre d'information", "optin", "opt-in", "accepte newsletter"},
}
YES = {"oui", "o", "yes", "y", "1", "true", "vrai", "x"}
NO = {"non", "n", "no", "0", "false", "faux", ""}
LANGUAGES = {"fr": "fr", "francais": "fr", "french": "fr", "en": "en", "anglais": "en", "english": "en"}
REASONS = {
    "invalid_email": _("E-mail invalide"),
    "invalid_phone": _("Téléphone invalide"),
    "impossible_date": _("Date impossible"),
    "unknown_value": _("Valeur inconnue"),
    "no_identifier": _("Ni e-mail ni téléphone"),
    "duplicate_in_file": _("Déjà présent plus haut dans le fichier"),
    "empty_row": _("Ligne vide"),
}
MAX_ERRORS_KEPT = 50_000
PROGRESS_EVERY = 500
CHUNK = 1000


class UnreadableFile(Exception):
    pass


class _Semicolons(csv.excel):
    delimiter = ";"


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 (a superset of Latin-1), even after a stray BOM."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def read_table(raw: bytes, filename: str) -> tuple[list[str], Iterator[list]]:
    """Headers and rows of a CSV or XLSX file."""
    if filename.lower().endswith((".xlsx", ".xlsm")):
        import openpyxl

        try:
            book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        except Exception as exc:  # a corrupt or renamed file
            raise UnreadableFile(str(exc)) from exc
        rows = book.worksheets[0].iter_rows(values_only=True)
        headers = next(rows, None) or ()
        return [str(h or "").strip() for h in headers], (list(r) for r in rows)
    text = decode(raw)
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = _Semicolons if sample.count(";") > sample.count(",") else csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    headers = next(reader, None)
    if headers is None:
        raise UnreadableFile("empty file")
    return [h.strip() for h in headers], reader


def signature(headers: list[str]) -> str:
    return hashlib.sha256(json.dumps([fold(h) for h in headers]).encode()).hexdigest()


def guess_mapping(organizer, headers: list[str]) -> dict[str, str]:
    """The mapping used last time for these headers, else one guessed from their names."""
    remembered = ImportMapping.objects.filter(organizer=organizer, signature=signature(headers)).first()
    if remembered:
        return remembered.mapping
    mapping = {}
    for index, header in enumerate(headers):
        key = fold(header).replace("_", " ").strip()
        for field, names in SYNONYMS.items():
            if key in names and field not in mapping.values():
                mapping[str(index)] = field
                break
    return mapping


def job_create(*, organizer, actor, filename: str, raw: bytes) -> ImportJob:
    headers, rows = read_table(raw, filename)
    total = sum(1 for _ in rows)
    return ImportJob.objects.create(
        organizer=organizer,
        created_by=actor,
        filename=filename[:200],
        content=raw,
        headers=headers,
        mapping=guess_mapping(organizer, headers),
        total=total,
    )


def remember_mapping(job: ImportJob) -> None:
    ImportMapping.objects.update_or_create(
        organizer=job.organizer, signature=signature(job.headers), defaults={"mapping": job.mapping}
    )


# --- Validation -------------------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _birth_year(value) -> int | None:
    """A year (1987), a date (12/03/1987, 1987-03-12), an Excel date (a number or a datetime)."""
    this_year = timezone.localdate().year
    if isinstance(value, datetime.datetime | datetime.date):
        year = value.year
    else:
        text = _text(value)
        if not text:
            return None
        year = None
        if is_digits(text, max_len=4) and len(text) == 4:
            year = int(text)
        elif is_digits(text.replace(".", "", 1), max_len=12):  # an Excel serial day number
            serial = float(text)
            if not 1 <= serial < 80_000:
                raise ValueError
            year = (datetime.date(1899, 12, 30) + datetime.timedelta(days=int(serial))).year
        else:
            for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y"):
                try:
                    year = datetime.datetime.strptime(text, fmt).year  # noqa: DTZ007 (a date, no time zone)
                    break
                except ValueError:
                    continue
        if year is None:
            raise ValueError
    if not this_year - 120 <= year <= this_year:
        raise ValueError
    return year


def validate(row: list, mapping: dict[str, str]) -> tuple[dict, list[tuple[str, str, str]]]:
    """The row's clean values, and its errors as (column field, value, reason)."""
    values = {}
    for index, field in mapping.items():
        if field and int(index) < len(row):
            values[field] = row[int(index)]
    clean, errors = {}, []
    if not any(_text(v) for v in values.values()):
        return {}, [("", "", "empty_row")]
    for field in ("first_name", "last_name", "town", "address"):
        clean[field] = _text(values.get(field))[: 100 if field != "address" else 300]
    postal = _text(values.get("postal_code"))
    clean["postal_code"] = (
        postal.zfill(5) if is_digits(postal, max_len=4) and len(postal) == 4 else postal[:10]
    )
    email = _text(values.get("email"))
    clean["email"] = services.normalise_email(email)
    if email and not clean["email"]:
        errors.append(("email", email, "invalid_email"))
    phone = _text(values.get("phone"))
    clean["phone"] = services.normalise_phone(phone)
    if phone and not clean["phone"]:
        errors.append(("phone", phone, "invalid_phone"))
    try:
        clean["birth_year"] = _birth_year(values.get("birth_year"))
    except ValueError:
        errors.append(("birth_year", _text(values.get("birth_year")), "impossible_date"))
    language = fold(_text(values.get("language")))
    if language and language not in LANGUAGES:
        errors.append(("language", _text(values.get("language")), "unknown_value"))
    clean["language"] = LANGUAGES.get(language, "")
    newsletter = fold(_text(values.get("newsletter")))
    if "newsletter" in values and newsletter not in YES | NO:
        errors.append(("newsletter", _text(values.get("newsletter")), "unknown_value"))
    clean["newsletter"] = newsletter in YES
    clean["tags"] = [t.strip()[:60] for t in _text(values.get("tags")).split(",") if t.strip()]
    if not errors and not clean["email"] and not clean["phone"]:
        errors.append(("email", "", "no_identifier"))
    return clean, errors


def preview(job: ImportJob, limit: int = 10) -> list[dict]:
    _headers, rows = read_table(bytes(job.content), job.filename)
    result = []
    for number, row in enumerate(rows, start=2):
        clean, errors = validate(row, job.mapping)
        result.append({"row": number, "values": [_text(v) for v in row], "errors": errors, "clean": clean})
        if len(result) >= limit:
            break
    return result


# --- Running ----------------------------------------------------------------------------------------------


def run(job: ImportJob) -> ImportJob:
    """Import every good row, report every bad one. Safe to run again: known contacts are not duplicated."""
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.RUNNING, processed=0)
    _headers, rows = read_table(bytes(job.content), job.filename)
    seen: set[str] = set()
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    errors: list[dict] = []
    tags: dict[str, Tag] = {}
    pending: list[dict] = []
    processed = 0
    for number, row in enumerate(rows, start=2):  # row 1 holds the headers
        processed += 1
        clean, row_errors = validate(row, job.mapping)
        key = clean.get("email") or clean.get("phone")
        if not row_errors and key in seen:
            row_errors = [("email" if clean.get("email") else "phone", key, "duplicate_in_file")]
        if row_errors:
            for column, value, reason in row_errors:
                if len(errors) < MAX_ERRORS_KEPT:
                    errors.append({"row": number, "column": column, "value": value, "reason": reason})
        else:
            seen.add(key)
            pending.append(clean)
        if len(pending) >= CHUNK:
            _add(counts, _import_chunk(job, pending, tags))
            pending = []
        if processed % PROGRESS_EVERY == 0:
            ImportJob.objects.filter(pk=job.pk).update(processed=processed)
    _add(counts, _import_chunk(job, pending, tags))
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportJob.State.DONE,
        processed=processed,
        total=processed,
        created_count=counts["created"],
        updated_count=counts["updated"],
        unchanged_count=counts["unchanged"],
        errors=errors,
        finished_at=timezone.now(),
    )
    job.refresh_from_db()
    return job


def _add(counts: dict, more: dict) -> None:
    for key, value in more.items():
        counts[key] += value


def _tag(job: ImportJob, tags: dict, name: str) -> Tag:
    if name not in tags:
        tags[name] = Tag.objects.get_or_create(organizer_id=job.organizer_id, name=name)[0]
    return tags[name]


FILLED = ("first_name", "last_name", "email", "phone", "postal_code", "town", "address", "birth_year")


def _import_chunk(job: ImportJob, rows: list[dict], tags: dict) -> dict:
    """A chunk of good rows in a handful of queries: existing contacts completed, new ones created in bulk."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    if not rows:
        return counts
    organizer_id = job.organizer_id
    emails = {r["email"] for r in rows if r["email"]}
    phones = {r["phone"] for r in rows if r["phone"]}
    by_key = {
        (kind, value): merged_into or contact_id
        for kind, value, contact_id, merged_into in Identifier.objects.filter(organizer_id=organizer_id)
        .filter(Q(kind="email", value__in=emails) | Q(kind="phone", value__in=phones))
        .values_list("kind", "value", "contact_id", "contact__merged_into_id")
    }
    known = {c.pk: c for c in Contact.objects.filter(pk__in=set(by_key.values()))}
    tag_ids = defaultdict(set)
    for contact_id, tag_id in Contact.tags.through.objects.filter(contact_id__in=known).values_list(
        "contact_id", "tag_id"
    ):
        tag_ids[contact_id].add(tag_id)
    consented = set(
        Consent.objects.filter(contact_id__in=known, purpose=Purpose.ORGANIZER_NEWSLETTER).values_list(
            "contact_id", flat=True
        )
    )
    identifiers, tag_links, newsletter, fresh = [], [], [], []
    completed: dict[tuple[str, ...], list[Contact]] = defaultdict(list)  # blanks filled, by fields changed
    now = timezone.now()
    for clean in rows:
        contact_id = (clean["email"] and by_key.get(("email", clean["email"]))) or (
            clean["phone"] and by_key.get(("phone", clean["phone"]))
        )
        if not contact_id:
            fresh.append(clean)
            continue
        contact = known[contact_id]
        changes = {name: clean[name] for name in FILLED if clean[name] and not getattr(contact, name)}
        if "postal_code" in changes:
            changes["departement"] = services.departement_of(changes["postal_code"])
        if "first_name" in changes or "last_name" in changes:
            changes["name_key"] = name_key(
                changes.get("first_name", contact.first_name), changes.get("last_name", contact.last_name)
            )
        if changes:
            for name, value in changes.items():
                setattr(contact, name, value)
            contact.updated_at = now
            completed[tuple(sorted(changes))].append(contact)
        changed = bool(changes)
        for kind in ("email", "phone"):
            if clean[kind] and (kind, clean[kind]) not in by_key:
                identifiers.append(
                    Identifier(organizer_id=organizer_id, contact_id=contact_id, kind=kind, value=clean[kind])
                )
                by_key[(kind, clean[kind])] = contact_id
                changed = True
        for tag in {_tag(job, tags, name).pk for name in clean["tags"]} - tag_ids[contact_id]:
            tag_links.append(Contact.tags.through(contact_id=contact_id, tag_id=tag))
            tag_ids[contact_id].add(tag)
            changed = True
        if clean["newsletter"] and contact_id not in consented:  # never overrides a choice made here
            newsletter.append(contact_id)
            consented.add(contact_id)
            changed = True
        counts["updated" if changed else "unchanged"] += 1
    for fields, contacts in completed.items():  # one statement per kind of completion, not one per contact
        Contact.objects.bulk_update(contacts, [*fields, "updated_at"], batch_size=500)
    feed.record_many(  # the sync API and the webhooks hear of them, as of a contact completed by hand
        "contact.updated",
        subject="contact",
        rows=[(organizer_id, c.pk) for contacts in completed.values() for c in contacts],
    )
    _add(counts, _create(job, fresh, tags, identifiers, tag_links, newsletter))
    return counts


def _newsletter_consents(job, contact_ids: list[int], now) -> list:
    """The newsletter consents the file gives (written), and the timeline entries that say so (returned)."""
    consents = Consent.objects.bulk_create(
        [
            Consent(
                organizer_id=job.organizer_id,
                contact_id=contact_id,
                purpose=Purpose.ORGANIZER_NEWSLETTER,
                given=True,
                at=now,
                source=Consent.Source.IMPORT,
                wording=str(FIELDS["newsletter"]),
                proof={"import": job.pk, "file": job.filename},
                actor=job.created_by,
            )
            for contact_id in contact_ids
        ]
    )
    feed.record_many("consent.changed", subject="consent", rows=[(job.organizer_id, c.pk) for c in consents])
    return [
        Interaction(
            organizer_id=job.organizer_id,
            contact_id=consent.contact_id,
            kind=Interaction.Kind.CONSENT,
            occurred_at=now,
            summary=f"+ {Purpose.ORGANIZER_NEWSLETTER.label}",
            ref=f"consent:{consent.pk}",
        )
        for consent in consents
    ]


def _create(job, fresh, tags, identifiers, tag_links, newsletter) -> dict:
    organizer_id = job.organizer_id
    contacts = Contact.objects.bulk_create(
        [
            Contact(
                organizer_id=organizer_id,
                first_name=c["first_name"],
                last_name=c["last_name"],
                name_key=name_key(c["first_name"], c["last_name"]),
                email=c["email"],
                phone=c["phone"],
                postal_code=c["postal_code"],
                departement=services.departement_of(c["postal_code"]),
                town=c["town"],
                address=c["address"],
                birth_year=c["birth_year"],
                language=c["language"] or "fr",
                source="import",
            )
            for c in fresh
        ]
    )
    for contact, clean in zip(contacts, fresh, strict=True):
        for kind in ("email", "phone"):
            if clean[kind]:
                identifiers.append(
                    Identifier(organizer_id=organizer_id, contact_id=contact.pk, kind=kind, value=clean[kind])
                )
    Identifier.objects.bulk_create(identifiers, ignore_conflicts=True)
    # A touchpoint may have taken one of these addresses meanwhile: such a contact got no identifier.
    owned = set(
        Identifier.objects.filter(contact_id__in=[c.pk for c in contacts]).values_list(
            "contact_id", flat=True
        )
    )
    orphans = [(c, clean) for c, clean in zip(contacts, fresh, strict=True) if c.pk not in owned]
    if orphans:
        Contact.objects.filter(pk__in=[c.pk for c, _ in orphans]).delete()
    feed.record_many("contact.updated", subject="contact", rows=[(organizer_id, pk) for pk in sorted(owned)])
    now = timezone.now()
    interactions = []
    for contact, clean in zip(contacts, fresh, strict=True):
        if contact.pk not in owned:
            continue
        for name in clean["tags"]:
            tag_links.append(Contact.tags.through(contact_id=contact.pk, tag_id=_tag(job, tags, name).pk))
        if clean["newsletter"]:
            newsletter.append(contact.pk)
        interactions.append(
            Interaction(
                organizer_id=organizer_id,
                contact_id=contact.pk,
                kind=Interaction.Kind.IMPORT,
                occurred_at=now,
                summary=job.filename[:300],
            )
        )
    Contact.tags.through.objects.bulk_create(tag_links, ignore_conflicts=True)
    interactions += _newsletter_consents(job, newsletter, now)
    services.interactions_add(interactions)
    counts = {"created": len(contacts) - len(orphans), "updated": 0, "unchanged": 0}
    for _contact, clean in orphans:  # rare: through the one-by-one path, which finds the other contact
        counts[_import_row(job, clean, tags)] += 1
    return counts


def _import_row(job: ImportJob, clean: dict, tags: dict) -> str:
    existing = None
    for kind in ("email", "phone"):
        if clean[kind]:
            existing = services.contact_lookup(job.organizer_id, kind, clean[kind])
            if existing:
                break
    before = _state(existing) if existing else None
    contact = services.contact_resolve(
        organizer_id=job.organizer_id,
        email=clean["email"],
        phone=clean["phone"],
        first_name=clean["first_name"],
        last_name=clean["last_name"],
        postal_code=clean["postal_code"],
        language=clean["language"],
        source="import",
    )
    extra = {
        name: clean[name]
        for name in ("town", "address", "birth_year")
        if clean[name] and not getattr(contact, name)
    }
    if extra:
        Contact.objects.filter(pk=contact.pk).update(**extra)
    for name in clean["tags"]:
        if name not in tags:
            tags[name] = Tag.objects.get_or_create(organizer_id=job.organizer_id, name=name)[0]
        contact.tags.add(tags[name])
    if clean["newsletter"]:
        current = consent_state(contact, Purpose.ORGANIZER_NEWSLETTER)
        if current is None:  # an import never overrides a choice the person made here
            services.consent_record(
                contact=contact,
                purpose=Purpose.ORGANIZER_NEWSLETTER,
                given=True,
                source=Consent.Source.IMPORT,
                wording=str(FIELDS["newsletter"]),
                proof={"import": job.pk, "file": job.filename},
                actor=job.created_by,
            )
    if existing is None:
        services.interaction_record(
            contact=contact, organizer_id=job.organizer_id, kind=Interaction.Kind.IMPORT, summary=job.filename
        )
        return "created"
    contact.refresh_from_db()
    return "unchanged" if _state(contact) == before else "updated"


def _state(contact: Contact) -> tuple:
    return (
        contact.first_name,
        contact.last_name,
        contact.email,
        contact.phone,
        contact.postal_code,
        contact.town,
        contact.address,
        contact.birth_year,
        frozenset(contact.tags.values_list("pk", flat=True)),
        frozenset(contact.identifiers.values_list("value", flat=True)),
        contact.consents.count(),
    )


def error_report(job: ImportJob) -> str:
    """The bad rows as CSV (UTF-8 with BOM, semicolons: opens as is in Excel), with the original values."""
    _headers, rows = read_table(bytes(job.content), job.filename)
    by_row: dict[int, list[dict]] = {}
    for error in job.errors:
        by_row.setdefault(error["row"], []).append(error)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([str(_("Ligne")), str(_("Motif")), *job.headers])
    for number, row in enumerate(rows, start=2):
        if number in by_row:
            reasons = "; ".join(
                f"{str(REASONS.get(e['reason'], e['reason']))} ({e['column']}: {e['value']})"
                for e in by_row[number]
            )
            writer.writerow([number, reasons, *[_text(v) for v in row]])
    return "\ufeff" + out.getvalue()


# --- Erasure ----------------------------------------------------------------------------------------------


def _is_theirs(row, emails: set[str], phones: set[str]) -> bool:
    for cell in row:
        text = _text(cell)
        if not text:
            continue
        if services.normalise_email(text) in emails or services.normalise_phone(text) in phones:
            return True
    return False


def _table_bytes(headers: list[str], rows: list[list], filename: str) -> bytes:
    if filename.lower().endswith((".xlsx", ".xlsm")):
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(headers)
        for row in rows:
            sheet.append(row or [None])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode()


def forget(*, organizer_id: int, emails, phones) -> int:
    """A person is erased: the organizer's imported files keep their rows empty (the other rows keep their
    numbers, for the error report) and the reported bad values that were theirs go. How many files
    changed."""
    emails = {e for e in (services.normalise_email(e) for e in emails) if e}
    phones = {p for p in (services.normalise_phone(p) for p in phones) if p}
    if not emails and not phones:
        return 0
    changed = 0
    for job in ImportJob.objects.filter(organizer_id=organizer_id).exclude(content=b"").iterator():
        try:
            headers, rows = read_table(bytes(job.content), job.filename)
            rows = [list(r) for r in rows]
        except UnreadableFile:
            continue
        kept = [[] if _is_theirs(r, emails, phones) else r for r in rows]
        errors = [e for e in job.errors if not _is_theirs([e.get("value")], emails, phones)]
        if kept == rows and errors == job.errors:
            continue
        job.content = _table_bytes(headers, kept, job.filename)
        job.errors = errors
        job.save(update_fields=["content", "errors"])
        changed += 1
    return changed

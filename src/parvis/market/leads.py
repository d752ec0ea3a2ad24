"""Lead scanning: an exhibitor's staff scan a visitor's badge (online, or offline and synchronised later,
each scan idempotent by its nonce), rate it, tag it, note it. The visitor's contact details reach the
exhibitor only if the visitor agreed to it on accreditation (`share_with_exhibitors`)."""

import csv
import io

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from parvis.ticketing import signing

from .accreditation import MarketError, record
from .models import Exhibitor, Lead, Participant


def scan(
    *,
    exhibitor: Exhibitor,
    secret: str,
    nonce: str,
    scanned_by: Participant | None = None,
    scanned_at=None,
    rating: int | None = None,
    tags: str | None = None,
    note: str | None = None,
) -> Lead:
    """Record a scan (or a device's retry of it: same lead); rating, tags and note update it if given."""
    try:
        claims = signing.verify_badge(secret, signing.public_keys_of(exhibitor.market.organizer))
    except signing.InvalidSecret:
        raise MarketError(_("Ce code n'est pas un badge du marché.")) from None
    visitor = Participant.objects.filter(pk=claims.participant_id, market_id=exhibitor.market_id).first()
    if visitor is None or visitor.state != Participant.State.ACCREDITED:
        raise MarketError(_("Badge inconnu ou annulé."))
    if rating is not None and not 0 <= rating <= 5:
        raise MarketError(_("La note va de 0 à 5."))
    now = timezone.now()
    at = min(scanned_at or now, now)
    with transaction.atomic():
        try:
            with transaction.atomic():
                lead = Lead.objects.create(
                    exhibitor=exhibitor,
                    participant=visitor,
                    scanned_by=scanned_by,
                    nonce=nonce[:64],
                    scanned_at=at,
                    rating=rating or 0,
                    tags=(tags or "")[:200],
                    note=(note or "")[:2000],
                )
            record(
                visitor,
                _("Badge scanné par l'exposant %(name)s") % {"name": exhibitor.name},
                ref=f"lead:{lead.pk}",
                at=at,
            )
        except IntegrityError:  # scanned before (or a retry): the same lead, brought up to date
            lead = Lead.objects.select_for_update().get(exhibitor=exhibitor, participant=visitor)
            changed = {}
            if rating is not None:
                changed["rating"] = rating
            if tags is not None:
                changed["tags"] = tags[:200]
            if note is not None:
                changed["note"] = note[:2000]
            for name, value in changed.items():
                setattr(lead, name, value)
            if changed:
                lead.save(update_fields=[*changed, "updated_at"])
    return lead


def visible(lead: Lead) -> dict:
    """What the exhibitor sees of a lead: the visitor's details only with their consent."""
    visitor = lead.participant
    row = {
        "badge": visitor.code,
        "category": visitor.category.name,
        "rating": lead.rating,
        "tags": lead.tags,
        "note": lead.note,
        "scanned_at": lead.scanned_at,
        "shared": visitor.share_with_exhibitors,
    }
    if visitor.share_with_exhibitors:
        row.update(
            name=visitor.name,
            organisation=visitor.organisation_name,
            role=visitor.role,
            email=visitor.email,
            phone=visitor.phone,
        )
    return row


COLUMNS = [
    "badge",
    "name",
    "organisation",
    "role",
    "email",
    "phone",
    "category",
    "rating",
    "tags",
    "note",
    "scanned_at",
]


def _rows(exhibitor: Exhibitor):
    leads = exhibitor.leads.select_related("participant__category").order_by("scanned_at")
    for lead in leads:
        row = visible(lead)
        row["scanned_at"] = timezone.localtime(row["scanned_at"]).strftime("%Y-%m-%d %H:%M")
        yield [row.get(name, "") for name in COLUMNS]


def headers() -> list[str]:
    return [
        _("Badge"),
        _("Nom"),
        _("Organisation"),
        _("Fonction"),
        _("E-mail"),
        _("Téléphone"),
        _("Catégorie"),
        _("Intérêt"),
        _("Étiquettes"),
        _("Note"),
        _("Scanné le"),
    ]


def export_csv(exhibitor: Exhibitor) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(headers())
    writer.writerows(_rows(exhibitor))
    return out.getvalue()


def export_xlsx(exhibitor: Exhibitor) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Contacts"))
    sheet.append(headers())
    for row in _rows(exhibitor):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

"""What a webhook and the sync API say about a record: its state now, as plain JSON, the same shapes in
both. An anonymised person is said to be so, with no name, address or e-mail; a merged one names the
profile it went into; a record gone is None."""

from django.db.models import Prefetch
from django.utils import timezone

from parvis.checkin.models import Presence
from parvis.core.models import Change
from parvis.crm.models import Consent, Contact, Interaction
from parvis.programming.models import Performance
from parvis.ticketing.models import Order, Ticket

ORDERED_TICKETS = Prefetch("tickets", queryset=Ticket.objects.order_by("pk"))  # orders read for `order_data`


def _at(value) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def order_data(order: Order) -> dict:
    return {
        "id": order.pk,
        "code": order.code,
        "state": order.state,
        "channel": order.channel,
        "total": str(order.total),
        "currency": order.currency,
        "created_at": _at(order.created_at),
        "paid_at": _at(order.paid_at),
        "contact_id": order.contact_id,
        "email": order.email,
        "first_name": order.first_name,
        "last_name": order.last_name,
        "tickets": [ticket_data(t) for t in order.tickets.all()],  # read with ORDERED_TICKETS
    }


def ticket_data(ticket: Ticket) -> dict:
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "order_id": ticket.order_id,
        "performance_id": ticket.performance_id,
        "tariff_id": ticket.tariff_id,
        "price": str(ticket.price),
        "state": ticket.state,
        "issued_at": _at(ticket.issued_at),
        "voided_at": _at(ticket.voided_at),
    }


def contact_data(contact: Contact) -> dict:
    if contact.anonymised_at:
        return {"id": contact.pk, "anonymised": True, "anonymised_at": _at(contact.anonymised_at)}
    if contact.merged_into_id:
        return {"id": contact.pk, "merged_into": contact.merged_into_id}
    return {
        "id": contact.pk,
        "anonymised": False,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "email": contact.email,
        "phone": contact.phone,
        "postal_code": contact.postal_code,
        "departement": contact.departement,
        "language": contact.language,
        "updated_at": _at(contact.updated_at),
    }


def interaction_data(interaction: Interaction) -> dict:
    return {
        "id": interaction.pk,
        "contact_id": interaction.contact_id,
        "kind": interaction.kind,
        "occurred_at": _at(interaction.occurred_at),
        "summary": interaction.summary,
        "amount": str(interaction.amount) if interaction.amount is not None else None,
        "ref": interaction.ref,
        "venue_id": interaction.venue_id,
        "performance_id": interaction.performance_id,
    }


def consent_data(consent: Consent) -> dict:
    return {
        "id": consent.pk,
        "contact_id": consent.contact_id,
        "purpose": consent.purpose,
        "channel": consent.channel,
        "given": consent.given,
        "at": _at(consent.at),
        "source": consent.source,
        "version": consent.version,
    }


def performance_data(performance: Performance) -> dict:
    return {
        "id": performance.pk,
        "event_id": performance.event_id,
        "event": performance.event.title,
        "venue_id": performance.venue_id,
        "starts_at": _at(performance.starts_at),
        "status": performance.status,
        "capacity": performance.capacity,
    }


def checkin_data(ticket: Ticket) -> dict:
    presence = Presence.objects.filter(ticket=ticket).select_related("first_scan").order_by("pk").first()
    return {
        "ticket": ticket_data(ticket),
        "scanned_at": _at(presence.first_scan.scanned_at) if presence else None,
    }


# subject → (its records by id, how one is told)
_READERS = {
    "order": (lambda ids: Order.objects.prefetch_related(ORDERED_TICKETS).filter(pk__in=ids), order_data),
    "ticket": (lambda ids: Ticket.objects.filter(pk__in=ids), checkin_data),
    "contact": (lambda ids: Contact.objects.filter(pk__in=ids), contact_data),
    "consent": (lambda ids: Consent.objects.filter(pk__in=ids), consent_data),
    "performance": (
        lambda ids: Performance.objects.select_related("event").filter(pk__in=ids),
        performance_data,
    ),
}


def data_of(changes: list[Change]) -> dict[tuple[str, int], dict]:
    """The records these changes are about, as they are now, by (subject, id): one query per kind of
    record, not one per change. A record gone is not in it."""
    wanted: dict[str, set[int]] = {}
    for change in changes:
        if change.subject in _READERS:
            wanted.setdefault(change.subject, set()).add(change.subject_id)
    found = {}
    for subject, ids in wanted.items():
        read, tell = _READERS[subject]
        for record in read(ids):
            found[(subject, record.pk)] = tell(record)
    return found

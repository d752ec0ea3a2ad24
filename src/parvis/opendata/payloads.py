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


def data_of(change: Change) -> dict | None:
    """The record a change is about, as it is now (None if it is gone)."""
    if change.subject == "order":
        order = Order.objects.prefetch_related(ORDERED_TICKETS).filter(pk=change.subject_id).first()
        return order_data(order) if order else None
    if change.subject == "ticket":
        ticket = Ticket.objects.filter(pk=change.subject_id).first()
        return checkin_data(ticket) if ticket else None
    if change.subject == "contact":
        contact = Contact.objects.filter(pk=change.subject_id).first()
        return contact_data(contact) if contact else None
    if change.subject == "consent":
        consent = Consent.objects.filter(pk=change.subject_id).first()
        return consent_data(consent) if consent else None
    if change.subject == "performance":
        performance = Performance.objects.select_related("event").filter(pk=change.subject_id).first()
        return performance_data(performance) if performance else None
    return None

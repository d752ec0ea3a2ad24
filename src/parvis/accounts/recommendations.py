"""The account's « Mes recommandations »: for each organizer that knows the person, what it suggests to
them and why, what those suggestions rest on, with a way to remove a show from it or to start again, and
the consent that turns it all on or off (the person's own choice, recorded in the ledger)."""

from parvis.crm.models import Consent, Purpose
from parvis.crm.selectors import consent_state
from parvis.crm.services import consent_record
from parvis.programming.models import Event
from parvis.recommendations import personal, services

COUNT = 4


def overview(contacts) -> list[dict]:
    rows = []
    for contact in contacts:
        state = consent_state(contact, Purpose.RECOMMENDATIONS)
        given = bool(state and state.given)
        row = {"contact": contact, "given": given, "choices": [], "based_on": []}
        if given:
            picker = personal.Picker(contact.organizer_id, personal.coming_events(contact.organizer_id))
            picker.prepare([contact.pk])
            choices = picker.for_contact(contact.pk, COUNT)
            events = Event.objects.in_bulk([c.event_id for c in choices])
            row["choices"] = [
                (events[c.event_id], personal.reason_text(c.because, picker.titles))
                for c in choices
                if c.event_id in events
            ]
            person = picker.people.get(contact.pk)
            based = sorted(person.weights) if person else []
            row["based_on"] = list(Event.objects.filter(pk__in=based).order_by("title"))
        rows.append(row)
    return rows


def act(contact, action: str, event_id: int | None, proof: dict) -> None:
    """`action`: "forget" (one show, or all with no `event_id`), "on" or "off" (the consent)."""
    if action == "forget":
        services.history_forget(contact=contact, event_id=event_id)
    elif action in ("on", "off"):
        consent_record(
            contact=contact,
            purpose=Purpose.RECOMMENDATIONS,
            given=action == "on",
            source=Consent.Source.SELF_SERVICE,
            proof=proof,
        )

"""The account's « Mes recommandations »: for each organizer that knows the person, what it suggests to
them and why, what those suggestions rest on, with a way to remove a show from it or to start again, and
the consent that turns it all on or off (the person's own choice, recorded in the ledger)."""

from urllib.parse import urlencode

from parvis.crm.models import Consent, Purpose
from parvis.crm.selectors import consent_state
from parvis.crm.services import consent_record
from parvis.programming.models import Event
from parvis.recommendations import personal, services
from parvis.recommendations.models import Surface

COUNT = 4


def overview(contacts) -> list[dict]:
    rows = []
    for contact in contacts:
        state = consent_state(contact, Purpose.RECOMMENDATIONS)
        given = bool(state and state.given)
        row = {"contact": contact, "given": given, "choices": [], "based_on": []}
        if given:
            offered = personal.offer(contact, Surface.ACCOUNT, COUNT)
            events = Event.objects.in_bulk([o.event_id for o in offered])
            row["choices"] = [
                (
                    events[o.event_id],
                    o.why,
                    events[o.event_id].get_absolute_url()
                    + ("?" + urlencode({"suggestion": o.suggestion}) if o.suggestion else ""),
                )
                for o in offered
                if o.event_id in events
            ]
            history = personal.person_history([contact.pk]).get(contact.pk)  # held out or not, all of it
            based = sorted(history.weights) if history else []
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

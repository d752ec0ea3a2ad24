"""What the models learn from, read from what Parvis already records: a place bought (a valid ticket, a
pass's entry included) and a visit (a door scan on the CRM timeline), each person's strongest signal per
event. People whose latest answer to "personalised recommendations" is a refusal are left out of the
training too; the others count only inside their organizer's model, as figures about shows (which shows
the same audiences choose), never shown about them."""

from dataclasses import dataclass

from django.db.models import OuterRef, Subquery

from parvis.crm.models import Consent, Contact, Interaction, Purpose
from parvis.programming.models import EventStatus, Performance
from parvis.ticketing.models import Ticket, TicketState

from .engine import WEIGHTS


@dataclass(frozen=True)
class History:
    cells: list[tuple[int, int, float]]  # (person row, event column, weight)
    people: list[int]  # contact id of each row


def refusing(organizer_id: int) -> set[int]:
    """The organizer's contacts whose latest answer for recommendations is no (read from the ledger's
    rows for this purpose only: a few, whatever the number of contacts)."""
    latest: dict[int, bool] = {}
    rows = (
        Consent.objects.filter(organizer_id=organizer_id, purpose=Purpose.RECOMMENDATIONS)
        .order_by("at", "pk")
        .values_list("contact_id", "given")
    )
    for contact_id, given in rows.iterator(chunk_size=10000):
        latest[contact_id] = given
    return {contact_id for contact_id, given in latest.items() if not given}


def consenting(contact_ids: list[int]) -> set[int]:
    """Those of these contacts whose latest answer for recommendations is yes: only their own history
    may shape what is suggested to them by name."""
    latest = Consent.objects.filter(contact=OuterRef("pk"), purpose=Purpose.RECOMMENDATIONS).order_by(
        "-at", "-pk"
    )
    return set(
        Contact.objects.filter(pk__in=contact_ids, merged_into__isnull=True, anonymised_at__isnull=True)
        .annotate(_given=Subquery(latest.values("given")[:1]))
        .filter(_given=True)
        .values_list("pk", flat=True)
    )


def organizer_history(organizer_id: int, column_of: dict[int, int]) -> History:
    """Every signal of the organizer's audience on the events of `column_of` (event id → column)."""
    left_out = refusing(organizer_id)
    bought = (
        Ticket.objects.filter(
            organizer_id=organizer_id, state=TicketState.VALID, order__contact__isnull=False
        )
        .values_list("order__contact_id", "performance__event_id")
        .distinct()
    )
    came = (
        Interaction.objects.filter(
            organizer_id=organizer_id, kind=Interaction.Kind.ATTENDANCE, performance__isnull=False
        )
        .values_list("contact_id", "performance__event_id")
        .distinct()
    )
    row_of: dict[int, int] = {}
    cells: list[tuple[int, int, float]] = []
    for rows, weight in ((bought, WEIGHTS["bought"]), (came, WEIGHTS["attended"])):
        for contact_id, event_id in rows.iterator(chunk_size=10000):
            if contact_id in left_out or event_id not in column_of:
                continue
            row = row_of.setdefault(contact_id, len(row_of))
            cells.append((row, column_of[event_id], weight))
    return History(cells=cells, people=list(row_of))


def coming_event_ids(organizer_id: int, now) -> set[int]:
    """The organizer's published events with a date to come: the only ones worth suggesting."""
    return set(
        Performance.objects.filter(
            organizer_id=organizer_id, starts_at__gt=now, event__status=EventStatus.PUBLISHED
        ).values_list("event_id", flat=True)
    )

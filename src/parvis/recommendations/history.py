"""What the models learn from, read from what Parvis already records: a place bought (a valid ticket, a
pass's entry included) and a visit (a door scan on the CRM timeline), each person's strongest signal per
event. People whose latest answer to "personalised recommendations" is a refusal are left out of the
training too; the others count only inside their organizer's model, as figures about shows (which shows
the same audiences choose), never shown about them."""

from dataclasses import dataclass

import numpy as np

from parvis.core.compiled import CompiledQuery
from parvis.crm import network_audience
from parvis.crm.models import Consent, Interaction, Purpose
from parvis.programming.models import EventStatus, Performance
from parvis.ticketing.models import Ticket, TicketState

from .engine import WEIGHTS

CHUNK = 50_000


@dataclass(frozen=True)
class History:
    """The signals as three arrays (person row, event column, weight) and the contact id of each row."""

    rows: np.ndarray
    cols: np.ndarray
    weights: np.ndarray
    people: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)


def refusing(organizer_id: int) -> set[int]:
    """The organizer's contacts whose latest answer for recommendations is no (read from the ledger's
    rows for this purpose only: a few, whatever the number of contacts)."""
    rows = (
        Consent.objects.filter(organizer_id=organizer_id, purpose=Purpose.RECOMMENDATIONS)
        .order_by("at", "pk")
        .values_list("contact_id", "given")
    )
    return {contact_id for contact_id, given in _latest(rows.iterator(chunk_size=10000)).items() if not given}


def _latest(answers) -> dict[int, bool]:
    """Each contact's latest answer, from (contact, given) rows in the ledger's order."""
    return dict(answers)  # a later row of a contact replaces the earlier one


_recommendation_answers = CompiledQuery(  # a campaign's batch asks it: its SQL written once per process
    Consent,
    lambda contact_ids: (
        Consent.objects.filter(contact_id__in=contact_ids, purpose=Purpose.RECOMMENDATIONS)
        .order_by("at", "pk")
        .values_list("contact_id", "given")
    ),
)


def consenting(contact_ids: list[int]) -> set[int]:
    """Those of these (live) contacts whose latest answer for recommendations is yes: only their own
    history may shape what is suggested to them by name."""
    latest = _latest(_recommendation_answers(list(contact_ids)))
    return {contact_id for contact_id, given in latest.items() if given}


def not_refusing(contact_ids: list[int]) -> set[int]:
    """Those of these contacts whose latest answer for recommendations is not a no (yes, or none yet)."""
    latest = _latest(_recommendation_answers(list(contact_ids)))
    return {contact_id for contact_id in contact_ids if latest.get(contact_id, True)}


def organizer_history(organizer_id: int, column_of: dict[int, int]) -> History:
    """Every signal of the organizer's audience on the events of `column_of` (event id → column)."""
    bought = Ticket.objects.filter(
        organizer_id=organizer_id, state=TicketState.VALID, order__contact__isnull=False
    ).values_list("order__contact_id", "performance__event_id")
    came = Interaction.objects.filter(
        organizer_id=organizer_id, kind=Interaction.Kind.ATTENDANCE, performance__isnull=False
    ).values_list("contact_id", "performance__event_id")
    people, rows, columns, weights = _signals(
        bought.distinct(), came.distinct(), column_of, refusing(organizer_id)
    )
    return History(rows, columns, weights, people)


def network_history(network_id: int, column_of: dict[int, int]) -> History:
    """The signals of the people who share their profile with the network, at every organizer where
    their contact is linked to it, one row per profile (`people`: the profile ids): nothing of a contact
    that is not linked (no consent to share there), nor of one that refused recommendations."""
    links = network_audience.live_links(network_id)  # the one door to a network's people
    bought = Ticket.objects.filter(
        state=TicketState.VALID, order__contact_id__in=links.values("contact_id")
    ).values_list("order__contact_id", "performance__event_id")
    came = Interaction.objects.filter(
        contact_id__in=links.values("contact_id"),
        kind=Interaction.Kind.ATTENDANCE,
        performance__isnull=False,
    ).values_list("contact_id", "performance__event_id")
    refused = Consent.objects.filter(
        contact_id__in=links.values("contact_id"), purpose=Purpose.RECOMMENDATIONS
    ).order_by("at", "pk")
    left_out = {c for c, given in _latest(refused.values_list("contact_id", "given")).items() if not given}
    contacts, rows, columns, weights = _signals(bought.distinct(), came.distinct(), column_of, left_out)
    pairs = np.array(sorted(links.values_list("contact_id", "profile_id")), dtype=np.int64).reshape(-1, 2)
    profile_of = pairs[np.searchsorted(pairs[:, 0], contacts), 1] if len(contacts) else contacts
    profiles, profile_rows = np.unique(profile_of[rows], return_inverse=True)
    return History(profile_rows.astype(np.int64), columns, weights, profiles)


def _signals(bought, came, column_of: dict[int, int], left_out: set[int]):
    """(contact ids, row of each signal among them, column, weight) of the (contact, event) rows of
    `bought` and `came` on the events of `column_of`, less the contacts `left_out`."""
    lookup = np.full(max(column_of, default=0) + 1, -1, dtype=np.int64)
    lookup[list(column_of)] = list(column_of.values())
    contacts, columns, weights = [], [], []
    for rows, weight in ((bought, WEIGHTS["bought"]), (came, WEIGHTS["attended"])):
        for chunk in _chunks(rows, CHUNK):
            pairs = np.asarray(chunk, dtype=np.int64)
            events = pairs[:, 1]
            known = events < len(lookup)
            column = np.where(known, lookup[np.where(known, events, 0)], -1)
            keep = column >= 0
            contacts.append(pairs[keep, 0])
            columns.append(column[keep])
            weights.append(np.full(int(keep.sum()), weight, dtype=np.float32))
    if not contacts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, np.zeros(0, dtype=np.float32)
    contact_ids = np.concatenate(contacts)
    keep = ~np.isin(contact_ids, np.fromiter(left_out, dtype=np.int64, count=len(left_out)))
    people, person_rows = np.unique(contact_ids[keep], return_inverse=True)
    return people, person_rows, np.concatenate(columns)[keep], np.concatenate(weights)[keep]


def _chunks(queryset, size: int):
    """The rows of a values_list queryset, `size` at a time (a server-side cursor on PostgreSQL)."""
    chunk = []
    for row in queryset.iterator(chunk_size=size):
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def coming_event_ids(organizer_ids: list[int], now) -> set[int]:
    """The organizers' published events with a date to come: the only ones worth suggesting."""
    return set(
        Performance.objects.filter(
            organizer_id__in=organizer_ids, starts_at__gt=now, event__status=EventStatus.PUBLISHED
        ).values_list("event_id", flat=True)
    )

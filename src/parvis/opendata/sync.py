"""The incremental sync API: a customer's warehouse reads every order, ticket, entry, contact, consent and
interaction (the contacts' timelines) of its organizer once, then only what changed, in a stable order,
deletions and anonymisations included.

A sync walks two phases with one opaque cursor:
1. **snapshot**: the records as they are, by id, a page at a time (`s.<feed head when it began>.<last id>`);
   the records that changed meanwhile are read again in phase 2 (each record is an upsert by id, so
   reading one twice is harmless);
2. **feed**: the changes placed after that head (`core.changes`), in their order (`f.<seq>`). A change
   placed is never placed before another already read, so a cursor never skips one.

An anonymised contact comes as `"op": "anonymise"` with no personal field; a merged one as `"op": "delete"`
naming the profile it went into. An interaction deleted (a note, on erasure) comes as `"op": "delete"`; when
a contact is merged, unmerged or erased, its interactions come again as they are now (moved to the
survivor, or scrubbed). Records are built in bulk (a page of orders is three statements)."""

from collections.abc import Callable
from dataclasses import dataclass

from parvis.checkin.models import Presence, Scan
from parvis.core import changes
from parvis.core.models import Change
from parvis.crm.models import Consent, Contact, Interaction
from parvis.ticketing.models import Order, Ticket

from . import payloads

MAX_LIMIT = 1000


class BadCursor(ValueError):
    pass


class CursorExpired(ValueError):
    """The changes after this cursor were partly purged (`core.changes.purge`): start again."""


@dataclass
class Page:
    records: list[dict]
    next_cursor: str
    has_more: bool


def _orders(organizer_id: int, ids=None, after: int = 0, limit: int = 0):
    qs = Order.objects.filter(organizer_id=organizer_id).prefetch_related(payloads.ORDERED_TICKETS)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    else:
        qs = qs.filter(pk__gt=after, paid_at__isnull=False).order_by("pk")[:limit]
    return [(o.pk, "upsert", payloads.order_data(o)) for o in qs]


def _tickets(organizer_id: int, ids=None, after: int = 0, limit: int = 0, orders=None):
    qs = Ticket.objects.filter(organizer_id=organizer_id)
    if orders is not None:
        qs = qs.filter(order_id__in=orders).order_by("pk")
    elif ids is not None:
        qs = qs.filter(pk__in=ids)
    else:
        qs = qs.filter(pk__gt=after).order_by("pk")[:limit]
    return [(t.pk, "upsert", payloads.ticket_data(t)) for t in qs]


def _checkins(organizer_id: int, ids=None, after: int = 0, limit: int = 0):
    qs = Presence.objects.filter(checkin_list__organizer_id=organizer_id).select_related("first_scan")
    if ids is not None:
        qs = qs.filter(ticket_id__in=ids)
    else:
        qs = qs.filter(pk__gt=after).order_by("pk")[:limit]
    return [
        (
            p.pk,
            "upsert",
            {
                "id": p.pk,
                "ticket_id": p.ticket_id,
                "checkin_list_id": p.checkin_list_id,
                "scanned_at": payloads._at(p.first_scan.scanned_at),
            },
        )
        for p in qs
    ]


def _contacts(organizer_id: int, ids=None, after: int = 0, limit: int = 0):
    qs = Contact.objects.filter(organizer_id=organizer_id)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    else:
        qs = qs.filter(pk__gt=after).order_by("pk")[:limit]
    out = []
    for c in qs:
        op = "anonymise" if c.anonymised_at else "delete" if c.merged_into_id else "upsert"
        out.append((c.pk, op, payloads.contact_data(c)))
    return out


def _consents(organizer_id: int, ids=None, after: int = 0, limit: int = 0):
    qs = Consent.objects.filter(organizer_id=organizer_id)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    else:
        qs = qs.filter(pk__gt=after).order_by("pk")[:limit]
    return [(c.pk, "upsert", payloads.consent_data(c)) for c in qs]


def _interactions(organizer_id: int, ids=None, after: int = 0, limit: int = 0, contacts=None, refs=None):
    qs = Interaction.objects.filter(organizer_id=organizer_id)
    if refs is not None:
        kinds = [Interaction.Kind.ORDER, Interaction.Kind.ATTENDANCE]
        qs = qs.filter(contact_id__in=contacts, kind__in=kinds, ref__in=refs).order_by("pk")
    elif contacts is not None:
        qs = qs.filter(contact_id__in=contacts).order_by("pk")
    elif ids is not None:
        qs = qs.filter(pk__in=ids)
    else:
        qs = qs.filter(pk__gt=after).order_by("pk")[:limit]
    return [(i.pk, "upsert", payloads.interaction_data(i)) for i in qs]


SNAPSHOT: dict[str, Callable] = {
    "orders": _orders,
    "tickets": _tickets,
    "checkins": _checkins,
    "contacts": _contacts,
    "consents": _consents,
    "interactions": _interactions,
}
# The changes each resource follows in the feed.
SUBJECTS = {
    "orders": {"order"},
    "tickets": {"order"},
    "checkins": {"ticket"},
    "contacts": {"contact"},
    "consents": {"consent"},
    "interactions": {"interaction", "contact", "order", "ticket"},
}


def parse(cursor: str) -> tuple[str, int, int]:
    if not cursor:
        return "s", -1, 0
    try:
        phase, *numbers = cursor.split(".")
        if phase == "s" and len(numbers) == 2:
            return "s", int(numbers[0]), int(numbers[1])
        if phase == "f" and len(numbers) == 1:
            return "f", int(numbers[0]), 0
    except ValueError:
        pass
    raise BadCursor(cursor)


def page(resource: str, organizer_id: int, cursor: str, limit: int) -> Page:
    limit = max(1, min(limit, MAX_LIMIT))
    phase, head, after = parse(cursor)
    if cursor and head < changes.purged():  # what came after it is partly gone: it would miss some
        raise CursorExpired(cursor)
    if phase == "s":
        if head < 0:
            head = changes.head()  # the feed is read from here once the snapshot is done
        rows = SNAPSHOT[resource](organizer_id, after=after, limit=limit)
        records = [{"op": op, "id": pk, "data": data} for pk, op, data in rows]
        if len(rows) == limit:
            return Page(records, f"s.{head}.{rows[-1][0]}", True)
        return Page(records, f"f.{head}", True)
    return _feed_page(resource, organizer_id, head, limit)


def _feed_page(resource: str, organizer_id: int, seq: int, limit: int) -> Page:
    upto = changes.head()
    batch = list(
        Change.objects.filter(
            organizer_id=organizer_id, seq__gt=seq, seq__lte=upto, subject__in=SUBJECTS[resource]
        ).order_by("seq")[:limit]
    )
    if not batch:
        return Page([], f"f.{max(seq, 0)}", False)
    if resource == "interactions":
        return _interactions_page(organizer_id, batch, len(batch) == limit)
    ids = list(dict.fromkeys(c.subject_id for c in batch))  # in feed order, each once
    if resource == "tickets":
        rows = _tickets(organizer_id, orders=ids)
    elif resource == "checkins":
        rows = _checkins(organizer_id, ids=ids)
    else:
        rows = SNAPSHOT[resource](organizer_id, ids=ids)
    if resource not in ("tickets", "checkins"):
        found = {pk for pk, _op, _data in rows}
        position = {pk: i for i, pk in enumerate(ids)}
        rows = sorted(rows, key=lambda r: position[r[0]]) + [
            (pk, "delete", {"id": pk})
            for pk in ids
            if pk not in found  # gone since
        ]
    records = [{"op": op, "id": pk, "data": data} for pk, op, data in rows]
    return Page(records, f"f.{batch[-1].seq}", len(batch) == limit)


def _announced(batch: list[Change]) -> tuple[list[str], set[int]]:
    """The refs of the touchpoints a batch's sales and entries stand for, and their contacts (read through
    the timeline's index, not the whole table)."""
    orders = [c.subject_id for c in batch if c.topic == "order.paid"]
    tickets = [c.subject_id for c in batch if c.topic == "ticket.checked_in"]
    refs, contacts = [], set()
    for code, contact_id in Order.objects.filter(pk__in=orders).values_list("code", "contact_id"):
        refs.append(f"order:{code}")
        contacts.add(contact_id)
    for pk, contact_id in Scan.objects.filter(ticket_id__in=tickets).values_list(
        "pk", "ticket__order__contact_id"
    ):
        refs.append(f"scan:{pk}")
        contacts.add(contact_id)
    return refs, contacts


def _interactions_page(organizer_id: int, batch: list[Change], more: bool) -> Page:
    """The interactions added or deleted, in feed order; then those of the contacts merged, unmerged or
    erased, as they are now (the survivor's too: a merge moved the merged one's to it). A sale's and an
    entry's touchpoints have no change of their own: their `order.paid` and `ticket.checked_in` stand for
    them (`crm.services.interaction_record(announced=True)`)."""
    ids = list(dict.fromkeys(c.subject_id for c in batch if c.subject == "interaction"))
    rows = _interactions(organizer_id, ids=ids)
    found = {pk for pk, _op, _data in rows}
    position = {pk: i for i, pk in enumerate(ids)}
    rows = sorted(rows, key=lambda r: position[r[0]]) + [
        (pk, "delete", {"id": pk}) for pk in ids if pk not in found
    ]
    refs, owners = _announced(batch)
    if refs:
        seen = {pk for pk, _op, _data in rows}
        rows += [row for row in _interactions(organizer_id, refs=refs, contacts=owners) if row[0] not in seen]
    contacts = {c.subject_id for c in batch if c.subject == "contact"}
    if contacts:
        contacts |= set(
            Contact.objects.filter(pk__in=contacts, merged_into__isnull=False).values_list(
                "merged_into_id", flat=True
            )
        )
        seen = {pk for pk, _op, _data in rows}
        rows += [row for row in _interactions(organizer_id, contacts=contacts) if row[0] not in seen]
    records = [{"op": op, "id": pk, "data": data} for pk, op, data in rows]
    return Page(records, f"f.{batch[-1].seq}", more)

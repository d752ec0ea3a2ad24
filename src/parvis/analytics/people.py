"""The audiences' rollups: per person, venue and month, the dates they held a ticket for (`AudienceMonth`);
per person and purpose, their current consent (`ConsentState`, the latest row of the ledger); per person,
their first valid ticket (`FirstVisit`, for the network's circulation).

A person is a contact of the organizer (the buyer the order is linked to). Like the sales rollups, the rows
of the people a change touches are computed again from their tickets, never adjusted: a refund, an
exchange to another month, a merge of two contacts, or a date moved to another month comes out right by
construction. `rebuild()` computes everyone's again, a few thousand people at a time.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.db.models import Count, DateField, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from parvis.core.models import Change
from parvis.crm.models import Consent, Contact
from parvis.ticketing.models import Order, Ticket, TicketState

from .models import AudienceMonth, ConsentState, FirstVisit

VOIDED = [TicketState.REFUNDED, TicketState.CANCELLED, TicketState.EXCHANGED]
CHUNK = 2000  # people computed again per statement
SEASON_START = 9  # a season runs from September to August


def season_of(month) -> int:
    return month.year if month.month >= SEASON_START else month.year - 1


def _mark(made: list[AudienceMonth]) -> None:
    """Each person's first month, at the organizer and at each venue, and whether they came back the
    next season (the rows of a person are all here: they are computed again together)."""
    for first, back, key in (
        ("first", "back", lambda r: r.organizer_id),
        ("first_here", "back_here", lambda r: r.venue_id),
    ):
        groups: dict[tuple, list[AudienceMonth]] = defaultdict(list)
        for row in made:
            groups[(row.contact_id, key(row))].append(row)
        for rows in groups.values():
            earliest = min(r.month for r in rows)
            again = season_of(earliest) + 1 in {season_of(r.month) for r in rows}
            for row in rows:
                if row.month == earliest:
                    setattr(row, first, True)
                    setattr(row, back, again)


def people_of(batch: Sequence[Change]) -> set[int]:
    """The contacts whose rows a batch of changes may alter."""
    orders = [c.subject_id for c in batch if c.subject == "order"]
    contacts = {c.subject_id for c in batch if c.subject == "contact"}
    moved = [c.subject_id for c in batch if c.subject == "performance"]
    consents = [c.subject_id for c in batch if c.subject == "consent"]
    found: set[int] = set()
    if consents:
        found.update(Consent.objects.filter(pk__in=consents).values_list("contact_id", flat=True))
    if orders:
        found.update(
            Order.objects.filter(pk__in=orders, contact__isnull=False).values_list("contact_id", flat=True)
        )
    if contacts:  # a merge moves the orders to the survivor: both are computed again
        found.update(contacts)
        found.update(
            Contact.objects.filter(pk__in=contacts, merged_into__isnull=False).values_list(
                "merged_into_id", flat=True
            )
        )
    if moved:  # a date moved to another month
        found.update(
            Ticket.objects.filter(performance_id__in=moved, order__contact__isnull=False)
            .values_list("order__contact_id", flat=True)
            .distinct()
        )
    return found


def recompute(contact_ids: Iterable[int]) -> None:
    ids = sorted(set(contact_ids))
    for start in range(0, len(ids), CHUNK):
        _recompute(ids[start : start + CHUNK])


def _recompute(ids: list[int]) -> None:
    tz = timezone.get_default_timezone()
    rows = (
        Ticket.objects.filter(order__contact_id__in=ids)
        .exclude(state__in=VOIDED)
        .annotate(month=TruncMonth("performance__starts_at", tzinfo=tz, output_field=DateField()))
        .values("order__contact_id", "performance__organizer_id", "performance__venue_id", "month")
        .annotate(visits=Count("performance_id", distinct=True), n=Count("id"), amount=Sum("price"))
        .order_by()
    )
    made = [
        AudienceMonth(
            contact_id=r["order__contact_id"],
            organizer_id=r["performance__organizer_id"],
            venue_id=r["performance__venue_id"],
            month=r["month"],
            visits=r["visits"],
            tickets=r["n"],
            amount=r["amount"],
        )
        for r in rows
    ]
    _mark(made)
    firsts: dict[int, FirstVisit] = {}
    for contact_id, organizer_id, at, performance_id, entry in (
        Ticket.objects.filter(order__contact_id__in=ids)
        .exclude(state__in=VOIDED)
        .order_by("order__contact_id", "issued_at", "pk")
        .values_list(
            "order__contact_id", "performance__organizer_id", "issued_at", "performance_id", "pass_entry"
        )
    ):
        if contact_id not in firsts:
            firsts[contact_id] = FirstVisit(
                contact_id=contact_id,
                organizer_id=organizer_id,
                at=at,
                performance_id=performance_id,
                with_pass=entry is not None,
            )
    latest: dict[tuple[int, str], ConsentState] = {}
    for organizer_id, contact_id, purpose, given, at in (
        Consent.objects.filter(contact_id__in=ids)
        .order_by("at", "pk")
        .values_list("organizer_id", "contact_id", "purpose", "given", "at")
    ):
        latest[(contact_id, purpose)] = ConsentState(
            organizer_id=organizer_id, contact_id=contact_id, purpose=purpose, given=given, at=at
        )
    with transaction.atomic():
        AudienceMonth.objects.filter(contact_id__in=ids).delete()
        AudienceMonth.objects.bulk_create(made, batch_size=2000)
        ConsentState.objects.filter(contact_id__in=ids).delete()
        ConsentState.objects.bulk_create(latest.values(), batch_size=2000)
        FirstVisit.objects.filter(contact_id__in=ids).delete()
        FirstVisit.objects.bulk_create(firsts.values(), batch_size=2000)


def rebuild(*, progress=None) -> int:
    """Compute every person's rows again; return how many people bought or answered a consent."""
    ids = sorted(
        set(Order.objects.filter(contact__isnull=False).values_list("contact_id", flat=True).distinct())
        | set(Consent.objects.values_list("contact_id", flat=True).distinct())
    )
    held = set(AudienceMonth.objects.values_list("contact_id", flat=True).distinct())
    held |= set(FirstVisit.objects.values_list("contact_id", flat=True))
    for start in range(0, len(ids), CHUNK):
        _recompute(ids[start : start + CHUNK])
        if progress:
            progress(min(start + CHUNK, len(ids)), len(ids))
    stale = sorted(held - set(ids))  # people no longer holding anything (their orders moved or purged)
    for start in range(0, len(stale), CHUNK):
        _recompute(stale[start : start + CHUNK])
    return len(ids)

"""The rollups, kept exact after each commit, and rebuilt from scratch on demand.

The audiences' rollup (`people`) follows the same feed, per person rather than per performance.

A sale, a refund, an exchange or an entry records a change (`core.changes`) in its own transaction. The
rollups follow the feed: `settle()` reads the changes not yet handled, finds the performances they touch,
and computes those performances' rows again from the tickets and the door (`recompute`). Computing again
rather than adding deltas keeps every path exact by construction (a partial refund, an exchange to another
date, a pass entry, a timed slot), and running it twice changes nothing. `rebuild()` does the same for
every performance.

The task worker settles soon after a sale (`tasks.analytics_settle`); a page that reads the rollups
settles first, so its figures never wait on a worker.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Case, CharField, Count, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from parvis.checkin.models import Presence
from parvis.core import changes
from parvis.core.models import Change
from parvis.programming.models import Performance
from parvis.ticketing.models import OrderItem, Tariff, TariffKind, Ticket, TicketState

from . import people, routes
from .models import PerformanceFigures, SalesDay, Source

FOLLOWER = "analytics"
VOIDED = [TicketState.REFUNDED, TicketState.CANCELLED, TicketState.EXCHANGED]
CHUNK = 500  # performances computed again per statement


def source_of_ticket():
    """A ticket's source, in SQL: a pass entry, a subscription's, an invitation, else its order's channel."""
    return Case(
        When(pass_entry__isnull=False, then=Value(Source.PASS)),
        When(order__subscription__isnull=False, then=Value(Source.SUBSCRIPTION)),
        When(
            Q(price=0) & Q(tariff__kind__in=[TariffKind.FREE, TariffKind.EXONERATED]),
            then=Value(Source.INVITATION),
        ),
        default=F("order__channel"),
        output_field=CharField(),
    )


def recompute(performance_ids: Iterable[int]) -> None:
    """Compute the rows of these performances again from their tickets and the door."""
    ids = sorted(set(performance_ids))
    for start in range(0, len(ids), CHUNK):
        _recompute(ids[start : start + CHUNK])


def _recompute(ids: list[int]) -> None:
    tz = timezone.get_default_timezone()
    tickets = Ticket.objects.filter(performance_id__in=ids).annotate(source=source_of_ticket())
    rows: dict[tuple, SalesDay] = {}

    def row(performance_id, organizer_id, day, source, tariff_id) -> SalesDay:
        key = (performance_id, day, source, tariff_id)
        if key not in rows:
            rows[key] = SalesDay(
                performance_id=performance_id,
                organizer_id=organizer_id,
                day=day,
                source=source,
                tariff_id=tariff_id,
            )
        return rows[key]

    keys = ("performance_id", "organizer_id", "day", "source", "tariff_id")
    for r in (
        tickets.annotate(day=TruncDate("issued_at", tzinfo=tz))
        .values(*keys)
        .annotate(n=Count("id"), amount=Sum("price"))
        .order_by()
    ):
        line = row(*(r[k] for k in keys))
        line.sold, line.sold_amount = r["n"], r["amount"]
    for r in (
        tickets.filter(state__in=VOIDED)
        .annotate(day=TruncDate(Coalesce("voided_at", "issued_at"), tzinfo=tz))
        .values(*keys)
        .annotate(n=Count("id"), amount=Sum("price"))
        .order_by()
    ):
        line = row(*(r[k] for k in keys))
        line.returned, line.returned_amount = r["n"], r["amount"]

    scanned = entries_of(ids)
    held: dict[int, list] = defaultdict(lambda: [0, Decimal(0)])
    for line in rows.values():
        figures = held[line.performance_id]
        figures[0] += line.sold - line.returned
        figures[1] += line.sold_amount - line.returned_amount
    organizers = dict(Performance.objects.filter(pk__in=ids).values_list("pk", "organizer_id"))
    with transaction.atomic():
        SalesDay.objects.filter(performance_id__in=ids).delete()
        SalesDay.objects.bulk_create(rows.values(), batch_size=2000)
        PerformanceFigures.objects.filter(performance_id__in=ids).delete()
        PerformanceFigures.objects.bulk_create(
            [
                PerformanceFigures(
                    performance_id=pk,
                    organizer_id=organizer_id,
                    sold=held[pk][0] if pk in held else 0,
                    revenue=held[pk][1] if pk in held else Decimal(0),
                    scanned=scanned.get(pk, 0),
                )
                for pk, organizer_id in organizers.items()
                if pk in held or pk in scanned
            ],
            batch_size=2000,
        )


def entries_of(ids: list[int]) -> dict[int, int]:
    """Each performance's tickets that came in. The tickets of those dates are taken first (a
    materialised CTE): left to itself, PostgreSQL joined the presences to every ticket in id order,
    reading ten million rows to count a door's entries (2 s instead of a few ms)."""
    if not ids:
        return {}
    tickets = connection.ops.quote_name(Ticket._meta.db_table)
    presences = connection.ops.quote_name(Presence._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH t AS MATERIALIZED (SELECT id, performance_id FROM {tickets} "  # noqa: S608
            f"WHERE performance_id IN ({marks})) SELECT t.performance_id, COUNT(DISTINCT p.ticket_id) "
            f"FROM {presences} p JOIN t ON t.id = p.ticket_id GROUP BY t.performance_id",
            list(ids),
        )
        return dict(cursor.fetchall())


def performances_of(batch: Sequence[Change]) -> tuple[set[int], set[int]]:
    """The performances a batch of changes touches: whose sales changed, and whose entries only."""
    orders = [c.subject_id for c in batch if c.subject == "order"]
    tickets = [c.subject_id for c in batch if c.subject == "ticket"]
    sold = {c.subject_id for c in batch if c.subject == "performance"}
    if orders:
        sold.update(
            OrderItem.objects.filter(order_id__in=orders).values_list("performance_id", flat=True).distinct()
        )
    entered = (
        set(Ticket.objects.filter(pk__in=tickets).values_list("performance_id", flat=True))
        if tickets
        else set()
    )
    return sold, entered - sold


def recount_entries(performance_ids: Iterable[int]) -> None:
    """An entry changes only how many came in: that count alone is taken again (a door rush does not
    recompute the sales)."""
    ids = sorted(set(performance_ids))
    scanned = entries_of(ids)
    known = set(
        PerformanceFigures.objects.filter(performance_id__in=ids).values_list("performance_id", flat=True)
    )
    PerformanceFigures.objects.bulk_update(  # one statement for them all
        [PerformanceFigures(performance_id=pk, scanned=scanned.get(pk, 0)) for pk in sorted(known)],
        ["scanned"],
    )
    if set(ids) - known:
        recompute(set(ids) - known)  # no row yet: made whole


def _handle(batch: Sequence[Change]) -> None:
    sold, entered = performances_of(batch)
    if sold:
        recompute(sold)
    if entered:
        recount_entries(entered)
    touched = people.people_of(batch)
    if touched:
        people.recompute(touched)
    routes.follow(batch, touched)


def settle() -> int:
    """Bring the rollups up to the last committed change; return how many changes were read."""
    return changes.consume(FOLLOWER, _handle)


def rebuild(*, progress=None) -> int:
    """Compute every performance's rows again, a few hundred at a time (the dashboards stay readable
    meanwhile); return how many performances."""
    upto = changes.head()
    ids = list(Ticket.objects.order_by("performance_id").values_list("performance_id", flat=True).distinct())
    for start in range(0, len(ids), CHUNK):
        _recompute(ids[start : start + CHUNK])
        if progress:
            progress(min(start + CHUNK, len(ids)), len(ids))
    # Performances whose tickets are all gone (a test's, a purge's); found in Python, a few hundred ids,
    # not by NOT IN over every ticket (which PostgreSQL cannot hash when the tickets are millions).
    live = set(ids)
    stale = (
        set(SalesDay.objects.values_list("performance_id", flat=True).distinct())
        | set(PerformanceFigures.objects.values_list("performance_id", flat=True))
    ) - live
    with transaction.atomic():
        SalesDay.objects.filter(performance_id__in=stale).delete()
        PerformanceFigures.objects.filter(performance_id__in=stale).delete()
    people.rebuild()
    routes.rebuild()
    # What changed while rebuilding was counted, or will be: the follower goes on from where it was, at
    # least from the head the rebuild started at.
    if changes.position(FOLLOWER) < upto:
        with transaction.atomic():
            changes.reset(FOLLOWER, upto)
    return len(ids)


def tariffs_named(ids: Iterable[int]) -> dict[int, str]:
    return dict(Tariff.objects.filter(pk__in=set(ids)).values_list("pk", "name"))

"""The change feed: what happened to the records others follow, in the order it committed.

The analytics' rollups, the sync API and the webhooks all need the same thing: every sale, refund, entry
or consent, none missed, none counted twice, in a stable order, and without slowing the sale. So:

- `record()` writes one `Change` row in the business transaction (a compiled INSERT): it commits with the
  sale or vanishes with its rollback, and nothing is lost if the process dies right after the commit;
- `sequence()` gives the committed rows their place in the feed (`seq`), in one statement, under the
  lock of the feed's head row. Ids are taken when rows are written, not when they commit, so a follower
  reading "ids above the last one I saw" would skip a transaction that committed late; a place given
  after commit, by one sequencer at a time, never is: a row still uncommitted is not seen, and gets a
  later place once it is;
- `consume(name, handle)` hands a follower its next changes and moves its cursor (`FeedCursor`) in the
  same transaction as what it did with them: handled once, or not at all.

Followers are woken (`followers`, at most once a second per process) inside the transaction that records
a change, so that what they enqueue commits with it. Nothing depends on them running on time: a reader
that needs exact figures consumes what is left first.
"""

import datetime
import time
from collections.abc import Callable, Sequence

from django.db import connection, transaction
from django.utils import timezone

from .compiled import insert, insert_many
from .models import Change, FeedCursor
from .registry import Registry

HEAD = ""  # the FeedCursor row holding the last place given
PURGED = "-purged"  # the FeedCursor row holding the last place purged (see `purge`)
WAKE_EVERY_S = 1.0


class Follower:
    """Something that reads the feed (the analytics, the webhooks): told that changes are coming."""

    def wake(self) -> None:  # called inside the transaction that records a change
        raise NotImplementedError


followers: Registry[Follower] = Registry("change feed followers")
_woken = [0.0]


def record(topic: str, *, organizer_id: int, subject: str, subject_id: int, at=None) -> None:
    """Write that `topic` happened to `subject` `subject_id`, in the current transaction."""
    insert(
        Change(
            topic=topic,
            organizer_id=organizer_id,
            subject=subject,
            subject_id=subject_id,
            at=at or timezone.now(),
        )
    )
    now = time.monotonic()
    if now - _woken[0] >= WAKE_EVERY_S:
        _woken[0] = now
        for follower in followers:
            follower.wake()


def record_many(topic: str, *, subject: str, rows: Sequence[tuple[int, int]], at=None) -> None:
    """`record` for many records at once (one INSERT): `rows` are (organizer id, subject id)."""
    if not rows:
        return
    at = at or timezone.now()
    insert_many(
        [
            Change(topic=topic, organizer_id=organizer_id, subject=subject, subject_id=subject_id, at=at)
            for organizer_id, subject_id in rows
        ]
    )
    for follower in followers:
        follower.wake()


def sequence(*, limit: int = 50_000) -> int:
    """Give the committed changes without a place theirs, in the order of their ids; return how many."""
    table = connection.ops.quote_name(Change._meta.db_table)
    with transaction.atomic():
        head = _cursor_locked(HEAD)  # made here if missing (a test database emptied by a flush)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET seq = ranked.n + %s "  # noqa: S608
                f"FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM {table} "
                "WHERE seq IS NULL ORDER BY id LIMIT %s) AS ranked "
                f"WHERE {table}.id = ranked.id",
                [head.seq, limit],
            )
            given = cursor.rowcount
        if given:
            FeedCursor.objects.filter(name=HEAD).update(seq=head.seq + given)
    return given


def head() -> int:
    """The last place given (after placing what has committed)."""
    while sequence() == 50_000:
        pass
    return position(HEAD)


def consume(name: str, handle: Callable[[Sequence[Change]], None], *, limit: int = 5_000) -> int:
    """Hand follower `name` its changes not yet handled, `limit` at a time, each batch in one transaction
    with the cursor's move; return how many. Two callers at once take turns (the cursor row is locked)."""
    upto = head()
    done = 0
    while True:
        with transaction.atomic():
            cursor = _cursor_locked(name)
            batch = list(Change.objects.filter(seq__gt=cursor.seq, seq__lte=upto).order_by("seq")[:limit])
            if not batch:
                return done
            handle(batch)
            FeedCursor.objects.filter(name=name).update(seq=batch[-1].seq)
            done += len(batch)
        if len(batch) < limit:
            return done


def purge(*, keep_days: int) -> int:
    """Delete the changes older than `keep_days` that every follower has read (the rollups, the webhooks:
    each row of `FeedCursor`); return how many. A sync cursor from before them is then refused
    (`purged()`): its client starts again from a snapshot, rather than miss what was purged."""
    readers = FeedCursor.objects.exclude(name__in=[HEAD, PURGED]).values_list("seq", flat=True)
    upto = min(readers, default=head())
    cutoff = timezone.now() - datetime.timedelta(days=keep_days)
    last = (
        Change.objects.filter(seq__isnull=False, seq__lte=upto, at__lt=cutoff)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    )
    if last is None:
        return 0
    with transaction.atomic():
        _cursor_locked(PURGED)
        FeedCursor.objects.filter(name=PURGED).update(seq=last)
        deleted, _ = Change.objects.filter(seq__lte=last).delete()
    return deleted


def purged() -> int:
    """The last place purged: the feed holds only the changes after it."""
    return position(PURGED)


def position(name: str) -> int:
    row = FeedCursor.objects.filter(name=name).first()
    return row.seq if row else 0


def reset(name: str, seq: int) -> None:
    """Put follower `name` at `seq` (after a rebuild: at the head it was rebuilt from)."""
    _cursor_locked(name)
    FeedCursor.objects.filter(name=name).update(seq=seq)


def _cursor_locked(name: str) -> FeedCursor:
    table = connection.ops.quote_name(FeedCursor._meta.db_table)
    with connection.cursor() as cursor:  # created once, whoever comes first (no race on get_or_create)
        cursor.execute(
            f"INSERT INTO {table} (name, seq) VALUES (%s, 0) ON CONFLICT (name) DO NOTHING",  # noqa: S608
            [name],
        )
    return FeedCursor.objects.select_for_update().get(name=name)

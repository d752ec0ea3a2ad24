"""Boards whose figures take seconds to compute (a network's audiences over a million people, how they move
between its members) are kept, and served kept: a reader gets the kept figures at once, said as of their
time; when they are older than `PARVIS_ANALYTICS_KEEP_S`, a background task computes them again (asked
once, whoever reads meanwhile), and the next reader gets the new ones. Only the first reader of a board and
period waits, or one who asks for figures computed now ("Recalculer maintenant").

They are kept in the database, not the cache: the web processes and the worker share them whatever the
cache is (the embedded default is each process's memory). A board and period not read for two days is
forgotten. With `PARVIS_ANALYTICS_KEEP_S` at 0 nothing is kept (every read computes)."""

import datetime
import pickle

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from .models import KeptBoard

FORGET_AFTER = datetime.timedelta(days=2)
READ_MARK_EVERY = datetime.timedelta(hours=1)


def read(key: str, build, *, fresh: bool, refresh) -> dict:
    """The board's figures: {"data", "notes", "at", "refreshing"}. `build()` computes them; `refresh()`
    asks the background task to (it calls `store`)."""
    keep = settings.PARVIS_ANALYTICS_KEEP_S
    if keep <= 0:
        return {**_compute(build), "refreshing": False}
    row = None if fresh else KeptBoard.objects.filter(key=key).first()
    if row is None:
        return {**store(key, build), "refreshing": False}
    now = timezone.now()
    if row.read_at < now - READ_MARK_EVERY:  # enough to know what is still read; not a write per read
        KeptBoard.objects.filter(pk=row.pk).update(read_at=now)
    kept = pickle.loads(row.data)  # noqa: S301 - written by `store` only, never by a reader
    refreshing = row.computed_at < now - datetime.timedelta(seconds=keep)
    if refreshing:
        asked = KeptBoard.objects.filter(
            Q(refresh_asked_at__isnull=True) | Q(refresh_asked_at__lt=now - datetime.timedelta(seconds=keep)),
            pk=row.pk,
        ).update(refresh_asked_at=now)
        if asked:  # this reader asks; the others meanwhile only read
            refresh()
    return {**kept, "at": row.computed_at, "refreshing": refreshing}


def store(key: str, build) -> dict:
    """Compute the board's figures now and keep them."""
    computed = _compute(build)
    values = {
        "data": pickle.dumps({"data": computed["data"], "notes": computed["notes"]}),
        "computed_at": computed["at"],
        "read_at": computed["at"],
        "refresh_asked_at": None,
    }
    try:
        with transaction.atomic():
            KeptBoard.objects.update_or_create(key=key, defaults=values)
    except IntegrityError:  # made meanwhile by another reader: theirs is as good
        pass
    return computed


def forget() -> int:
    """Boards and periods no one read for two days."""
    return KeptBoard.objects.filter(read_at__lt=timezone.now() - FORGET_AFTER).delete()[0]


def _compute(build) -> dict:
    at = timezone.now()
    data, notes = build()
    return {"data": data, "notes": notes, "at": at}

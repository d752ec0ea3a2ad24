"""Background work of the dashboards: the rollups follow the sales a couple of seconds behind."""

import datetime
import time

from django.conf import settings
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy
from django_tasks import task

from parvis.core import changes, jobs
from parvis.core.background import enqueue_on_commit

from . import boards, kept, menus, rollups


@task()
def analytics_settle() -> None:
    """Bring the rollups up to the last committed change (run twice: the second finds nothing to do)."""
    rollups.settle()


class RollupFollower(changes.Follower):
    """Enqueues a settle at most once per `PARVIS_ANALYTICS_SETTLE_AFTER_S` per process, that long after:
    a rush of sales recomputes each of its performances once per period, not once per sale."""

    def __init__(self):
        self.woken = 0.0

    def wake(self) -> None:
        # A backend that cannot wait (the tests' immediate one) is not given it: readers settle anyway.
        after = settings.PARVIS_ANALYTICS_SETTLE_AFTER_S
        now = time.monotonic()
        if now - self.woken < after:
            return
        self.woken = now
        if after > 0 and analytics_settle.get_backend().supports_defer:
            when = timezone.now() + datetime.timedelta(seconds=after)
            enqueue_on_commit(analytics_settle.using(run_after=when))


@task()
def board_refresh(*, name: str, owner_kind: str, owner_id: int, query: str, language: str) -> None:
    """Compute a kept board again (its kept figures grew old while someone read them), and forget the boards
    no one read for two days."""
    board_store(name=name, owner_kind=owner_kind, owner_id=owner_id, query=query, language=language)
    kept.forget()


def board_store(*, name: str, owner_kind: str, owner_id: int, query: str, language: str) -> None:
    """Compute a kept board for this owner, filters (a query string; empty: the default period) and
    language, and keep it."""
    owner, organizer_ids, network = menus.scope(owner_kind, owner_id)
    _title, _build, back, ahead, _period = (menus.NETWORK_BOARDS if network else menus.BOARDS)[name]
    with translation.override(language):
        rollups.settle()
        f = boards.filters_read(QueryDict(query), organizer_ids, back=back, ahead=ahead)
        kept.store(menus.key_of(name, owner, f), menus.builder(name, owner, organizer_ids, network, f))


jobs.policy(analytics_settle, tries=3, label=gettext_lazy("Mise à jour des tableaux de bord"))
jobs.policy(board_refresh, tries=2, label=gettext_lazy("Nouveau calcul d'un tableau de bord"))


def follow_changes() -> None:
    changes.followers.register("analytics", RollupFollower())

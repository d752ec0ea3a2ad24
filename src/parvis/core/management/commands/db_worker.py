"""`parvis db_worker`: django-tasks' database worker, which makes way for the sale when the machine is busy.

In Linux's idle scheduling class (README) the worker only gets the processor when nothing else wants it, but
the database work of its tasks (reading an order, its tickets) runs at normal priority, and its PDFs evict
the sale's data from the processor's caches: during an on-sale rush the worker took 9 to 14 % of the orders
per second (bench/onsale.py, the worker paused against running). So after a task, if the other processes
left less than `PARVIS_WORKER_YIELD_IDLE` of the machine's processor time idle since the worker last
looked, it waits, a second at a time while that lasts, before taking the next task, for
`PARVIS_WORKER_YIELD_MAX_S` seconds at most: under a load that lasts, a task still runs every so often.
Draining a backlog on a quiet machine costs no wait. The task is already recorded as done: stopping the
worker while it waits loses nothing. `PARVIS_WORKER_YIELD_MAX_S=0` turns the wait off; where `/proc/stat`
cannot be read (other systems than Linux) there is no wait. ADR 0004 gives the measures and the trade-off.

It also forgets finished work older than `PARVIS_TASK_RESULTS_DAYS` (7), at start and then every hour.
"""

import os
import time

from django.conf import settings
from django_tasks.signals import task_finished
from django_tasks_db.management.commands import db_worker

from parvis.core.background import purge_finished

PROC_STAT = "/proc/stat"
# Shorter looks say little (the kernel counts in ticks of 10 ms): they are added to the next one.
MIN_LOOK_TICKS = 50
RECEIVER_UID = "parvis.core.db_worker.make_way"  # connected to `task_finished` while the worker runs
PURGE_UID = "parvis.core.db_worker.purge"
PURGE_EVERY_S = 3600  # finished work older than PARVIS_TASK_RESULTS_DAYS is forgotten at start, then hourly


def cpu_times(path: str = PROC_STAT) -> tuple[int, int] | None:
    """The machine's processor time so far, (idle, total) in clock ticks; None if it cannot be read."""
    try:
        with open(path) as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    if len(fields) < 4:
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle and waiting for the disk
    total = sum(fields[:8])  # guest time is counted in user time already
    return idle, total


class MachineLoad:
    """The share of the machine's processor time that the other processes left idle since the last look
    (the worker's own time counts as idle: it is the one that would make way)."""

    def __init__(self, *, sample=cpu_times, own=time.process_time, ticks_per_s: int | None = None):
        self.sample, self.own = sample, own
        self.ticks_per_s = ticks_per_s or (os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100)
        self.last = self._now()

    def _now(self) -> tuple[float, float, float] | None:
        times = self.sample()
        return None if times is None else (*times, self.own() * self.ticks_per_s)

    def idle_share(self) -> float | None:
        """None when it cannot be read, or when too little time has passed to tell."""
        now, last = self._now(), self.last
        if now is None or last is None:
            self.last = now
            return None
        total = now[1] - last[1]
        if total < MIN_LOOK_TICKS:
            return None
        self.last = now
        busy = total - (now[0] - last[0]) - (now[2] - last[2])
        return min(1.0, max(0.0, 1 - busy / total))


def make_way(
    load: MachineLoad, *, idle_below: float, max_seconds: float, sleep=time.sleep, clock=time.monotonic
) -> float:
    """Wait, a second at a time, while the machine is busy (less than `idle_below` of it idle), for
    `max_seconds` at most; how long it waited."""
    start, waited = clock(), 0.0
    idle = load.idle_share()
    while idle is not None and idle < idle_below and waited < max_seconds:
        sleep(min(1.0, max_seconds - waited))
        waited = clock() - start
        idle = load.idle_share()
    return waited


class Command(db_worker.Command):
    help = db_worker.Command.help + ", making way for the sale while the machine is busy"

    def handle(self, **options):
        load = MachineLoad()
        purged = [0.0]  # when finished work was last purged (monotonic clock)

        def purge(**kwargs):
            if time.monotonic() - purged[0] >= PURGE_EVERY_S or not purged[0]:
                purged[0] = time.monotonic()
                purge_finished(days=settings.PARVIS_TASK_RESULTS_DAYS)

        def after_task(**kwargs):
            waited = make_way(
                load,
                idle_below=settings.PARVIS_WORKER_YIELD_IDLE,
                max_seconds=settings.PARVIS_WORKER_YIELD_MAX_S,
            )
            if waited:
                db_worker.logger.info("Made way for the sale for %.1f s (the machine was busy)", waited)

        purge()
        task_finished.connect(purge, dispatch_uid=PURGE_UID, weak=False)
        if settings.PARVIS_WORKER_YIELD_MAX_S > 0:
            task_finished.connect(after_task, dispatch_uid=RECEIVER_UID, weak=False)
        try:
            return super().handle(**options)
        finally:
            task_finished.disconnect(dispatch_uid=RECEIVER_UID)
            task_finished.disconnect(dispatch_uid=PURGE_UID)

"""`parvis db_worker`: django-tasks' database worker, which makes way for the sale when the machine is busy.

In Linux's idle scheduling class (README) the worker only gets the processor when nothing else wants it, but
the database work of its tasks (reading an order, its tickets) runs at normal priority, and its PDFs evict
the sale's data from the processor's caches: during an on-sale rush the worker took 9 to 14 % of the orders
per second (bench/onsale.py, the worker paused against running). So after each task, while the machine had
less than `PARVIS_WORKER_YIELD_IDLE` of its processor time idle over the last second, the worker waits
before taking the next one, for `PARVIS_WORKER_YIELD_MAX_S` seconds at most: under a load that lasts, a
task still runs every so often. The task is already recorded as done: stopping the worker while it waits
loses nothing. `PARVIS_WORKER_YIELD_MAX_S=0` turns the wait off; where `/proc/stat` cannot be read (other
systems than Linux) there is no wait.
"""

import time

from django.conf import settings
from django_tasks.signals import task_finished
from django_tasks_db.management.commands import db_worker

PROC_STAT = "/proc/stat"


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


def idle_share(window: float, *, sample=cpu_times, sleep=time.sleep) -> float | None:
    """The share of the machine's processor time left idle over the next `window` seconds."""
    before = sample()
    sleep(window)
    after = sample()
    if before is None or after is None or after[1] <= before[1]:
        return None
    return (after[0] - before[0]) / (after[1] - before[1])


def make_way(*, idle_below: float, max_seconds: float, measure=idle_share, clock=time.monotonic) -> float:
    """Wait, a second at a time, while the machine is busy (less than `idle_below` of it idle), for
    `max_seconds` at most; how long it waited."""
    start = clock()
    while clock() - start < max_seconds:
        idle = measure(min(1.0, max_seconds - (clock() - start)))
        if idle is None or idle >= idle_below:
            break
    return clock() - start


def _after_task(**kwargs) -> None:
    make_way(idle_below=settings.PARVIS_WORKER_YIELD_IDLE, max_seconds=settings.PARVIS_WORKER_YIELD_MAX_S)


class Command(db_worker.Command):
    help = db_worker.Command.help + ", making way for the sale while the machine is busy"

    def handle(self, **options):
        if settings.PARVIS_WORKER_YIELD_MAX_S > 0:
            task_finished.connect(_after_task, dispatch_uid="parvis.core.db_worker.make_way")
        try:
            return super().handle(**options)
        finally:
            task_finished.disconnect(dispatch_uid="parvis.core.db_worker.make_way")

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

import contextlib
import datetime
import os
import socket
import threading
import time

from django.conf import settings
from django.core.management.base import CommandError
from django.db import DatabaseError, connection
from django.utils import timezone
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks.signals import task_finished
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from parvis.core import jobs, mail
from parvis.core.models import WorkerBeat

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


class Worker(db_worker.Worker):
    """The library's worker, with a lease renewed from a thread, stalled tasks taken back, and failures
    sorted as `core.jobs` says: the service out of reach (wait, the task keeps its place), this try failed
    (try again later), or for good (a failed job for the staff)."""

    def __init__(self, **options):
        super().__init__(**options)
        self.started_at = timezone.now()
        self.holding: DBTaskResult | None = None  # the task claimed, while it runs
        self.claimed: list[DBTaskResult] = []  # claimed with it (`jobs.Policy.batch`), not yet begun
        self.outages = 0  # failures in a row to reach a service
        self.paused_until = None
        self.pause_reason = ""
        self.stopping = threading.Event()

    # The lease.

    def _beat_forever(self) -> None:
        every = max(0.5, settings.PARVIS_TASK_LEASE_S / 4)
        last_reap = 0.0
        while not self.stopping.is_set():
            try:
                jobs.beat(
                    self.worker_id,
                    host=socket.gethostname(),
                    pid=os.getpid(),
                    started_at=self.started_at,
                    paused_until=self.paused_until,
                    pause_reason=self.pause_reason,
                )
                if time.monotonic() - last_reap >= every * 2:
                    last_reap = time.monotonic()
                    jobs.reap_stalled()
            except DatabaseError:
                db_worker.logger.warning("Could not renew the lease of worker %s", self.worker_id)
                connection.close()  # this thread's own; a new one at the next beat
            self.stopping.wait(every)
        connection.close()

    def run(self) -> None:
        beats = threading.Thread(target=self._beat_forever, name="parvis-lease", daemon=True)
        beats.start()
        try:
            while True:
                try:
                    return super().run()
                except DatabaseError as exc:  # the database restarts: wait, then go on
                    self._database_lost(exc)
        finally:
            self.stopping.set()
            beats.join(timeout=5)
            try:
                WorkerBeat.objects.filter(pk=self.worker_id).delete()
            except DatabaseError:
                pass  # its lease expires

    def _database_lost(self, exc: BaseException) -> None:
        self.outages += 1
        wait = jobs.outage_wait_s(self.outages)
        db_worker.logger.warning("Database out of reach (%s); waiting %.1f s", type(exc).__name__, wait)
        connection.close()
        time.sleep(wait)
        if self.holding is not None:  # claimed when the database went: give it back, its try not counted
            try:
                jobs.release(self.holding)
                self.holding = None
            except DatabaseError:
                pass  # still out of reach: tried after the next wait, or taken back when the lease expires
        try:
            self._unclaim()
        except DatabaseError:
            pass  # the same

    # A task.

    def run_task(self, db_task_result: DBTaskResult) -> None:
        """Run the task claimed, then, if its kind says so (`jobs.Policy.batch`), the tasks of its kind
        waiting behind it, claimed together. The batch counts as one task for a stop: a SIGTERM lets the
        task running end and gives the others back."""
        self.running_task = True
        size = jobs.policy_of(db_task_result.task_path).batch
        try:
            with mail.one_connection() if size > 1 else contextlib.nullcontext():
                error = self._run_one(db_task_result)
                if size > 1 and self.running and not _outage(error):
                    self.claimed = jobs.claim_alike(db_task_result, self.worker_id, size - 1)
                    while self.claimed and self.running and not _outage(error):
                        error = self._run_one(self.claimed.pop(0))
            self._unclaim()
        except DatabaseError:
            raise  # the claims are given back once the database is back (`_database_lost`)
        except BaseException:
            self._unclaim()
            raise
        finally:
            self.running_task = False
        # The wait comes after the task, which is back in its place: a SIGTERM meanwhile stops the worker
        # at once (the library exits when no task runs).
        if _outage(error):
            self._wait_for_service(error)
        else:
            self.outages, self.paused_until, self.pause_reason = 0, None, ""

    def _unclaim(self) -> None:
        """Give back the tasks claimed with the batch and not begun."""
        while self.claimed:
            jobs.unclaim(self.claimed[0])
            self.claimed.pop(0)

    def _run_one(self, db_task_result: DBTaskResult) -> Exception | None:
        self.holding = db_task_result
        try:
            error = jobs.execute(db_task_result)
            self.holding = None
        except (KeyboardInterrupt, SystemExit):
            jobs.release(db_task_result)  # stopped by hand during the task: it is not its fault
            self.holding = None
            raise
        finally:
            self._run_tasks += 1
        return error

    def _wait_for_service(self, error: Exception) -> None:
        """The task's service was out of reach (the task is back in its place): wait, longer each time."""
        self.outages += 1
        wait = jobs.outage_wait_s(self.outages)
        self.pause_reason = f"{type(error).__name__}: {error}"[:200]
        self.paused_until = timezone.now() + datetime.timedelta(seconds=wait)
        db_worker.logger.warning("A service is out of reach; waiting %.1f s", wait)
        time.sleep(wait)


def _outage(error: Exception | None) -> bool:
    return error is not None and jobs.classify(error) == jobs.OUTAGE


class Command(db_worker.Command):
    help = db_worker.Command.help + ", making way for the sale while the machine is busy"

    def handle(self, **options):
        load = MachineLoad()
        purged = [0.0]  # when finished work was last purged (monotonic clock)

        def purge(**kwargs):
            if time.monotonic() - purged[0] >= PURGE_EVERY_S or not purged[0]:
                purged[0] = time.monotonic()
                jobs.purge_finished(days=settings.PARVIS_TASK_RESULTS_DAYS)

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
            return self._work(**options)
        finally:
            task_finished.disconnect(dispatch_uid=RECEIVER_UID)
            task_finished.disconnect(dispatch_uid=PURGE_UID)

    def _work(self, *, verbosity, queue_name, exclude_queues, reload, batch, **options) -> None:
        """The library's `handle`, with our worker."""
        self.configure_logging(verbosity)
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = Worker(
            queue_names=queue_names,
            excluded_queue_names=excluded,
            batch=batch,
            **{name: options[name] for name in WORKER_OPTIONS},
        )
        if reload and not batch:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()  # only the child process
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()


WORKER_OPTIONS = ("interval", "backend_name", "startup_delay", "max_tasks", "worker_id")

"""Background work through Redis (RQ) without losing any: the task table is the outbox (ADR 0006).

With `PARVIS_TASKS_BACKEND=rq` a task is enqueued exactly as with the database backend: its row is written
in the business transaction, so it commits with the sale or disappears with its rollback, and Redis being
down at that moment loses nothing. `parvis task_relay` then moves the rows that are due to Redis, in their
order (priority, date, then purchase), and RQ workers (`parvis rqworker`) run them with `run` below, which
claims the row and runs it as the database worker does (`jobs.execute`): same tries, delays, failed jobs.

- **Redis loses a job** (down, restarted without its data, flushed): the row is still READY. The relay
  marks what it handed over in Redis itself (`relayed:<id>:<try>`, expiring after the lease): with the
  mark gone or expired, the row is handed over again. A job that arrives twice finds its row claimed.
- **An RQ worker dies during a task**: the worker renews a lease (`WorkerBeat`) while the task runs; the
  relay puts back in the queue the tasks whose lease ran out (`jobs.reap_stalled`), and hands them over
  again. RQ's own registries are then only its view: the row says what happened.
- **A service out of reach** (the mail relay, a provider): the task is given back in its place and the
  relay pauses for 1, 2, 4 … 30 s; jobs taken meanwhile give their row back untouched. After the outage,
  the work leaves in the order it came in.
"""

import logging
import os
import socket
import threading
import time

import django_rq
import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from . import jobs
from .models import WorkerBeat

logger = logging.getLogger("parvis.relay")

PAUSED = "parvis:tasks:paused"  # set, with a lifetime, while a service is out of reach
OUTAGES = "parvis:tasks:outages"  # failures in a row to reach a service
JOB_TIMEOUT_S = 3600  # RQ stops a job after this: its lease then runs out and the task is run again
REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


def _mark(task_id, tries: int) -> str:
    return f"parvis:tasks:relayed:{task_id}:{tries}"


def _redis() -> redis.Redis:
    return django_rq.get_connection("default")


class Relay:
    """Hands the due rows over to Redis, at most `ahead` waiting there per queue; renews its own sign of life
    and takes back the stalled tasks."""

    def __init__(self, *, interval: float = 0.5, ahead: int = 200, backend_name: str = "default"):
        self.interval, self.ahead, self.backend_name = interval, ahead, backend_name
        self.worker_id = f"relay-{socket.gethostname()}-{os.getpid()}"[:64]
        self.started_at = timezone.now()
        self.running = True
        self.outages = 0
        self._last_beat = self._last_reap = 0.0

    def run(self) -> None:
        logger.info("Relaying tasks to Redis (worker %s)", self.worker_id)
        try:
            while self.running:
                moved = self._step()
                if not moved and self.running:
                    time.sleep(self.interval)
        finally:
            try:
                WorkerBeat.objects.filter(pk=self.worker_id).delete()
            except DatabaseError:
                pass

    def _step(self) -> int:
        try:
            self._keep_alive()
            moved = self.relay_once()
        except REDIS_ERRORS as exc:
            return self._out_of_reach("Redis", exc)
        except DatabaseError as exc:
            connection.close()
            return self._out_of_reach("the database", exc)
        self.outages = 0
        return moved

    def _out_of_reach(self, what: str, exc: BaseException) -> int:
        self.outages += 1
        wait = jobs.outage_wait_s(self.outages)
        logger.warning("%s out of reach (%s); the tasks wait in the database, %.1f s", what, exc, wait)
        time.sleep(wait)
        return 0

    def _keep_alive(self) -> None:
        every = max(0.5, settings.PARVIS_TASK_LEASE_S / 4)
        now = time.monotonic()
        if now - self._last_beat >= every:
            self._last_beat = now
            jobs.beat(self.worker_id, host=socket.gethostname(), pid=os.getpid(), started_at=self.started_at)
        if now - self._last_reap >= every * 2:
            self._last_reap = now
            jobs.reap_stalled()

    def relay_once(self) -> int:
        """Hand over what is due and not yet handed over; how many."""
        conn = _redis()
        if conn.exists(PAUSED):
            return 0
        rows = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        due = list(rows.values_list("id", "worker_ids", "queue_name")[: self.ahead])
        if not due:
            return 0
        room = {name: self.ahead - django_rq.get_queue(name).count for name in {q for _i, _w, q in due}}
        due = [row for row in due if _take_room(room, row[2])]
        lease_ms = int(settings.PARVIS_TASK_LEASE_S * 1000)
        with conn.pipeline(transaction=False) as pipe:
            for task_id, worker_ids, _queue in due:
                pipe.set(_mark(task_id, len(worker_ids)), "1", nx=True, px=lease_ms)
            fresh = pipe.execute()
        moved = 0
        for (task_id, worker_ids, queue_name), new in zip(due, fresh, strict=True):
            if new:
                django_rq.get_queue(queue_name).enqueue(
                    run,
                    str(task_id),
                    job_id=f"parvis-{task_id}-{len(worker_ids)}",
                    job_timeout=JOB_TIMEOUT_S,
                    result_ttl=0,
                    failure_ttl=86400,
                )
                moved += 1
        return moved


def _take_room(room: dict, queue_name: str) -> bool:
    if room[queue_name] <= 0:
        return False
    room[queue_name] -= 1
    return True


def run(task_id: str) -> str:
    """The RQ job: claim the task's row and run it. A row already claimed or done is left alone."""
    conn = _redis()
    if conn.exists(PAUSED):  # a service is out of reach: the relay hands it over again after the pause
        _unmark(conn, task_id)
        return "paused"
    worker_id = f"rq-{socket.gethostname()}-{os.getpid()}"[:64]
    row = claim(task_id, worker_id)
    if row is None:
        return "not ready"
    lease = Lease(worker_id)
    lease.start()
    try:
        error = jobs.execute(row)
    except DatabaseError as exc:  # the database went during the task: it is taken back after the lease
        logger.warning("Database out of reach during task %s (%s): left to its lease", task_id, exc)
        lease.stop(forget=False)
        connection.close()
        return "database lost"
    lease.stop()
    if error is not None and jobs.classify(error) == jobs.OUTAGE:
        outages = conn.incr(OUTAGES)
        conn.expire(OUTAGES, 900)
        conn.set(PAUSED, "1", px=max(1, int(jobs.outage_wait_s(outages) * 1000)))
        _unmark(conn, task_id)
        return "service out of reach"
    if error is None:
        conn.delete(OUTAGES)
    return "done" if error is None else "failed"


def _unmark(conn: redis.Redis, task_id: str) -> None:
    tries = DBTaskResult.objects.filter(pk=task_id).values_list("worker_ids", flat=True).first()
    if tries is not None:
        conn.delete(_mark(task_id, len(tries)))


def claim(task_id: str, worker_id: str) -> DBTaskResult | None:
    """Take a READY row for this worker, or None (already run, running, or gone). One UPDATE decides who
    takes it, on SQLite and PostgreSQL alike."""
    now = timezone.now()
    if not DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.READY).update(
        status=TaskResultStatus.RUNNING, started_at=now
    ):
        return None
    row = DBTaskResult.objects.get(pk=task_id)
    row.worker_ids = [*row.worker_ids, worker_id]
    row.save(update_fields=["worker_ids"])
    return row


class Lease:
    """The worker's sign of life while its task runs, renewed from a thread (`jobs.reap_stalled`)."""

    def __init__(self, worker_id: str):
        self.worker_id = worker_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, name="parvis-lease", daemon=True)

    def start(self) -> None:
        self._beat()
        self._thread.start()

    def _beat(self) -> None:
        jobs.beat(self.worker_id, host=socket.gethostname(), pid=os.getpid(), started_at=timezone.now())

    def _renew(self) -> None:
        every = max(0.5, settings.PARVIS_TASK_LEASE_S / 4)
        while not self._stop.wait(every):
            try:
                self._beat()
            except DatabaseError:
                connection.close()
        connection.close()

    def stop(self, *, forget: bool = True) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        if forget:
            WorkerBeat.objects.filter(pk=self.worker_id).delete()

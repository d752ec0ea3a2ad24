"""Background work that is not lost: what a failure means, when a task is tried again, and what the staff
see when it fails for good. ADR 0006 explains the choices.

- **Leases.** A worker renews its sign of life (`WorkerBeat`) every `PARVIS_TASK_LEASE_S / 4` seconds,
  from a thread, while it waits and while a task runs. A task left RUNNING by a worker whose sign is older
  than the lease (the worker was killed, its machine lost) is put back in the queue, in its place, by any
  other worker (`reap_stalled`). At least once: every task is written to be run twice safely.
- **What a failure means** (`classify`):
  - `OUTAGE`: the service the task needs is out of reach (connection refused or reset, a timeout, the
    relay's 421, the database gone). The task keeps its place and its tries; the worker waits, longer each
    time, and takes it again: after an outage, work comes out in the order it went in.
  - `TRANSIENT`: this try failed (an SMTP 4xx for this message, a provider's 5xx, an error of ours). The
    task is tried again later, after an exponential delay with jitter, up to its kind's number of tries.
  - `PERMANENT`: trying again gives the same answer (an address refused with a 5xx, a request refused).
  The last try spent, or a permanent failure: the task is FAILED and a `FailedJob` is written for the
  organizer's staff (« Tâches en échec »), who retry or dismiss it.
- **Policies.** Each kind of task may say how many tries it gets, how long the first delay is, and what it
  is about (which organizer, which order) for the failed-jobs page: `policy(task, …)` in the app's tasks.
"""

import contextvars
import datetime
import errno
import logging
import random
import smtplib
import socket
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tasks import signals as task_signals
from django_tasks.base import Task, TaskContext, TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from .models import FailedJob, SentMail, WorkerBeat

logger = logging.getLogger("parvis.jobs")

OUTAGE, TRANSIENT, PERMANENT = "outage", "transient", "permanent"

# Sent when a task has failed for good (its FailedJob written): the network app e-mails the administrators.
job_failed = Signal()


class Permanent(Exception):
    """Raised by a task to say that trying again cannot help; its text is shown to the staff."""


class Bounced(Permanent):
    """The relay refused the recipients for good (SMTP 5xx): recorded as a bounce, not tried again."""

    def __init__(self, code: int, reason: str = ""):
        super().__init__(f"{code} {reason}".strip())
        self.code = code


class WorkerLost(Exception):
    """The worker that ran the task stopped renewing its lease (killed, or its machine lost)."""


@dataclass(frozen=True)
class Policy:
    tries: int = 8
    first_delay_s: float = 15.0
    max_delay_s: float = 1800.0
    label: str = ""
    # kwargs → (organizer id or None, what it is about, in words without personal data)
    about: Callable[[dict], tuple[int | None, str]] | None = None
    # A worker that takes a task of this kind takes up to this many of its kind at once (`claim_alike`):
    # short tasks by the thousand (tickets after an on-sale rush) do not each pay for a claim of their own.
    batch: int = 1


DEFAULT_POLICY = Policy()
_POLICIES: dict[str, Policy] = {}
_CLASSIFIERS: list[Callable[[BaseException], str | None]] = []


def policy(task: Task, **options) -> Task:
    """Say how a kind of task is tried again and what it is about (`Policy`'s fields)."""
    _POLICIES[task.module_path] = Policy(**options)
    return task


def policy_of(task_path: str) -> Policy:
    return _POLICIES.get(task_path, DEFAULT_POLICY)


def classifier(function: Callable[[BaseException], str | None]) -> Callable:
    """Register what a library's errors mean (OUTAGE, TRANSIENT, PERMANENT, or None: not mine)."""
    _CLASSIFIERS.append(function)
    return function


_UNREACHABLE = {errno.ECONNREFUSED, errno.ECONNRESET, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT}


def classify(exc: BaseException) -> str:
    if isinstance(exc, Permanent):
        return PERMANENT
    for function in _CLASSIFIERS:
        kind = function(exc)
        if kind is not None:
            return kind
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in exc.recipients.values()]
        return TRANSIENT if any(code < 500 for code in codes) else PERMANENT
    if isinstance(exc, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return OUTAGE
    if isinstance(exc, smtplib.SMTPResponseException):
        if exc.smtp_code == 421:  # the relay closes: service not available
            return OUTAGE
        return TRANSIENT if exc.smtp_code < 500 else PERMANENT
    if isinstance(exc, ConnectionError | TimeoutError | socket.timeout):
        return OUTAGE
    if isinstance(exc, OSError) and exc.errno in _UNREACHABLE:
        return OUTAGE
    if isinstance(exc, OperationalError | InterfaceError):
        return OUTAGE
    return TRANSIENT  # an error of ours, perhaps fixed by the next deployment: its kind's tries


def delay_s(tries: int, rule: Policy, *, rng=random.random) -> float:
    """Exponential delay before the next try, with jitter (between half and all of it), so that the tasks
    that failed together are not tried again together."""
    full = min(rule.max_delay_s, rule.first_delay_s * 2 ** max(0, tries - 1))
    return full * settings.PARVIS_TASK_DELAY_SCALE * (0.5 + rng() / 2)


def outage_wait_s(outages: int, *, rng=random.random) -> float:
    """How long a worker waits after the `outages`-th failure in a row to reach a service."""
    full = min(settings.PARVIS_WORKER_OUTAGE_MAX_S, 2 ** max(0, outages - 1))
    return full * (0.5 + rng() / 2)


# The task a worker is running, for what must happen once per task (e-mails: `core.mail.deliver`).
@dataclass
class RunningTask:
    id: str
    again: bool = False  # a run again of a task claimed before (its worker died, or its try failed)
    sent: int = 0  # e-mails handed to the relay so far in this run


_running: contextvars.ContextVar[tuple[RunningTask, ...]] = contextvars.ContextVar("parvis_task", default=())


def running_task() -> RunningTask | None:
    stack = _running.get()
    return stack[-1] if stack else None


def run_again() -> bool:
    """Whether the task running is a run again: what it claimed in its first run is still its own."""
    running = running_task()
    return running is not None and running.again


def task_started(sender, task_result, **kwargs) -> None:
    again = len(task_result.worker_ids or ()) > 1
    _running.set((*_running.get(), RunningTask(str(task_result.id), again=again)))


def task_finished(sender, task_result, **kwargs) -> None:
    stack = _running.get()
    if stack and stack[-1].id == str(task_result.id):
        _running.set(stack[:-1])


# What happens to a task row.


def execute(row: DBTaskResult) -> Exception | None:
    """Run a task its worker has claimed and record what came of it: None when it succeeded, else the error.
    After an OUTAGE (`classify`) the task is given back in its place, its try not counted: the caller waits
    before the next. The database going away is raised (the caller waits, then gives the task back)."""
    try:
        _call(row)
    except (OperationalError, InterfaceError):
        raise  # the database out of reach; its other errors (an IntegrityError) are the task's own
    except Exception as exc:
        settle(row, exc)
        return exc
    return None


def _call(row: DBTaskResult) -> None:
    task = row.task
    result = row.task_result
    sender = type(task.get_backend())
    task_signals.task_started.send(sender=sender, task_result=result)
    try:
        if task.takes_context:
            value = task.call(TaskContext(task_result=result), *result.args, **result.kwargs)
        else:
            value = task.call(*result.args, **result.kwargs)
    finally:
        task_finished(sender, result)  # the e-mails' count of this run ends with it
    row.set_successful(value)
    task_signals.task_finished.send(sender=sender, task_result=row.task_result)


def settle(row: DBTaskResult, exc: Exception) -> str:
    """A try failed: give the task back (outage), try it again later (transient, tries left), or fail it."""
    kind = classify(exc)
    rule = policy_of(row.task_path)
    if kind == OUTAGE:
        release(row)
        logger.warning("Out of reach (%s); task %s kept in its place", exc, row.pk)
    elif kind == TRANSIENT and tries_of(row) < rule.tries:
        when = retry_later(row, exc, rule)
        logger.info("Task %s failed (%s); next try at %s", row.pk, type(exc).__name__, when)
    else:
        fail(row, exc)
        row.refresh_from_db()
        task_signals.task_finished.send(sender=type(row.task.get_backend()), task_result=row.task_result)
    return kind


RELEASED = "~"  # ends a worker's id in `worker_ids` when it gave the task back: not a try, yet it had begun


def tries_of(row: DBTaskResult) -> int:
    """Each claim adds the worker's id; a claim given back (`release`) is not a try."""
    return sum(1 for worker_id in row.worker_ids if not worker_id.endswith(RELEASED))


def _error_fields(exc: BaseException) -> dict:
    return {
        "exception_class_path": f"{type(exc).__module__}.{type(exc).__qualname__}",
        "traceback": "".join(traceback.format_exception(exc))[-20000:],
    }


def release(row: DBTaskResult) -> int:
    """Give a claimed task back, in its place, its try not counted (its service was out of reach). The claim
    stays in `worker_ids`, marked: the next run is a run again (`run_again`), which may have to finish what
    this one began (an order's confirmation claimed, then the database lost before the e-mail left)."""
    given_back = [*row.worker_ids[:-1], row.worker_ids[-1] + RELEASED] if row.worker_ids else []
    return DBTaskResult.objects.filter(pk=row.pk, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.READY, worker_ids=given_back, started_at=None
    )


def claim_alike(row: DBTaskResult, worker_id: str, size: int) -> list[DBTaskResult]:
    """Up to `size` more tasks of `row`'s kind that are ready in its queue, in the queue's order, claimed
    by `worker_id` in one transaction (rows another worker holds are skipped). The worker runs them one
    after the other; a claim not yet run when the worker stops is given back (`unclaim`), and one left by
    a worker killed is taken back when its lease expires (`reap_stalled`), like any task it was running."""
    if size < 1:
        return []
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            DBTaskResult.objects.ready()
            .filter(task_path=row.task_path, queue_name=row.queue_name, backend_name=row.backend_name)
            .select_for_update(skip_locked=True)[:size]
        )
        for other in rows:
            other.status, other.started_at = TaskResultStatus.RUNNING, now
            other.worker_ids = [*other.worker_ids, worker_id]
        DBTaskResult.objects.bulk_update(rows, ["status", "started_at", "worker_ids"])
    return rows


def unclaim(row: DBTaskResult) -> int:
    """Give back a task claimed and not begun: as it was before the claim, in its place."""
    return DBTaskResult.objects.filter(pk=row.pk, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.READY, worker_ids=row.worker_ids[:-1], started_at=None
    )


def retry_later(row: DBTaskResult, exc: BaseException, rule: Policy) -> datetime.datetime:
    when = timezone.now() + datetime.timedelta(seconds=delay_s(tries_of(row), rule))
    DBTaskResult.objects.filter(pk=row.pk).update(
        status=TaskResultStatus.READY, run_after=when, **_error_fields(exc)
    )
    return when


def reason_of(exc: BaseException) -> str:
    """Why, in words the staff read, without the recipients' addresses."""
    if isinstance(exc, WorkerLost):
        return str(_("Le processus qui exécutait la tâche s'est arrêté à chaque essai."))
    if isinstance(exc, Bounced):
        return str(_("Le serveur de messagerie a refusé l'adresse (%(answer)s).") % {"answer": exc})
    if isinstance(exc, Permanent):
        return str(exc)[:300]
    if isinstance(exc, smtplib.SMTPResponseException):
        return str(_("Le serveur de messagerie a répondu %(code)s.") % {"code": exc.smtp_code})
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _message in exc.recipients.values()})
        return str(_("Le serveur de messagerie a répondu %(code)s.") % {"code": ", ".join(map(str, codes))})
    kind = classify(exc)
    if kind == OUTAGE:
        return str(_("Un service nécessaire est resté injoignable."))
    return str(_("Erreur inattendue (%(error)s).") % {"error": type(exc).__name__})


def fail(row: DBTaskResult, exc: BaseException) -> FailedJob:
    """The task failed for good: FAILED, and a FailedJob the staff see."""
    now = timezone.now()
    DBTaskResult.objects.filter(pk=row.pk).update(
        status=TaskResultStatus.FAILED, finished_at=now, return_value=None, **_error_fields(exc)
    )
    rule = policy_of(row.task_path)
    organizer_id, subject = None, ""
    if rule.about is not None:
        try:
            organizer_id, subject = rule.about(row.args_kwargs.get("kwargs", {}))
        except Exception:  # what it was about is gone (erased, deleted): the failure is still shown
            logger.exception("Could not tell what failed task %s was about", row.pk)
    job, _created = FailedJob.objects.update_or_create(
        task_id=row.pk,
        defaults={
            "task_path": row.task_path,
            "organizer_id": organizer_id,
            "subject": str(subject)[:200],
            "reason": reason_of(exc)[:300],
            "error": type(exc).__name__[:200],
            "tries": tries_of(row),
            "failed_at": now,
            "retried_at": None,
            "dismissed_at": None,
            "handled_by": None,
        },
    )
    logger.warning("Task %s (%s) failed for good: %s", row.pk, row.task_path, job.reason)
    job_failed.send(sender=FailedJob, job=job)
    return job


def label_of(job: FailedJob) -> str:
    rule = policy_of(job.task_path)
    return str(rule.label) if rule.label else job.task_path.rsplit(".", 1)[-1]


def retry_failed(job: FailedJob, user) -> bool:
    """Put a failed task back in the queue, with all its tries; False if its row is gone (purged)."""
    back = DBTaskResult.objects.filter(pk=job.task_id, status=TaskResultStatus.FAILED).update(
        status=TaskResultStatus.READY,
        worker_ids=[],
        run_after=get_date_max(),
        started_at=None,
        finished_at=None,
    )
    if back:
        FailedJob.objects.filter(pk=job.pk).update(retried_at=timezone.now(), handled_by=user)
    return bool(back)


def dismiss_failed(job: FailedJob, user) -> None:
    FailedJob.objects.filter(pk=job.pk).update(dismissed_at=timezone.now(), handled_by=user)


# Leases.


def beat(worker_id: str, *, host: str, pid: int, started_at, paused_until=None, pause_reason="") -> None:
    now = timezone.now()
    fields = {"beat_at": now, "paused_until": paused_until, "pause_reason": pause_reason[:200]}
    if not WorkerBeat.objects.filter(pk=worker_id).update(**fields):
        WorkerBeat.objects.create(worker_id=worker_id, host=host, pid=pid, started_at=started_at, **fields)


def lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.PARVIS_TASK_LEASE_S)


def reap_stalled(*, now: datetime.datetime | None = None) -> tuple[int, int]:
    """Put back in the queue the tasks whose worker stopped renewing its lease; those whose tries are all
    spent fail for good. (requeued, failed)."""
    now = now or timezone.now()
    stale = now - lease()
    alive = set(WorkerBeat.objects.filter(beat_at__gte=stale).values_list("worker_id", flat=True))
    requeued = failed = 0
    for row in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=stale):
        if row.worker_ids and row.worker_ids[-1] in alive:
            continue  # a long task, its worker alive
        if tries_of(row) >= policy_of(row.task_path).tries:
            fail(row, WorkerLost(f"worker {row.worker_ids[-1] if row.worker_ids else '?'} lost"))
            failed += 1
            continue
        requeued += DBTaskResult.objects.filter(
            pk=row.pk, status=TaskResultStatus.RUNNING, started_at=row.started_at
        ).update(status=TaskResultStatus.READY, started_at=None)
    if requeued or failed:
        logger.warning("Stalled tasks: %d put back in the queue, %d failed for good", requeued, failed)
    WorkerBeat.objects.filter(beat_at__lt=now - datetime.timedelta(days=1)).delete()
    return requeued, failed


def purge_finished(*, days: float) -> int:
    """Forget the finished work (done or failed) older than `days`: its arguments and results are ids, yet
    a stored task is a copy of what happened to someone, kept no longer than needed to see it went well.
    A failed task the staff have not yet retried or dismissed is kept."""
    cutoff = timezone.now() - datetime.timedelta(days=days)
    finished = [TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED]
    awaiting_staff = FailedJob.objects.filter(dismissed_at=None, retried_at=None).values("task_id")
    SentMail.objects.filter(sent_at__lt=cutoff).delete()
    FailedJob.objects.filter(failed_at__lt=cutoff).exclude(dismissed_at=None, retried_at=None).delete()
    return (
        DBTaskResult.objects.filter(status__in=finished, finished_at__lt=cutoff)
        .exclude(pk__in=awaiting_staff)
        .delete()[0]
    )

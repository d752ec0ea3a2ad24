"""`parvis health`: what an operator checks first — the database, the migrations, the background work.

Exit status 0 when the database answers and every migration is applied, 1 otherwise."""

import datetime
import json

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError
from django.db.models import Min
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from parvis.core import jobs
from parvis.core.health import migrations_pending
from parvis.core.models import FailedJob, WorkerBeat

LONG_RUNNING = datetime.timedelta(minutes=10)


def _age(moment) -> float | None:
    return round((timezone.now() - moment).total_seconds(), 1) if moment else None


def task_figures() -> dict:
    """The database backend's backlog: what waits, since when, what runs (and for how long), what failed."""
    now = timezone.now()
    tasks = DBTaskResult.objects
    ready = tasks.filter(status=TaskResultStatus.READY)
    running = tasks.filter(status=TaskResultStatus.RUNNING)
    return {
        "ready": ready.count(),
        "ready_due": ready.filter(run_after__lte=now).count(),
        "oldest_ready_age_s": _age(ready.aggregate(at=Min("enqueued_at"))["at"]),
        "running": running.count(),
        "running_over_10_min": running.filter(started_at__lt=now - LONG_RUNNING).count(),
        "stalled": _stalled(now),
        "failed_last_24h": tasks.filter(
            status=TaskResultStatus.FAILED, finished_at__gte=now - datetime.timedelta(days=1)
        ).count(),
        "failed_awaiting_staff": FailedJob.objects.filter(dismissed_at=None, retried_at=None).count(),
    }


def _stalled(now) -> int:
    """RUNNING, their worker silent for longer than the lease: the next worker's look takes them back."""
    alive = set(
        WorkerBeat.objects.filter(beat_at__gte=now - jobs.lease()).values_list("worker_id", flat=True)
    )
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=now - jobs.lease())
    return sum(1 for ids in running.values_list("worker_ids", flat=True) if not ids or ids[-1] not in alive)


def worker_figures() -> list[dict]:
    """Each worker's last sign of life, and whether it waits for a service out of reach."""
    return [
        {
            "worker": beat.worker_id[:12],
            "host": beat.host,
            "pid": beat.pid,
            "last_beat_age_s": _age(beat.beat_at),
            "alive": beat.beat_at >= timezone.now() - jobs.lease(),
            "paused_for": beat.pause_reason
            if beat.paused_until and beat.paused_until > timezone.now()
            else "",
        }
        for beat in WorkerBeat.objects.order_by("-beat_at")[:50]
    ]


class Command(BaseCommand):
    help = "Database, migrations and background work at a glance (JSON with --json)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="one JSON object")

    def handle(self, *args, **options):
        report: dict = {"database": "ok"}
        try:
            report["migrations_pending"] = migrations_pending()
            report["tasks_backend"] = settings.TASKS["default"]["BACKEND"]
            report["tasks"] = task_figures()
            report["workers"] = worker_figures()
        except DatabaseError as exc:
            report["database"] = f"unavailable: {type(exc).__name__}: {exc}".strip()[:300]
        healthy = report["database"] == "ok" and not report.get("migrations_pending")
        if options["json"]:
            self.stdout.write(json.dumps(report))
        else:
            self.stdout.write(f"database: {report['database']}")
            if "migrations_pending" in report:
                self.stdout.write(f"migrations pending: {report['migrations_pending']}")
                self.stdout.write(f"tasks backend: {report['tasks_backend']}")
                for name, value in report["tasks"].items():
                    self.stdout.write(
                        f"tasks {name.replace('_', ' ')}: {value if value is not None else '—'}"
                    )
                if not report["workers"]:
                    self.stdout.write("workers: none seen (is `parvis db_worker` running?)")
                for worker in report["workers"]:
                    state = "alive" if worker["alive"] else "silent"
                    paused = f", waiting: {worker['paused_for']}" if worker["paused_for"] else ""
                    self.stdout.write(
                        f"worker {worker['worker']} on {worker['host']} pid {worker['pid']}: {state}, "
                        f"last beat {worker['last_beat_age_s']} s ago{paused}"
                    )
        if not healthy:
            raise SystemExit(1)

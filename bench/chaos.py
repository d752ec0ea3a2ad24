"""Chaos benchmark: a 3,000-order API rush and a 500-refund batch while parts fail, on PostgreSQL.

The bench starts gunicorn (4 workers), two task workers (`parvis db_worker`, in the idle scheduling class as
the README recommends), a real SMTP server (aiosmtpd) and a stand-in for Stripe's refunds API that keeps one
refund per idempotency key, as Stripe does. Then, from the rush's start (t = 0):
- the SMTP server answers 451 to 20 % of recipients for 60 s, then refuses connections for 30 s;
- at t = 1.5 s every database connection of the application is terminated (`pg_terminate_backend`);
- at t = 3 s one gunicorn worker is SIGKILLed (gunicorn starts another);
- a task worker is SIGKILLed every 5 s (the two in turn) and started again at once, until the faults end;
- when the rush is over, a date with 500 card-paid orders is cancelled: 500 refunds to the provider and 500
  notices, the task workers still being killed.
The load generator retries a request that failed (503, no answer, a 5xx) with the same Idempotency-Key, as
a client should. The faults end at t = 90 s at the earliest; then the work left is drained.

Figures (targets from issue 32): lost_orders, duplicate_orders, lost_emails, duplicate_emails (≤ 3),
duplicate_refunds, server_errors (5xx other than 503), stalled_task_recovered_s (≤ 120), db_recovery_s (≤ 10),
drain_after_faults_s; and, for reading them, the rush's orders/s under faults, lost refunds, dropped
connections. Run alone: DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/chaos.py
"""

import collections
import json
import logging
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler

os.environ["PARVIS_TASKS_BACKEND"] = "database"  # the bench's own writes queue their tasks in the table
from _common import (  # noqa: E402
    ROOT,
    _free_port,
    _idle_priority,
    emit,
    http_request,
    machine_speed,
    server_env,
    setup_django,
)

setup_django()
logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd tells of every connection

from django.db import DatabaseError, close_old_connections, connection  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402
from onsale import build  # noqa: E402

from parvis.core.tests.smtp import Sink  # noqa: E402
from parvis.core.tests.standins import reply_json, serve  # noqa: E402
from parvis.ticketing.auth import api_token_create  # noqa: E402
from parvis.ticketing.models import Order, Payment  # noqa: E402
from parvis.ticketing.services import performance_cancel  # noqa: E402
from parvis.ticketing.tests.factories import buy  # noqa: E402

BENCH = "chaos"
ORDERS = int(os.environ.get("BENCH_CHAOS_ORDERS", "3000"))
REFUNDS = int(os.environ.get("BENCH_CHAOS_REFUNDS", "500"))
BUYERS = 32
TERMINATE_AT, GUNICORN_KILL_AT, WORKER_KILL_EVERY = 1.5, 3.0, 5.0
SMTP_451_UNTIL, SMTP_DOWN_UNTIL = 60.0, 90.0


class StripeStandIn(BaseHTTPRequestHandler):
    """POST /v1/refunds: one refund per idempotency key, answered after 30 ms (a kill may land meanwhile)."""

    lock = threading.Lock()
    run = time.time_ns()  # refund ids unique across runs (the bench's database keeps the earlier ones)
    by_key: dict[str, dict] = {}
    by_intent: dict[str, set] = collections.defaultdict(set)

    def do_POST(self):  # noqa: N802
        form = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        intent = re.search(r"payment_intent=([^&]+)", form).group(1)
        key = self.headers.get("Idempotency-Key", "")
        time.sleep(0.03)
        with self.lock:
            if key not in self.by_key:
                self.by_key[key] = {
                    "id": f"re_chaos{self.run}x{len(self.by_key) + 1}",
                    "object": "refund",
                    "status": "succeeded",
                }
            refund = self.by_key[key]
            self.by_intent[intent].add(refund["id"])
        reply_json(self, refund)

    def log_message(self, *args):
        pass


class Parts:
    """gunicorn and the two task workers, with what is needed to kill them."""

    def __init__(self, smtp_port: int, stripe_port: int):
        self.port = _free_port()
        self.env = server_env(
            self.port,
            EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
            STRIPE_SECRET_KEY="sk_test_chaos",  # noqa: S106 - the stand-in's
            STRIPE_API_BASE=f"http://127.0.0.1:{stripe_port}",
        )
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        self.web = subprocess.Popen(  # noqa: S603
            [gunicorn, "parvis.wsgi:application", "--workers", "4", "--bind", f"127.0.0.1:{self.port}"]
            + ["--log-level", "critical", "--backlog", "512"],
            env=self.env,
            cwd=ROOT,
        )
        self.generation = 0
        self.workers: list[tuple[str, subprocess.Popen]] = [self._worker(0), self._worker(1)]

    def _worker(self, slot: int) -> tuple[str, subprocess.Popen]:
        self.generation += 1
        worker_id = f"chaos-{slot}-{self.generation}"
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "parvis", "db_worker", "--interval", "0.2", "--no-startup-delay"]
            + ["--worker-id", worker_id],
            env=self.env,
            cwd=ROOT,
            preexec_fn=_idle_priority,  # noqa: PLW1509
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return worker_id, process

    def wait_up(self) -> None:
        for _ in range(150):
            try:
                if http_request(self.port, "GET", "/readyz").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def kill_task_worker(self, slot: int) -> str:
        """SIGKILL a task worker and start another in its place; the id of the one killed."""
        worker_id, process = self.workers[slot]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        self.workers[slot] = self._worker(slot)
        return worker_id

    def kill_web_worker(self) -> bool:
        children = f"/proc/{self.web.pid}/task/{self.web.pid}/children"
        with open(children) as listing:
            pids = [int(pid) for pid in listing.read().split()]
        if pids:
            os.kill(random.choice(pids), signal.SIGKILL)
        return bool(pids)

    def stop(self) -> None:
        for process in [self.web, *(p for _w, p in self.workers)]:
            process.terminate()
        for process in [self.web, *(p for _w, p in self.workers)]:
            process.wait(timeout=60)


class Rush:
    """Buyers that retry with the same Idempotency-Key until they get their order (30 tries at most)."""

    def __init__(self, port: int, token: str, tariff_id: int):
        self.port, self.token = port, token
        self.body = json.dumps(
            {
                "items": [{"tariff": tariff_id, "quantity": 1}],
                "buyer": {"email": "chaos@example.org", "first_name": "C", "last_name": "H"},
            }
        ).encode()
        self.codes: dict[int, str] = {}  # order number → the code answered with the 201
        self.statuses: collections.Counter = collections.Counter()
        self.first_ok_after: dict[
            float, float
        ] = {}  # a fault's time → the first 201 to a request sent after it
        self.faults: list[float] = []
        self.lock = threading.Lock()
        self.seconds = 0.0

    def order(self, n: int) -> None:
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json",
            "Idempotency-Key": f"chaos-{n}",
        }
        for attempt in range(30):
            sent = time.monotonic()
            try:
                response = http_request(self.port, "POST", "/api/v1/orders", headers, self.body)
                status = response.status
            except OSError:
                response, status = None, 599  # no answer (a worker killed, a connection reset)
            with self.lock:
                self.statuses[status] += 1
            if status == 201:
                with self.lock:
                    self.codes[n] = json.loads(response.body)["code"]
                    for fault in self.faults:
                        if sent >= fault and fault not in self.first_ok_after:
                            self.first_ok_after[fault] = time.monotonic()
                return
            if status in (400, 401, 403, 404, 422):
                return  # refused: not retried (counted lost)
            wait = float((response and response.header("retry-after")) or 0.2 * (attempt + 1))
            time.sleep(min(5.0, wait) * (0.5 + random.random() / 2))  # noqa: S311

    def run(self) -> None:
        start = time.monotonic()
        with ThreadPoolExecutor(BUYERS) as pool:
            list(pool.map(self.order, range(ORDERS)))
        self.seconds = time.monotonic() - start


def running_task_of(worker_id: str) -> str | None:
    rows = DBTaskResult.objects.filter(status="RUNNING").values_list("id", "worker_ids")
    return next((str(pk) for pk, ids in rows if ids and ids[-1] == worker_id), None)


def recovered(task_id: str, killed: str) -> bool:
    row = DBTaskResult.objects.filter(pk=task_id).values_list("status", "worker_ids").first()
    return row is None or row[0] in ("SUCCESSFUL", "FAILED") or (row[0] == "RUNNING" and row[1][-1] != killed)


def refund_batch() -> tuple[object, list[int]]:
    """A date with REFUNDS orders paid by card (Stripe), built before the rush; their tasks are not counted."""
    _, performance, tariff = build("refunds")
    orders = [buy(tariff) for _ in range(REFUNDS)]
    run = time.time_ns()  # the bench's database keeps earlier runs' payments
    for n, order in enumerate(orders):
        order.payments.update(provider="stripe", reference=f"pi_chaos{run}x{n}")
    DBTaskResult.objects.all().delete()
    return performance, [order.pk for order in orders]


class Conductor:
    """Injects the faults on the rush's clock and watches the tasks that were running when their worker died."""

    def __init__(self, parts: Parts, sink: Sink, rush: Rush):
        self.parts, self.sink, self.rush = parts, sink, rush
        self.t0 = time.monotonic()
        self.stalled: dict[str, tuple[float, str]] = {}  # task → (killed at, the worker killed)
        self.recovery: list[float] = []
        self.refunds_started = threading.Event()
        self.ended_at = 0.0

    def now(self) -> float:
        return time.monotonic() - self.t0

    def run(self) -> None:
        terminated = web_killed = smtp_down = smtp_back = False
        next_kill, slot = WORKER_KILL_EVERY, 0
        while True:
            t = self.now()
            if not terminated and t >= TERMINATE_AT:
                terminated = True
                self.rush.faults.append(time.monotonic())
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
            if not web_killed and t >= GUNICORN_KILL_AT:
                web_killed = self.parts.kill_web_worker()
            if not smtp_down and t >= SMTP_451_UNTIL:
                smtp_down = True
                self.sink.stop()
            if smtp_down and not smtp_back and t >= SMTP_DOWN_UNTIL:
                smtp_back = True
                self.sink.start()
            if t >= next_kill:
                next_kill += WORKER_KILL_EVERY
                killed = self.parts.kill_task_worker(slot)
                slot = 1 - slot
                self._note_stalled(killed)
            self._watch()
            if smtp_back and self.refunds_started.is_set() and t >= self.refunds_end + 20:
                break
            time.sleep(0.1)
        self.ended_at = time.monotonic()

    refunds_end = float("inf")

    def _note_stalled(self, killed: str) -> None:
        for _ in range(3):
            try:
                task = running_task_of(killed)
                break
            except DatabaseError:
                close_old_connections()
                connection.close()
        else:
            return
        if task is not None:
            self.stalled[task] = (time.monotonic(), killed)

    def _watch(self) -> None:
        try:
            for task, (at, killed) in list(self.stalled.items()):
                if recovered(task, killed):
                    self.recovery.append(time.monotonic() - at)
                    del self.stalled[task]
        except DatabaseError:
            connection.close()


def backlog() -> int:
    return DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).count()


def e_mails(sink: Sink) -> collections.Counter:
    """(kind, order code) → copies received."""
    seen = collections.Counter()
    for subject in sink.subjects():
        code = re.search(r"commande ([A-Z0-9-]+)", subject)
        kind = "confirmation" if subject.startswith("Vos billets") else subject.split(" ", 1)[0]
        seen[(kind, code.group(1) if code else subject)] += 1
    return seen


def main():
    machine_speed(BENCH)
    organizer, performance, tariff = build("rush")
    token = api_token_create(organizer=organizer, name="chaos")
    refund_performance, refund_orders = refund_batch()
    stripe, _settings = serve(StripeStandIn)
    rng = random.Random(32)
    started = [0.0]

    def answer(address, n):
        late = time.monotonic() - started[0] < SMTP_451_UNTIL
        return "451 4.7.1 Try again later" if started[0] and late and rng.random() < 0.2 else None

    sink = Sink(answer=answer).start()
    parts = Parts(sink.port, stripe.server_port)
    try:
        parts.wait_up()
        rush = Rush(parts.port, token, tariff.pk)
        started[0] = time.monotonic()
        conductor = Conductor(parts, sink, rush)
        conducting = threading.Thread(target=conductor.run)
        conducting.start()
        rush.run()
        close_old_connections()
        connection.close()
        cancelled = _cancel(refund_performance)
        conductor.refunds_end = conductor.now()
        conductor.refunds_started.set()
        conducting.join()
        drain_start = time.monotonic()
        while (backlog() or conductor.stalled) and time.monotonic() - drain_start < 900:
            conductor._watch()
            time.sleep(0.5)
        drained = time.monotonic() - drain_start
        time.sleep(1)
        report(rush, conductor, sink, performance, refund_orders, drained, cancelled)
    finally:
        parts.stop()
        sink.stop()
        stripe.shutdown()
    machine_speed(BENCH)


def _cancel(refund_performance) -> int:
    for _ in range(5):
        try:
            return performance_cancel(actor=None, performance=refund_performance, reason="chaos")
        except DatabaseError:
            connection.close()
            time.sleep(1)
    raise RuntimeError("could not cancel the refund batch's date")


def report(rush, conductor, sink, performance, refund_orders, drained, cancelled) -> None:
    db = connection.vendor
    codes = set(rush.codes.values())
    in_database = set(Order.objects.filter(items__performance=performance).values_list("code", flat=True))
    lost = (ORDERS - len(rush.codes)) + len(codes - in_database)
    received = e_mails(sink)
    refund_codes = set(Order.objects.filter(pk__in=refund_orders).values_list("code", flat=True))
    expected = {("confirmation", code) for code in in_database} | {("Annulation", c) for c in refund_codes}
    lost_emails = sum(1 for key in expected if not received[key])
    duplicate_emails = sum(n - 1 for key, n in received.items() if key in expected and n > 1)
    duplicate_refunds = sum(len(ids) - 1 for ids in StripeStandIn.by_intent.values() if len(ids) > 1)
    refunds = Payment.objects.filter(order_id__in=refund_orders, provider="stripe", amount__lt=0)
    server_errors = sum(n for status, n in rush.statuses.items() if 500 <= status < 599 and status != 503)
    first_ok = rush.first_ok_after.get(rush.faults[0]) if rush.faults else None
    statuses = dict(sorted(rush.statuses.items()))
    emit(BENCH, "lost_orders", lost, "orders", 0, db=db)
    emit(BENCH, "duplicate_orders", max(0, len(in_database) - len(codes)), "orders", 0, db=db)
    emit(BENCH, "lost_emails", lost_emails, "e-mails", 0, db=db, expected=len(expected))
    emit(BENCH, "duplicate_emails", duplicate_emails, "e-mails", 3, db=db, received=sum(received.values()))
    emit(BENCH, "duplicate_refunds", duplicate_refunds, "refunds", 0, db=db, orders_cancelled=cancelled)
    emit(
        BENCH,
        "lost_refunds",
        refunds.filter(reference="").count(),
        "refunds",
        0,
        db=db,
        total=refunds.count(),
    )
    emit(BENCH, "server_errors", server_errors, "responses", 0, db=db, statuses=statuses)
    emit(BENCH, "dropped_connections", rush.statuses.get(599, 0), "requests", None, db=db)
    emit(
        BENCH,
        "stalled_task_recovered_s",
        round(max(conductor.recovery, default=0), 1),
        "s",
        120,
        db=db,
        stalled=len(conductor.recovery),
        never_recovered=len(conductor.stalled),
    )
    emit(BENCH, "db_recovery_s", round(first_ok - rush.faults[0], 2) if first_ok else None, "s", 10, db=db)
    emit(BENCH, "drain_after_faults_s", round(drained, 1), "s", None, db=db, left=backlog())
    emit(
        BENCH,
        "api_orders_per_s_under_faults",
        round(len(rush.codes) / rush.seconds, 1),
        "orders/s",
        None,
        db=db,
    )


if __name__ == "__main__":
    main()

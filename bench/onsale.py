"""On-sale benchmark: 32 concurrent buyers against gunicorn on PostgreSQL with the task worker running.

Figures: API orders/s, p99, oversold, server errors; web checkouts/s (event page → tickets, "Commander" →
details → demo payment → order page); queries per API order; the task backlog after each rush and the time
the worker takes to drain it. The server is warmed up first with a few orders and checkouts of its own (not
counted), and tasks left by them or by an earlier run are done before the rush.
Run alone: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python bench/onsale.py
"""

import datetime
import json
import os
import re
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from _common import Server, SmtpSink, emit, http_request, machine_speed, percentile, setup_django

setup_django()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from parvis.network.models import Organizer, Venue  # noqa: E402
from parvis.programming.models import Event, Performance  # noqa: E402
from parvis.ticketing import services  # noqa: E402
from parvis.ticketing.auth import api_token_create  # noqa: E402
from parvis.ticketing.models import Order, Quota, Ticket  # noqa: E402

BENCH = "onsale"
CAPACITY = 5000
BUYERS = 32
API_ORDERS = int(os.environ.get("BENCH_API_ORDERS", "3000"))
WEB_SECONDS = float(os.environ.get("BENCH_WEB_SECONDS", "20"))
WARM_UP_ORDERS, WARM_UP_SECONDS = 200, 3
# Task workers, one per core as the README recommends; they send the tickets to an SMTP relay on loopback.
TASK_WORKERS = int(os.environ.get("BENCH_TASK_WORKERS", "2"))


def build(label: str, organizer=None):
    """A date on sale (its event, venue and tariff) at `organizer`, by default the bench's own."""
    if organizer is None:
        organizer, _ = Organizer.objects.get_or_create(
            slug="bench-onsale", defaults={"name": "Bench on-sale"}
        )
    venue, _ = Venue.objects.get_or_create(
        organizer=organizer, slug="arena", defaults={"name": "Arena", "town": "Paris", "capacity": CAPACITY}
    )
    event = Event.objects.create(
        organizer=organizer, slug=f"rush-{label}-{time.time_ns()}", title="Rush", status="published"
    )
    performance = Performance.objects.create(
        event=event,
        organizer=organizer,
        venue=venue,
        capacity=CAPACITY,
        starts_at=timezone.now() + datetime.timedelta(days=30),
    )
    tariff = services.tariff_create(actor=None, performance=performance, name="Plein", price=Decimal("20"))
    return organizer, performance, tariff


def api_rush(base: str, token: str, tariff_id: int, orders: int = API_ORDERS, keys: str = "k") -> dict:
    body = json.dumps(
        {
            "items": [{"tariff": tariff_id, "quantity": 1}],
            "buyer": {"email": f"rush-{keys}@example.org", "first_name": "R", "last_name": "U"},
        }
    ).encode()
    latencies, statuses, lock = [], {}, threading.Lock()
    counter = iter(range(orders))
    port = int(base.rsplit(":", 1)[1])

    def buyer(_):
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                break
            start = time.perf_counter()
            headers = {
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": f"{keys}{n}",
            }
            try:
                status = http_request(port, "POST", "/api/v1/orders", headers, body).status
            except OSError:
                status = 599  # no answer: counted with the server errors
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1

    start = time.perf_counter()
    with ThreadPoolExecutor(BUYERS) as pool:
        list(pool.map(buyer, range(BUYERS)))
    return {"seconds": time.perf_counter() - start, "latencies": latencies, "statuses": statuses}


class Browser:
    """What the buyer's browser does, in little CPU (the load generator shares the server's two cores):
    cookies kept, redirects followed, forms posted with the CSRF token and a Referer."""

    def __init__(self, base: str):
        self.base, self.port = base, int(base.rsplit(":", 1)[1])
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, data: dict | None = None, referer: str = "") -> tuple[str, str]:
        for _ in range(5):  # the redirects a browser follows
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
            body = b""
            if data is not None:
                body = urllib.parse.urlencode(data).encode()
                headers |= {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-CSRFToken": self.cookies["csrftoken"],
                    "Referer": self.base + referer,
                }
            response = http_request(self.port, method, path, headers, body)
            for header in response.headers_named("set-cookie"):
                name, _, value = (part.strip() for part in header.split(";", 1)[0].partition("="))
                if value in ("", '""'):  # deleted
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
            if response.status not in (301, 302, 303):
                if response.status >= 400:
                    raise OSError(f"{method} {path}: HTTP {response.status}")
                return path, response.body.decode()
            location = urllib.parse.urlparse(response.header("location"))
            path = location.path + (f"?{location.query}" if location.query else "")
            method, data = "GET", None
        raise OSError("too many redirects")


def web_checkout(base: str, event_url: str, performance_id: int, tariff_id: int) -> bool:
    browser = Browser(base)
    browser.request("GET", event_url)
    tickets = f"/billets/{performance_id}/"
    browser.request("GET", tickets)
    # "Commander": then the buyer's details (the other button, "Ajouter au panier", leads to the cart)
    _, page = browser.request("POST", tickets, {f"q-{tariff_id}": "1", "then": "checkout"}, tickets)
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page).group(1)
    path, _ = browser.request(
        "POST",
        "/panier/commande/",
        {
            "email": "web@example.org",
            "first_name": "W",
            "last_name": "B",
            "terms": "on",
            "provider": "demo",
            "idempotency_key": key,
        },
        "/panier/commande/",
    )  # then the demo payment page
    _, body = browser.request("POST", path, {"action": "pay"}, path)  # then the order page
    return "Payée" in body or "Paid" in body


def web_rush(base: str, performance: Performance, tariff_id: int, seconds: float = WEB_SECONDS) -> dict:
    # Reversed here once: in each buyer's thread, Django would build its URL resolver anew, 32 times over,
    # in the load generator's share of the two cores.
    event_url = performance.event.get_absolute_url()
    done, failures, latencies, lock = 0, 0, [], threading.Lock()
    deadline = time.perf_counter() + seconds

    def buyer(_):
        nonlocal done, failures
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                ok = web_checkout(base, event_url, performance.pk, tariff_id)
            except (OSError, KeyError, AttributeError):
                ok = False
            with lock:
                latencies.append((time.perf_counter() - start) * 1000)
                done, failures = (done + 1, failures) if ok else (done, failures + 1)

    start = time.perf_counter()
    with ThreadPoolExecutor(BUYERS) as pool:
        list(pool.map(buyer, range(BUYERS)))
    return {
        "seconds": time.perf_counter() - start,
        "done": done,
        "failures": failures,
        "latencies": latencies,
    }


def queries_per_api_order(tariff, token) -> int:
    """Statements of the server for one API order, the e-mail's task queued as gunicorn does (database
    backend); the second order is counted (the first creates the buyer's contact and the numbering)."""
    from django.test import override_settings

    body = {
        "items": [{"tariff": tariff.pk, "quantity": 1}],
        "buyer": {"email": "q@example.org", "first_name": "Q", "last_name": "Q"},
    }
    with override_settings(TASKS={"default": {"BACKEND": "parvis.core.background.DatabaseBackend"}}):
        for _ in range(2):
            sql = []
            with connection.execute_wrapper(lambda ex, q, p, m, c, sql=sql: sql.append(q) or ex(q, p, m, c)):
                response = Client().post(
                    "/api/v1/orders",
                    body,
                    content_type="application/json",
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
                )
            assert response.status_code == 201, response.content
    return len(sql)


def backlog() -> int:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).count()


def drain(limit: float = 600) -> tuple[int, float]:
    """Wait (at most `limit` seconds) until the task worker has done every task: how many, and how long."""
    waiting, start = backlog(), time.perf_counter()
    while backlog() and time.perf_counter() - start < limit:
        time.sleep(0.5)
    return waiting, time.perf_counter() - start


def main():
    machine_speed(BENCH)
    db = connection.vendor
    organizer, performance, tariff = build("api")
    token = api_token_create(organizer=organizer, name="bench")
    emit(BENCH, "queries_per_api_order", queries_per_api_order(tariff, token), "queries", None, db=db)
    sink = SmtpSink()
    server = Server(task_workers=TASK_WORKERS, EMAIL_URL=sink.url)
    base = f"http://127.0.0.1:{server.port}"
    try:
        # Each gunicorn worker warms up (imports, URL resolver, templates and queries compiled once per
        # process) on performances of its own, not counted: the figures are those of a server in service.
        _, warm_performance, warm_tariff = build("api-warm-up")
        api_rush(base, token, warm_tariff.pk, orders=WARM_UP_ORDERS, keys="warm-up-")
        _, warm_performance, warm_tariff = build("web-warm-up")
        web_rush(base, warm_performance, warm_tariff.pk, seconds=WARM_UP_SECONDS)
        # Tasks left by the warm-up or an earlier run are done first: the backlog and drain are this rush's.
        leftover, _ = drain()
        result = api_rush(base, token, tariff.pk)
        ok = result["statuses"].get(201, 0)
        errors = sum(n for status, n in result["statuses"].items() if status >= 500)
        emit(BENCH, "api_orders_per_s", round(ok / result["seconds"], 1), "orders/s", 200, db=db)
        emit(BENCH, "api_order_p50_ms", round(percentile(result["latencies"], 50), 1), "ms", None, db=db)
        emit(BENCH, "api_order_p99_ms", round(percentile(result["latencies"], 99), 1), "ms", 500, db=db)
        emit(BENCH, "api_server_errors", errors, "responses", 0, db=db, statuses=result["statuses"])
        sold = Ticket.objects.filter(performance=performance).count()
        used = Quota.objects.get(performance=performance, is_total=True).used
        emit(BENCH, "api_oversold", max(0, sold - CAPACITY) + max(0, used - CAPACITY), "places", 0, db=db)
        emit(BENCH, "task_backlog_after_api_rush", backlog(), "tasks", None, db=db, left_before=leftover)
        _, seconds = drain()
        emit(
            BENCH,
            "task_drain_s",
            round(seconds, 1),
            "s",
            30,
            db=db,
            remaining=backlog(),
            task_workers=TASK_WORKERS,
        )

        _, web_performance, web_tariff = build("web")
        web = web_rush(base, web_performance, web_tariff.pk)
        emit(BENCH, "web_checkouts_per_s", round(web["done"] / web["seconds"], 1), "checkouts/s", 30, db=db)
        emit(
            BENCH, "web_checkout_p99_ms", round(percentile(web["latencies"] or [0], 99), 1), "ms", None, db=db
        )
        emit(BENCH, "web_checkout_failures", web["failures"], "checkouts", 0, db=db)
        paid = Order.objects.filter(
            organizer=organizer, state="paid", items__performance=web_performance
        ).count()
        emit(BENCH, "web_oversold", max(0, paid - CAPACITY), "places", 0, db=db)
        emit(BENCH, "task_backlog_after_web_rush", backlog(), "tasks", None, db=db)
        _, seconds = drain()
        emit(BENCH, "task_drain_after_web_s", round(seconds, 1), "s", None, db=db, remaining=backlog())
    finally:
        server.stop()
        lines = sink.stop()
    rush = sum(1 for line in lines if line.startswith("rush-k@example.org "))
    emit(BENCH, "api_tickets_unsent", ok - rush, "e-mails", 0, db=db, paid=ok, received=rush)
    machine_speed(BENCH)


if __name__ == "__main__":
    main()

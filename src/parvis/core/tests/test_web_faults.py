"""A gunicorn worker SIGKILLed in the middle of an API order: nothing is half-written, and the client's
retry with the same Idempotency-Key gets exactly one order. Real gunicorn, real PostgreSQL, a real signal."""

import http.client
import json
import os
import signal
import subprocess
import sys
import threading

import psycopg
import pytest
from django.db import connection

from parvis.core.tests.processes import parvis_env, wait
from parvis.core.tests.smtp import free_port
from parvis.testing import OrganizerFactory
from parvis.ticketing.auth import api_token_create
from parvis.ticketing.models import IdempotencyRecord, Order, Quota, Ticket
from parvis.ticketing.tests.factories import on_sale_performance, tariff

pytestmark = pytest.mark.django_db(transaction=True)


def _post(port: int, token: str, body: bytes, key: str, timeout: float = 30) -> tuple[int, dict]:
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        }
        client.request("POST", "/api/v1/orders", body, headers)
        response = client.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        client.close()


def _gunicorn(port: int) -> subprocess.Popen:
    env = parvis_env(ALLOWED_HOSTS="127.0.0.1", PARVIS_BASE_URL=f"http://127.0.0.1:{port}")
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    return subprocess.Popen(  # noqa: S603 - the venv's gunicorn
        [
            gunicorn,
            "parvis.wsgi:application",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "critical",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _up(port: int) -> bool:
    try:
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        client.request("GET", "/healthz")
        return client.getresponse().status == 200
    except OSError:
        return False


def _worker_pids(master: subprocess.Popen) -> list[int]:
    with open(f"/proc/{master.pid}/task/{master.pid}/children") as children:
        return [int(pid) for pid in children.read().split()]


def test_a_web_worker_killed_mid_order_leaves_nothing_and_the_retry_gets_one_order():
    if connection.vendor != "postgresql":
        pytest.skip("the order is held on a PostgreSQL row lock")
    organizer = OrganizerFactory()
    performance = on_sale_performance(organizer=organizer, capacity=10)
    price = tariff(performance, price="20.00")
    token = api_token_create(organizer=organizer, name="faults")
    body = json.dumps(
        {
            "items": [{"tariff": price.pk, "quantity": 1}],
            "buyer": {"email": "k@example.org", "first_name": "K", "last_name": "L"},
        }
    ).encode()
    port = free_port()
    web = _gunicorn(port)
    params = connection.settings_dict
    locker = psycopg.connect(
        dbname=params["NAME"],
        user=params["USER"],
        host=params["HOST"] or "127.0.0.1",
        port=params["PORT"] or 5432,
    )
    try:
        wait(lambda: _up(port), seconds=60, what="gunicorn")
        (worker,) = _worker_pids(web)
        # Another transaction holds the date's capacity: the order waits inside its own transaction.
        locker.execute(
            "SELECT id FROM ticketing_quota WHERE performance_id = %s FOR UPDATE", [performance.pk]
        )
        answers = []
        first = threading.Thread(target=lambda: answers.append(_try(port, token, body)))
        first.start()
        wait(lambda: _waiting_on_a_lock(params), seconds=30, what="the order waiting on the capacity")
        os.kill(worker, signal.SIGKILL)
        first.join(timeout=30)
        assert answers == ["no answer"]  # the buyer's connection is cut mid-order
        locker.rollback()
        assert not Order.objects.exists() and not Ticket.objects.exists()  # nothing half-written
        assert Quota.objects.get(performance=performance, is_total=True).used == 0
        wait(lambda: _worker_pids(web) and _up(port), seconds=60, what="gunicorn's next worker")
        status, order = _post(port, token, body, "retry-me")
        again, replay = _post(port, token, body, "retry-me")
    finally:
        locker.close()
        web.send_signal(signal.SIGTERM)
        web.wait(timeout=30)
    assert (status, again) == (201, 201) and replay["code"] == order["code"]
    assert Order.objects.count() == 1 and Ticket.objects.count() == 1
    assert IdempotencyRecord.objects.filter(key="retry-me").count() == 1


def _try(port: int, token: str, body: bytes) -> str | int:
    try:
        return _post(port, token, body, "retry-me")[0]
    except (OSError, http.client.HTTPException):
        return "no answer"


def _waiting_on_a_lock(params) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
            [params["NAME"]],
        )
        return cursor.fetchone()[0] > 0

"""Health endpoints, `parvis health`, and the database out of reach answered 503 (never a 500), with the
connection recovering by itself."""

import datetime
import io
import json

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from parvis.core import health
from parvis.ticketing.models import Order
from parvis.ticketing.tests.factories import api_sale


@pytest.mark.django_db
def test_healthz_and_readyz(client, monkeypatch):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ok"}
    monkeypatch.setattr(health, "_migrated", False)
    monkeypatch.setattr(health, "migrations_pending", lambda: 2)
    behind = client.get("/readyz")
    assert behind.status_code == 503 and behind.json()["migrations_pending"] == 2


@pytest.mark.django_db
def test_parvis_health_prints_the_backlog():
    now = timezone.now()
    base = {"args_kwargs": {"args": [], "kwargs": {}}, "task_path": "x.y", "backend_name": "default"}
    DBTaskResult.objects.create(status=TaskResultStatus.READY, run_after=now, **base)
    old = DBTaskResult.objects.create(status=TaskResultStatus.READY, run_after=now, **base)
    DBTaskResult.objects.filter(pk=old.pk).update(enqueued_at=now - datetime.timedelta(minutes=5))
    DBTaskResult.objects.create(
        status=TaskResultStatus.RUNNING, run_after=now, started_at=now - datetime.timedelta(hours=1), **base
    )
    out = io.StringIO()
    call_command("health", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["database"] == "ok" and report["migrations_pending"] == 0
    tasks = report["tasks"]
    assert tasks["ready"] == 2 and tasks["oldest_ready_age_s"] >= 300
    assert tasks["running"] == 1 and tasks["running_over_10_min"] == 1


def _terminate_own_backend():
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    dsn = connection.get_connection_params()
    with psycopg.connect(
        host=dsn["host"], port=dsn.get("port"), user=dsn["user"], dbname=dsn["dbname"], autocommit=True
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.django_db(transaction=True)
def test_connections_cut_mid_rush_answer_503_then_recover_and_a_retry_makes_one_order(client):
    if connection.vendor != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    _performance, full, token = api_sale(capacity=10)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_IDEMPOTENCY_KEY": "rush-1"}
    body = {
        "buyer": {"email": "ana@example.org", "first_name": "Ana", "last_name": "Lima"},
        "items": [{"tariff": full.pk, "quantity": 2}],
    }
    connection.ensure_connection()
    checks = connection.settings_dict["CONN_HEALTH_CHECKS"]
    connection.settings_dict["CONN_HEALTH_CHECKS"] = False  # the dead connection is met by the request
    try:
        _terminate_own_backend()
        cut = client.post("/api/v1/orders", body, content_type="application/json", **headers)
        assert cut.status_code == 503 and cut["Retry-After"] == "5"
        assert cut.json()["code"] == "database_unavailable"
        page = client.get("/healthz")
        assert page.status_code == 200
        _terminate_own_backend()
        html = client.get(full.performance.event.get_absolute_url())
        assert html.status_code == 503 and b"indisponible" in html.content
    finally:
        connection.settings_dict["CONN_HEALTH_CHECKS"] = checks
        connection.close()  # the next connection reads the setting again
    # the 503 closed the dead connection: the next request opens a new one, and the client's retry with the
    # same Idempotency-Key makes exactly one order
    assert client.get("/readyz").status_code == 200
    first = client.post("/api/v1/orders", body, content_type="application/json", **headers)
    again = client.post("/api/v1/orders", body, content_type="application/json", **headers)
    assert first.status_code == 201 and again.status_code in (200, 201)
    assert first.json()["code"] == again.json()["code"]
    assert Order.objects.count() == 1

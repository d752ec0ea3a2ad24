"""The Redis (RQ) task backend, with real parts: the task written in the database in the sale's transaction
(the outbox), `parvis task_relay` handing it to a real Redis server that is down, then up, and real RQ
workers (`parvis rqworker`), one of them SIGKILLed during a task. On SQLite and PostgreSQL."""

import os
import shutil
import signal
import subprocess
import time

import pytest
import redis
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from parvis.core import jobs, relay
from parvis.core.models import WorkerBeat
from parvis.core.tests.processes import Said, kill, parvis, parvis_env, stop, wait
from parvis.core.tests.smtp import Sink, free_port
from parvis.ticketing.tests.factories import buy, on_sale_performance, tariff

DATABASE_TASKS = {"default": {"BACKEND": "parvis.core.background.DatabaseBackend"}}
pytestmark = pytest.mark.django_db(transaction=True)


class RedisServer:
    """A Redis server of the test's own, on a free port, that can be stopped and started again."""

    def __init__(self):
        binary = shutil.which("redis-server")
        if binary is None:
            if os.environ.get("CI"):
                pytest.fail("redis-server is not installed (.ci/run installs it)")
            pytest.skip("redis-server is not installed")
        self.binary, self.port = binary, free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - the machine's redis-server
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        wait(lambda: _pings(client), seconds=10, what="Redis")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


def _pings(client: redis.Redis) -> bool:
    try:
        return client.ping()
    except redis.exceptions.ConnectionError:
        return False


@pytest.fixture
def redis_server():
    server = RedisServer()
    yield server
    server.stop()


def _env(server: RedisServer, sink: Sink) -> dict:
    return parvis_env(
        PARVIS_TASKS_BACKEND="rq", REDIS_URL=server.url, EMAIL_URL=f"smtp://127.0.0.1:{sink.port}"
    )


def _orders(n: int):
    price = tariff(on_sale_performance(capacity=n + 5), price="20.00")
    with override_settings(TASKS=DATABASE_TASKS):  # the rq setting's backend: the row is the outbox
        return [buy(price) for _ in range(n)]


def _work_until_done(env: dict, sink: Sink, n: int) -> None:
    """An RQ worker runs until the relay received n e-mails and the n tasks are done."""
    working = parvis(["rqworker", "default"], env)
    try:
        wait(lambda: len(sink.messages) >= n, seconds=60, what=f"{n} e-mails")
        wait(lambda: DBTaskResult.objects.filter(status="SUCCESSFUL").count() == n, seconds=20, what="done")
    finally:
        stop(working)


def _each_once(orders, sink: Sink) -> list[str]:
    subjects = sink.subjects()
    return [next(o.code for o in orders if o.code in s) for s in subjects]


def test_redis_down_at_the_sale_and_after_loses_nothing(redis_server):
    orders = _orders(3)  # Redis is not even started: the sale does not touch it
    assert DBTaskResult.objects.filter(status="READY").count() == 3
    with Sink() as sink:
        env = _env(redis_server, sink)
        relaying = Said(parvis(["task_relay", "--interval", "0.1"], env))
        try:
            relaying.wait_for("out of reach", seconds=60)  # the relay finds Redis out of reach, and waits
            time.sleep(0.5)
            assert relaying.process.poll() is None, "the relay gave up"
            assert DBTaskResult.objects.filter(status="READY").count() == 3
            redis_server.start()
            _work_until_done(env, sink, 3)
        finally:
            log = relaying.stop()
        time.sleep(0.3)
        codes = _each_once(orders, sink)
    assert sorted(codes) == sorted(o.code for o in orders), log


def test_a_job_of_a_dead_rq_worker_is_run_again_and_its_e_mail_arrives_once(redis_server):
    orders = _orders(2)
    redis_server.start()
    with Sink() as sink:
        sink.hold_at = 1
        env = _env(redis_server, sink)
        relaying = parvis(["task_relay", "--interval", "0.1"], env)
        try:
            first = parvis(["rqworker", "default"], env)
            try:
                wait(sink.held.is_set, seconds=60, what="the first e-mail")
            finally:
                # The worker, and its work horse running the task (RQ puts it in a session of its own).
                for horse in WorkerBeat.objects.filter(worker_id__startswith="rq-"):
                    os.kill(horse.pid, signal.SIGKILL)
                kill(first)
            sink.release()  # its connection is gone: the relay never accepted it
            assert DBTaskResult.objects.filter(status="RUNNING").count() == 1
            _work_until_done(env, sink, 2)
        finally:
            log = stop(relaying)
        time.sleep(0.3)
        codes = _each_once(orders, sink)
    assert sorted(codes) == sorted(o.code for o in orders), log
    assert sorted(len(row.worker_ids) for row in DBTaskResult.objects.all()) == [1, 2]


def test_a_job_handed_over_twice_runs_once_and_a_job_redis_lost_is_handed_over_again(redis_server, settings):
    redis_server.start()
    settings.RQ_QUEUES = {"default": {"URL": redis_server.url}}
    settings.PARVIS_TASK_LEASE_S = 0.3
    (order,) = _orders(1)
    row = DBTaskResult.objects.get()
    client = redis.Redis(port=redis_server.port)
    moving = relay.Relay()
    assert moving.relay_once() == 1
    assert moving.relay_once() == 0  # handed over already: not twice
    client.flushall()  # Redis restarted without its data: the job is gone
    assert moving.relay_once() == 1  # its mark went with it
    time.sleep(0.4)
    assert moving.relay_once() == 1  # the mark expired with the lease, the row still READY
    with Sink() as sink, override_settings(**sink.email_settings()):
        assert relay.run(str(row.pk)) == "done"
        assert relay.run(str(row.pk)) == "not ready"  # the second copy of the job finds it done
        assert len(sink.messages) == 1 and order.code in sink.subjects()[0]
    assert moving.relay_once() == 0


def test_with_the_mail_relay_out_of_reach_the_jobs_give_their_rows_back_and_the_relay_pauses(
    redis_server, settings
):
    redis_server.start()
    settings.RQ_QUEUES = {"default": {"URL": redis_server.url}}
    _orders(2)
    first, second = DBTaskResult.objects.order_by("enqueued_at")
    moving = relay.Relay()
    assert moving.relay_once() == 2
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_PORT=free_port()
    ):
        assert relay.run(str(first.pk)) == "service out of reach"
        assert relay.run(str(second.pk)) == "paused"  # taken meanwhile: given back untouched
    assert list(DBTaskResult.objects.values_list("status", flat=True)) == ["READY", "READY"]
    assert all(jobs.tries_of(row) == 0 for row in DBTaskResult.objects.all())  # no try spent
    assert moving.relay_once() == 0  # paused
    redis.Redis(port=redis_server.port).delete(relay.PAUSED)
    assert moving.relay_once() == 2  # handed over again, in their order

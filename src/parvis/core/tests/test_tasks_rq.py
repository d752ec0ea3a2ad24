"""The Redis (RQ) task backend, end to end: enqueue in one process, run by an RQ worker in another."""

import os
import socket
import subprocess
import sys

import pytest

REDIS = ("127.0.0.1", 6379)


def _redis_up() -> bool:
    try:
        socket.create_connection(REDIS, timeout=1).close()
        return True
    except OSError:
        return False


def _parvis(args: list[str], env: dict) -> str:
    result = subprocess.run(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-m", "parvis", *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_rq_backend_runs_tasks_through_redis(tmp_path):
    if not _redis_up():
        if os.environ.get("CI"):
            pytest.fail("Redis is not answering on 127.0.0.1:6379 (.ci/run starts it)")
        pytest.skip("no Redis on 127.0.0.1:6379")
    skip = {
        "DATABASE_URL",
        "DJANGO_SETTINGS_MODULE",
        "PARVIS_TASKS_BACKEND",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        "DEBUG",
    }
    env = {k: v for k, v in os.environ.items() if k not in skip}
    env.update(
        {
            "PARVIS_VAR_DIR": str(tmp_path),
            "PARVIS_TASKS_BACKEND": "rq",
            "DEBUG": "true",
            "REDIS_URL": f"redis://{REDIS[0]}:{REDIS[1]}/15",
            "EMAIL_URL": "outbox://",
        }
    )
    import redis

    # Redis is shared by every run on this machine (a clean-clone CI may run beside a developer's tests):
    # one run at a time uses its database 15, or one run's worker would take the other's job.
    lock = redis.Redis(host=REDIS[0], port=REDIS[1], db=0).lock(
        "parvis:test-rq", timeout=300, blocking_timeout=300
    )
    assert lock.acquire(), "another run kept the Redis test lock for 5 minutes"
    try:
        _run(env)
    finally:
        lock.release()


def _run(env: dict) -> None:
    import redis

    redis.Redis(host=REDIS[0], port=REDIS[1], db=15).flushdb()
    _parvis(["migrate", "-v0"], env)
    _parvis(
        [
            "shell",
            "-c",
            (
                "from django.contrib.auth import get_user_model\n"
                "from parvis.network.models import Organizer\n"
                "from parvis.network.tasks import send_staff_invitation\n"
                "u = get_user_model().objects.create(username='rq@example.org', email='rq@example.org')\n"
                "u.set_unusable_password(); u.save()\n"
                "o = Organizer.objects.create(slug='rq', name='RQ')\n"
                "send_staff_invitation.enqueue(user_id=u.pk, organizer_id=o.pk)\n"
            ),
        ],
        env,
    )
    # Nothing ran yet: the work waits in Redis for a worker.
    assert (
        _parvis(
            ["shell", "-c", "from parvis.core.models import OutboxMessage as O; print(O.objects.count())"],
            env,
        )
        .strip()
        .endswith("0")
    )
    _parvis(["rqworker", "default", "--burst", "--job-class", "django_tasks_rq.backend.Job"], env)
    out = _parvis(
        [
            "shell",
            "-c",
            "from parvis.core.models import OutboxMessage as O\n"
            "print(list(O.objects.values_list('to', flat=True)))",
        ],
        env,
    )
    assert "rq@example.org" in out

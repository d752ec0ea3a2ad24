"""Parvis commands in processes of their own, on the test database, for tests that kill them."""

import os
import signal
import subprocess
import sys
import threading
import time

from django.conf import settings
from django.db import connection


def database_url() -> str:
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{params['NAME']}"
    port = params.get("PORT") or 5432
    return f"postgres://{params['USER']}@{params['HOST'] or '127.0.0.1'}:{port}/{params['NAME']}"


def parvis_env(**extra: str) -> dict:
    """The test's database and keys, a short lease, no delays between tries."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PARVIS_", "PYTEST_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "parvis.settings.base",
            "DATABASE_URL": database_url(),
            "DEBUG": "false",
            "SECRET_KEY": settings.SECRET_KEY,
            "PARVIS_KEY_ENCRYPTION_KEY": settings.PARVIS_KEY_ENCRYPTION_KEY,
            "PARVIS_TASKS_BACKEND": "database",
            "PARVIS_TASK_LEASE_S": "2",
            "PARVIS_TASK_DELAY_SCALE": "0",
            "PARVIS_WORKER_YIELD_MAX_S": "0",
            "PARVIS_WORKER_OUTAGE_MAX_S": "0.2",
            "PARVIS_VAR_DIR": settings.MEDIA_ROOT,
            **extra,
        }
    )
    return env


def parvis(args: list[str], env: dict) -> subprocess.Popen:
    """`parvis <args>` in a new process group (a kill reaches the children it forks)."""
    return subprocess.Popen(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-m", "parvis", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def wait(condition, *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds} s for {what}")
        time.sleep(0.05)


class Said:
    """What a process writes on stderr, read as it comes (a thread), to wait for a line rather than a time."""

    def __init__(self, process: subprocess.Popen):
        self.process, self.lines = process, []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line.decode(errors="replace"))

    def text(self) -> str:
        return "".join(self.lines)

    def wait_for(self, words: str, *, seconds: float) -> None:
        wait(lambda: words in self.text(), seconds=seconds, what=f"{words!r} from the process")

    def stop(self) -> str:
        """SIGTERM, then SIGKILL after 15 s; the end of what it wrote."""
        stop(self.process)
        self._reader.join(timeout=10)
        return self.text()[-3000:]


def kill(process: subprocess.Popen) -> None:
    """SIGKILL the process and what it forked."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def stop(process: subprocess.Popen) -> str:
    """SIGTERM, then SIGKILL after 15 s; the end of what it wrote on stderr."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        kill(process)
    return process.stderr.read().decode(errors="replace")[-3000:]

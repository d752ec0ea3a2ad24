"""Shared helpers of the benchmarks: Django set-up against DATABASE_URL, timing, JSON lines."""

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parvis.settings.base")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("PARVIS_TASKS_BACKEND", "immediate")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def emit(bench: str, figure: str, value, unit: str, target=None, **extra) -> None:
    line = {"bench": bench, "figure": figure, "value": value, "unit": unit, "target": target, **extra}
    print(json.dumps(line), flush=True)


def timed(fn, *, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def machine_speed(bench: str) -> None:
    """How fast this machine runs Python right now: CPU milliseconds of a fixed loop (lower is faster).

    The machines here are shared: the same code's figures move by half from one hour to the next. Printed
    before and after a benchmark, it says how fast the machine was while its figures were measured."""
    start = time.process_time()
    total = 0
    for i in range(3_000_000):
        total += i * 2 % 7
    emit(bench, "machine_python_loop_ms", round((time.process_time() - start) * 1000), "ms", None)


def median(samples: list[float]) -> float:
    return statistics.median(samples)


class Response:
    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)

    def headers_named(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name]


def http_request(
    port: int, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
) -> Response:
    """One HTTP/1.1 request on a connection of its own, read to its end (gunicorn's sync workers close
    each connection after the response). The load generator shares the server's two cores: http.client
    parses every response's headers with the e-mail package, which cost it 1.6 ms of processor time per
    request, against about a quarter of that here. Header names come back in lower case."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    chunks = []
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        while chunk := sock.recv(262144):
            chunks.append(chunk)
    head, separator, content = b"".join(chunks).partition(b"\r\n\r\n")
    if not separator:
        raise OSError(f"{method} {path}: incomplete response")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    response_headers = []
    for line in header_lines:
        name, _, value = line.partition(":")
        response_headers.append((name.strip().lower(), value.strip()))
    response = Response(int(status_line.split(" ", 2)[1]), response_headers, content)
    if response.header("transfer-encoding") == "chunked":
        raise OSError(f"{method} {path}: chunked responses are not read here")
    length = response.header("content-length")
    if length is not None and int(length) != len(content):
        raise OSError(f"{method} {path}: {len(content)} bytes of {length}")
    return response


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _idle_priority() -> None:
    """Linux's idle scheduling class (`chrt --idle 0`), or the lowest nice level elsewhere."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        os.nice(19)


def server_env(port: int, **extra: str) -> dict:
    """The environment of Parvis's processes in a benchmark: production settings on DATABASE_URL, served
    on this port, the database task backend."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "parvis.settings.base",
        "DEBUG": "false",
        "PARVIS_TASKS_BACKEND": "database",
        "ALLOWED_HOSTS": "127.0.0.1",
        "PARVIS_BASE_URL": f"http://127.0.0.1:{port}",
        "PYTHONPATH": str(ROOT / "src"),
        **extra,
    }


class SmtpSink:
    """`bench/_smtp_sink.py` in a process of its own on a free port: the relay of a benchmark's e-mails."""

    def __init__(self):
        self.port = _free_port()
        self.path = tempfile.mktemp(suffix=".txt", prefix="parvis-sink-")  # noqa: S306 - the sink writes it
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, str(ROOT / "bench" / "_smtp_sink.py"), str(self.port), self.path],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.process.stdout.readline()  # "ready"
        self.url = f"smtp://127.0.0.1:{self.port}"

    def stop(self) -> list[str]:
        """Stop it; the lines it wrote (`address message-id`, one per recipient)."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        with open(self.path) as received:
            lines = [line for line in received if line.strip()]
        os.unlink(self.path)
        return lines


class Server:
    """gunicorn (4 workers) serving Parvis on a free port, and `task_workers` task workers (none when
    `worker` is false); `env`: more settings of both."""

    def __init__(self, *, worker: bool = True, workers: int = 4, task_workers: int = 1, **env: str):
        self.port = _free_port()
        env = server_env(self.port, **env)
        bin_dir = os.path.dirname(sys.executable)
        self.web = subprocess.Popen(  # noqa: S603
            [
                os.path.join(bin_dir, "gunicorn"),
                "parvis.wsgi:application",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                "--backlog",
                "512",
            ],
            env=env,
            cwd=ROOT,
        )
        self.task_workers = [
            subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "parvis", "db_worker", "--interval", "0.2", "--no-startup-delay"],
                env=env,
                cwd=ROOT,
                # As recommended in production (README): the worker only takes the CPU the sale leaves idle.
                preexec_fn=_idle_priority,  # noqa: PLW1509
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(task_workers if worker else 0)
        ]
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v1/networks", timeout=2)  # noqa: S310
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def stop(self):
        for process in (self.web, *self.task_workers):
            process.terminate()
            process.wait(timeout=20)

"""Shared helpers of the benchmarks: Django set-up against DATABASE_URL, timing, JSON lines."""

import json
import os
import statistics
import sys
import time
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


def median(samples: list[float]) -> float:
    return statistics.median(samples)

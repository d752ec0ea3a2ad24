"""Seating benchmark: 32 buyers ask the API for the best 2 to 6 seats of a 2,000-seat hall, against
gunicorn on PostgreSQL, until the hall is full.

Figures: seated orders/s and the API order's p95 under the 32 buyers, seats sold twice (must be 0), the
pick-and-claim latency (seats chosen and claimed in a transaction of their own, by four threads as
gunicorn has four workers, p95), the best-available computation alone on halls of
2,000 and 3,000 seats at every stage of filling (p95), the public seat map of 2,000 seats (time and size
compressed), and the share of the hall sold once no group of 2 to 6 finds seats any more.
Run alone: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python bench/seating.py
"""

import datetime
import gzip
import json
import random
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from _common import Server, SmtpSink, emit, http_request, machine_speed, percentile, setup_django

setup_django()

from django.db import connection, connections, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from parvis.network.models import Organizer, Space, Venue  # noqa: E402
from parvis.programming.models import Event, Performance  # noqa: E402
from parvis.seating import plans  # noqa: E402
from parvis.seating.best import Layout, Place, Shortage, best_available  # noqa: E402
from parvis.seating.models import ClaimState, SeatClaim  # noqa: E402
from parvis.seating.services import seating_put_on_sale, seats_choose  # noqa: E402
from parvis.ticketing import services  # noqa: E402
from parvis.ticketing.auth import api_token_create  # noqa: E402
from parvis.ticketing.errors import SaleError  # noqa: E402

BENCH = "seating"
BUYERS = 32
ROWS, SEATS_PER_ROW = 40, 50  # 2,000 seats, aisles after the 12th and the 38th


def build(label: str):
    organizer, _ = Organizer.objects.get_or_create(slug="bench-seating", defaults={"name": "Bench seating"})
    venue, _ = Venue.objects.get_or_create(
        organizer=organizer, slug="opera", defaults={"name": "Opéra", "town": "Paris", "capacity": 2000}
    )
    hall, _ = Space.objects.get_or_create(venue=venue, name="Grande salle")
    event = Event.objects.create(
        organizer=organizer, slug=f"seats-{label}-{time.time_ns()}", title="Seats", status="published"
    )
    performance = Performance.objects.create(
        event=event,
        organizer=organizer,
        venue=venue,
        space=hall,
        capacity=2000,
        starts_at=timezone.now() + datetime.timedelta(days=30),
    )
    tariff = services.tariff_create(actor=None, performance=performance, name="Plein", price=Decimal("30"))
    plan = plans.plan_save(
        hall,
        plans.generate(name="Grande salle", rows=ROWS, seats_per_row=SEATS_PER_ROW, aisles_after=[12, 38]),
        source="generator",
    )
    seating_put_on_sale(
        actor=None,
        performance=performance,
        plan=plan,
        tariffs_by_category={plan.categories.get().pk: [tariff.pk]},
    )
    return organizer, performance, tariff


def rush(port: int, token: str, tariff_id: int, keys: str) -> dict:
    """Buyers order groups of 2 to 6 (best available) until each has been refused five times running."""
    latencies, statuses, lock = [], {}, threading.Lock()
    counter = iter(range(10**6))

    def buyer(i):
        rng, refused = random.Random(i), 0
        while refused < 5:
            with lock:
                n = next(counter)
            body = json.dumps(
                {
                    "items": [{"tariff": tariff_id, "quantity": rng.randint(2, 6)}],
                    "buyer": {"email": f"seat-{keys}@example.org", "first_name": "S", "last_name": "B"},
                }
            ).encode()
            headers = {
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": f"{keys}{n}",
            }
            start = time.perf_counter()
            try:
                status = http_request(port, "POST", "/api/v1/orders", headers, body).status
            except OSError:
                status = 599
            elapsed = (time.perf_counter() - start) * 1000
            refused = refused + 1 if status != 201 else 0
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status == 201:
                    latencies.append(elapsed)

    start = time.perf_counter()
    with ThreadPoolExecutor(BUYERS) as pool:
        list(pool.map(buyer, range(BUYERS)))
    return {"seconds": time.perf_counter() - start, "latencies": latencies, "statuses": statuses}


def best_available_speed() -> dict[int, float]:
    """p95 of the computation alone, on halls of 2,000 and 3,000 seats filled group by group."""
    found = {}
    for rows in (40, 60):
        places = [
            Place(
                id=r * 1000 + i,
                zone="",
                row_index=r,
                block=0 if i < 12 else 1 if i < 38 else 2,
                position=i if i < 12 else i - 12 if i < 38 else i - 38,
                category=1,
                x=float(i * 30),
                quality=100 - r - abs(i - 25),
            )
            for r in range(rows)
            for i in range(50)
        ]
        layout, free, rng, samples = Layout(places), {p.id for p in places}, random.Random(rows), []
        while len(free) >= 2:
            start = time.perf_counter()
            chosen = best_available(layout, free, rng.randint(2, 6), rng=rng)
            samples.append((time.perf_counter() - start) * 1000)
            if isinstance(chosen, Shortage):
                break
            free -= set(chosen)
        found[rows * 50] = percentile(samples, 95)
    return found


def pick_and_claim(performance, workers: int = 4) -> list[float]:
    """The seats chosen and claimed, alone (no order around them), by as many threads as gunicorn has
    workers, each in its own transaction, until the hall is full: how long each took."""
    samples, lock, later = [], threading.Lock(), timezone.now() + datetime.timedelta(minutes=15)

    def worker(i):
        rng, refused = random.Random(i), 0
        try:
            while refused < 5:
                start = time.perf_counter()
                try:
                    with transaction.atomic():
                        seats_choose(
                            performance_id=performance.pk,
                            quantity=rng.randint(2, 6),
                            expires_at=later,
                            rng=rng,
                        )
                except SaleError:
                    refused += 1
                    continue
                with lock:
                    samples.append((time.perf_counter() - start) * 1000)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(worker, range(workers)))
    return samples


def seat_map_page(port: int, performance_id: int) -> tuple[float, float]:
    path = f"/places/{performance_id}/"
    times, size = [], 0
    for _ in range(12):
        start = time.perf_counter()
        response = http_request(port, "GET", path, {"Accept-Encoding": "identity"})
        times.append((time.perf_counter() - start) * 1000)
        size = len(gzip.compress(response.body, 6))
    return statistics.median(times[2:]), size / 1024


def main():
    machine_speed(BENCH)
    for seats, p95 in best_available_speed().items():
        emit(BENCH, "best_available_p95_ms", round(p95, 2), "ms", 5, seats=seats)
    organizer, performance, tariff = build("rush")
    token = api_token_create(organizer=organizer, name="bench")
    sink = SmtpSink()
    server = Server(task_workers=1, EMAIL_URL=sink.url)
    try:
        _, warm, warm_tariff = build("warm-up")  # each worker imports, compiles and caches once
        rush(server.port, token, warm_tariff.pk, "warm-")
        page_ms, page_kb = seat_map_page(server.port, performance.pk)
        emit(BENCH, "seatmap_page_ms", round(page_ms, 1), "ms", 200, seats=ROWS * SEATS_PER_ROW)
        emit(BENCH, "seatmap_page_kb", round(page_kb, 1), "kB", 150, compressed="gzip")
        result = rush(server.port, token, tariff.pk, "k")
    finally:
        server.stop()
        sink.stop()
    ok = result["statuses"].get(201, 0)
    emit(BENCH, "seated_orders_per_s", round(ok / result["seconds"], 1), "orders/s", 150, orders=ok,
         statuses=result["statuses"], db=connection.vendor)  # fmt: skip
    emit(BENCH, "api_seated_order_p95_ms", round(percentile(result["latencies"], 95), 1), "ms", None,
         buyers=BUYERS)  # fmt: skip
    claims = SeatClaim.objects.filter(performance=performance, state__in=[ClaimState.SOLD, ClaimState.HELD])
    twice = claims.count() - claims.values("seat_id").distinct().count()
    emit(BENCH, "double_sold", twice, "seats", 0)
    sold = claims.filter(state=ClaimState.SOLD).count()
    emit(BENCH, "sellout_fill_ratio", round(sold / (ROWS * SEATS_PER_ROW), 4), "ratio", 0.99)
    _, alone, _tariff = build("claims")
    samples = pick_and_claim(alone)
    emit(BENCH, "claim_p95_ms", round(percentile(samples, 95), 1), "ms", 100, claims=len(samples), threads=4)
    machine_speed(BENCH)


if __name__ == "__main__":
    main()

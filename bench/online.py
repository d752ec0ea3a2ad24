"""Online access benchmark: 5,000 viewers of a live stream, each polling its access page every 30 s.

Figures:
- `access_check_ms`: what the access check costs a request (the link's signature, the access with its
  ticket and date, the device's heartbeat), median in process, against the database (target < 5 ms);
- `access_page_p99_ms`: the access page opened by the 5,000 viewers (each its own device cookie), 16 at a
  time, through gunicorn (4 workers) — p99 of the page (no target set by the issue: reported);
- `viewers_polls_per_s`: heartbeats served per second with 32 viewers polling back to back, through the
  same server. 5,000 viewers every 30 s ask 167 per second: the figure must be above that.

Run alone: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python bench/online.py
"""

import datetime
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"

from _common import Server, emit, http_request, machine_speed, percentile, setup_django  # noqa: E402

setup_django()

from django.utils import timezone  # noqa: E402

from parvis.crm import services as crm  # noqa: E402
from parvis.network.models import Organizer, Venue  # noqa: E402
from parvis.online import access as checks  # noqa: E402
from parvis.online import services as online  # noqa: E402
from parvis.online.models import OnlineContent  # noqa: E402
from parvis.programming.models import Event, Performance  # noqa: E402
from parvis.ticketing import services  # noqa: E402
from parvis.ticketing.models import Order, OrderItem, OrderState, Ticket  # noqa: E402

BENCH = "online"
VIEWERS = int(os.environ.get("BENCH_ONLINE_VIEWERS", "5000"))
PER_ORDER = 50
POLL_SECONDS = 30
PAGE_CLIENTS = 16
POLL_CLIENTS = 32
POLL_DURATION_S = 20


def build() -> list[str]:
    """A stream starting in ten minutes, VIEWERS paid online tickets and their access links."""
    organizer, _ = Organizer.objects.get_or_create(slug="bench-online", defaults={"name": "Bench online"})
    venue, _ = Venue.objects.get_or_create(
        organizer=organizer, slug="studio", defaults={"name": "Studio", "town": "Marseille", "capacity": 100}
    )
    event = Event.objects.create(
        organizer=organizer, slug=f"stream-{time.time_ns()}", title="Stream", status="published"
    )
    performance = Performance.objects.create(
        event=event,
        venue=venue,
        organizer=organizer,
        starts_at=timezone.now() + datetime.timedelta(minutes=10),
        capacity=100,
        status="published",
    )
    tariff = services.tariff_create(
        actor=None, performance=performance, name="En ligne", price=Decimal("8.00"), online=True
    )
    OnlineContent.objects.create(
        performance=performance, embed_url="https://player.example.net/embed/bench", max_devices=2
    )
    now = timezone.now()
    for start in range(0, VIEWERS, PER_ORDER):
        contact = crm.contact_resolve(organizer_id=organizer.pk, email=f"viewer{start}@example.org")
        order = Order.objects.create(
            contact=contact,
            organizer=organizer,
            state=OrderState.PAID,
            email=f"viewer{start}@example.org",
            first_name="Viewer",
            last_name=f"Bench {start}",
            total=Decimal("8.00") * PER_ORDER,
            expires_at=now,
            paid_at=now,
        )
        item = OrderItem.objects.create(
            order=order, performance=performance, tariff=tariff, quantity=PER_ORDER,
            unit_price=Decimal("8.00"), vat_rate=tariff.vat_rate,
        )  # fmt: skip
        Ticket.objects.bulk_create(
            [
                Ticket(
                    order=order,
                    item=item,
                    organizer=organizer,
                    performance=performance,
                    tariff=tariff,
                    number=number,
                    price=Decimal("8.00"),
                    vat_rate=tariff.vat_rate,
                )  # fmt: skip
                for number in range(start + 1, min(start + PER_ORDER, VIEWERS) + 1)
            ]
        )
    online.grant_performance(performance)
    accesses = performance.online_content.accesses.order_by("pk")
    return [checks.link_of(access) for access in accesses]


def check_cost(links: list[str]) -> None:
    """The check a heartbeat makes, in process: read the access from its link, judge it, keep the device."""
    rng = random.Random(3)
    sample = rng.sample(links, min(2000, len(links)))
    devices = {}
    for link in sample:  # each device admitted once (its first page)
        access = checks.access_of_token(link.split("/")[2])
        devices[link] = checks.new_device()
        checks.open_link(access, devices[link], timezone.now())
    samples = []
    for link in sample:
        start = time.perf_counter()
        access = checks.access_of_token(link.split("/")[2])
        opened = checks.open_link(access, devices[link], timezone.now())
        samples.append((time.perf_counter() - start) * 1000)
        assert opened.state == checks.State.OPEN, opened.state
    emit(
        BENCH, "access_check_ms", round(percentile(samples, 50), 3), "ms", 5,
        p99=round(percentile(samples, 99), 3), checks=len(samples),
    )  # fmt: skip


def _cookie(response) -> str:
    for value in response.headers_named("set-cookie"):
        if value.startswith("pv-online-"):
            return value.split(";", 1)[0]
    raise RuntimeError(f"no device cookie (status {response.status})")


def pages(port: int, links: list[str]) -> list[tuple[str, str]]:
    """Every viewer opens its page once: the device cookie it then polls with."""
    latencies, lock = [], threading.Lock()

    def open_page(link):
        start = time.perf_counter()
        response = http_request(port, "GET", link)
        elapsed = (time.perf_counter() - start) * 1000
        if response.status != 200:
            raise RuntimeError(f"{link}: {response.status}")
        with lock:
            latencies.append(elapsed)
        return link, _cookie(response)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=PAGE_CLIENTS) as pool:
        viewers = list(pool.map(open_page, links))
    elapsed = time.perf_counter() - start
    emit(
        BENCH, "access_page_p99_ms", round(percentile(latencies, 99), 1), "ms", None,
        p50=round(percentile(latencies, 50), 1), pages=len(latencies),
        pages_per_s=round(len(latencies) / elapsed, 1), clients=PAGE_CLIENTS,
    )  # fmt: skip
    return viewers


def polls(port: int, viewers: list[tuple[str, str]]) -> None:
    """Viewers poll back to back for POLL_DURATION_S: how many heartbeats the server answers per second."""
    latencies, refused, lock = [], [], threading.Lock()
    stop_at = time.perf_counter() + POLL_DURATION_S
    body = b"seen=open"

    def poller(index: int):
        rng = random.Random(index)
        mine = []
        while time.perf_counter() < stop_at:
            link, cookie = viewers[rng.randrange(len(viewers))]
            start = time.perf_counter()
            response = http_request(
                port, "POST", link + "pouls/", body=body,
                headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
            )  # fmt: skip
            mine.append((time.perf_counter() - start) * 1000)
            if response.status != 204:
                with lock:
                    refused.append(response.status)
        with lock:
            latencies.extend(mine)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=POLL_CLIENTS) as pool:
        list(pool.map(poller, range(POLL_CLIENTS)))
    elapsed = time.perf_counter() - start
    emit(
        BENCH, "viewers_polls_per_s", round(len(latencies) / elapsed, 1), "polls/s",
        round(VIEWERS / POLL_SECONDS, 1), p99_ms=round(percentile(latencies, 99), 1),
        p50_ms=round(percentile(latencies, 50), 1), not_204=len(refused), clients=POLL_CLIENTS,
    )  # fmt: skip
    if refused:
        raise RuntimeError(f"{len(refused)} heartbeats not answered 204: {sorted(set(refused))}")


def main():
    machine_speed(BENCH)
    links = build()
    check_cost(links)
    server = Server(worker=False)
    try:
        viewers = pages(server.port, links)
        polls(server.port, viewers)
    finally:
        server.stop()
    machine_speed(BENCH)


if __name__ == "__main__":
    main()

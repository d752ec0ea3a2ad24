"""Door benchmark: 8 gates redeeming 20,000 tickets at once through the API, against gunicorn on PostgreSQL.

Figures: redemptions/s, p50/p99 latency, exactly-once (every ticket accepted once, duplicates presented at
other gates refused); offline signature verification per ticket in Python and in Chromium (the scanner's
own code, WebCrypto Ed25519 or its vendored fallback).
Run alone: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python bench/checkin.py
"""

import datetime
import http.client
import json
import os
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from _common import Server, emit, machine_speed, percentile, setup_django

setup_django()

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from parvis.checkin import services as door  # noqa: E402
from parvis.checkin.models import CheckinList, Gate, Presence  # noqa: E402
from parvis.crm import services as crm  # noqa: E402
from parvis.crm.models import Interaction  # noqa: E402
from parvis.network.models import Organizer, Venue  # noqa: E402
from parvis.programming.models import Event, Performance  # noqa: E402
from parvis.ticketing import services, signing  # noqa: E402
from parvis.ticketing.models import Order, OrderItem, OrderState, Ticket  # noqa: E402

BENCH = "checkin"
TICKETS = int(os.environ.get("BENCH_TICKETS", "20000"))
GATES = 8
DUPLICATES = TICKETS // 10  # tickets shown a second time at another gate, during the rush
PER_ORDER = 100
CHROMIUM = os.environ.get("PARVIS_CHROMIUM", "/usr/bin/chromium")


def build():
    """One performance starting in 30 minutes (doors open), TICKETS paid tickets, a list, 8 gates."""
    organizer, _ = Organizer.objects.get_or_create(slug="bench-door", defaults={"name": "Bench door"})
    venue, _ = Venue.objects.get_or_create(
        organizer=organizer, slug="hall", defaults={"name": "Hall", "town": "Lyon", "capacity": TICKETS}
    )
    event = Event.objects.create(
        organizer=organizer, slug=f"doors-{time.time_ns()}", title="Doors", status="published"
    )
    performance = Performance.objects.create(
        event=event,
        venue=venue,
        organizer=organizer,
        starts_at=timezone.now() + datetime.timedelta(days=3),
        capacity=TICKETS,
        status="published",
    )
    tariff = services.tariff_create(actor=None, performance=performance, name="Plein", price=Decimal("10.00"))
    key = signing.signing_key_for(organizer)
    valid_until = performance.starts_at + signing.VALIDITY_AFTER_START
    now = timezone.now()
    secrets = []
    for start in range(0, TICKETS, PER_ORDER):
        contact = crm.contact_resolve(organizer_id=organizer.pk, email=f"door{start}@example.org")
        order = Order.objects.create(
            contact=contact,  # each first entry adds a visit to this buyer's profile
            organizer=organizer,
            state=OrderState.PAID,
            email=f"door{start}@example.org",
            first_name="Door",
            last_name=f"Bench {start}",
            total=Decimal("10.00") * PER_ORDER,
            expires_at=now,
            paid_at=now,
        )
        item = OrderItem.objects.create(
            order=order,
            performance=performance,
            tariff=tariff,
            quantity=PER_ORDER,
            unit_price=Decimal("10.00"),
            vat_rate=Decimal("5.50"),
        )
        batch = []
        for number in range(start + 1, min(start + PER_ORDER, TICKETS) + 1):
            secret = signing.sign_ticket(
                key=key, performance_id=performance.pk, number=number, valid_until=valid_until
            )
            secrets.append(secret)
            batch.append(
                Ticket(
                    order=order,
                    item=item,
                    organizer=organizer,
                    performance=performance,
                    tariff=tariff,
                    number=number,
                    price=Decimal("10.00"),
                    vat_rate=Decimal("5.50"),
                    attendee_name=f"Guest {number}",
                    secret=secret,
                )
            )
        Ticket.objects.bulk_create(batch)
    Performance.objects.filter(pk=performance.pk).update(starts_at=now + datetime.timedelta(minutes=30))
    checkin_list = CheckinList.objects.create(organizer=organizer, name=f"Doors {event.slug}")
    checkin_list.performances.add(performance)
    tokens = []
    for i in range(GATES):
        gate, _ = Gate.objects.get_or_create(organizer=organizer, name=f"Gate {i + 1}")
        tokens.append(door.device_create(organizer=organizer, name=f"Scanner {i + 1}", gate=gate)[1])
    return checkin_list, secrets, tokens, key


def rush(base: str, checkin_list, secrets: list[str], tokens: list[str]) -> dict:
    rng = random.Random(7)
    shown = [(s, i % GATES) for i, s in enumerate(secrets)]
    rng.shuffle(shown)
    for secret in rng.sample(secrets, DUPLICATES):  # the same ticket at another gate, later in the rush
        gate = rng.randrange(GATES)
        shown.insert(rng.randrange(len(shown) // 2, len(shown)), (secret, gate))
    per_gate = [[s for s, g in shown if g == gate] for gate in range(GATES)]
    latencies, outcomes, lock = [], {}, threading.Lock()

    def gate_worker(gate: int):
        # The same lean client as bench/onsale.py: the load generator shares the server's two cores.
        conn = http.client.HTTPConnection("127.0.0.1", int(base.rsplit(":", 1)[1]), timeout=30)
        headers = {"Authorization": f"Bearer {tokens[gate]}", "Content-Type": "application/json"}
        mine, path = [], "/api/v1/checkin/redeem"
        for secret in per_gate[gate]:
            body = json.dumps({"list": checkin_list.pk, "secret": secret, "nonce": uuid.uuid4().hex})
            start = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                result = json.loads(response.read())
                outcome = "error" if response.status != 200 else result["result"]
                outcome = result["reason"] if outcome == "refused" else outcome
            except (OSError, http.client.HTTPException, ValueError):
                conn.close()
                outcome = "error"
            mine.append((time.perf_counter() - start) * 1000)
            with lock:
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    with ThreadPoolExecutor(GATES) as pool:
        list(pool.map(gate_worker, range(GATES)))
    elapsed = time.perf_counter() - started
    return {"elapsed": elapsed, "latencies": latencies, "outcomes": outcomes, "requests": len(shown)}


def python_verify_ms(secrets: list[str], keys) -> float:
    sample = secrets[:2000]
    start = time.perf_counter()
    for secret in sample:
        signing.verify_secret(secret, keys)
    return (time.perf_counter() - start) * 1000 / len(sample)


def chromium_verify_ms(base: str, secrets: list[str], keys) -> tuple[float, str]:
    from playwright.sync_api import sync_playwright

    public = {str(k): __import__("base64").b64encode(v).decode() for k, v in keys.items()}
    sample = secrets[:1000]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(base_url=base)
        page.goto("/porte/")
        page.wait_for_function("window.parvisDoor !== undefined")
        result = page.evaluate(
            """async ([secrets, keys]) => {
                const door = window.parvisDoor;
                const claims = secrets.map((s) => door.decodeSecret(s));
                await door.verifySignature(keys[String(claims[0].keyId)], claims[0]);  // warm up
                const start = performance.now();
                let ok = 0;
                for (let i = 0; i < secrets.length; i++) {
                    const c = door.decodeSecret(secrets[i]);
                    if (await door.verifySignature(keys[String(c.keyId)], c)) ok++;
                }
                return {ms: (performance.now() - start) / secrets.length, ok,
                        webcrypto: await crypto.subtle.importKey("raw", new Uint8Array(32),
                            {name: "Ed25519"}, false, ["verify"]).then(() => "webcrypto", () => "noble")};
            }""",
            [sample, public],
        )
        browser.close()
    if result["ok"] != len(sample):
        raise RuntimeError(f"Chromium verified {result['ok']} of {len(sample)} secrets")
    return result["ms"], result["webcrypto"]


def main():
    machine_speed(BENCH)
    call_command("collectstatic", interactive=False, verbosity=0)
    checkin_list, secrets, tokens, key = build()
    keys = signing.public_keys_of(checkin_list.organizer)
    server = Server(worker=False)
    try:
        base = f"http://127.0.0.1:{server.port}"
        result = rush(base, checkin_list, secrets, tokens)
        chromium_ms, engine = chromium_verify_ms(base, secrets, keys)
    finally:
        server.stop()
    outcomes = result["outcomes"]
    entered = Presence.objects.filter(checkin_list=checkin_list).count()
    emit(
        BENCH,
        "redemptions_per_s",
        round(result["requests"] / result["elapsed"], 1),
        "redemptions/s",
        500,
        gates=GATES,
        tickets=TICKETS,
        duplicates_shown=DUPLICATES,
    )
    emit(BENCH, "p50_ms", round(percentile(result["latencies"], 50), 1), "ms")
    emit(BENCH, "p99_ms", round(percentile(result["latencies"], 99), 1), "ms", 100)
    emit(BENCH, "accepted", outcomes.get("accepted", 0), "scans", TICKETS)
    emit(BENCH, "double_entries", outcomes.get("accepted", 0) - entered, "scans", 0)
    emit(BENCH, "duplicates_refused", outcomes.get("already_used", 0), "scans", DUPLICATES)
    emit(BENCH, "server_errors", outcomes.get("error", 0), "requests", 0)
    visits = Interaction.objects.filter(
        kind="attendance",
        contact__organizer=checkin_list.organizer,
        ref__startswith="scan:",
        performance__in=checkin_list.performances.all(),
    )
    emit(BENCH, "profile_visits_recorded", visits.count(), "visits", TICKETS)
    emit(BENCH, "offline_verify_python_ms", round(python_verify_ms(secrets, keys), 3), "ms/ticket", 5)
    emit(BENCH, "offline_verify_chromium_ms", round(chromium_ms, 3), "ms/ticket", 5, engine=engine)
    machine_speed(BENCH)


if __name__ == "__main__":
    main()

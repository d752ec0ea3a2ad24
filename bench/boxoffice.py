"""Box-office benchmark: `journal verify` over 1,000,000 entries, and the server time of a counter sale.

The journal is built here: entries computed, chained and signed in Python as `journal.append` would,
inserted with COPY on PostgreSQL (bulk inserts elsewhere). The counter sale is timed in-process through
Django's full stack (middleware, view, services, templates, database), without the network: the POST that
adds two tickets to the basket and the POST that takes the cash, as a seller does.
Run alone: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python bench/boxoffice.py
"""

import datetime
import os
import resource
import time
import uuid
from decimal import Decimal

from _common import emit, percentile, setup_django

setup_django()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from parvis.boxoffice import journal  # noqa: E402
from parvis.boxoffice.models import CashDrawer, Chain, JournalEntry, JournalHead  # noqa: E402
from parvis.network.models import Organizer, OrganizerStaff, Role, Venue  # noqa: E402
from parvis.programming.models import Event, Performance  # noqa: E402
from parvis.ticketing import services as ticketing  # noqa: E402
from parvis.ticketing.signing import signing_key_for  # noqa: E402

BENCH = "boxoffice"
ENTRIES = int(os.environ.get("BENCH_ENTRIES", "1000000"))
SALES = int(os.environ.get("BENCH_SALES", "400"))
COLUMNS = [*journal.ENTRY_FIELDS, "hash", "signature"]


def build_journal(organizer) -> None:
    key = signing_key_for(organizer)
    start = timezone.now() - datetime.timedelta(days=365)
    previous, grand_total, grand_total_abs = journal.GENESIS, Decimal(0), Decimal(0)
    rates = [Decimal("5.50"), Decimal("20.00"), Decimal("2.10")]
    methods = ["cash", "card_terminal", "cheque"]
    batch: list[dict] = []

    def flush():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                names = ", ".join("organizer_id" if c == "organizer_id" else c for c in COLUMNS)
                with cursor.connection.cursor().copy(
                    f"COPY boxoffice_journalentry ({names}) FROM STDIN"
                ) as copy:
                    for row in batch:
                        copy.write_row(
                            [
                                journal.json.dumps(row[c]) if isinstance(row[c], dict) else row[c]
                                for c in COLUMNS
                            ]
                        )
        else:
            JournalEntry.objects.bulk_create([JournalEntry(**row) for row in batch], batch_size=2000)
        batch.clear()

    for seq in range(1, ENTRIES + 1):
        amount = Decimal((seq * 7919) % 6000 + 500) / 100 * (-1 if seq % 50 == 0 else 1)
        rate, method = rates[seq % 3], methods[seq % 3]
        grand_total += amount
        grand_total_abs += abs(amount)
        row = {
            "organizer_id": organizer.pk,
            "chain": Chain.LIVE,
            "seq": seq,
            "at": start + datetime.timedelta(seconds=seq * 30),
            "kind": "refund" if amount < 0 else "sale",
            "staff_id": None,
            "staff_name": "Bench",
            "session_id": None,
            "order_code": f"B{seq:09d}",
            "vat": journal.vat_breakdown([(rate, amount)]),
            "methods": {method: str(journal.money(amount))},
            "total": journal.money(amount),
            "grand_total": journal.money(grand_total),
            "grand_total_abs": journal.money(grand_total_abs),
            "detail": {"tickets": [[1, seq]]},
            "previous_hash": previous,
            "key_id": key.pk,
        }
        row["hash"] = journal.digest(row)
        row["signature"] = journal.sign(key, row["hash"])
        previous = row["hash"]
        batch.append(row)
        if len(batch) >= 20000:
            flush()
    if batch:
        flush()
    JournalHead.objects.update_or_create(
        organizer=organizer,
        chain=Chain.LIVE,
        defaults={
            "last_seq": ENTRIES,
            "last_hash": previous,
            "grand_total": grand_total,
            "grand_total_abs": grand_total_abs,
        },
    )


def counter_sales(organizer, venue) -> tuple[list[float], list[float]]:
    from django.contrib.auth import get_user_model

    event = Event.objects.create(
        organizer=organizer,
        title="Bench au guichet",
        slug=f"bench-{uuid.uuid4().hex[:8]}",
        status="published",
    )
    performance = Performance.objects.create(
        event=event,
        venue=venue,
        starts_at=timezone.now() + datetime.timedelta(hours=3),
        capacity=SALES * 2 + 10,
        status="published",
    )
    full = ticketing.tariff_create(actor=None, performance=performance, name="Plein", price=Decimal("18.00"))
    user = get_user_model().objects.create_user(username=f"seller-{uuid.uuid4().hex[:6]}")
    OrganizerStaff.objects.create(organizer=organizer, user=user, role=Role.BOX_OFFICE)
    drawer = CashDrawer.objects.create(organizer=organizer, venue=venue, name="Bench")
    client = Client()
    client.force_login(user)
    base = f"/staff/o/{organizer.slug}/guichet/"
    client.post(f"{base}ouvrir/", {"drawer": drawer.pk, "opening_float": "100"})
    adds, pays = [], []
    for _ in range(SALES):
        t0 = time.perf_counter()
        response = client.post(f"{base}panier/", {"tariff": full.pk, "quantity": 2})
        t1 = time.perf_counter()
        assert response.status_code == 302, response.status_code
        response = client.post(f"{base}encaisser/", {"method": "cash", "cash_tendered": "40"})
        t2 = time.perf_counter()
        assert response.status_code == 302, response.status_code
        adds.append((t1 - t0) * 1000)
        pays.append((t2 - t1) * 1000)
    sold = performance.tickets.count()
    assert sold == 2 * SALES, sold
    return adds, pays


def main() -> None:
    tag = uuid.uuid4().hex[:6]
    organizer = Organizer.objects.create(name=f"Bench caisse {tag}", slug=f"bench-caisse-{tag}")
    venue = Venue.objects.create(organizer=organizer, slug="salle", name="Salle", town="Paris")
    t0 = time.perf_counter()
    with transaction.atomic():
        build_journal(organizer)
    built = time.perf_counter() - t0
    emit(BENCH, "journal_build_s", round(built, 1), "s", None, entries=ENTRIES)
    t0 = time.perf_counter()
    report = journal.verify(organizer, Chain.LIVE)
    elapsed = time.perf_counter() - t0
    assert report.ok and report.entries == ENTRIES, report.first
    emit(
        BENCH,
        "verify_1m_s",
        round(elapsed, 2),
        "s",
        30,
        entries=ENTRIES,
        signatures=report.signatures_checked,
    )
    t0 = time.perf_counter()
    full = journal.verify(organizer, Chain.LIVE, full=True)
    emit(
        BENCH,
        "verify_full_1m_s",
        round(time.perf_counter() - t0, 2),
        "s",
        None,
        signatures=full.signatures_checked,
    )
    emit(
        BENCH,
        "verify_peak_rss_mb",
        round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "MB",
        None,
    )
    adds, pays = counter_sales(organizer, venue)
    emit(
        BENCH,
        "counter_sale_p99_ms",
        round(percentile(pays, 99), 1),
        "ms",
        150,
        p50=round(percentile(pays, 50), 1),
        sales=SALES,
    )
    emit(
        BENCH,
        "basket_add_p99_ms",
        round(percentile(adds, 99), 1),
        "ms",
        150,
        p50=round(percentile(adds, 50), 1),
    )
    both = [a + p for a, p in zip(adds, pays, strict=True)]
    emit(BENCH, "counter_sale_with_basket_p99_ms", round(percentile(both, 99), 1), "ms", None)


if __name__ == "__main__":
    main()

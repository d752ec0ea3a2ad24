"""`parvis export`: an organizer's data as files a BI tool reads (Parquet through pyarrow, or CSV), one per
table, written a batch at a time (memory stays flat whatever the size).

The tables are the warehouse's facts and dimensions: orders, tickets, check-ins, contacts (an anonymised
person keeps no name, address or e-mail, as everywhere), consents, interactions (the contacts' timelines),
performances with their events and venues, and the rollups: sales per day, people per venue and month.
Amounts are decimals with two places, times are UTC."""

import csv
import decimal
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from parvis.analytics.models import AudienceMonth, SalesDay
from parvis.checkin.models import Presence
from parvis.crm.models import Consent, Contact, Interaction
from parvis.programming.models import Performance
from parvis.ticketing.models import Order, Ticket

BATCH = 20_000
MONEY = pa.decimal128(12, 2)
TIME = pa.timestamp("us", tz="UTC")

# table: (queryset builder, [(column, ORM path, arrow type)])
TABLES = {
    "orders": (
        lambda o: Order.objects.filter(organizer_id=o),
        [
            ("id", "pk", pa.int64()),
            ("code", "code", pa.string()),
            ("state", "state", pa.string()),
            ("channel", "channel", pa.string()),
            ("total", "total", MONEY),
            ("currency", "currency", pa.string()),
            ("contact_id", "contact_id", pa.int64()),
            ("created_at", "created_at", TIME),
            ("paid_at", "paid_at", TIME),
        ],
    ),
    "tickets": (
        lambda o: Ticket.objects.filter(organizer_id=o),
        [
            ("id", "pk", pa.int64()),
            ("order_id", "order_id", pa.int64()),
            ("performance_id", "performance_id", pa.int64()),
            ("tariff", "tariff__name", pa.string()),
            ("number", "number", pa.int64()),
            ("price", "price", MONEY),
            ("state", "state", pa.string()),
            ("issued_at", "issued_at", TIME),
            ("voided_at", "voided_at", TIME),
        ],
    ),
    "checkins": (
        lambda o: Presence.objects.filter(checkin_list__organizer_id=o),
        [
            ("id", "pk", pa.int64()),
            ("ticket_id", "ticket_id", pa.int64()),
            ("performance_id", "ticket__performance_id", pa.int64()),
            ("scanned_at", "first_scan__scanned_at", TIME),
        ],
    ),
    "contacts": (
        lambda o: Contact.objects.filter(organizer_id=o, merged_into__isnull=True),
        [
            ("id", "pk", pa.int64()),
            ("first_name", "first_name", pa.string()),
            ("last_name", "last_name", pa.string()),
            ("email", "email", pa.string()),
            ("postal_code", "postal_code", pa.string()),
            ("departement", "departement", pa.string()),
            ("language", "language", pa.string()),
            ("birth_year", "birth_year", pa.int64()),
            ("created_at", "created_at", TIME),
            ("anonymised_at", "anonymised_at", TIME),
        ],
    ),
    "consents": (
        lambda o: Consent.objects.filter(organizer_id=o),
        [
            ("id", "pk", pa.int64()),
            ("contact_id", "contact_id", pa.int64()),
            ("purpose", "purpose", pa.string()),
            ("given", "given", pa.bool_()),
            ("at", "at", TIME),
            ("source", "source", pa.string()),
        ],
    ),
    "performances": (
        lambda o: Performance.objects.filter(organizer_id=o),
        [
            ("id", "pk", pa.int64()),
            ("event_id", "event_id", pa.int64()),
            ("event", "event__title", pa.string()),
            ("genre", "event__genre", pa.string()),
            ("venue", "venue__name", pa.string()),
            ("venue_postcode", "venue__postcode", pa.string()),
            ("hall", "space__name", pa.string()),
            ("starts_at", "starts_at", TIME),
            ("status", "status", pa.string()),
            ("capacity", "capacity", pa.int64()),
        ],
    ),
    "interactions": (
        lambda o: Interaction.objects.filter(organizer_id=o),
        [
            ("id", "pk", pa.int64()),
            ("contact_id", "contact_id", pa.int64()),
            ("kind", "kind", pa.string()),
            ("occurred_at", "occurred_at", TIME),
            ("summary", "summary", pa.string()),
            ("amount", "amount", MONEY),
            ("ref", "ref", pa.string()),
            ("venue_id", "venue_id", pa.int64()),
            ("performance_id", "performance_id", pa.int64()),
        ],
    ),
    "audience_months": (
        lambda o: AudienceMonth.objects.filter(organizer_id=o),
        [
            ("contact_id", "contact_id", pa.int64()),
            ("venue_id", "venue_id", pa.int64()),
            ("month", "month", pa.date32()),
            ("dates", "visits", pa.int64()),
            ("tickets", "tickets", pa.int64()),
            ("amount", "amount", MONEY),
        ],
    ),
    "sales_days": (
        lambda o: SalesDay.objects.filter(organizer_id=o),
        [
            ("performance_id", "performance_id", pa.int64()),
            ("day", "day", pa.date32()),
            ("source", "source", pa.string()),
            ("tariff", "tariff__name", pa.string()),
            ("sold", "sold", pa.int64()),
            ("sold_amount", "sold_amount", MONEY),
            ("returned", "returned", pa.int64()),
            ("returned_amount", "returned_amount", MONEY),
        ],
    ),
}


def _rows(organizer_id: int, table: str) -> Iterator[list[tuple]]:
    build, columns = TABLES[table]
    paths = [path for _name, path, _type in columns]
    batch = []
    for row in build(organizer_id).order_by("pk").values_list(*paths).iterator(chunk_size=BATCH):
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _cents(value):
    return None if value is None else decimal.Decimal(value).quantize(decimal.Decimal("0.01"))


def export(organizer_id: int, out: Path, fmt: str) -> dict[str, int]:
    """Write each table into `out` as <table>.parquet or <table>.csv; return the rows written per table."""
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for table, (_build, columns) in TABLES.items():
        schema = pa.schema([(name, kind) for name, _path, kind in columns])
        money = [i for i, (_n, _p, kind) in enumerate(columns) if kind == MONEY]
        count = 0
        path = out / f"{table}.{fmt}"
        if fmt == "parquet":
            with pq.ParquetWriter(path, schema) as writer:
                for batch in _rows(organizer_id, table):
                    cols = list(zip(*batch, strict=True))
                    for i in money:
                        cols[i] = [_cents(v) for v in cols[i]]
                    writer.write_table(
                        pa.Table.from_arrays(
                            [pa.array(c, type=t) for c, t in zip(cols, schema.types, strict=True)],
                            schema=schema,
                        )
                    )
                    count += len(batch)
        else:
            with path.open("w", newline="", encoding="utf-8") as f:
                writer = csv.writer(f)
                writer.writerow([name for name, _path, _kind in columns])
                for batch in _rows(organizer_id, table):
                    writer.writerows(batch)
                    count += len(batch)
        written[table] = count
    return written

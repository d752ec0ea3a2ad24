"""`parvis export`: each table as Parquet (read back with pyarrow, typed) and as CSV."""

import csv
from decimal import Decimal

import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from parvis.ticketing import services
from parvis.ticketing.tests.factories import buy, on_sale_performance, tariff

pytestmark = pytest.mark.django_db


def test_an_organizers_data_as_parquet_and_csv(organizer, other_organizer, tmp_path):
    performance = on_sale_performance(organizer=organizer, title="Nuit bleue")
    order = buy(tariff(performance, price="19.90"), 3)
    services.tickets_refund(tickets=[order.tickets.first()])
    buy(tariff(on_sale_performance(organizer=other_organizer), price="5.00"), 1)  # not the organizer's
    call_command("export", organizer=organizer.slug, format="parquet", out=str(tmp_path / "pq"), verbosity=0)
    tickets = pq.read_table(tmp_path / "pq" / "tickets.parquet").to_pylist()
    assert len(tickets) == 3 and {t["price"] for t in tickets} == {Decimal("19.90")}
    assert sorted(t["state"] for t in tickets) == ["refunded", "valid", "valid"]
    days = pq.read_table(tmp_path / "pq" / "sales_days.parquet").to_pylist()
    assert sum(d["sold"] - d["returned"] for d in days) == 2
    timeline = pq.read_table(tmp_path / "pq" / "interactions.parquet").to_pylist()
    assert {t["kind"] for t in timeline} >= {"order", "refund"} and {t["contact_id"] for t in timeline} == {
        order.contact_id
    }
    [month] = pq.read_table(tmp_path / "pq" / "audience_months.parquet").to_pylist()
    assert (month["contact_id"], month["dates"], month["tickets"], month["amount"]) == (
        order.contact_id,
        1,
        2,
        Decimal("39.80"),
    )
    performances = pq.read_table(tmp_path / "pq" / "performances.parquet").to_pylist()
    assert [p["event"] for p in performances] == ["Nuit bleue"]
    call_command("export", organizer=organizer.slug, format="csv", out=str(tmp_path / "csv"), verbosity=0)
    rows = list(csv.DictReader((tmp_path / "csv" / "orders.csv").open(encoding="utf-8")))
    assert [r["code"] for r in rows] == [order.code] and rows[0]["total"] == "59.70"
    with pytest.raises(CommandError):
        call_command("export", organizer="nope", out=str(tmp_path / "x"))

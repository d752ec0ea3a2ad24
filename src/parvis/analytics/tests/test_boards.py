"""The sales and fill dashboards: figures right after a sale, filters, exports, dates at risk, and who may
see what."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from parvis.analytics import rollups, sales
from parvis.analytics.models import SalesDay
from parvis.network.models import NetworkRole, NetworkStaff, Role
from parvis.testing import EventFactory, PerformanceFactory, UserFactory, join, login_staff, staff
from parvis.ticketing import services
from parvis.ticketing.models import Channel, Ticket
from parvis.ticketing.tests.factories import buy, on_sale_performance, tariff

pytestmark = pytest.mark.django_db


def _url(organizer, name="sales", **query):
    url = reverse(f"staff:analytics_{name}", args=[organizer.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _sold_before(performance, quantity, *, days):
    """`quantity` tickets of a past date, sold `days` before it (sold while it was to come)."""
    starts_at = performance.starts_at
    type(performance).objects.filter(pk=performance.pk).update(
        starts_at=timezone.now() + datetime.timedelta(days=30)
    )
    buy(tariff(performance, price="10.00"), quantity)
    Ticket.objects.filter(performance=performance).update(issued_at=starts_at - datetime.timedelta(days=days))
    type(performance).objects.filter(pk=performance.pk).update(starts_at=starts_at)


@pytest.fixture
def sold(organizer):
    performance = on_sale_performance(organizer=organizer, capacity=40, title="Nuit bleue", genre="jazz")
    full, reduced = tariff(performance, price="25.00"), tariff(performance, name="Réduit", price="15.00")
    buy(full, 3)
    buy(reduced, 2, channel=Channel.ONLINE)
    services.tickets_refund(tickets=[Ticket.objects.filter(tariff=full).first()])
    return performance


def test_the_director_reads_the_last_sale_without_any_worker(client, organizer, sold):
    director = staff(organizer, Role.ADMINISTRATOR)
    login_staff(client, director)
    assert not SalesDay.objects.exists()
    page = client.get(_url(organizer))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="total-net">4<' in html  # 5 sold, 1 refunded
    assert "80,00" in html  # 3 × 25 + 2 × 15 − 25
    assert 'role="img"' in html and 'aria-labelledby="summary-per_day"' in html
    assert "Nuit bleue" in html and "Réduit" in html


def test_filters_keep_only_what_is_asked_and_ignore_what_is_not_the_organizers(
    client, organizer, other_organizer, sold
):
    login_staff(client, staff(organizer, Role.READ_ONLY))
    other = on_sale_performance(organizer=organizer, title="Autre soirée", genre="theatre")
    buy(tariff(other, price="10.00"), 1)
    page = client.get(_url(organizer, genre="jazz")).content.decode()
    assert 'data-testid="total-net">4<' in page
    page = client.get(_url(organizer, evenement=other.event_id)).content.decode()
    assert 'data-testid="total-net">1<' in page
    foreign = EventFactory(organizer=other_organizer)
    page = client.get(_url(organizer, evenement=foreign.pk, genre="nope")).content.decode()
    assert 'data-testid="total-net">5<' in page and "Un filtre inconnu a été ignoré." in page
    page = client.get(_url(organizer, du="2026-13-45", au="junk"))
    assert page.status_code == 200


def test_a_charts_data_exports_as_csv_and_xlsx(client, organizer, sold):
    login_staff(client, staff(organizer, Role.ADMINISTRATOR))
    answer = client.get(_url(organizer, export="by_tariff", format="csv"))
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Tarif", "Vendus", "Rendus ou échangés", "Nets", "Montant net (€)"]
    assert sorted(rows[1:]) == [["Plein", "3", "1", "2", "50.00"], ["Réduit", "2", "0", "2", "30.00"]]
    answer = client.get(_url(organizer, export="per_day", format="xlsx"))
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    values = list(sheet.values)
    assert values[0][0] == "Jour" and values[-1][-1] == 4  # the cumulated net tickets, as a number


def test_fill_lists_a_date_behind_its_comparables_first(client, organizer):
    now = timezone.now()
    event = EventFactory(organizer=organizer, title="Le Misanthrope", genre="theatre")
    venue = on_sale_performance(organizer=organizer).venue
    past = [
        PerformanceFactory(event=event, venue=venue, capacity=10, starts_at=now - datetime.timedelta(days=d))
        for d in (20, 30)
    ]
    for performance in past:  # both were half full fifteen days before
        _sold_before(performance, 5, days=15)
    coming = PerformanceFactory(
        event=event, venue=venue, capacity=10, starts_at=now + datetime.timedelta(days=5)
    )
    buy(tariff(coming, price="10.00"), 1)  # 10 % five days before: behind
    easy = PerformanceFactory(
        event=event, venue=venue, capacity=10, starts_at=now + datetime.timedelta(days=6)
    )
    buy(tariff(easy, price="10.00"), 8)
    rollups.rebuild()
    login_staff(client, staff(organizer, Role.PROGRAMMING))
    page = client.get(_url(organizer, "fill", du=(now - datetime.timedelta(days=40)).date().isoformat()))
    html = page.content.decode()
    assert 'data-testid="risky">1<' in html
    answer = client.get(
        _url(organizer, "fill", du=(now - datetime.timedelta(days=40)).date().isoformat(), export="dates")
    )
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    first = rows[1]
    assert first[5] == "1" and first[6] == "10.0" and first[7] == "50.0" and first[9] == "à risque"
    assert len(rows) == 6 and {r[9] for r in rows[2:]} == {""}  # two past, "easy", and the venue's own


def test_the_pace_chart_compares_an_event_with_an_earlier_one_day_by_day(organizer):
    now = timezone.now()
    old = EventFactory(organizer=organizer, genre="jazz", title="Ancien")
    venue = on_sale_performance(organizer=organizer).venue
    was = PerformanceFactory(event=old, venue=venue, capacity=50, starts_at=now - datetime.timedelta(days=3))
    _sold_before(was, 4, days=10)
    new = on_sale_performance(organizer=organizer, genre="jazz", title="Nouveau", days=10)
    buy(tariff(new, price="10.00"), 2)
    rollups.rebuild()
    assert sales.comparable_of(new.event) == old
    series = sales.pace(new.event)
    assert (
        series[-1] is None and series[-11] == 2
    )  # ten days before, today: 2 tickets; the day itself is to come
    assert sales.pace(old)[-11] == 4  # the earlier one had 4 ten days before its date


def test_who_may_see_the_dashboards(client, organizer, other_organizer, network, sold):
    login_staff(client, staff(organizer, Role.DOOR))
    assert client.get(_url(organizer)).status_code == 403
    login_staff(client, staff(other_organizer, Role.ADMINISTRATOR))
    assert client.get(_url(organizer)).status_code == 404
    coordinator = UserFactory()
    NetworkStaff.objects.create(network=network, user=coordinator, role=NetworkRole.COORDINATOR)
    join(network, organizer)
    login_staff(client, coordinator)
    page = client.get(reverse("staff:network_analytics_sales", args=[network.slug]))
    assert page.status_code == 200 and 'data-testid="total-net">4<' in page.content.decode()
    assert client.get(_url(organizer)).status_code == 404  # an organizer's own board is its staff's
    page = client.get(reverse("staff:network_analytics_fill", args=[network.slug]))
    assert page.status_code == 200


def test_money_is_summed_as_decimals(organizer, sold):
    rollups.settle()
    assert sum((r.sold_amount - r.returned_amount for r in SalesDay.objects.all()), Decimal(0)) == Decimal(
        "80.00"
    )

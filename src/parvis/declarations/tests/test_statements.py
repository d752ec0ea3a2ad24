"""Daily revenue statements: the figures per tariff (issued and their numbers, exonerated, cancelled,
revenue, scanned; a pass entry for its share, never as free), made once the performance is over, numbered
and chained, superseded when a late refund changes them, as PDF and CSV; staff with sales access only."""

import datetime
import uuid
from decimal import Decimal

import pypdfium2
import pytest
from django.urls import reverse
from django.utils import timezone

from parvis.checkin import services as door
from parvis.checkin.models import CheckinList
from parvis.declarations import statements
from parvis.declarations.models import DailyStatement
from parvis.network.models import Role
from parvis.passes.services import pass_book
from parvis.passes.tests.factories import bought_pass, club, concert, pass_product
from parvis.testing import login_staff, staff
from parvis.ticketing import services as sales
from parvis.ticketing.models import Tariff
from parvis.ticketing.tests.factories import buy, tariff

pytestmark = pytest.mark.django_db


@pytest.fixture
def evening(network):
    organizer = club(network, "club-bordereaux")
    performance = concert(organizer, days=1, price="25.00")  # « Plein » 25 €
    full = Tariff.objects.get(performance=performance)
    reduced = tariff(performance, name="Réduit", price="15.00")
    invitation = tariff(performance, name="Invitation", price="0.00")
    later = concert(organizer, days=20)
    first = buy(full, 3)  # tickets 1-3
    second = buy(reduced, 2)  # 4-5
    buy(invitation, 1)  # 6
    holding = bought_pass(pass_product(organizer, network))  # 45 € for 3 entries: 15 € a show
    entry = pass_book(holding=holding, performance_id=performance.pk)  # ticket 7, 0 € in the ticketing
    sales.tickets_refund(tickets=[first.tickets.order_by("number").last()], reason="Malade")  # 3
    sales.ticket_exchange(  # 4 goes to a later date
        ticket=second.tickets.order_by("number").first(),
        tariff_id=Tariff.objects.get(performance=later).pk,
        actor=None,
        difference_paid=True,
    )
    # Two people come in: ticket 1 and the pass's.
    type(performance).objects.filter(pk=performance.pk).update(
        starts_at=timezone.now() + datetime.timedelta(minutes=20)
    )
    checkin_list = CheckinList.objects.create(organizer=organizer, name="Soir")
    checkin_list.performances.add(performance)
    device, _token = door.device_create(organizer=organizer, name="Porte")
    for ticket in (first.tickets.order_by("number").first(), entry.ticket):
        door.redeem(device=device, checkin_list=checkin_list, nonce=uuid.uuid4().hex, secret=ticket.secret)
    type(performance).objects.filter(pk=performance.pk).update(
        starts_at=timezone.now() - datetime.timedelta(hours=7)
    )
    performance.refresh_from_db()
    return performance, first


def test_the_figures_by_tariff_with_a_pass_entry_for_its_share(evening):
    performance, _first = evening
    lines, totals = statements.figures(performance)
    assert lines == [
        {"tariff": "Plein", "unit_price": "25.00", "pass": False, "issued": 3, "numbers": [1, 2, 3],
         "exonerated": 0, "cancelled": 1, "revenue": "50.00", "scanned": 1},
        {"tariff": "Réduit", "unit_price": "15.00", "pass": False, "issued": 2, "numbers": [4, 5],
         "exonerated": 0, "cancelled": 1, "revenue": "15.00", "scanned": 0},
        {"tariff": "Invitation", "unit_price": "0.00", "pass": False, "issued": 1, "numbers": [6],
         "exonerated": 1, "cancelled": 0, "revenue": "0.00", "scanned": 0},
        {"tariff": lines[3]["tariff"], "unit_price": "0.00", "pass": True, "issued": 1, "numbers": [7],
         "exonerated": 0, "cancelled": 0, "revenue": "15.00", "scanned": 1},
    ]  # fmt: skip
    assert totals == {"issued": 7, "exonerated": 1, "cancelled": 2, "scanned": 2, "revenue": "80.00"}


def test_made_once_over_then_superseded_by_a_late_refund_and_chained(evening):
    performance, first = evening
    [statement] = statements.statements_due(performance.organizer)
    assert (statement.number, statement.totals["revenue"]) == (1, "80.00")
    assert statements.statements_due(performance.organizer) == []  # made once
    assert statements.statement_issue(performance) == statement  # figures unchanged: the same one
    sales.tickets_refund(tickets=[first.tickets.order_by("number").first()], reason="Tard")
    correction = statements.statement_issue(performance)
    assert (correction.number, correction.supersedes, correction.totals["revenue"]) == (2, statement, "55.00")
    assert correction.previous_hash == statement.hash
    assert statements.verify(performance.organizer) == (True, None)
    DailyStatement.objects.filter(pk=statement.pk).update(totals={**statement.totals, "revenue": "1.00"})
    assert statements.verify(performance.organizer) == (False, 1)


def test_the_pdf_the_csv_and_who_may_see_them(client, evening):
    performance, _first = evening
    organizer = performance.organizer
    login_staff(client, staff(organizer, Role.DOOR, username="porte@example.org"))
    assert client.get(reverse("staff:statements", args=[organizer.slug])).status_code == 403
    login_staff(client, staff(organizer, Role.BOX_OFFICE, username="guichet@example.org"))
    page = client.get(reverse("staff:statements", args=[organizer.slug])).content.decode()
    assert "chain-ok" in page and "80.00 €" in page
    pdf = client.get(reverse("staff:statement_file", args=[organizer.slug, 1, "pdf"]))
    text = pypdfium2.PdfDocument(pdf.content)[0].get_textpage().get_text_range()
    assert "Bordereau de recettes n° 1" in text and "(part de pass)" in text and "1-3" in text
    csv = client.get(reverse("staff:statement_file", args=[organizer.slug, 1, "csv"])).content.decode(
        "utf-8-sig"
    )
    rows = [row.split(";") for row in csv.strip().splitlines()]
    assert rows[1][:4] == ["Plein", "25,00", "", "3"] and rows[-2][7] == "80,00"
    assert Decimal(rows[-2][7].replace(",", ".")) == Decimal("80.00")

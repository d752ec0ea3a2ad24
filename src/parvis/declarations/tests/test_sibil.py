"""SIBIL's figures per performance, quarter by quarter in Paris time: valid tickets only, a pass entry for
its share, subscription and pass tickets counted apart, free ones; what is missing before sending; the
review page and its spreadsheet."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from parvis.declarations import sibil
from parvis.declarations.models import GenreDomain, SibilDomain, SibilPlaceType, SibilVenue
from parvis.memberships.models import SubscriptionOffer
from parvis.memberships.subscriptions import subscription_order_place
from parvis.network.models import Role
from parvis.passes.services import pass_book
from parvis.passes.tests.factories import bought_pass, club, concert, pass_product
from parvis.programming.models import Performance
from parvis.testing import login_staff, staff
from parvis.ticketing import services as sales
from parvis.ticketing.models import Tariff
from parvis.ticketing.tests.factories import buy, buyer, tariff

pytestmark = pytest.mark.django_db
PARIS = sibil.PARIS


def test_quarters_follow_paris_time():
    assert sibil.quarter_of(datetime.datetime(2026, 9, 30, 22, 30, tzinfo=datetime.UTC)) == (2026, 4)  # 00:30
    assert sibil.quarter_of(datetime.datetime(2026, 9, 30, 21, 59, tzinfo=datetime.UTC)) == (2026, 3)
    start, end = sibil.quarter_bounds(2026, 4)
    assert (start, end) == (
        datetime.datetime(2026, 10, 1, tzinfo=PARIS),
        datetime.datetime(2027, 1, 1, tzinfo=PARIS),
    )
    assert sibil.deadline(2026, 4) == datetime.date(2027, 1, 10)


def test_the_figures_of_a_performance_and_what_to_fix(client, network):
    organizer = club(network, "club-sibil")
    performance = concert(organizer, days=5, price="20.00")  # « Plein » 20 €
    full = Tariff.objects.get(performance=performance)
    reduced = tariff(performance, name="Réduit", price="12.00", kind="reduced")
    invitation = tariff(performance, name="Invitation", price="0.00", kind="exonerated")
    subscriber = tariff(performance, name="Abonné", price="14.00", kind="subscriber")
    paid = buy(full, 3)
    buy(reduced, 1)
    buy(invitation, 2)
    offer = SubscriptionOffer.objects.create(
        organizer=organizer, name="Abonnement", min_shows=1,
        season_starts=performance.starts_at - datetime.timedelta(days=30),
        season_ends=performance.starts_at + datetime.timedelta(days=30),
    )  # fmt: skip
    order = subscription_order_place(
        offer=offer,
        buyer=buyer(email="abo@example.org"),
        performance_ids=[performance.pk],
        provider_code="demo",
    )
    if order.state == "pending":
        sales.payment_confirm(payment_id=order.payments.get(state="created").pk)
    holding = bought_pass(pass_product(organizer, network))  # 45 € / 3 entries
    pass_book(holding=holding, performance_id=performance.pk)
    sales.tickets_refund(tickets=[paid.tickets.first()], reason="Malade", fee_per_ticket=Decimal("2.00"))
    row = sibil.performance_row(performance)
    assert (row.tickets, row.full_price, row.subscription_pass, row.free) == (7, 2, 2, 2)
    assert row.revenue == Decimal("81.00")  # 2×20 + 12 + 14 + 15 (the pass's share); the 2 € fee is not in
    assert (row.paying, row.average, row.full_price_revenue) == (5, Decimal("16.20"), Decimal("40.00"))
    assert subscriber.pk  # the subscription took the subscriber tariff

    year, quarter = sibil.quarter_of(performance.starts_at)
    rows = sibil.quarter_rows(organizer, year, quarter)
    assert [r.performance for r in rows] == [performance]
    assert any("SIRET" in w for w in rows[0].warnings)
    assert any("Domaine SIBIL" in w for w in rows[0].warnings)
    organizer.siret = "12345678900011"
    organizer.save()
    domain = SibilDomain.objects.create(id=7, label="Concert", fetched_at=performance.starts_at)
    GenreDomain.objects.create(organizer=organizer, genre=performance.event.genre, domain=domain)
    Performance.objects.filter(pk=performance.pk).update(capacity=300)
    assert sibil.quarter_rows(organizer, year, quarter)[0].warnings == [
        f"Type de lieu SIBIL à choisir pour « {performance.venue.name} »."
    ]
    theatre = SibilPlaceType.objects.create(code="THEATRE", label="Théâtre", fetched_at=performance.starts_at)
    SibilVenue.objects.create(venue=performance.venue, place_type=theatre)
    assert sibil.quarter_rows(organizer, year, quarter)[0].warnings == []

    login_staff(client, staff(organizer, Role.ADMINISTRATOR, username="admin@example.org"))
    url = reverse("staff:sibil_quarter", args=[organizer.slug])
    page = client.get(url, {"trimestre": f"{year}-{quarter}"}).content.decode()
    assert performance.event.title in page and "sibil-to-fix" not in page
    sheet = client.get(url, {"trimestre": f"{year}-{quarter}", "format": "csv"}).content.decode("utf-8-sig")
    line = sheet.strip().splitlines()[1].split(";")
    assert line[4:12] == ["7", "81,00", "5", "16,20", "2", "40,00", "2", "2"]

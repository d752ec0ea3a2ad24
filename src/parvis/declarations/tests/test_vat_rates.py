"""Ticket VAT rates by the law's rules: a new creation at 2.1 % for its first 140 performances counted
nationally and at 5.5 % from the 141st (warned before), not when drinks are served during the show, 20 %
when the ticket includes a drink, the overseas and Corsican rates per venue; coming dates aligned when a
rule changes, new tariffs made right, tickets sold keeping their rate; who may change the rules."""

import datetime
import html
from decimal import Decimal

import pytest
from django.urls import reverse

from parvis.declarations import vat_rates
from parvis.declarations.models import EventVat, Territory, VenueTax
from parvis.network.models import Role
from parvis.passes.tests.factories import club, concert
from parvis.programming.models import Genre
from parvis.testing import PerformanceFactory, login_staff, staff
from parvis.ticketing import services as sales
from parvis.ticketing.models import Tariff
from parvis.ticketing.tests.factories import buy

pytestmark = pytest.mark.django_db


def _run(organizer, dates=5):
    first = concert(organizer, days=3, price="20.00", genre=Genre.THEATRE, title="Création")
    performances = [first]
    for n in range(1, dates):
        performance = PerformanceFactory(
            event=first.event, venue=first.venue, capacity=100,
            starts_at=first.starts_at + datetime.timedelta(days=n),
        )  # fmt: skip
        sales.tariff_create(actor=None, performance=performance, name="Plein", price=Decimal("20"))
        performances.append(performance)
    return performances


def _rates(performances):
    return [Tariff.objects.get(performance=p, name="Plein").vat_rate for p in performances]


def test_a_creation_switches_at_its_141st_performance(client, network):
    organizer = club(network, "club-tva")
    performances = _run(organizer)
    sold = buy(Tariff.objects.get(performance=performances[4]), 1).tickets.get()
    assert _rates(performances) == [Decimal("5.50")] * 5

    url = reverse("staff:accounting", args=[organizer.slug])
    admin = staff(organizer, Role.ADMINISTRATOR, username="admin@example.org")
    login_staff(client, admin)
    data = {
        "action": "event",
        "event": performances[0].event_id,
        "new_creation": "1",
        "played_elsewhere": "137",
    }
    response = client.post(url, data, follow=True)
    text = html.unescape(response.content.decode())
    assert "3 tarifs de dates à venir alignés" in text
    # 137 played elsewhere: these are the 138th to the 142nd.
    assert _rates(performances) == [
        Decimal("2.10"),
        Decimal("2.10"),
        Decimal("2.10"),
        Decimal("5.50"),
        Decimal("5.50"),
    ]
    sold.refresh_from_db()
    assert sold.vat_rate == Decimal("5.50")  # sold before: it keeps its rate
    assert any("au-delà des 140 premières" in w for w in vat_rates.warnings(organizer))

    # A tariff added later is made right at once, by its rank in the run.
    late = sales.tariff_create(actor=None, performance=performances[1], name="Réduit", price=Decimal("12"))
    assert late.vat_rate == Decimal("2.10")

    EventVat.objects.filter(event=performances[0].event).update(played_elsewhere=130)
    warned = vat_rates.warnings(organizer)  # now the 131st to the 135th: 5 left at the creation rate
    assert any("plus que 5 représentations" in w for w in warned)
    assert any("2 tarifs de dates à venir n'ont pas le taux de TVA attendu" in w for w in warned)

    data.update(played_elsewhere="128", drinks_served="1")
    client.post(url, data)
    assert set(_rates(performances)) == {Decimal("5.50")}  # drinks during the show: no 2.1 %
    data.pop("drinks_served")
    data["drink_included"] = "1"
    client.post(url, data)
    assert set(_rates(performances)) == {Decimal("20.00")}  # a drink in the ticket: the normal rate


def test_overseas_rates_per_venue_and_a_warning_before_the_141st(client, network):
    organizer = club(network, "club-dom")
    performances = _run(organizer, dates=3)
    url = reverse("staff:accounting", args=[organizer.slug])
    login_staff(client, staff(organizer, Role.ADMINISTRATOR, username="admin@example.org"))
    client.post(url, {"action": "venue", "venue": performances[0].venue_id, "territory": "dom"})
    assert VenueTax.objects.get().territory == Territory.DOM
    assert set(_rates(performances)) == {Decimal("2.10")}  # a live show overseas
    client.post(url, {"action": "event", "event": performances[0].event_id, "new_creation": "1",
                      "played_elsewhere": "130"})  # fmt: skip
    assert set(_rates(performances)) == {Decimal("1.05")}
    assert any("plus que 7 représentations" in w for w in vat_rates.warnings(organizer))
    page = client.get(url).content.decode()
    assert 'data-testid="vat-warning"' in page


def test_who_may_change_the_rules_and_bad_input(client, network):
    organizer = club(network, "club-tva-perm")
    performance = concert(organizer, days=3, genre=Genre.JAZZ)
    url = reverse("staff:accounting", args=[organizer.slug])
    login_staff(client, staff(organizer, Role.BOX_OFFICE, username="seller@example.org"))
    assert (
        client.post(url, {"action": "event", "event": performance.event_id, "new_creation": "1"}).status_code
        == 403
    )
    login_staff(client, staff(organizer, Role.ADMINISTRATOR, username="admin@example.org"))
    response = client.post(
        url, {"action": "event", "event": performance.event_id, "played_elsewhere": "beaucoup"}, follow=True
    )
    assert "Indiquez un nombre" in response.content.decode()
    other = concert(club(network, "autre-club"), days=3)
    client.post(url, {"action": "event", "event": other.event_id, "new_creation": "1"})
    client.post(url, {"action": "venue", "venue": other.venue_id, "territory": "dom"})
    assert not EventVat.objects.exists() and not VenueTax.objects.exists()

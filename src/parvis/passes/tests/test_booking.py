"""Passes: buying one, booking with it under its rules, giving entries back."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from parvis.passes.models import PassEntry, PassHolding
from parvis.passes.services import (
    eligible_performances,
    holding_find,
    pass_book,
    pass_entry_cancel,
    pass_order_place,
)
from parvis.programming.models import Genre
from parvis.testing import NetworkFactory
from parvis.ticketing import services as sales
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Order, OrderExtra, Quota, Ticket, TicketState
from parvis.ticketing.signing import public_keys_of, verify_secret

from .factories import bought_pass, club, concert, pass_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def clubs(network, organizer):
    return [
        club(network, "alpha", "Paris"),
        club(network, "beta", "Montreuil"),
        club(network, "gamma", "Pantin"),
    ]


def _used(performance) -> int:
    return Quota.objects.get(performance=performance, is_total=True).used


def test_buying_a_pass_makes_it_valid_once_paid_and_invoices_it(network, organizer, clubs):
    product = pass_product(organizer, network)
    order = pass_order_place(
        product=product,
        buyer=sales.Buyer(email="Ana@Example.org", first_name="Ana", last_name="Lima"),
        provider_code="demo",
    )
    holding = order.pass_holdings.get()
    assert order.state == "pending" and holding.state == PassHolding.State.PENDING
    with pytest.raises(SaleError) as err:
        holding_find(code=holding.code, email="ana@example.org")
    assert err.value.code == "pass_unknown"
    sales.payment_confirm(payment_id=order.payments.get().pk)
    sales.payment_confirm(payment_id=order.payments.get().pk)  # a repeated webhook changes nothing
    holding.refresh_from_db()
    assert holding.state == PassHolding.State.ACTIVE and holding.entries_left == 3
    assert holding.email == "ana@example.org" and holding.price == Decimal("45.00")
    extra = order.extras.get()
    assert extra.kind == OrderExtra.Kind.PASS and extra.line_total == Decimal("45.00")
    assert holding_find(code=holding.code.lower(), email=" ANA@example.org ") == holding


def test_a_booking_takes_a_place_uses_an_entry_and_issues_a_signed_ticket(
    network, organizer, clubs, django_capture_on_commit_callbacks
):
    product = pass_product(organizer, network)
    holding = bought_pass(product)
    performance = concert(clubs[0])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        entry = pass_book(holding=holding, performance_id=performance.pk)
    holding.refresh_from_db()
    assert holding.entries_used == 1 and _used(performance) == 1
    ticket = entry.ticket
    assert ticket.state == TicketState.VALID and ticket.organizer == clubs[0] and ticket.price == 0
    assert ticket.order.organizer == clubs[0] and ticket.order.state == "paid" and ticket.order.total == 0
    claims = verify_secret(ticket.secret, public_keys_of(clubs[0]))  # the venue's door can check it
    assert claims.performance_id == performance.pk and claims.number == ticket.number
    assert entry.venue == performance.venue and entry.organizer == clubs[0]
    (message,) = mail.outbox  # the ticket is e-mailed like any other, as a PDF
    assert message.to == ["ana@example.org"] and message.attachments[0][2] == "application/pdf"


def test_entries_are_never_overused(network, organizer, clubs):
    product = pass_product(organizer, network, entries=2)
    holding = bought_pass(product)
    first, second, third = (concert(c) for c in clubs)
    pass_book(holding=holding, performance_id=first.pk)
    pass_book(holding=holding, performance_id=second.pk)
    with pytest.raises(SaleError) as err:
        pass_book(holding=holding, performance_id=third.pk)
    assert err.value.code == "pass_used_up"
    assert _used(third) == 0 and not Ticket.objects.filter(performance=third).exists()


def test_one_entry_per_performance(network, organizer, clubs):
    holding = bought_pass(pass_product(organizer, network))
    performance = concert(clubs[0])
    pass_book(holding=holding, performance_id=performance.pk)
    with pytest.raises(SaleError) as err:
        pass_book(holding=holding, performance_id=performance.pk)
    assert err.value.code == "pass_already_booked"
    holding.refresh_from_db()
    assert holding.entries_used == 1 and _used(performance) == 1  # the failed attempt was rolled back


def test_at_most_one_per_venue(network, organizer, clubs):
    holding = bought_pass(pass_product(organizer, network, max_per_venue=1))
    pass_book(holding=holding, performance_id=concert(clubs[0], days=5).pk)
    again = concert(clubs[0], days=6)
    with pytest.raises(SaleError) as err:
        pass_book(holding=holding, performance_id=again.pk)
    assert err.value.code == "pass_venue_limit" and "1" in err.value.message
    pass_book(holding=holding, performance_id=concert(clubs[1]).pk)


def test_at_least_two_different_venues(network, organizer, clubs):
    holding = bought_pass(pass_product(organizer, network, entries=3, min_venues=2))
    pass_book(holding=holding, performance_id=concert(clubs[0], days=3).pk)
    pass_book(holding=holding, performance_id=concert(clubs[0], days=4).pk)  # one entry left for venue 2
    with pytest.raises(SaleError) as err:
        pass_book(holding=holding, performance_id=concert(clubs[0], days=5).pk)
    assert err.value.code == "pass_venues_required"
    pass_book(holding=holding, performance_id=concert(clubs[1], days=5).pk)


def test_eligible_performances_follow_the_filters_and_the_validity(
    network, organizer, clubs, other_organizer
):
    outsider = club(NetworkFactory(slug="other"), "delta")
    jazz = concert(clubs[0], genre=Genre.JAZZ)
    theatre = concert(clubs[1], genre=Genre.THEATRE)
    late = concert(clubs[2], days=90, genre=Genre.JAZZ)
    elsewhere = concert(outsider, genre=Genre.JAZZ)
    product = pass_product(organizer, network, genres=[Genre.JAZZ])
    assert set(eligible_performances(product)) == {jazz}
    product.genres = []
    product.save()
    assert set(eligible_performances(product)) == {jazz, theatre}
    product.organizers.set([clubs[1]])
    assert set(eligible_performances(product)) == {theatre}
    product.organizers.clear()
    product.venues.set([clubs[0].venues.first()])
    assert set(eligible_performances(product)) == {jazz}
    holding = bought_pass(pass_product(organizer, network))
    for performance in (late, elsewhere):  # after the pass's validity; another network's club
        with pytest.raises(SaleError) as err:
            pass_book(holding=holding, performance_id=performance.pk)
        assert err.value.code == "pass_not_eligible"


def test_a_pass_replaces_the_full_price_tariff_unless_told_otherwise(network, organizer, clubs):
    performance = concert(clubs[0])
    youth_only = concert(clubs[1])
    youth_only.tariffs.update(kind="youth")
    holding = bought_pass(pass_product(organizer, network))
    entry = pass_book(holding=holding, performance_id=performance.pk)
    assert entry.ticket.tariff.kind == "full"
    with pytest.raises(SaleError) as err:
        pass_book(holding=holding, performance_id=youth_only.pk)
    assert err.value.code == "pass_not_eligible"


def test_a_sold_out_performance_refuses_and_keeps_the_entry(network, organizer, clubs):
    holding = bought_pass(pass_product(organizer, network))
    full = concert(clubs[0], capacity=1)
    from parvis.ticketing.tests.factories import buy

    buy(full.tariffs.get())
    with pytest.raises(SaleError) as err:
        pass_book(holding=holding, performance_id=full.pk)
    assert err.value.code == "sold_out"
    holding.refresh_from_db()
    assert holding.entries_used == 0 and not PassEntry.objects.exists()


def test_sales_windows_apply_to_bookings(network, organizer, clubs):
    holding = bought_pass(pass_product(organizer, network))
    soon = concert(clubs[0])
    soon.starts_at = timezone.now() + datetime.timedelta(
        minutes=30
    )  # the club closes online sales 2 h before
    soon.save(update_fields=["starts_at"])
    soon.venue.online_close_minutes = 120
    soon.venue.save(update_fields=["online_close_minutes"])
    with pytest.raises(SaleError) as err:
        pass_book(holding=holding, performance_id=soon.pk)
    assert err.value.code == "sales_closed"


def test_cancelling_gives_the_place_and_the_entry_back_within_the_rules(network, organizer, clubs):
    holding = bought_pass(pass_product(organizer, network, cancel_hours=24))
    performance = concert(clubs[0], days=3)
    entry = pass_book(holding=holding, performance_id=performance.pk)
    pass_entry_cancel(entry=entry)
    holding.refresh_from_db()
    entry.refresh_from_db()
    assert entry.state == PassEntry.State.CANCELLED and holding.entries_used == 0 and _used(performance) == 0
    assert Ticket.objects.get(pk=entry.ticket_id).state == TicketState.REFUNDED
    with pytest.raises(SaleError):  # once only
        pass_entry_cancel(entry=entry)
    again = pass_book(holding=holding, performance_id=performance.pk)  # the entry can be used again
    assert again.state == PassEntry.State.BOOKED


def test_cancelling_is_refused_when_the_rules_say_so(network, organizer, clubs):
    no_cancel = bought_pass(pass_product(organizer, network))
    entry = pass_book(holding=no_cancel, performance_id=concert(clubs[0], days=3).pk)
    with pytest.raises(SaleError) as err:
        pass_entry_cancel(entry=entry)
    assert err.value.code == "pass_not_cancellable"
    late = bought_pass(pass_product(organizer, network, cancel_hours=24), email="bo@example.org")
    soon = concert(clubs[1], days=3)
    entry = pass_book(holding=late, performance_id=soon.pk)
    soon.starts_at = timezone.now() + datetime.timedelta(hours=10)
    soon.save(update_fields=["starts_at"])
    with pytest.raises(SaleError):
        pass_entry_cancel(entry=entry)
    pass_entry_cancel(entry=entry, by_staff=True)  # staff may, until the performance starts
    late.refresh_from_db()
    assert late.entries_used == 0


def test_a_cancelled_date_gives_the_entry_back(network, organizer, clubs):
    holding = bought_pass(pass_product(organizer, network))
    performance = concert(clubs[0])
    pass_book(holding=holding, performance_id=performance.pk)
    sales.performance_cancel(actor=None, performance=performance, reason="artiste malade")
    holding.refresh_from_db()
    assert holding.entries_used == 0
    assert PassEntry.objects.get().state == PassEntry.State.CANCELLED


def test_a_pass_is_refunded_only_while_unused(network, organizer, clubs):
    unused = bought_pass(pass_product(organizer, network))
    sales.order_cancel(order=unused.order, reason="changement d'avis")
    unused.refresh_from_db()
    assert unused.state == PassHolding.State.CANCELLED
    assert Order.objects.get(pk=unused.order_id).state == "refunded"
    with pytest.raises(SaleError) as err:
        pass_book(holding=unused, performance_id=concert(clubs[0]).pk)
    assert err.value.code == "pass_unknown"
    used = bought_pass(pass_product(organizer, network), email="bo@example.org")
    pass_book(holding=used, performance_id=concert(clubs[1]).pk)
    with pytest.raises(SaleError) as err:
        sales.order_cancel(order=used.order)
    assert err.value.code == "pass_in_use"
    assert Order.objects.get(pk=used.order_id).state == "paid"


def test_a_pass_off_sale_or_expired_cannot_be_bought(network, organizer):
    from parvis.ticketing.tests.factories import buyer

    product = pass_product(organizer, network, on_sale=False)
    with pytest.raises(SaleError) as err:
        pass_order_place(product=product, buyer=buyer(), provider_code="demo")
    assert err.value.code == "pass_not_on_sale"
    assert not Order.objects.exists() and not PassHolding.objects.exists()


def _same_evening(clubs):
    """Three concerts at 19:30 on the same evening in three towns."""
    concerts = [concert(c, days=5) for c in clubs]
    starts = concerts[0].starts_at
    for p in concerts:
        type(p).objects.filter(pk=p.pk).update(starts_at=starts)
        p.refresh_from_db()
    return concerts


@pytest.mark.parametrize("rule", ["refuse", "confirm", "allow"])
def test_overlapping_bookings_follow_the_pass_rule(network, organizer, clubs, rule):
    holding = bought_pass(pass_product(organizer, network, overlap_rule=rule))
    first, second, _third = _same_evening(clubs)
    later = concert(clubs[1], days=6)
    pass_book(holding=holding, performance_id=first.pk)
    pass_book(holding=holding, performance_id=later.pk)  # another evening: always fine
    if rule == "allow":
        pass_book(holding=holding, performance_id=second.pk)
        return
    with pytest.raises(SaleError) as err:
        pass_book(holding=holding, performance_id=second.pk)
    assert err.value.code == ("pass_overlap" if rule == "refuse" else "pass_overlap_confirm")
    assert first.event.title in err.value.message
    assert _used(second) == 0 and PassHolding.objects.get(pk=holding.pk).entries_used == 2  # nothing taken
    if rule == "confirm":
        pass_book(holding=holding, performance_id=second.pk, overlap_confirmed=True)
        assert _used(second) == 1
    else:
        with pytest.raises(SaleError):  # a confirmation changes nothing where the pass refuses
            pass_book(holding=holding, performance_id=second.pk, overlap_confirmed=True)


def test_the_pass_page_confirms_an_overlap_and_filters_its_dates(client, network, organizer, clubs):
    holding = bought_pass(pass_product(organizer, network, overlap_rule="confirm", entries=5))
    first, second, third = _same_evening(clubs)
    url = holding.get_absolute_url()
    client.post(url, {"action": "book", "performance": first.pk})
    asked = client.post(url, {"action": "book", "performance": second.pk})
    assert asked.status_code == 302 and f"confirmer={second.pk}" in asked["Location"]
    page = client.get(asked["Location"]).content.decode()
    assert 'name="overlap_ok" value="1"' in page and "même heure" in page
    client.post(url, {"action": "book", "performance": second.pk, "overlap_ok": "1"})
    assert PassEntry.objects.filter(holding=holding, state="booked").count() == 2
    pantin = client.get(url, {"ville": "Pantin"})
    titles = [row["performance"].pk for row in pantin.context["suggestions"]]
    assert titles == [third.pk]
    assert "Montreuil" in pantin.content.decode()  # the towns to choose from
    assert client.get(url, {"lieu": third.venue_id}).context["suggestions"][0]["performance"] == third
    late = client.get(url, {"du": (timezone.localdate() + datetime.timedelta(days=30)).isoformat()})
    assert late.context["suggestions"] == [] and "Aucune date avec des places" in late.content.decode()
    assert client.get(url, {"du": "junk", "lieu": "²"}).status_code == 200

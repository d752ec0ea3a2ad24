"""Seats at the box office: best available in one tap, seats chosen on the counter's map (kept seats
released and sold together), a seat given back with "−1", a ticket moved to another seat, and exchanges
to and from a seated date that free and take seats."""

from decimal import Decimal

import pytest
from django.urls import reverse

from parvis.boxoffice import services
from parvis.boxoffice.tests.helpers import open_counter
from parvis.core.models import AuditLogEntry
from parvis.seating.claims import taken_seats
from parvis.seating.models import ClaimState, SeatClaim
from parvis.seating.services import seat_change, seats_hold, seats_keep
from parvis.ticketing import services as sales
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Cart, TicketState
from parvis.ticketing.tests.factories import buy, on_sale_performance, tariff

from .conftest import seat_ids
from .test_selling import pay

pytestmark = pytest.mark.django_db


def _seats_of(order):
    return sorted(
        (c.seat.row, int(c.seat.number))
        for c in SeatClaim.objects.filter(ticket__order=order, state=ClaimState.SOLD).select_related("seat")
    )


def _sell(session, user, total):
    return services.sale(
        session=session, actor=user, payments=[services.CounterPayment("cash", Decimal(total))]
    )


def test_a_tariff_tap_at_the_counter_takes_the_best_seats_and_the_basket_says_which(seated, client):
    performance, _plan, full = seated
    user, session = open_counter(performance.organizer)
    client.force_login(user)
    counter = reverse("staff:boxoffice", args=[performance.organizer.slug])
    response = client.post(
        reverse("staff:boxoffice_basket", args=[performance.organizer.slug]),
        {"tariff": full.pk, "quantity": 3},
    )
    assert response.status_code == 302
    page = client.get(counter).content.decode()
    assert "Plan de salle" in page and page.count("rang ") >= 3
    result = _sell(session, user, "90.00")
    seats = _seats_of(result.order)
    assert len(seats) == 3 and len({row for row, _ in seats}) == 1  # together, in one row
    assert result.order.channel == "box_office"


def test_the_counter_map_sells_a_kept_seat_by_releasing_it_and_audits_it(seated, client):
    performance, plan, full = seated
    seats_keep(actor=None, performance=performance, seat_ids=seat_ids(plan, "A", 5, 6), kind="house")
    user, session = open_counter(performance.organizer)
    client.force_login(user)
    url = reverse("staff:boxoffice_seats", args=[performance.organizer.slug, performance.pk])
    page = client.get(url, {"places": ",".join(map(str, seat_ids(plan, "A", 5)))}).content.decode()
    assert "gardée (Places de la maison" in page and "Parmi elles, des places gardées" in page
    response = client.post(url, {"tarif": full.pk, "places": ",".join(map(str, seat_ids(plan, "A", 5)))})
    assert response.status_code == 302
    result = _sell(session, user, "30.00")
    assert _seats_of(result.order) == [("A", 5)]
    assert set(SeatClaim.objects.filter(state=ClaimState.KEPT).values_list("seat_id", flat=True)) == set(
        seat_ids(plan, "A", 6)
    )
    assert AuditLogEntry.objects.filter(action="seating.release").count() == 1


def test_minus_one_gives_back_the_lines_last_seat_and_keeps_the_others(seated):
    performance, plan, full = seated
    user, session = open_counter(performance.organizer)
    services.basket_add(session=session, tariff_id=full.pk, seat_ids=seat_ids(plan, "C", 1, 2, 3))
    [line] = services.basket_lines(services.basket_holds(session))
    assert [s.number for s in line.seats] == ["1", "2", "3"]
    services.basket_remove(session=session, hold_id=line.hold_id, quantity=1)
    [line] = services.basket_lines(services.basket_holds(session))
    assert line.quantity == 2 and [s.number for s in line.seats] == ["1", "2"]
    assert taken_seats(performance.pk) == set(seat_ids(plan, "C", 1, 2))


def test_the_counter_may_leave_a_single_seat_the_web_may_not(seated):
    performance, plan, full = seated
    with pytest.raises(SaleError) as refused:
        seats_hold(cart=Cart.objects.create(), tariff_id=full.pk, seat_ids=seat_ids(plan, "D", 2))
    assert refused.value.code == "seat_single_gap"
    _user, session = open_counter(performance.organizer)
    services.basket_add(session=session, tariff_id=full.pk, seat_ids=seat_ids(plan, "D", 2))
    assert taken_seats(performance.pk) == set(seat_ids(plan, "D", 2))


def test_a_ticket_moves_to_another_seat_of_its_category_keeping_its_number(seated, client, mailoutbox):
    performance, plan, full = seated
    cart = Cart.objects.create()
    seats_hold(cart=cart, tariff_id=full.pk, seat_ids=seat_ids(plan, "B", 4, 5))
    order = pay(cart)
    ticket = order.tickets.order_by("number").first()
    user, _session = open_counter(performance.organizer)
    client.force_login(user)
    url = reverse("staff:boxoffice_seats", args=[performance.organizer.slug, performance.pk])
    assert "Place actuelle : rang B, place 4" in client.get(url, {"billet": ticket.pk}).content.decode()
    target = seat_ids(plan, "A", 1)[0]
    response = client.post(url, {"billet": ticket.pk, "places": str(target)})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.seat_claim.seat_id == target and ticket.state == TicketState.VALID
    assert _seats_of(order) == [("A", 1), ("B", 5)]
    assert seat_ids(plan, "B", 4)[0] not in taken_seats(performance.pk)
    assert AuditLogEntry.objects.filter(action="seating.seat_change").exists()
    with pytest.raises(SaleError) as taken:  # the other ticket's seat is not free
        seat_change(actor=user, ticket=ticket, seat_id=seat_ids(plan, "B", 5)[0])
    assert taken.value.code == "seat_taken"


def test_exchanges_free_the_old_seat_and_give_the_new_date_a_seat(seated):
    performance, plan, full = seated
    cart = Cart.objects.create()
    seats_hold(cart=cart, tariff_id=full.pk, seat_ids=seat_ids(plan, "B", 4, 5))
    order = pay(cart)
    ticket = order.tickets.order_by("number").first()
    other = on_sale_performance(capacity=20, organizer=performance.organizer)
    plain = tariff(other, price="30.00")
    new = sales.ticket_exchange(ticket=ticket, tariff_id=plain.pk, actor=None)
    assert seat_ids(plan, "B", 4)[0] not in taken_seats(performance.pk) and not hasattr(new, "seat_claim")
    # …and back to the seated date: the best free seat, given to the new ticket.
    standing = buy(plain, 1).tickets.get()
    back = sales.ticket_exchange(ticket=standing, tariff_id=full.pk, actor=None)
    claim = SeatClaim.objects.get(ticket=back)
    assert claim.state == ClaimState.SOLD and claim.seat_id in taken_seats(performance.pk)
    chosen = sales.ticket_exchange(
        ticket=buy(plain, 1).tickets.get(), tariff_id=full.pk, actor=None, seat_ids=seat_ids(plan, "D", 10)
    )
    assert SeatClaim.objects.get(ticket=chosen).seat_id == seat_ids(plan, "D", 10)[0]

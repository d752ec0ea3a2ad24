"""Seats sold through the ticketing core's own flow: held with the cart's places, sold with the payment,
each ticket with its seat, given back on a refund or when the cart lets them go; a seated tariff is never
sold as a place without a seat."""

import datetime
import random

import pypdfium2
import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from parvis.network.models import Space
from parvis.seating import plans
from parvis.seating.claims import taken_seats
from parvis.seating.models import ClaimState, SeatClaim, SeatedPerformance
from parvis.seating.services import seating_put_on_sale, seats_hold
from parvis.ticketing import inventory, services
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Cart, Hold, Order, OrderState, Quota, Tariff, Ticket
from parvis.ticketing.pdf import order_tickets_pdf
from parvis.ticketing.tests.factories import buyer

from .conftest import seat_ids


def pay(cart):
    [order] = services.checkout_place_orders(cart=cart, buyer=buyer(), provider_code="demo")
    return services.payment_confirm(payment_id=order.payments.get().pk)


pytestmark = pytest.mark.django_db


def test_seats_chosen_on_the_map_are_sold_each_to_its_ticket(seated):
    performance, plan, full = seated
    assert Quota.objects.get(performance=performance, is_total=True).capacity == 40
    cart = Cart.objects.create()
    seats_hold(cart=cart, tariff_id=full.pk, seat_ids=seat_ids(plan, "B", 4, 5))
    order = pay(cart)
    assert order.state == OrderState.PAID
    claims = SeatClaim.objects.filter(performance=performance, state=ClaimState.SOLD).select_related(
        "seat", "ticket"
    )
    assert sorted((c.seat.row, c.seat.number) for c in claims) == [("B", "4"), ("B", "5")]
    assert {c.ticket.order_id for c in claims} == {order.pk} and len({c.ticket_id for c in claims}) == 2


def test_best_available_in_the_cart_and_a_refund_gives_the_seat_back(seated):
    performance, plan, full = seated
    cart = Cart.objects.create()
    seats_hold(cart=cart, tariff_id=full.pk, quantity=3, rng=random.Random(2))
    order = pay(cart)
    assert len(taken_seats(performance.pk)) == 3
    ticket = Ticket.objects.filter(order=order).first()
    services.tickets_refund(tickets=[ticket])
    assert len(taken_seats(performance.pk)) == 2
    assert SeatClaim.objects.get(ticket=ticket).state == ClaimState.RELEASED


def test_a_seat_already_held_is_refused_and_nothing_of_that_cart_line_is_kept(seated):
    performance, plan, full = seated
    seats_hold(cart=Cart.objects.create(), tariff_id=full.pk, seat_ids=seat_ids(plan, "A", 1, 2))
    used = Quota.objects.get(performance=performance, is_total=True).used
    cart = Cart.objects.create()
    with pytest.raises(SaleError) as caught:
        seats_hold(cart=cart, tariff_id=full.pk, seat_ids=seat_ids(plan, "A", 2, 3))
    assert caught.value.code == "seat_taken"
    assert not Hold.objects.filter(cart=cart).exists()
    assert Quota.objects.get(performance=performance, is_total=True).used == used  # places given back too


def test_a_seat_comes_back_when_the_cart_lets_it_go(seated):
    performance, plan, full = seated
    hold = seats_hold(cart=Cart.objects.create(), tariff_id=full.pk, seat_ids=seat_ids(plan, "C", 5))
    inventory.release_hold(hold)
    assert taken_seats(performance.pk) == set()
    seats_hold(cart=Cart.objects.create(), tariff_id=full.pk, seat_ids=seat_ids(plan, "C", 5))


def test_a_seated_tariff_is_never_sold_as_a_place_without_a_seat(seated):
    _performance, _plan, full = seated
    with pytest.raises(SaleError) as caught:
        services.cart_add(cart=Cart.objects.create(), tariff_id=full.pk, quantity=2)
    assert caught.value.code == "seat_required"
    assert "choisissez vos places sur le plan" in caught.value.message


def test_a_payment_after_the_hold_expired_and_the_seat_went_to_another_is_refunded(seated):
    performance, plan, full = seated
    cart = Cart.objects.create()
    hold = seats_hold(cart=cart, tariff_id=full.pk, seat_ids=seat_ids(plan, "D", 7))
    [order] = services.checkout_place_orders(cart=cart, buyer=buyer(), provider_code="demo")
    past = timezone.now() - datetime.timedelta(seconds=1)
    Hold.objects.filter(pk=hold.pk).update(expires_at=past)
    SeatClaim.objects.filter(hold=hold).update(expires_at=past)
    seats_hold(cart=Cart.objects.create(), tariff_id=full.pk, seat_ids=seat_ids(plan, "D", 7))  # taken over
    services.payment_confirm(payment_id=order.payments.get().pk)
    assert Order.objects.get(pk=order.pk).state == OrderState.CANCELLED  # auto-refunded, not sold twice
    assert (
        SeatClaim.objects.filter(
            performance=performance, seat_id=seat_ids(plan, "D", 7)[0], state__in=["held", "sold"]
        ).count()
        == 1
    )


def test_the_seat_is_on_the_ticket_pdf_and_the_order_page(client, seated):
    performance, plan, full = seated
    cart = Cart.objects.create()
    seats_hold(cart=cart, tariff_id=full.pk, seat_ids=seat_ids(plan, "C", 8))
    order = pay(cart)
    pdf = pypdfium2.PdfDocument(order_tickets_pdf(order))
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "rang C, place 8" in text
    page = client.get(reverse("ticketing:order", args=[order.code, order.secret])).content.decode()
    assert "Place : rang C, place 8" in page


def test_a_date_that_sold_places_without_seats_cannot_turn_seated():
    from parvis.ticketing.tests.factories import buy, on_sale_performance, tariff

    performance = on_sale_performance(capacity=50)
    full = tariff(performance)
    buy(full, 2)
    hall = Space.objects.create(venue=performance.venue, name="Salle")
    plan = plans.plan_save(hall, plans.generate(name="S", rows=2, seats_per_row=5), source="generator")
    with pytest.raises(SaleError) as caught:
        seating_put_on_sale(
            actor=None,
            performance=performance,
            plan=plan,
            tariffs_by_category={plan.categories.get().pk: [full.pk]},
        )
    assert caught.value.code == "seating_after_sales"
    assert not Tariff.objects.filter(seated=True).exists()


def test_a_channel_sells_seats_through_the_api_chosen_or_best_available(seated):
    from parvis.ticketing.services import PaidLine, order_place_paid
    from parvis.ticketing.tests.factories import buyer as a_buyer

    performance, plan, full = seated
    order, tickets = order_place_paid(
        organizer_id=performance.organizer_id,
        lines=[PaidLine(full.pk, 2, seats=seat_ids(plan, "A", 5, 6))],
        buyer=a_buyer(),
        provider_code="channel",
        reference="r1",
    )
    sold = SeatClaim.objects.filter(ticket__in=tickets, state=ClaimState.SOLD).select_related("seat")
    assert sorted(c.seat.number for c in sold) == ["5", "6"]
    _order, best = order_place_paid(
        organizer_id=performance.organizer_id,
        lines=[PaidLine(full.pk, 3)],
        buyer=a_buyer(),
        provider_code="channel",
        reference="r2",
    )
    assert SeatClaim.objects.filter(ticket__in=best, state=ClaimState.SOLD).count() == 3
    with pytest.raises(SaleError) as caught, transaction.atomic():  # the API's own transaction
        order_place_paid(
            organizer_id=performance.organizer_id,
            lines=[PaidLine(full.pk, 2, seats=seat_ids(plan, "A", 6, 7))],
            buyer=a_buyer(),
            provider_code="channel",
            reference="r3",
        )
    assert caught.value.code == "seat_taken"
    assert Ticket.objects.filter(performance=performance).count() == 5  # nothing of the refused sale


def test_the_seats_are_in_the_confirmation_e_mail(seated, django_capture_on_commit_callbacks, mailoutbox):
    performance, plan, full = seated
    cart = Cart.objects.create()
    seats_hold(cart=cart, tariff_id=full.pk, seat_ids=seat_ids(plan, "D", 1, 2))
    with django_capture_on_commit_callbacks(execute=True):
        pay(cart)
    [message] = mailoutbox
    assert "Place : rang D, place 1 ; Place : rang D, place 2" in message.body
    assert "rang D, place 2" in message.alternatives[0][0]


def test_a_date_with_seats_sold_keeps_its_plan(seated):
    performance, plan, full = seated
    cart = Cart.objects.create()
    seats_hold(cart=cart, tariff_id=full.pk, seat_ids=seat_ids(plan, "A", 1, 2))
    pay(cart)
    hall = plan.space
    other = plans.plan_save(hall, plans.generate(name="Autre", rows=2, seats_per_row=5), source="generator")
    with pytest.raises(SaleError) as caught:
        seating_put_on_sale(
            actor=None,
            performance=performance,
            plan=other,
            tariffs_by_category={other.categories.get().pk: [full.pk]},
        )
    assert caught.value.code == "seating_plan_in_use"
    assert SeatedPerformance.objects.get(performance=performance).plan == plan
    seating_put_on_sale(  # the same plan again (its tariffs changed): allowed
        actor=None,
        performance=performance,
        plan=plan,
        tariffs_by_category={plan.categories.get().pk: [full.pk]},
    )

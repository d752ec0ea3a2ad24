"""The seat at the door: the verdict, the offline package and the search tell the usher where to go."""

import datetime
import uuid

import pytest
from django.utils import timezone

from parvis.checkin import selectors, services
from parvis.checkin.models import CheckinList
from parvis.programming.models import Performance
from parvis.seating.services import seats_hold
from parvis.ticketing import services as sales
from parvis.ticketing.models import Cart, Ticket
from parvis.ticketing.tests.factories import buy, tariff

from .conftest import seat_ids
from .test_selling import pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def door(seated):
    performance, plan, full = seated
    Performance.objects.filter(pk=performance.pk).update(
        starts_at=timezone.now() + datetime.timedelta(minutes=30)
    )
    cart = Cart.objects.create()
    seats_hold(cart=cart, tariff_id=full.pk, seat_ids=seat_ids(plan, "B", 4, 5))
    order = pay(cart)
    checkin_list = CheckinList.objects.create(organizer=performance.organizer, name="Soirée")
    checkin_list.performances.add(performance)
    _device, token = services.device_create(organizer=performance.organizer, name="Téléphone")
    return performance, order, checkin_list, token


def _redeem(client, token, checkin_list, secret):
    return client.post(
        "/api/v1/checkin/redeem",
        {"list": checkin_list.pk, "secret": secret, "nonce": uuid.uuid4().hex},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    ).json()


def test_the_verdict_says_the_seat_and_again_when_refused(client, door):
    _performance, order, checkin_list, token = door
    first, second = order.tickets.order_by("number")
    accepted = _redeem(client, token, checkin_list, first.secret)
    assert accepted["result"] == "accepted"
    assert accepted["ticket"]["mentions"] == [["Place", "rang B, place 4"]]
    again = _redeem(client, token, checkin_list, first.secret)
    assert again["reason"] == "already_used" and again["ticket"]["mentions"] == [["Place", "rang B, place 4"]]
    assert _redeem(client, token, checkin_list, second.secret)["ticket"]["mentions"][0][1].endswith("place 5")


def test_a_general_admission_ticket_has_no_seat_and_a_refunded_one_no_more(client, door):
    performance, order, checkin_list, token = door
    standing = buy(tariff(performance, name="Debout", price="10.00"), 1)
    assert _redeem(client, token, checkin_list, standing.tickets.get().secret)["ticket"]["mentions"] == []
    refunded = order.tickets.order_by("number").last()
    sales.tickets_refund(tickets=[refunded])
    verdict = _redeem(client, token, checkin_list, refunded.secret)
    assert verdict["result"] == "refused" and verdict["ticket"]["mentions"] == []


def test_the_offline_package_and_the_search_carry_the_seats(door):
    performance, order, checkin_list, _token = door
    buy(tariff(performance, name="Debout", price="10.00"), 1)
    rows = {row["number"]: row for row in selectors.offline_package(checkin_list)["tickets"]}
    seated = {t.number for t in Ticket.objects.filter(order=order)}
    assert {n: row.get("mentions") for n, row in rows.items() if n in seated} == {
        n: [("Place", f"rang B, place {seat}")] for n, seat in zip(sorted(seated), (4, 5), strict=True)
    }
    assert all("mentions" not in row for n, row in rows.items() if n not in seated)
    [found] = selectors.search_tickets(checkin_list, order.code)[:1]
    assert found["mentions"] == [("Place", "rang B, place 4")]

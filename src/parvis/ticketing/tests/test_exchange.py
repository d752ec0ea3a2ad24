"""Exchanging a ticket for another date: places move through the inventory, numbering stays gapless."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from parvis.network.models import Role
from parvis.programming.models import Performance
from parvis.testing import PerformanceFactory, login_staff, staff
from parvis.ticketing import services
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Quota, Ticket

from .factories import buy, on_sale_performance, tariff

pytestmark = pytest.mark.django_db


def _other_date(performance, capacity=5, price="20.00"):
    other = PerformanceFactory(
        event=performance.event,
        venue=performance.venue,
        capacity=capacity,
        starts_at=performance.starts_at + datetime.timedelta(days=1 + Performance.objects.count()),
    )
    return tariff(other, price=price)


def _used(performance):
    return Quota.objects.get(performance=performance, is_total=True).used


def test_exchange_moves_the_place_and_refunds_a_cheaper_target(django_capture_on_commit_callbacks):
    performance = on_sale_performance(capacity=5)
    order = buy(tariff(performance, price="20.00"), 1)
    cheaper = _other_date(performance, price="15.00")
    ticket = order.tickets.get()
    with django_capture_on_commit_callbacks(execute=True):
        new = services.ticket_exchange(ticket=ticket, tariff_id=cheaper.pk, actor=None)
    ticket.refresh_from_db()
    assert ticket.state == "exchanged" and new.state == "valid" and new.number == 1
    assert (_used(performance), _used(cheaper.performance)) == (0, 1)
    assert order.payments.filter(amount=Decimal("-5.00"), state="refunded").exists()
    order.refresh_from_db()
    assert order.total == Decimal("15.00")
    assert len(mail.outbox) == 1 and mail.outbox[0].attachments  # the new tickets


def test_a_dearer_target_needs_the_difference_paid_and_a_full_target_is_refused():
    performance = on_sale_performance(capacity=5)
    order = buy(tariff(performance, price="10.00"), 1)
    dearer = _other_date(performance, price="25.00")
    ticket = order.tickets.get()
    with pytest.raises(SaleError) as exc:
        services.ticket_exchange(ticket=ticket, tariff_id=dearer.pk, actor=None)
    assert exc.value.code == "price_difference_due"
    full = _other_date(performance, capacity=0, price="10.00")
    with pytest.raises(SaleError) as exc:
        services.ticket_exchange(ticket=ticket, tariff_id=full.pk, actor=None)
    assert exc.value.code == "sold_out"
    ticket.refresh_from_db()
    assert ticket.state == "valid" and _used(performance) == 1 and _used(full.performance) == 0
    services.ticket_exchange(ticket=ticket, tariff_id=dearer.pk, actor=None, difference_paid=True)
    assert order.payments.filter(provider="manual", amount=Decimal("15.00"), state="confirmed").exists()


def test_no_exchange_to_another_organizer_or_of_a_refunded_ticket():
    performance = on_sale_performance()
    order = buy(tariff(performance), 1)
    foreign = tariff(on_sale_performance())
    ticket = order.tickets.get()
    with pytest.raises(SaleError):
        services.ticket_exchange(ticket=ticket, tariff_id=foreign.pk, actor=None)
    services.tickets_refund(tickets=[ticket])
    with pytest.raises(SaleError):
        services.ticket_exchange(ticket=ticket, tariff_id=_other_date(performance).pk, actor=None)


def test_box_office_exchanges_from_the_order_page(client):
    performance = on_sale_performance(capacity=5)
    order = buy(tariff(performance, price="20.00"), 1)
    target = _other_date(performance, price="20.00")
    login_staff(client, staff(performance.organizer, Role.BOX_OFFICE))
    detail = client.get(reverse("staff:order_detail", args=[performance.organizer.slug, order.code]))
    assert f'value="{target.pk}"' in detail.content.decode()
    client.post(
        reverse("staff:order_action", args=[performance.organizer.slug, order.code]),
        {"action": "exchange", "ticket": order.tickets.get().pk, "tariff": target.pk},
    )
    assert Ticket.objects.get(order=order, state="valid").performance_id == target.performance_id

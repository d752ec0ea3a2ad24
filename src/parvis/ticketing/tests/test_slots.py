"""Timed entry: a day split into slots, each with its own capacity, inside the day's total capacity."""

import datetime
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.urls import reverse

from parvis.network.models import Role
from parvis.testing import login_staff, staff
from parvis.ticketing import inventory, services
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Cart, Quota

from .factories import buyer, on_sale_performance, tariff


def _exhibition_day(capacity=100, slot_capacity=10):
    performance = on_sale_performance(capacity=capacity, genre="exhibition")
    performance.ends_at = performance.starts_at + datetime.timedelta(hours=2)
    performance.save()
    full = tariff(performance, price="12.00")
    slots = services.timed_slots_create(
        actor=None, performance=performance, every_minutes=30, capacity=slot_capacity
    )
    return performance, full, slots


@pytest.mark.django_db
def test_slots_are_created_and_a_slot_must_be_chosen():
    performance, full, slots = _exhibition_day()
    assert [s.slot_ends_at - s.slot_starts_at for s in slots] == [datetime.timedelta(minutes=30)] * 4
    with pytest.raises(SaleError) as exc:
        services.cart_add(cart=Cart.objects.create(), tariff_id=full.pk, quantity=1)
    assert exc.value.code == "slot_required"
    with pytest.raises(SaleError) as exc:
        services.cart_add(cart=Cart.objects.create(), tariff_id=full.pk, quantity=1, slot_id=999999)
    assert exc.value.code == "unknown_slot"
    hold = services.cart_add(cart=Cart.objects.create(), tariff_id=full.pk, quantity=3, slot_id=slots[1].pk)
    assert hold.slot_id == slots[1].pk
    assert Quota.objects.get(pk=slots[1].pk).used == 3
    assert Quota.objects.get(performance=performance, is_total=True).used == 3
    assert Quota.objects.get(pk=slots[0].pk).used == 0


@pytest.mark.django_db
def test_a_full_slot_does_not_stop_the_others_and_the_day_total_still_counts():
    performance, full, slots = _exhibition_day(capacity=15, slot_capacity=10)
    services.cart_add(cart=Cart.objects.create(), tariff_id=full.pk, quantity=10, slot_id=slots[0].pk)
    with pytest.raises(SaleError):
        services.cart_add(cart=Cart.objects.create(), tariff_id=full.pk, quantity=1, slot_id=slots[0].pk)
    services.cart_add(cart=Cart.objects.create(), tariff_id=full.pk, quantity=5, slot_id=slots[1].pk)
    with pytest.raises(SaleError):  # the day's total (15) is reached
        services.cart_add(cart=Cart.objects.create(), tariff_id=full.pk, quantity=1, slot_id=slots[2].pk)
    free = dict((q.pk, n) for q, n in inventory.slots_free(performance_id=performance.pk))
    assert free == {slots[0].pk: 0, slots[1].pk: 0, slots[2].pk: 0, slots[3].pk: 0}


@pytest.mark.django_db
def test_tickets_carry_their_slot_on_the_pdf(client):
    import pypdfium2

    from parvis.ticketing.pdf import order_tickets_pdf

    performance, full, slots = _exhibition_day()
    cart = Cart.objects.create()
    services.cart_add(cart=cart, tariff_id=full.pk, quantity=1, slot_id=slots[2].pk)
    order = services.checkout_place_orders(cart=cart, buyer=buyer(), provider_code="demo")[0]
    order = services.payment_confirm(payment_id=order.payments.get().pk)
    ticket = order.tickets.get()
    assert ticket.slot_id == slots[2].pk
    text = pypdfium2.PdfDocument(order_tickets_pdf(order)).get_page(0).get_textpage().get_text_range()
    assert slots[2].name in text


@pytest.mark.django_db
def test_the_buyer_chooses_a_slot_on_the_page(client):
    performance, full, slots = _exhibition_day()
    page = client.get(f"/billets/{performance.pk}/").content.decode()
    assert page.count('name="slot"') == 4
    response = client.post(f"/billets/{performance.pk}/", {f"q-{full.pk}": "2"})
    assert response.status_code == 409 and "créneau" in response.content.decode()
    response = client.post(f"/billets/{performance.pk}/", {f"q-{full.pk}": "2", "slot": slots[3].pk})
    assert response.status_code == 302
    assert Quota.objects.get(pk=slots[3].pk).used == 2


@pytest.mark.django_db
def test_staff_create_slots_from_the_date_page(client):
    performance = on_sale_performance(capacity=300)
    performance.ends_at = performance.starts_at + datetime.timedelta(hours=8)
    performance.save()
    tariff(performance)
    login_staff(client, staff(performance.organizer, Role.PROGRAMMING))
    url = reverse("staff:performance_sales", args=[performance.organizer.slug, performance.pk])
    response = client.post(url, {"form": "slots", "slots-every_minutes": "30", "slots-capacity": "40"})
    assert response.status_code == 302
    assert Quota.objects.filter(performance=performance, slot_starts_at__isnull=False).count() == 16


@pytest.mark.django_db(transaction=True)
def test_racing_for_one_slot_sells_exactly_its_capacity():
    performance, full, slots = _exhibition_day(capacity=100, slot_capacity=10)
    barrier = threading.Barrier(8)

    def attempt(i):
        try:
            if i < 8:
                barrier.wait(timeout=10)
            services.cart_add(cart=Cart.objects.create(), tariff_id=full.pk, quantity=1, slot_id=slots[0].pk)
            return "ok"
        except SaleError as exc:
            return exc.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(8) as pool:
        outcomes = Counter(pool.map(attempt, range(40)))
    assert outcomes == Counter({"ok": 10, "sold_out": 30})
    assert Quota.objects.get(pk=slots[0].pk).used == 10
    assert Quota.objects.get(performance=performance, is_total=True).used == 10

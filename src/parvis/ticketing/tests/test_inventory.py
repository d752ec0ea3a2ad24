"""Capacity: taken once, given back once, expired holds free at once without any worker."""

import datetime

import pytest
from django.utils import timezone

from parvis.ticketing import inventory, services
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Cart, Channel, Hold, HoldState, Quota

from .factories import on_sale_performance, tariff

pytestmark = pytest.mark.django_db


def _total(performance) -> Quota:
    return Quota.objects.get(performance=performance, is_total=True)


def test_holding_takes_places_and_sold_out_takes_nothing():
    performance = on_sale_performance(capacity=3)
    full = tariff(performance)
    cart = Cart.objects.create()
    services.cart_add(cart=cart, tariff_id=full.pk, quantity=2)
    assert _total(performance).used == 2
    with pytest.raises(SaleError) as exc:
        services.cart_add(cart=Cart.objects.create(), tariff_id=full.pk, quantity=2)
    assert exc.value.code == "sold_out"
    assert _total(performance).used == 2
    assert Hold.objects.count() == 1


def test_sub_quota_and_total_are_both_enforced():
    performance = on_sale_performance(capacity=5)
    full, youth = tariff(performance), tariff(performance, "Jeune", "8.00", kind="youth")
    services.quota_create(actor=None, performance=performance, name="Jeunes", capacity=2, tariffs=[youth])
    services.cart_add(cart=Cart.objects.create(), tariff_id=youth.pk, quantity=2)
    with pytest.raises(SaleError):
        services.cart_add(cart=Cart.objects.create(), tariff_id=youth.pk, quantity=1)
    services.cart_add(cart=Cart.objects.create(), tariff_id=full.pk, quantity=3)
    with pytest.raises(SaleError):
        services.cart_add(cart=Cart.objects.create(), tariff_id=full.pk, quantity=1)
    assert _total(performance).used == 5


def test_places_kept_for_the_box_office():
    performance = on_sale_performance(capacity=10)
    full = tariff(performance)
    services.quota_create(
        actor=None, performance=performance, name="En ligne", capacity=8, channels=Quota.Channels.ONLINE
    )
    services.cart_add(cart=Cart.objects.create(), tariff_id=full.pk, quantity=8)
    with pytest.raises(SaleError):
        services.cart_add(cart=Cart.objects.create(), tariff_id=full.pk, quantity=1)
    box = Cart.objects.create(channel=Channel.BOX_OFFICE)
    services.cart_add(cart=box, tariff_id=full.pk, quantity=2, channel=Channel.BOX_OFFICE)
    assert _total(performance).used == 10
    assert inventory.availability(performance_ids=[performance.pk], channel=Channel.ONLINE)[full.pk] == 0


def test_an_expired_hold_is_free_for_the_next_buyer_without_a_worker():
    performance = on_sale_performance(capacity=2)
    full = tariff(performance)
    first = services.cart_add(cart=Cart.objects.create(), tariff_id=full.pk, quantity=2)
    Hold.objects.filter(pk=first.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    # Availability already counts it as free, before anybody reclaims it.
    assert inventory.availability(performance_ids=[performance.pk], channel=Channel.ONLINE)[full.pk] == 2
    second = services.cart_add(cart=Cart.objects.create(), tariff_id=full.pk, quantity=2)
    first.refresh_from_db()
    assert first.state == HoldState.EXPIRED and second.state == HoldState.ACTIVE
    assert _total(performance).used == 2


def test_reclaiming_twice_gives_places_back_once():
    performance = on_sale_performance(capacity=4)
    full = tariff(performance)
    hold = services.cart_add(cart=Cart.objects.create(), tariff_id=full.pk, quantity=3)
    Hold.objects.filter(pk=hold.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert inventory.reclaim_expired_holds(performance_ids=[performance.pk]) == 3
    assert inventory.reclaim_expired_holds(performance_ids=[performance.pk]) == 0
    assert not inventory.release_hold(hold)
    assert _total(performance).used == 0


def test_release_gives_places_back():
    performance = on_sale_performance(capacity=4)
    full = tariff(performance)
    cart = Cart.objects.create()
    hold = services.cart_add(cart=cart, tariff_id=full.pk, quantity=3)
    services.cart_remove(cart=cart, hold_id=hold.pk)
    assert _total(performance).used == 0


def test_the_database_refuses_overselling_even_past_the_inventory():
    from django.db import IntegrityError, transaction

    performance = on_sale_performance(capacity=1)
    tariff(performance)
    with pytest.raises(IntegrityError), transaction.atomic():
        Quota.objects.filter(performance=performance).update(used=2)

"""Bank transfer: pending until staff record the money; unpaid orders expire and free their places."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from parvis.network.models import Role
from parvis.testing import login_staff, staff
from parvis.ticketing import services
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Cart, Hold, Quota

from .factories import buyer, on_sale_performance, tariff

pytestmark = pytest.mark.django_db
BANK = "Théâtre — IBAN FR76 3000 6000 0112 3456 7890 189 — BIC AGRIFRPP"


def _transfer_order(performance, quantity=1):
    cart = Cart.objects.create()
    services.cart_add(cart=cart, tariff_id=tariff(performance).pk, quantity=quantity)
    return services.checkout_place_orders(cart=cart, buyer=buyer(), provider_code="transfer")[0]


def test_transfer_order_waits_shows_instructions_and_staff_mark_it_paid(
    client, django_capture_on_commit_callbacks
):
    performance = on_sale_performance(capacity=5, days=20)
    performance.organizer.bank_details = BANK
    performance.organizer.save()
    order = _transfer_order(performance, 2)
    assert order.state == "pending"
    assert order.expires_at <= performance.starts_at - datetime.timedelta(days=1)
    assert Quota.objects.get(performance=performance, is_total=True).used == 2  # places kept meanwhile
    page = client.get(order.get_absolute_url()).content.decode()
    assert "FR76 3000" in page and order.code in page
    login_staff(client, staff(performance.organizer, Role.BOX_OFFICE))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("staff:order_action", args=[performance.organizer.slug, order.code]),
            {"action": "mark_paid", "reason": "VIR 123"},
        )
    order.refresh_from_db()
    assert order.state == "paid" and order.tickets.count() == 2
    assert order.payments.get(provider="transfer").reference == "virement VIR 123"


def test_unpaid_transfer_orders_expire_and_release_their_places_without_a_worker():
    performance = on_sale_performance(capacity=2, days=20)
    performance.organizer.bank_details = BANK
    performance.organizer.save()
    order = _transfer_order(performance, 2)
    past = timezone.now() - datetime.timedelta(seconds=1)  # the payment deadline has passed
    Hold.objects.filter(order=order).update(expires_at=past)
    type(order).objects.filter(pk=order.pk).update(expires_at=past)
    order.refresh_from_db()
    assert services.order_effective_state(order) == "expired"
    services.cart_add(cart=Cart.objects.create(), tariff_id=performance.tariffs.first().pk, quantity=2)
    assert Quota.objects.get(performance=performance, is_total=True).used == 2  # the next buyer got them


def test_no_transfer_too_close_to_the_performance_or_without_bank_details():
    soon = on_sale_performance(days=1)
    soon.organizer.bank_details = BANK
    soon.organizer.save()
    with pytest.raises(SaleError) as exc:
        _transfer_order(soon)
    assert exc.value.code == "provider_unavailable"
    later = on_sale_performance(days=20)
    with pytest.raises(SaleError):
        _transfer_order(later)  # no bank details

"""Sales windows, limits, server-side prices, orders per organizer, payments confirmed once, late payments."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from parvis.core.models import AuditLogEntry
from parvis.testing import OrganizerFactory
from parvis.ticketing import services
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import (
    Cart,
    Channel,
    Hold,
    Order,
    Payment,
    Quota,
    SalesConfig,
    Ticket,
)

from .factories import buy, buyer, on_sale_performance, tariff

pytestmark = pytest.mark.django_db


def _error(fn, **kwargs) -> str:
    with pytest.raises(SaleError) as exc:
        fn(**kwargs)
    return exc.value.code


def test_online_sales_run_until_the_start_unless_the_venue_or_the_date_says_otherwise():
    performance = on_sale_performance()
    performance.starts_at = timezone.now() + datetime.timedelta(minutes=90)
    performance.save()
    full = tariff(performance)
    services.cart_add(cart=Cart.objects.create(), tariff_id=full.pk, quantity=1)  # 90 min before: on sale
    performance.venue.online_close_minutes = 120  # the venue closes online sales two hours before
    performance.venue.save()
    with pytest.raises(SaleError) as exc:
        services.cart_add(cart=Cart.objects.create(), tariff_id=full.pk, quantity=1)
    assert exc.value.code == "sales_closed"
    assert performance.venue.name in exc.value.message and "sur place" in exc.value.message
    box = Cart.objects.create(channel=Channel.BOX_OFFICE)
    services.cart_add(
        cart=box, tariff_id=full.pk, quantity=1, channel=Channel.BOX_OFFICE
    )  # the counter sells
    SalesConfig.objects.create(performance=performance, online_close_minutes=30)  # this date: until 30 min
    services.cart_add(cart=Cart.objects.create(), tariff_id=full.pk, quantity=1)
    performance.starts_at = timezone.now() - datetime.timedelta(minutes=1)
    performance.save()
    assert (
        _error(services.cart_add, cart=Cart.objects.create(), tariff_id=full.pk, quantity=1) == "sales_closed"
    )


def test_timed_entry_closes_online_slot_by_slot(client):
    """An exhibition's day starts at 10:00 with slots until 17:30: at 11:00, the 10:00 and 10:30 slots are
    off sale online, the later ones sell; the page says which and where the others are sold."""
    now = timezone.now().replace(second=0, microsecond=0)
    performance = on_sale_performance()
    performance.starts_at, performance.ends_at = (
        now - datetime.timedelta(hours=1),
        now + datetime.timedelta(hours=7),
    )
    performance.save()
    entry = tariff(performance, "Entrée", "12.00")
    slots = services.timed_slots_create(actor=None, performance=performance, every_minutes=30, capacity=20)
    past, later = slots[0], slots[-1]  # 10:00 (an hour ago) and 17:30 (in six and a half hours)
    assert (
        _error(services.cart_add, cart=Cart.objects.create(), tariff_id=entry.pk, quantity=1, slot_id=past.pk)
        == "slot_closed"
    )
    services.cart_add(cart=Cart.objects.create(), tariff_id=entry.pk, quantity=1, slot_id=later.pk)
    box = Cart.objects.create(channel=Channel.BOX_OFFICE)  # the counter sells a slot until it ends
    assert (
        _error(
            services.cart_add, cart=Cart.objects.create(), tariff_id=entry.pk, quantity=1, slot_id=slots[2].pk
        )
        == "slot_closed"
    )
    services.cart_add(
        cart=box, tariff_id=entry.pk, quantity=1, channel=Channel.BOX_OFFICE, slot_id=slots[2].pk
    )
    with pytest.raises(SaleError):  # the 10:00 slot has ended: not even at the counter
        services.cart_add(
            cart=box, tariff_id=entry.pk, quantity=1, channel=Channel.BOX_OFFICE, slot_id=past.pk
        )
    page = client.get(f"/billets/{performance.pk}/").content.decode()
    assert "vente en ligne terminée" in page and f'value="{later.pk}" required' in page
    assert f'value="{past.pk}" disabled' in page
    api = client.get(f"/api/v1/performances/{performance.pk}/availability").json()
    assert api["tariffs"][0]["on_sale"] is True


def test_sales_not_open_yet_and_tariff_windows():
    performance = on_sale_performance()
    SalesConfig.objects.create(performance=performance, opens_at=timezone.now() + datetime.timedelta(days=1))
    full = tariff(performance)
    assert (
        _error(services.cart_add, cart=Cart.objects.create(), tariff_id=full.pk, quantity=1)
        == "sales_not_open"
    )
    other = on_sale_performance()
    early = tariff(
        other, "Early bird", "10.00", sales_close_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert (
        _error(services.cart_add, cart=Cart.objects.create(), tariff_id=early.pk, quantity=1)
        == "sales_closed"
    )


def test_unknown_or_unpublished_tariffs_and_bad_quantities():
    performance = on_sale_performance()
    full = tariff(performance)
    cart = Cart.objects.create()
    assert _error(services.cart_add, cart=cart, tariff_id=999999, quantity=1) == "unknown_tariff"
    assert _error(services.cart_add, cart=cart, tariff_id="abc", quantity=1) == "unknown_tariff"
    assert _error(services.cart_add, cart=cart, tariff_id=None, quantity=1) == "unknown_tariff"
    assert _error(services.cart_add, cart=cart, tariff_id=full.pk, quantity=0) == "invalid_quantity"
    assert _error(services.cart_add, cart=cart, tariff_id=full.pk, quantity=-2) == "invalid_quantity"
    box_only = tariff(performance, "Guichet", "5.00", sold_online=False)
    assert _error(services.cart_add, cart=cart, tariff_id=box_only.pk, quantity=1) == "unknown_tariff"
    performance.event.status = "draft"
    performance.event.save()
    assert _error(services.cart_add, cart=cart, tariff_id=full.pk, quantity=1) == "unknown_tariff"
    assert Quota.objects.get(performance=performance, is_total=True).used == 0


def test_the_tickets_page_of_an_unknown_or_unpublished_performance_is_not_found(client):
    performance = on_sale_performance()
    full = tariff(performance)
    assert client.get(f"/billets/{performance.pk}/").status_code == 200
    assert client.get(f"/billets/{performance.pk + 1000}/").status_code == 404
    performance.event.status = "draft"
    performance.event.save()
    assert client.get(f"/billets/{performance.pk}/").status_code == 404
    assert client.post(f"/billets/{performance.pk}/", {f"q-{full.pk}": "1"}).status_code == 404
    assert not Hold.objects.exists()


def test_quantity_limit_per_order_counts_what_the_cart_already_holds():
    performance = on_sale_performance()
    full = tariff(performance, max_per_order=4)
    cart = Cart.objects.create()
    services.cart_add(cart=cart, tariff_id=full.pk, quantity=3)
    assert _error(services.cart_add, cart=cart, tariff_id=full.pk, quantity=2) == "quantity_limit"


def test_prices_come_from_the_server_and_a_changed_price_is_refused():
    performance = on_sale_performance()
    full = tariff(performance, price="20.00")
    cart = Cart.objects.create()
    services.cart_add(cart=cart, tariff_id=full.pk, quantity=2)
    code = _error(
        services.checkout_place_orders,
        cart=cart,
        buyer=buyer(),
        provider_code="demo",
        expected_total=Decimal("1.00"),
    )
    assert code == "price_mismatch" and not Order.objects.exists()
    orders = services.checkout_place_orders(
        cart=cart, buyer=buyer(), provider_code="demo", expected_total=Decimal("40.00")
    )
    assert orders[0].total == Decimal("40.00")


def test_one_cart_two_organizers_gives_two_orders_on_one_payment_page():
    a = on_sale_performance(organizer=OrganizerFactory())
    b = on_sale_performance(organizer=OrganizerFactory())
    cart = Cart.objects.create()
    services.cart_add(cart=cart, tariff_id=tariff(a, price="10.00").pk, quantity=1)
    services.cart_add(cart=cart, tariff_id=tariff(b, price="15.00").pk, quantity=2)
    orders = services.checkout_place_orders(cart=cart, buyer=buyer(), provider_code="demo")
    assert sorted(o.total for o in orders) == [Decimal("10.00"), Decimal("30.00")]
    assert len({o.checkout for o in orders}) == 1
    assert {o.organizer_id for o in orders} == {a.organizer_id, b.organizer_id}


def test_free_order_is_confirmed_at_once_with_numbered_signed_tickets(django_capture_on_commit_callbacks):
    performance = on_sale_performance()
    free = tariff(performance, "Invitation", "0.00", kind="free")
    with django_capture_on_commit_callbacks(execute=True):
        order = buy(free, 3, provider="free")
    assert order.state == "paid"
    tickets = list(order.tickets.order_by("number"))
    assert [t.number for t in tickets] == [1, 2, 3]
    assert all(t.secret and t.price == 0 for t in tickets)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ana@example.org"] and order.code in message.subject
    assert message.attachments[0][0] == f"billets-{order.code}.pdf"
    assert message.attachments[0][1][:5] == b"%PDF-"
    assert message.alternatives[0][1] == "text/html"


def test_numbering_is_uninterrupted_per_performance_across_orders():
    performance = on_sale_performance()
    full = tariff(performance)
    first, second = buy(full, 2), buy(full, 3)
    numbers = sorted(Ticket.objects.filter(performance=performance).values_list("number", flat=True))
    assert numbers == [1, 2, 3, 4, 5]
    assert {t.number for t in second.tickets.all()} == {3, 4, 5} and first.state == "paid"


def test_a_payment_confirmed_twice_issues_tickets_once(django_capture_on_commit_callbacks):
    performance = on_sale_performance()
    order = buy(tariff(performance), 2, confirm=False)
    payment = order.payments.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.payment_confirm(payment_id=payment.pk, reference="psp-1")
        services.payment_confirm(payment_id=payment.pk, reference="psp-1")
    assert order.tickets.count() == 2
    assert Quota.objects.get(performance=performance, is_total=True).used == 2
    assert len(mail.outbox) == 1
    assert AuditLogEntry.objects.filter(action="order.paid", object_id=str(order.pk)).count() == 1


def test_a_late_payment_whose_places_were_sold_is_refunded_automatically(
    client, django_capture_on_commit_callbacks
):
    performance = on_sale_performance(capacity=1)
    full = tariff(performance)
    late = buy(full, 1, confirm=False)
    Hold.objects.filter(order=late).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    buy(full, 1)  # someone else takes the place
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        order = services.payment_confirm(payment_id=late.payments.get().pk, reference="psp-late")
        services.payment_confirm(payment_id=late.payments.get().pk, reference="psp-late")  # told once
    assert order.state == "cancelled"
    assert order.payments.get().state == "refunded"  # the demo provider has nothing more to be told
    assert not order.tickets.exists()
    assert Quota.objects.get(performance=performance, is_total=True).used == 1
    assert AuditLogEntry.objects.filter(action="order.auto_refund", object_id=str(order.pk)).exists()
    (notice,) = mail.outbox
    assert notice.to == ["ana@example.org"] and order.code in notice.subject and not notice.attachments
    assert "les places ont été vendues entre-temps" in notice.body and "20,00" in notice.body
    page = client.get(order.get_absolute_url())
    assert 'data-testid="auto-refunded"' in page.content.decode()
    assert "Annulée" in page.content.decode()


def test_an_order_cancelled_before_payment_says_nothing_of_a_late_payment(client):
    performance = on_sale_performance(capacity=1)
    order = buy(tariff(performance), 1, confirm=False)
    services.order_cancel(actor=None, order=order, reason="test")
    assert 'data-testid="auto-refunded"' not in client.get(order.get_absolute_url()).content.decode()


def test_a_late_payment_with_places_still_free_is_honoured():
    performance = on_sale_performance(capacity=2)
    full = tariff(performance)
    late = buy(full, 1, confirm=False)
    Hold.objects.filter(order=late).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    services.cart_add(cart=Cart.objects.create(), tariff_id=full.pk, quantity=1)  # reclaims the expired hold
    order = services.payment_confirm(payment_id=late.payments.get().pk)
    assert order.state == "paid" and order.tickets.count() == 1
    assert Quota.objects.get(performance=performance, is_total=True).used == 2


def test_expired_hold_or_empty_cart_at_checkout():
    performance = on_sale_performance()
    full = tariff(performance)
    cart = Cart.objects.create()
    assert (
        _error(services.checkout_place_orders, cart=cart, buyer=buyer(), provider_code="demo") == "cart_empty"
    )
    hold = services.cart_add(cart=cart, tariff_id=full.pk, quantity=1)
    Hold.objects.filter(pk=hold.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert (
        _error(services.checkout_place_orders, cart=cart, buyer=buyer(), provider_code="demo")
        == "hold_expired"
    )
    assert not Order.objects.exists()


def test_free_provider_cannot_pay_a_paid_cart_and_unknown_providers_are_refused():
    performance = on_sale_performance()
    cart = Cart.objects.create()
    services.cart_add(cart=cart, tariff_id=tariff(performance).pk, quantity=1)
    assert (
        _error(services.checkout_place_orders, cart=cart, buyer=buyer(), provider_code="free")
        == "provider_unavailable"
    )
    assert (
        _error(services.checkout_place_orders, cart=cart, buyer=buyer(), provider_code="stripe")
        == "provider_unavailable"
    )
    assert not Order.objects.exists() and not Payment.objects.exists()


def test_cancelling_gives_places_back():
    performance = on_sale_performance(capacity=3)
    full = tariff(performance)
    paid, pending = buy(full, 2), buy(full, 1, confirm=False)
    assert Quota.objects.get(performance=performance, is_total=True).used == 3
    services.order_cancel(order=paid, reason="test")
    services.order_cancel(order=pending)
    assert Quota.objects.get(performance=performance, is_total=True).used == 0
    paid.refresh_from_db()
    assert paid.state == "refunded" and set(paid.tickets.values_list("state", flat=True)) == {"refunded"}
    assert _error(services.order_cancel, order=paid) == "not_cancellable"


def test_a_pending_order_past_its_deadline_shows_as_expired():
    order = buy(tariff(on_sale_performance()), 1, confirm=False)
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    order.refresh_from_db()
    assert services.order_effective_state(order) == "expired"


def test_a_demo_order_left_unpaid_is_paid_later_from_its_page_in_another_browser(client):
    from django.test import Client

    performance = on_sale_performance()
    order = buy(tariff(performance), 2, confirm=False)
    other = Client()
    page = other.get(order.get_absolute_url()).content.decode()
    assert "Payer la commande" in page
    response = other.post(order.get_absolute_url(), {"action": "pay"})
    assert response["Location"] == f"/paiement/demo/{order.checkout}/"
    other.post(response["Location"], {"action": "pay"})
    order.refresh_from_db()
    assert order.state == "paid" and order.tickets.count() == 2


def test_the_late_payment_notice_speaks_the_buyers_language(django_capture_on_commit_callbacks):
    performance = on_sale_performance(capacity=1)
    full = tariff(performance)
    late = buy(full, 1, confirm=False)
    Order.objects.filter(pk=late.pk).update(language="en")
    Hold.objects.filter(order=late).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    buy(full, 1)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.payment_confirm(payment_id=late.payments.get().pk, reference="psp-late")
    (notice,) = mail.outbox
    assert notice.subject.startswith("Payment refunded — ") and late.code in notice.subject
    assert "the places were sold in the meantime" in notice.body and "refunded in full" in notice.body


def test_a_cart_of_two_organizers_gives_each_order_the_buyers_profile_at_its_own_organizer():
    """One profile per person and organizer: the second organizer's order must not point to the profile the
    buyer has at the first (each organizer sees only its own audience)."""
    first, second = on_sale_performance(), on_sale_performance()
    assert first.organizer_id != second.organizer_id
    cart = Cart.objects.create()
    for performance in (first, second):
        services.cart_add(cart=cart, tariff_id=tariff(performance).pk, quantity=1)
    orders = services.checkout_place_orders(cart=cart, buyer=buyer(), provider_code="demo")
    assert len(orders) == 2
    for order in orders:
        assert order.contact.organizer_id == order.organizer_id
        assert order.contact.email == "ana@example.org"

"""Gift vouchers online: bought on the organizer's page, issued and e-mailed once paid, then used to pay a
whole order at checkout."""

from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection

from parvis.testing import OrganizerFactory
from parvis.ticketing.models import Order, Voucher

from .factories import on_sale_performance, tariff
from .test_web import _checkout_data

pytestmark = pytest.mark.django_db


def _buy_voucher(client, organizer, value="40", **extra):
    data = {
        "value": value,
        "recipient": "Camille",
        "email": "paul@example.org",
        "first_name": "Paul",
        "last_name": "Roux",
        "terms": "on",
        "provider": "demo",
        **extra,
    }
    return client.post(f"/o/{organizer.slug}/bon-cadeau/", data)


def test_a_voucher_bought_online_is_issued_and_emailed_once_paid(client, django_capture_on_commit_callbacks):
    performance = on_sale_performance()
    organizer = performance.organizer
    assert client.get(f"/o/{organizer.slug}/bon-cadeau/").status_code == 404  # not offered by default
    organizer.sells_gift_vouchers = True
    organizer.save()
    assert _buy_voucher(client, organizer, value="0.5").status_code == 400
    response = _buy_voucher(client, organizer)
    order = Order.objects.get()
    assert response["Location"] == f"/paiement/demo/{order.checkout}/"
    assert not Voucher.objects.exists()  # nothing before the money
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response["Location"], {"action": "pay"})
    voucher = Voucher.objects.get()
    assert (voucher.initial_value, voucher.source, voucher.recipient, voucher.order) == (
        Decimal("40.00"), "online", "Camille", order,
    )  # fmt: skip
    (email,) = mail.outbox
    assert [name for name, _content, _type in email.attachments] == [f"bon-cadeau-{voucher.code}.pdf"]
    page = client.get(order.get_absolute_url()).content.decode()
    assert voucher.code in page
    # Paying the confirmation again issues nothing more.
    from parvis.ticketing.vouchers import vouchers_of_order_issue

    assert vouchers_of_order_issue(order) == [] and Voucher.objects.count() == 1


def test_a_voucher_pays_a_whole_order_at_checkout(client):
    performance = on_sale_performance()
    full = tariff(performance, price="18.00")
    from parvis.ticketing.vouchers import voucher_issue

    voucher = voucher_issue(organizer=performance.organizer, value=Decimal("30"), source="gift")
    client.post(f"/billets/{performance.pk}/", {f"q-{full.pk}": "2"})
    response = client.post("/panier/commande/", _checkout_data(client, provider="", voucher=voucher.code))
    assert response.status_code == 400 and "reste 30,00" in response.content.decode().replace(
        "30.00", "30,00"
    )
    assert not Order.objects.exists()
    voucher.balance = voucher.initial_value = Decimal("40")
    Voucher.objects.filter(pk=voucher.pk).update(initial_value=Decimal("40"), balance=Decimal("40"))
    response = client.post(
        "/panier/commande/", _checkout_data(client, provider="", voucher=voucher.code.lower())
    )
    order = Order.objects.get()
    assert response.status_code == 302 and order.state == "paid" and order.tickets.count() == 2
    assert order.payments.get().provider == "voucher"
    from parvis.core.models import AuditLogEntry

    assert AuditLogEntry.objects.get(action="order.paid").after["payment"] == "voucher"  # not "box_office"
    voucher.refresh_from_db()
    assert voucher.balance == Decimal("4.00")
    from parvis.ticketing import services

    services.tickets_refund(tickets=[order.tickets.first()], reason="test")  # refunded onto the voucher
    voucher.refresh_from_db()
    assert voucher.balance == Decimal("22.00")


def test_a_voucher_of_another_organizer_is_refused(client):
    performance = on_sale_performance()
    full = tariff(performance, price="10.00")
    from parvis.ticketing.vouchers import voucher_issue

    foreign = voucher_issue(organizer=OrganizerFactory(), value=Decimal("30"), source="gift")
    client.post(f"/billets/{performance.pk}/", {f"q-{full.pk}": "1"})
    response = client.post("/panier/commande/", _checkout_data(client, provider="", voucher=foreign.code))
    assert response.status_code == 400 and "n'existe pas" in response.content.decode().replace("&#x27;", "'")


def test_a_voucher_pays_part_of_an_order_and_the_card_pays_the_rest(client):
    from parvis.ticketing import services
    from parvis.ticketing.vouchers import voucher_issue

    performance = on_sale_performance()
    full = tariff(performance, price="18.00")
    voucher = voucher_issue(organizer=performance.organizer, value=Decimal("30"), source="gift")
    client.post(f"/billets/{performance.pk}/", {f"q-{full.pk}": "2"})
    response = client.post("/panier/commande/", _checkout_data(client, provider="demo", voucher=voucher.code))
    order = Order.objects.get()
    assert response.status_code == 302 and order.state == "pending" and order.total == Decimal("36.00")
    parts = {p.provider: p for p in order.payments.all()}
    assert parts["voucher"].amount == Decimal("30.00") and parts["demo"].amount == Decimal("6.00")
    voucher.refresh_from_db()
    assert voucher.balance == Decimal("30.00")  # nothing is spent before the rest is paid
    demo_page = client.get(response["Location"]).content.decode()
    assert "6,00" in demo_page
    services.payment_confirm(payment_id=parts["demo"].pk)
    order.refresh_from_db()
    voucher.refresh_from_db()
    assert order.state == "paid" and order.tickets.count() == 2 and voucher.balance == 0
    assert order.payments.get(provider="voucher").state == "confirmed"


def test_an_unpaid_order_never_holds_the_vouchers_money_and_a_late_payment_is_refunded(client):
    from parvis.ticketing import services
    from parvis.ticketing.vouchers import voucher_issue, voucher_redeem

    performance = on_sale_performance()
    full = tariff(performance, price="18.00")
    voucher = voucher_issue(organizer=performance.organizer, value=Decimal("20"), source="gift")
    client.post(f"/billets/{performance.pk}/", {f"q-{full.pk}": "2"})
    client.post("/panier/commande/", _checkout_data(client, provider="demo", voucher=voucher.code))
    order = Order.objects.get()
    # Meanwhile the voucher is spent at the counter.
    voucher_redeem(organizer_id=voucher.organizer_id, code=voucher.code, amount=Decimal("15"))
    services.payment_confirm(payment_id=order.payments.get(provider="demo").pk)
    order.refresh_from_db()
    assert order.state == "cancelled" and not order.tickets.exists()
    assert order.payments.get(provider="demo").state == "refunded"
    voucher.refresh_from_db()
    assert voucher.balance == Decimal("5.00")  # only the counter's spending
    from parvis.ticketing.models import Quota

    assert Quota.objects.get(performance=performance, is_total=True).used == 0


def test_a_voucher_code_that_pays_nothing_in_the_cart_is_refused(client):
    from parvis.ticketing.vouchers import voucher_issue

    performance = on_sale_performance()
    full = tariff(performance, price="10.00")
    foreign = voucher_issue(organizer=OrganizerFactory(), value=Decimal("30"), source="gift")
    client.post(f"/billets/{performance.pk}/", {f"q-{full.pk}": "1"})
    response = client.post("/panier/commande/", _checkout_data(client, provider="demo", voucher=foreign.code))
    assert response.status_code == 400 and not Order.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
def test_orders_paying_with_one_voucher_confirmed_at_once_never_spend_more_than_it_has():
    from parvis.ticketing import services
    from parvis.ticketing.models import Cart
    from parvis.ticketing.vouchers import voucher_issue

    from .factories import buyer
    from .test_concurrency import _race

    performance = on_sale_performance(capacity=50)
    full = tariff(performance, price="50.00")
    voucher = voucher_issue(organizer=performance.organizer, value=Decimal("40"), source="gift")
    payments = []
    for _ in range(6):  # six pending orders of 50 €, each counting on the voucher's 40 € for a part
        cart = Cart.objects.create()
        services.cart_add(cart=cart, tariff_id=full.pk, quantity=1)
        [order] = services.checkout_place_orders(
            cart=cart, buyer=buyer(), provider_code="demo", voucher_code=voucher.code
        )
        payments.append(order.payments.get(provider="demo").pk)

    def confirm(i):
        return services.payment_confirm(payment_id=payments[i]).state

    outcomes = _race(confirm, 6)
    assert outcomes == {"paid": 1, "cancelled": 5}, outcomes
    voucher.refresh_from_db()
    assert voucher.balance == 0


def _split_order(client, voucher_value="30", price="20.00"):
    """An order of two tickets paid partly with a gift voucher, the rest by the demo provider."""
    from parvis.ticketing import services
    from parvis.ticketing.vouchers import voucher_issue

    performance = on_sale_performance()
    full = tariff(performance, price=price)
    voucher = voucher_issue(organizer=performance.organizer, value=Decimal(voucher_value), source="gift")
    client.post(f"/billets/{performance.pk}/", {f"q-{full.pk}": "2"})
    client.post("/panier/commande/", _checkout_data(client, provider="demo", voucher=voucher.code))
    order = Order.objects.get()
    services.payment_confirm(payment_id=order.payments.get(provider="demo").pk)
    voucher.refresh_from_db()
    assert voucher.balance == 0
    return order, voucher


def test_a_refund_of_an_order_paid_partly_with_a_voucher_goes_back_to_the_card_first_then_the_voucher(client):
    from parvis.ticketing import services
    from parvis.ticketing.models import VoucherMovement

    order, voucher = _split_order(client)  # 40 € = 30 € voucher + 10 € card
    first, second = order.tickets.order_by("number")
    services.tickets_refund(tickets=[first], reason="test")  # 20 €: the card's 10 €, then 10 € on the voucher
    refunds = {p.provider: p.amount for p in order.payments.filter(amount__lt=0)}
    assert refunds == {"demo": Decimal("-10.00"), "voucher": Decimal("-10.00")}
    voucher.refresh_from_db()
    assert voucher.balance == Decimal("10.00")
    services.tickets_refund(tickets=[second], reason="test")  # 20 € more: the card has nothing left
    assert sorted(order.payments.filter(amount__lt=0).values_list("provider", "amount")) == [
        ("demo", Decimal("-10.00")), ("voucher", Decimal("-20.00")), ("voucher", Decimal("-10.00")),
    ]  # fmt: skip
    voucher.refresh_from_db()
    assert voucher.balance == Decimal("30.00")  # all of it back, never more than its value
    restored = VoucherMovement.objects.filter(voucher=voucher, kind="restore", order=order)
    assert sorted(restored.values_list("amount", flat=True)) == [Decimal("10.00"), Decimal("20.00")]


def test_cancelling_an_order_paid_partly_with_a_voucher_gives_the_voucher_back_in_full(client):
    from parvis.ticketing import services

    order, voucher = _split_order(client, voucher_value="15")  # 40 € = 15 € voucher + 25 € card
    services.order_cancel(order=order, reason="test")
    assert sorted(order.payments.filter(amount__lt=0).values_list("provider", "amount")) == [
        ("demo", Decimal("-25.00")), ("voucher", Decimal("-15.00")),
    ]  # fmt: skip
    voucher.refresh_from_db()
    assert voucher.balance == Decimal("15.00")

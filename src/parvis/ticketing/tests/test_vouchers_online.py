"""Gift vouchers online: bought on the organizer's page, issued and e-mailed once paid, then used to pay a
whole order at checkout."""

from decimal import Decimal

import pytest
from django.core import mail

from parvis.core.testing import OrganizerFactory
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
    voucher.refresh_from_db()
    assert voucher.balance == Decimal("4.00")


def test_a_voucher_of_another_organizer_is_refused(client):
    performance = on_sale_performance()
    full = tariff(performance, price="10.00")
    from parvis.ticketing.vouchers import voucher_issue

    foreign = voucher_issue(organizer=OrganizerFactory(), value=Decimal("30"), source="gift")
    client.post(f"/billets/{performance.pk}/", {f"q-{full.pk}": "1"})
    response = client.post("/panier/commande/", _checkout_data(client, provider="", voucher=foreign.code))
    assert response.status_code == 400 and "n'existe pas" in response.content.decode().replace("&#x27;", "'")

"""A sales channel's order of tickets: sold and paid in one transaction, without a cart (`order_place_paid`).

Same rules and error codes as a checkout; nothing is written when anything is wrong; few statements."""

import datetime

import pytest
from django.utils import timezone

from parvis.core.models import AuditLogEntry
from parvis.crm.models import Contact, Interaction
from parvis.ticketing import services
from parvis.ticketing.models import Cart, Hold, HoldState, IdempotencyRecord, Order, Payment, Quota, Ticket

from .factories import api_sale, on_sale_performance, tariff

pytestmark = pytest.mark.django_db


@pytest.fixture
def sale():
    return api_sale(capacity=4)


def _post(client, token, items, **extra):
    body = {
        "items": items,
        "buyer": {"email": "Api@Example.org", "first_name": "Api", "last_name": "Buyer"},
        **extra,
    }
    return client.post(
        "/api/v1/orders", body, content_type="application/json", headers={"Authorization": f"Bearer {token}"}
    )


def _nothing_written(performance):
    assert not Order.objects.exists() and not Ticket.objects.exists() and not Payment.objects.exists()
    assert Quota.objects.get(performance=performance, is_total=True).used == 0


def test_a_paid_sale_records_everything_in_one_go(
    client, sale, mailoutbox, django_capture_on_commit_callbacks
):
    performance, full, token = sale
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(
            client, token, [{"tariff": full.pk, "quantity": 2, "attendee_names": ["Léa", "Tom"]}]
        )
    assert response.status_code == 201, response.content
    order = Order.objects.get()
    assert (order.state, order.total, order.channel, order.email) == ("paid", 40, "api", "api@example.org")
    payment = order.payments.get()
    assert (payment.provider, payment.state, payment.amount) == ("channel", "confirmed", 40)
    assert payment.reference.startswith("api-")
    assert [t.attendee_name for t in order.tickets.order_by("number")] == ["Léa", "Tom"]
    assert [t.number for t in order.tickets.order_by("number")] == [1, 2]
    assert Quota.objects.get(performance=performance, is_total=True).used == 2
    assert set(Ticket.quotas.through.objects.values_list("quota_id", flat=True)) == {
        Quota.objects.get(performance=performance, is_total=True).pk
    }
    contact = Contact.objects.get()
    assert order.contact == contact and contact.email == "api@example.org"
    assert Interaction.objects.filter(contact=contact, kind="order", ref=f"order:{order.code}").count() == 1
    assert AuditLogEntry.objects.filter(action="order.paid", object_id=str(order.pk)).count() == 1
    assert len(mailoutbox) == 1 and order.code in mailoutbox[0].body
    assert not Cart.objects.exists() and not Hold.objects.exists()


def test_the_sale_takes_few_statements(client, sale, django_assert_max_num_queries):
    _, full, token = sale
    _post(client, token, [{"tariff": full.pk, "quantity": 1}])  # the contact and the series exist now
    with django_assert_max_num_queries(20):  # token, key, sale, answer; the e-mail's task aside
        response = _post(client, token, [{"tariff": full.pk, "quantity": 2}])
    assert response.status_code == 201


def test_the_per_order_limit_counts_every_line_of_a_performance(client, sale, settings):
    performance, full, token = sale
    reduced = tariff(performance, "Réduit", "10.00", max_per_order=3)
    response = _post(
        client, token, [{"tariff": full.pk, "quantity": 2}, {"tariff": reduced.pk, "quantity": 2}]
    )
    assert response.status_code == 422 and response.json()["code"] == "quantity_limit"
    _nothing_written(performance)


def test_a_later_line_sold_out_rolls_back_the_first(client, sale):
    performance, full, token = sale
    youth = tariff(performance, "Jeune", "8.00", kind="youth")
    services.quota_create(actor=None, performance=performance, name="Jeunes", capacity=1, tariffs=[youth])
    response = _post(client, token, [{"tariff": full.pk, "quantity": 1}, {"tariff": youth.pk, "quantity": 2}])
    assert response.status_code == 409 and response.json()["code"] == "sold_out"
    _nothing_written(performance)
    assert Quota.objects.get(performance=performance, name="Jeunes").used == 0


def test_expired_holds_are_reclaimed_when_the_free_places_do_not_suffice(client, sale):
    performance, full, token = sale
    cart = Cart.objects.create()
    hold = services.cart_add(cart=cart, tariff_id=full.pk, quantity=4)
    Hold.objects.filter(pk=hold.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = _post(client, token, [{"tariff": full.pk, "quantity": 3}])
    assert response.status_code == 201, response.content
    assert Hold.objects.get(pk=hold.pk).state == HoldState.EXPIRED
    assert Quota.objects.get(performance=performance, is_total=True).used == 3


def test_member_and_timed_entry_tariffs_are_refused_through_the_api(client, sale):
    performance, _, token = sale
    members = tariff(performance, "Adhérent", "5.00", kind="member")
    assert _post(client, token, [{"tariff": members.pk, "quantity": 1}]).json()["code"] == "member_only"
    day = on_sale_performance(organizer=performance.organizer, capacity=10)
    day.ends_at = day.starts_at + datetime.timedelta(hours=4)
    day.save(update_fields=["ends_at"])
    entry = tariff(day, "Entrée", "12.00")
    services.timed_slots_create(actor=None, performance=day, every_minutes=60, capacity=5)
    assert _post(client, token, [{"tariff": entry.pk, "quantity": 1}]).json()["code"] == "slot_required"
    assert not Order.objects.exists()


def test_providers(client, sale, settings):
    performance, full, token = sale
    settings.PARVIS_PAYMENT_PROVIDERS = ["free", "stripe"]  # as in production: no demo payments
    response = _post(client, token, [{"tariff": full.pk, "quantity": 1}], provider="demo")
    assert response.status_code == 422 and response.json()["code"] == "provider_unavailable"
    response = _post(client, token, [{"tariff": full.pk, "quantity": 1}], provider="box_office")
    assert response.json()["code"] == "provider_unavailable"
    _nothing_written(performance)
    assert _post(client, token, [{"tariff": full.pk, "quantity": 1}]).status_code == 201
    free = tariff(performance, "Exonéré", "0.00", kind="free")
    response = _post(client, token, [{"tariff": free.pk, "quantity": 1}], provider="free")
    assert response.status_code == 201 and response.json()["total"] == "0.00"


def test_the_channel_provider_is_refused_to_a_web_checkout(sale):
    from .factories import buyer

    _, full, _ = sale
    cart = Cart.objects.create()
    services.cart_add(cart=cart, tariff_id=full.pk, quantity=1)
    with pytest.raises(services.SaleError) as caught:
        services.checkout_place_orders(cart=cart, buyer=buyer(), provider_code="channel")
    assert caught.value.code == "provider_unavailable"


def test_staff_see_the_payment_method_in_words(client, sale):
    from django.urls import reverse

    from parvis.network.models import Role
    from parvis.testing import login_staff, staff

    performance, full, token = sale
    code = _post(client, token, [{"tariff": full.pk, "quantity": 1}]).json()["code"]
    login_staff(client, staff(performance.organizer, Role.BOX_OFFICE))
    page = client.get(reverse("staff:order_detail", args=[performance.organizer.slug, code])).content.decode()
    assert "Canal de vente partenaire" in page


def test_a_tariff_whose_sales_closed_is_refused(client, sale):
    performance, full, token = sale
    full.sales_close_at = timezone.now() - datetime.timedelta(minutes=1)
    full.save(update_fields=["sales_close_at"])
    response = _post(client, token, [{"tariff": full.pk, "quantity": 1}])
    assert response.status_code == 422 and response.json()["code"] == "sales_closed"
    _nothing_written(performance)


def test_a_failed_sale_leaves_its_idempotency_key_free(client, sale):
    performance, full, token = sale
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "retry-me"}
    body = {
        "items": [{"tariff": full.pk, "quantity": 1}],
        "buyer": {"email": "api@example.org", "first_name": "Api", "last_name": "Buyer"},
    }
    wrong = client.post(
        "/api/v1/orders", {**body, "expected_total": "1.00"}, content_type="application/json", headers=headers
    )
    assert wrong.status_code == 409 and wrong.json()["code"] == "price_mismatch"
    assert not IdempotencyRecord.objects.exists()
    _nothing_written(performance)
    right = client.post("/api/v1/orders", body, content_type="application/json", headers=headers)
    assert right.status_code == 201, right.content
    assert IdempotencyRecord.objects.get().response["code"] == right.json()["code"]

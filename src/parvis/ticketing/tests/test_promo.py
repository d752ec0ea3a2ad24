"""Promo codes: the price they give, what they apply to, their dates, and their uses counted exactly
(from the orders themselves, under the code's lock)."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from parvis.boxoffice import services as counter
from parvis.boxoffice.models import JournalEntry
from parvis.boxoffice.tests.helpers import open_counter
from parvis.testing import session_update
from parvis.ticketing import services
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Cart, Order, PromoCode

from .factories import buyer, on_sale_performance, tariff


def _promo(organizer, **fields) -> PromoCode:
    data = {"code": "AMIS", "kind": "percent", "value": Decimal("25"), "reason": "Association des amis"}
    data.update(fields)
    return PromoCode.objects.create(organizer=organizer, **data)


def _cart(full, quantity=2, code="amis ") -> Cart:
    cart = Cart.objects.create()
    services.cart_add(cart=cart, tariff_id=full.pk, quantity=quantity)
    services.cart_apply_promo(cart=cart, code=code)
    return cart


@pytest.mark.django_db
def test_a_percentage_code_lowers_the_price_of_eligible_tickets_and_is_recorded():
    performance = on_sale_performance()
    full = tariff(performance, price="18.00")
    _promo(performance.organizer)
    cart = _cart(full)
    (order,) = services.checkout_place_orders(
        cart=cart, buyer=buyer(), provider_code="demo", expected_total=Decimal("27.00")
    )
    assert order.total == Decimal("27.00") and order.promo.code == "AMIS"
    item = order.items.get()
    assert (item.unit_price, item.discount) == (Decimal("13.50"), Decimal("4.50"))
    paid = services.payment_confirm(payment_id=order.payments.get().pk)
    assert {t.price for t in paid.tickets.all()} == {Decimal("13.50")}


@pytest.mark.django_db
def test_an_amount_code_limited_to_one_event_and_the_errors():
    performance = on_sale_performance()
    other = on_sale_performance(organizer=performance.organizer)
    full, elsewhere = tariff(performance, price="10.00"), tariff(other, price="10.00")
    promo = _promo(performance.organizer, code="MOINS15", kind="amount", value=Decimal("15"))
    promo.events.add(performance.event)
    cart = _cart(full, 1, "moins15")
    services.cart_add(cart=cart, tariff_id=elsewhere.pk, quantity=1)
    assert sorted(services.cart_unit_prices(cart, services.cart_live_holds(cart)).values()) == [
        0,
        Decimal("10.00"),
    ]
    empty = Cart.objects.create()
    services.cart_add(cart=empty, tariff_id=elsewhere.pk, quantity=1)
    with pytest.raises(SaleError) as exc:
        services.cart_apply_promo(cart=empty, code="MOINS15")
    assert exc.value.code == "promo_not_applicable"
    with pytest.raises(SaleError) as exc:
        services.cart_apply_promo(cart=empty, code="NOPE")
    assert exc.value.code == "promo_unknown"
    PromoCode.objects.filter(pk=promo.pk).update(valid_until=timezone.now() - datetime.timedelta(minutes=1))
    with pytest.raises(SaleError) as exc:
        services.cart_apply_promo(cart=cart, code="MOINS15")
    assert exc.value.code == "promo_expired"


@pytest.mark.django_db
def test_uses_come_back_when_an_unpaid_order_expires_without_any_worker():
    performance = on_sale_performance()
    full = tariff(performance, price="18.00")
    _promo(performance.organizer, max_uses=1)
    (order,) = services.checkout_place_orders(cart=_cart(full), buyer=buyer(), provider_code="demo")
    with pytest.raises(SaleError) as exc:
        services.checkout_place_orders(cart=_cart(full), buyer=buyer(), provider_code="demo")
    assert exc.value.code == "promo_used_up"
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    (again,) = services.checkout_place_orders(cart=_cart(full), buyer=buyer(), provider_code="demo")
    assert again.promo is not None


@pytest.mark.django_db
def test_the_cart_page_applies_a_code(client):
    performance = on_sale_performance()
    full = tariff(performance, price="18.00")
    _promo(performance.organizer)
    cart = Cart.objects.create()
    services.cart_add(cart=cart, tariff_id=full.pk, quantity=2)
    session_update(client, parvis_cart=cart.token)
    page = client.post(reverse("ticketing:cart"), {"promo": "amis"}, follow=True).content.decode()
    assert "Association des amis" in page and "27,00" in page


@pytest.mark.django_db
def test_at_the_counter_the_code_and_its_reason_go_to_the_journal():
    performance = on_sale_performance()
    full = tariff(performance, price="20.00")
    _promo(performance.organizer, code="CE", kind="amount", value=Decimal("5"), reason="Comité d'entreprise")
    user, session = open_counter(performance.organizer)
    counter.basket_add(session=session, tariff_id=full.pk, quantity=2)
    counter.basket_promo(session=session, code="ce")
    assert counter.basket_total(session) == Decimal("30.00")
    result = counter.sale(
        session=session, actor=user, payments=[counter.CounterPayment("cash", Decimal("30"))]
    )
    entry = JournalEntry.objects.get(pk=result.entry.pk)
    assert entry.total == Decimal("30.00")
    assert (entry.detail["promo"], entry.detail["promo_reason"], entry.detail["discount"]) == (
        "CE",
        "Comité d'entreprise",
        "10.00",
    )
    session.cart.refresh_from_db()
    assert session.cart.promo is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
def test_concurrent_buyers_never_use_a_code_more_than_allowed():
    performance = on_sale_performance(capacity=100)
    full = tariff(performance, price="18.00")
    _promo(performance.organizer, max_uses=3)
    carts = [_cart(full, 1) for _ in range(12)]
    barrier, outcomes, lock = threading.Barrier(12), [], threading.Lock()

    def buy(cart):
        try:
            barrier.wait(timeout=10)
            services.checkout_place_orders(cart=cart, buyer=buyer(), provider_code="demo")
            result = "ok"
        except SaleError as exc:
            result = exc.code
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=buy, args=(cart,)) for cart in carts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes).count("ok") == 3 and outcomes.count("promo_used_up") == 9
    assert Order.objects.filter(promo__code="AMIS").count() == 3


@pytest.mark.django_db
def test_promo_codes_are_created_in_the_admin_in_capitals(client):
    from parvis.testing import UserFactory, login_staff

    performance = on_sale_performance()
    login_staff(client, UserFactory(is_superuser=True, is_staff=True))
    response = client.post(
        "/admin/ticketing/promocode/add/",
        {
            "organizer": performance.organizer.pk,
            "code": "été 26",
            "kind": "percent",
            "value": "10",
            "reason": "Été",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert PromoCode.objects.get().code == "ÉTÉ26"


@pytest.mark.django_db
def test_administrators_create_and_switch_off_codes_and_staff_look_up_vouchers(client):
    from parvis.network.models import Role
    from parvis.testing import OrganizerFactory, login_staff, staff
    from parvis.ticketing.vouchers import voucher_issue

    performance = on_sale_performance()
    organizer = performance.organizer
    url = reverse("staff:promo_codes", args=[organizer.slug])
    login_staff(client, staff(organizer, Role.BOX_OFFICE, username="bo@example.org"))
    assert client.get(url).status_code == 403
    voucher = voucher_issue(organizer=organizer, value=Decimal("25"), source="gift")
    page = client.get(reverse("staff:vouchers", args=[organizer.slug]), {"code": voucher.code.lower()})
    assert 'id="voucher-balance">25,00' in page.content.decode()
    login_staff(client, staff(OrganizerFactory(), Role.ADMINISTRATOR, username="other@example.org"))
    assert client.get(url).status_code == 404
    login_staff(client, staff(organizer, Role.ADMINISTRATOR, username="admin@example.org"))
    data = {"code": "noel 26", "kind": "percent", "value": "120", "reason": "Noël"}
    assert client.post(url, data).status_code == 400  # over 100 %
    client.post(url, {**data, "value": "20", "events": [performance.event.pk]})
    code = PromoCode.objects.get()
    assert (code.code, code.value, list(code.events.all())) == (
        "NOEL26",
        Decimal("20.00"),
        [performance.event],
    )
    assert client.post(url, {**data, "value": "10"}).status_code == 400  # the same code twice
    client.post(url, {"deactivate": code.pk})
    code.refresh_from_db()
    assert code.is_active is False


@pytest.mark.django_db
def test_box_office_staff_extend_a_voucher_read_only_staff_cannot(client):
    from parvis.core.models import AuditLogEntry
    from parvis.network.models import Role
    from parvis.testing import OrganizerFactory, login_staff, staff
    from parvis.ticketing.models import Voucher
    from parvis.ticketing.vouchers import voucher_issue

    organizer = on_sale_performance().organizer
    voucher = voucher_issue(organizer=organizer, value=Decimal("25"), source="gift")
    Voucher.objects.filter(pk=voucher.pk).update(expires_at=timezone.now() - datetime.timedelta(days=2))
    url = reverse("staff:vouchers", args=[organizer.slug])
    until = (timezone.localdate() + datetime.timedelta(days=90)).isoformat()
    login_staff(client, staff(organizer, Role.READ_ONLY, username="ro@example.org"))
    assert 'name="until"' not in client.get(url, {"code": voucher.code}).content.decode()
    assert client.post(url, {"code": voucher.code, "until": until}).status_code == 403
    login_staff(client, staff(organizer, Role.BOX_OFFICE, username="bo@example.org"))
    assert 'name="until"' in client.get(url, {"code": voucher.code}).content.decode()
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    far = (timezone.localdate() + datetime.timedelta(days=4 * 365)).isoformat()
    for wrong in (yesterday, far, "31/12/2027"):  # in the past, too far, not a date: nothing changes
        page = client.post(url, {"code": voucher.code, "until": wrong}, follow=True).content.decode()
        assert "prolongé" not in page and ("trois ans" in page or "Date invalide" in page)
    voucher.refresh_from_db()
    assert voucher.expires_at < timezone.now()
    response = client.post(url, {"code": voucher.code, "until": until}, follow=True)
    assert "Bon prolongé." in response.content.decode()
    voucher.refresh_from_db()
    assert timezone.localtime(voucher.expires_at).date().isoformat() == until
    assert AuditLogEntry.objects.filter(action="voucher.extend", object_id=str(voucher.pk)).count() == 1
    from parvis.ticketing.vouchers import voucher_redeem

    assert voucher_redeem(organizer_id=organizer.pk, code=voucher.code, amount=Decimal("5")).balance == 20
    assert client.post(url, {"code": "NOSUCHCODE", "until": until}).status_code == 404
    foreign = voucher_issue(organizer=OrganizerFactory(), value=Decimal("10"), source="gift")
    assert client.post(url, {"code": foreign.code, "until": until}).status_code == 404
    Voucher.objects.filter(pk=voucher.pk).update(cancelled_at=timezone.now())
    page = client.post(url, {"code": voucher.code, "until": until}, follow=True).content.decode()
    assert "plus valable" in page  # "…n'existe pas ou n'est plus valable."
    assert 'name="until"' not in page  # a cancelled voucher offers no extension

"""The checkout's steps, each alone (docs/adr/0005): who pays, the price of a cart, and the registry of line
kinds that an order's life goes through."""

from decimal import Decimal

import pytest
from django.utils import timezone

from parvis.ticketing import extensions, services
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Cart, Channel, OrderExtra
from parvis.ticketing.services.checkout import _holds_locked, cart_price, payer_check

from .factories import buy, on_sale_performance, tariff

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("provider", "channel", "counter", "voucher", "refused"),
    [
        ("box_office", Channel.BOX_OFFICE, [], "", None),
        ("box_office", Channel.ONLINE, [], "", "provider_unavailable"),  # the counter's money, online
        ("box_office", Channel.BOX_OFFICE, None, "", "provider_unavailable"),  # no money taken
        ("channel", Channel.API, None, "", None),
        ("channel", Channel.ONLINE, None, "", "provider_unavailable"),  # a partner's, through its API only
        ("voucher", Channel.ONLINE, None, "", "voucher_unknown"),  # a voucher needs its code
        ("voucher", Channel.ONLINE, None, "ABCD", None),
        ("demo", Channel.ONLINE, None, "", None),
        ("nonexistent", Channel.ONLINE, None, "", "provider_unavailable"),
    ],
)
def test_who_pays(provider, channel, counter, voucher, refused):
    if refused is None:
        payer_check(provider, channel=channel, counter_payments=counter, voucher_code=voucher)
        return
    with pytest.raises(SaleError) as caught:
        payer_check(provider, channel=channel, counter_payments=counter, voucher_code=voucher)
    assert caught.value.code == refused


def test_the_price_of_a_cart_comes_from_the_tariffs_and_takes_a_promo_use_once():
    performance = on_sale_performance()
    full, reduced = tariff(performance, price="20.00"), tariff(performance, name="Réduit", price="12.50")
    cart = Cart.objects.create()
    services.cart_add(cart=cart, tariff_id=full.pk, quantity=2)
    services.cart_add(cart=cart, tariff_id=reduced.pk, quantity=1)
    holds = _holds_locked(cart, timezone.now())
    priced = cart_price(cart, holds, timezone.now(), extras={}, donations={}, channel=Channel.ONLINE)
    assert priced.total == Decimal("52.50")
    organizer_id = performance.organizer_id
    assert priced.sellers == {organizer_id: organizer_id}
    assert priced.order_total(organizer_id, holds) == Decimal("52.50")
    assert list(priced.by_seller()) == [organizer_id]


def test_no_live_hold_is_refused_before_anything_is_priced():
    with pytest.raises(SaleError) as caught:
        _holds_locked(Cart.objects.create(), timezone.now())
    assert caught.value.code == "cart_empty"


def test_a_donation_to_an_organizer_sold_by_someone_else_is_refused():
    performance = on_sale_performance()
    cart = Cart.objects.create()
    services.cart_add(cart=cart, tariff_id=tariff(performance).pk, quantity=1)
    holds = _holds_locked(cart, timezone.now())
    with pytest.raises(SaleError) as caught:
        cart_price(
            cart, holds, timezone.now(), extras={}, donations={10**6: Decimal(5)}, channel=Channel.ONLINE
        )
    assert caught.value.code == "invalid_donation"


class _Recorder(extensions.LineKind):
    """A product of a test: records what the order's life told it, and refuses a cancellation if asked."""

    extra_kind = OrderExtra.Kind.PRODUCT

    def __init__(self, refuse: bool = False):
        self.calls, self.refuse = [], refuse

    def concerns(self, order, extra_kinds):
        return True

    def order_paid(self, order, *, paid_at):
        self.calls.append(("paid", order.code))

    def order_cancelled(self, order, *, actor=None):
        if self.refuse:
            raise SaleError("not_cancellable")
        self.calls.append(("cancelled", order.code))

    def tickets_released(self, ticket_ids):
        self.calls.append(("released", len(ticket_ids)))


@pytest.fixture
def recorder():
    kind = extensions.line_kinds.register("test_recorder", _Recorder())
    yield kind
    extensions.line_kinds.unregister("test_recorder")


def test_a_registered_line_kind_hears_the_order_paid_cancelled_and_its_tickets_released(recorder):
    order = buy(tariff(on_sale_performance()), 2)
    assert recorder.calls == [("paid", order.code)]
    services.order_cancel(order=order, reason="test")
    assert recorder.calls == [("paid", order.code), ("cancelled", order.code), ("released", 2)]


def test_a_line_kind_that_refuses_a_cancellation_refuses_all_of_it():
    order = buy(tariff(on_sale_performance()), 1)
    extensions.line_kinds.register("test_refuser", _Recorder(refuse=True))
    try:
        with pytest.raises(SaleError):
            services.order_cancel(order=order, reason="test")
    finally:
        extensions.line_kinds.unregister("test_refuser")
    order.refresh_from_db()
    assert order.state == "paid" and order.tickets.filter(state="valid").count() == 1


def test_a_cart_without_a_benefits_provider_has_no_member_benefits():
    saved = extensions.benefits.get("memberships")
    extensions.benefits.unregister("memberships")
    try:
        cart = Cart.objects.create(membership_id=None)
        assert services.cart_benefits(cart, 1) is None
        assert extensions.benefits_provider().membership_find(code="X", email=None) is None
    finally:
        extensions.benefits.register("memberships", saved)

"""What a member card gives when its holder buys: member tariffs, priority booking, free entries, add-ons."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from parvis import testing
from parvis.memberships.models import Membership
from parvis.memberships.services import membership_cancel
from parvis.memberships.tests.factories import level, member, program
from parvis.ticketing import services
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Cart, Product, SalesConfig
from parvis.ticketing.tests.factories import buyer, on_sale_performance, tariff

pytestmark = pytest.mark.django_db


@pytest.fixture
def museum(organizer):
    performance = on_sale_performance(organizer=organizer)
    full = tariff(performance, price="12.00")
    members = tariff(performance, name="Adhérent", price="8.00", kind="member")
    return performance, full, members


def _cart(card=None) -> Cart:
    return Cart.objects.create(membership=card)


def _place(cart, **kwargs):
    return services.checkout_place_orders(cart=cart, buyer=buyer(), provider_code="demo", **kwargs)


def test_a_member_tariff_is_refused_without_a_card_and_sold_with_one(organizer, museum):
    _performance, _full, members = museum
    with pytest.raises(SaleError) as refused:
        services.cart_add(cart=_cart(), tariff_id=members.pk, quantity=1)
    assert refused.value.code == "member_only"
    card = member(level(program(organizer)))
    cart = _cart(card)
    services.cart_add(cart=cart, tariff_id=members.pk, quantity=1)
    [order] = _place(cart)
    assert order.total == Decimal("8.00") and order.membership == card


def test_a_card_gives_the_member_tariff_to_as_many_people_as_it_names(organizer, museum):
    _performance, _full, members = museum
    duo = member(level(program(organizer), name="Duo", kind="duo", persons=2), other_names=["Léa Lima"])
    cart = _cart(duo)
    services.cart_add(cart=cart, tariff_id=members.pk, quantity=2)
    with pytest.raises(SaleError) as refused:
        services.cart_add(cart=cart, tariff_id=members.pk, quantity=1)
    assert refused.value.code == "member_limit" and refused.value.params == {"limit": 2}
    assert cart.holds.count() == 1


def test_members_book_during_their_priority_window_the_public_waits(organizer, museum):
    performance, full, _members = museum
    SalesConfig.objects.create(performance=performance, opens_at=timezone.now() + datetime.timedelta(days=3))
    with pytest.raises(SaleError) as refused:
        services.cart_add(cart=_cart(), tariff_id=full.pk, quantity=1)
    assert refused.value.code == "sales_not_open"
    prog = program(organizer)
    early = member(level(prog, name="Mécène", kind="patron", priority_days=7), email="pat@example.org")
    late = member(level(prog, name="Jeune", kind="youth", priority_days=2), email="yan@example.org")
    services.cart_add(cart=_cart(early), tariff_id=full.pk, quantity=1)  # 7 days before: open
    with pytest.raises(SaleError) as too_soon:  # 2 days before the public is not yet
        services.cart_add(cart=_cart(late), tariff_id=full.pk, quantity=1)
    assert too_soon.value.code == "sales_not_open"


def test_free_entry_events_cost_nothing_at_the_member_tariff(organizer, museum):
    performance, _full, members = museum
    lvl = level(program(organizer))
    lvl.free_events.add(performance.event)
    cart = _cart(member(lvl))
    services.cart_add(cart=cart, tariff_id=members.pk, quantity=1)
    [order] = _place(cart)
    assert order.state == "paid" and order.total == 0  # a free order is confirmed at once
    ticket = order.tickets.get()
    assert ticket.price == 0 and order.items.get().discount == Decimal("8.00")


def test_the_add_on_discount_applies_to_members(organizer, museum):
    _performance, full, _members = museum
    catalogue = Product.objects.create(organizer=organizer, name="Catalogue", price=Decimal("25.00"))
    cart = _cart(member(level(program(organizer), addon_discount_percent=Decimal("10"))))
    services.cart_add(cart=cart, tariff_id=full.pk, quantity=1)
    [order] = _place(cart, extras={organizer.pk: [(catalogue.pk, 2)]})
    extra = order.extras.get()
    assert extra.unit_price == Decimal("22.50") and order.total == Decimal("12.00") + Decimal("45.00")


def test_a_network_card_is_valid_at_every_member_venue_and_nowhere_else(network, organizer, other_organizer):
    association = testing.OrganizerFactory(slug="asso")
    testing.join(network, association)
    card = member(level(program(association, network=network)))
    at_member = tariff(on_sale_performance(organizer=organizer), name="Adhérent", price="5.00", kind="member")
    outsider = testing.OrganizerFactory(slug="ailleurs")
    elsewhere = tariff(on_sale_performance(organizer=outsider), name="Adhérent", price="5.00", kind="member")
    services.cart_add(cart=_cart(card), tariff_id=at_member.pk, quantity=1)
    with pytest.raises(SaleError) as refused:
        services.cart_add(cart=_cart(card), tariff_id=elsewhere.pk, quantity=1)
    assert refused.value.code == "member_only"
    own = program(organizer, name="Amis du lieu")
    local_card = member(level(own), email="leo@example.org")
    other = tariff(
        on_sale_performance(organizer=other_organizer), name="Adhérent", price="5.00", kind="member"
    )
    with pytest.raises(SaleError):  # an organizer's own card is not valid at the other venues of the network
        services.cart_add(cart=_cart(local_card), tariff_id=other.pk, quantity=1)


def test_a_card_cancelled_after_choosing_places_no_longer_gives_the_member_tariff(organizer, museum):
    _performance, _full, members = museum
    card = member(level(program(organizer)))
    cart = _cart(card)
    services.cart_add(cart=cart, tariff_id=members.pk, quantity=1)
    membership_cancel(membership=card)
    with pytest.raises(SaleError) as refused:
        _place(cart)
    assert refused.value.code == "member_only" and not cart.holds.filter(order__isnull=False).exists()


def test_an_expired_or_unpaid_card_gives_nothing(organizer, museum):
    _performance, _full, members = museum
    card = member(level(program(organizer)))
    year_ago = timezone.now() - datetime.timedelta(days=366)
    Membership.objects.filter(pk=card.pk).update(
        valid_from=year_ago, valid_until=year_ago + datetime.timedelta(days=365)
    )
    card.refresh_from_db()
    with pytest.raises(SaleError):
        services.cart_add(cart=_cart(card), tariff_id=members.pk, quantity=1)
    unpaid = Membership.objects.create(
        level=card.level, order=card.order, first_name="A", last_name="B", email="b@example.org", price=0,
        vat_rate=0, valid_from=timezone.now(), valid_until=timezone.now() + datetime.timedelta(days=30),
    )  # fmt: skip
    with pytest.raises(SaleError):
        services.cart_add(cart=_cart(unpaid), tariff_id=members.pk, quantity=1)


def test_a_card_is_given_in_the_cart_by_its_number_and_its_holders_email(organizer, museum):
    card = member(level(program(organizer)))
    cart = _cart()
    with pytest.raises(SaleError) as wrong:
        services.cart_apply_membership(cart=cart, code=card.code, email="someone@example.org")
    assert wrong.value.code == "member_unknown"
    assert services.cart_apply_membership(cart=cart, code=card.code.lower(), email="ANA@example.org") == card
    cart.refresh_from_db()
    assert cart.membership == card
    services.cart_apply_membership(cart=cart, code="", email="")
    cart.refresh_from_db()
    assert cart.membership is None


def test_segments_find_members_and_subscribers(organizer):
    from parvis.crm import segments
    from parvis.memberships.models import Subscription, SubscriptionOffer
    from parvis.memberships.subscriptions import subscription_order_place

    card = member(level(program(organizer)))
    expired = member(level(program(organizer, name="Ancien")), email="old@example.org")
    year_ago = timezone.now() - datetime.timedelta(days=400)
    Membership.objects.filter(pk=expired.pk).update(
        valid_from=year_ago, valid_until=year_ago + datetime.timedelta(days=30)
    )
    rule = {"groups": [{"rules": [{"field": "member", "value": "yes"}]}]}
    assert list(segments.contacts_of(organizer, rule)) == [card.order.contact]
    shows = [on_sale_performance(organizer=organizer, days=5 + n) for n in range(2)]
    for show in shows:
        tariff(show, name="Abonné", price="15.00", kind="subscriber")
    now = timezone.now()
    offer = SubscriptionOffer.objects.create(
        organizer=organizer,
        name="Saison",
        min_shows=2,
        season_starts=now - datetime.timedelta(days=1),
        season_ends=now + datetime.timedelta(days=90),
    )
    order = subscription_order_place(
        offer=offer,
        buyer=buyer(email="sub@example.org"),
        performance_ids=[s.pk for s in shows],
        provider_code="demo",
    )
    sales_confirm = services.payment_confirm(payment_id=order.payments.get(state="created").pk)
    assert Subscription.objects.get().state == "active" and sales_confirm.contact is not None
    subscribers = {"groups": [{"rules": [{"field": "subscriber", "value": "yes"}]}]}
    assert list(segments.contacts_of(organizer, subscribers)) == [sales_confirm.contact]
    not_subscribers = {"groups": [{"rules": [{"field": "subscriber", "value": "yes", "not": True}]}]}
    assert sales_confirm.contact not in segments.contacts_of(organizer, not_subscribers)

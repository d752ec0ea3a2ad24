"""At the counter: a member card applied to a sale, a card sold, a pass sold with its concerts booked."""

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from parvis.boxoffice import journal, services
from parvis.boxoffice.models import Chain, EntryKind, JournalEntry
from parvis.memberships.models import Membership
from parvis.memberships.tests.factories import level, member, program
from parvis.passes.models import PassEntry, PassHolding
from parvis.passes.tests.factories import club, concert, pass_product
from parvis.testing import login_staff
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Cart, OrderState
from parvis.ticketing.tests.factories import on_sale_performance, tariff

from .helpers import open_counter

pytestmark = pytest.mark.django_db

HOLDER = services.Customer(email="ana@example.org", first_name="Ana", last_name="Lima")


def test_a_member_card_shown_at_the_counter_gives_the_member_tariff_then_is_forgotten(organizer):
    performance = on_sale_performance(organizer=organizer)
    members = tariff(performance, name="Adhérent", price="6.00", kind="member")
    user, session = open_counter(organizer)
    with pytest.raises(SaleError) as refused:
        services.basket_add(session=session, tariff_id=members.pk)
    assert refused.value.code == "member_only"
    card = member(level(program(organizer)))
    services.basket_member(session=session, code=card.code.lower())
    services.basket_add(session=session, tariff_id=members.pk)
    result = services.sale(
        session=session, actor=user, payments=[services.CounterPayment("cash", Decimal("6"))]
    )
    assert result.order.total == Decimal("6.00") and result.order.membership == card
    assert result.entry.detail["membership"] == card.code
    assert Cart.objects.get(pk=session.cart_id).membership is None  # the next customer starts without it


def test_selling_a_card_at_the_counter_makes_it_valid_at_once_and_writes_the_journal(organizer):
    lvl = level(program(organizer), name="Duo", persons=2, price="50.00")
    user, session = open_counter(organizer)
    result = services.membership_sell(
        session=session,
        actor=user,
        level_id=lvl.pk,
        customer=HOLDER,
        payments=[services.CounterPayment("card_terminal", Decimal("50.00"), "TPE-1")],
        other_names=["Léa Lima"],
    )
    card = result.order.memberships.get()
    assert card.state == Membership.State.ACTIVE and card.other_names == ["Léa Lima"]
    assert result.order.state == OrderState.PAID and result.order.channel == "box_office"
    entry = JournalEntry.objects.get(kind=EntryKind.SALE, order_code=result.order.code)
    assert entry.methods == {"card_terminal": "50.00"} and entry.detail["membership"] == card.code
    assert journal.verify(organizer, Chain.LIVE).ok
    with pytest.raises(services.CounterError) as nameless:
        services.membership_sell(
            session=session, actor=user, level_id=lvl.pk, customer=None,
            payments=[services.CounterPayment("cash", Decimal("50.00"))],
        )  # fmt: skip
    assert nameless.value.code == "holder_required"
    with pytest.raises(services.CounterError):  # paying too little sells nothing
        services.membership_sell(
            session=session, actor=user, level_id=lvl.pk, customer=HOLDER,
            payments=[services.CounterPayment("card_terminal", Decimal("10.00"))],
        )  # fmt: skip
    assert Membership.objects.count() == 1


def test_the_box_office_sells_a_pass_and_books_its_concerts_in_one_go(network, client):
    seller = club(network, "asso")
    clubs = [club(network, f"club-{i}") for i in range(3)]
    dates = [concert(c, days=5 + i) for i, c in enumerate(clubs)]
    product = pass_product(seller, network, max_per_venue=1)
    user, session = open_counter(seller)
    login_staff(client, user)
    assert "Vendre le pass" in client.get(reverse("staff:boxoffice", args=[seller.slug])).content.decode()
    mail.outbox.clear()
    response = client.post(
        reverse("staff:boxoffice_pass", args=[seller.slug]),
        {
            "product": product.pk,
            "first_name": "Ana",
            "last_name": "Lima",
            "email": "ana@example.org",
            "method": "cash",
            "performance": [d.pk for d in dates[:2]],
        },
    )
    assert response.status_code == 302
    holding = PassHolding.objects.get()
    assert holding.state == "active" and holding.entries_used == 2 and holding.order.channel == "box_office"
    booked = PassEntry.objects.filter(holding=holding, state="booked")
    assert {e.organizer_id for e in booked} == {clubs[0].pk, clubs[1].pk}
    assert all(e.ticket.order.state == OrderState.PAID for e in booked)
    entry = JournalEntry.objects.get(kind=EntryKind.SALE, order_code=holding.order.code)
    assert entry.methods == {"cash": "45.00"} and entry.detail["pass"] == holding.code
    assert not mail.outbox  # "send by e-mail" was not ticked


def test_a_pass_sale_whose_booking_fails_sells_nothing(network):
    seller = club(network, "asso")
    venue_club = club(network, "club-a")
    first, second = concert(venue_club, days=5), concert(venue_club, days=6)
    product = pass_product(seller, network, max_per_venue=1)
    user, session = open_counter(seller)
    with pytest.raises(SaleError) as refused:
        services.pass_sell(
            session=session, actor=user, product_id=product.pk, customer=HOLDER,
            payments=[services.CounterPayment("cash", Decimal("45.00"))],
            performance_ids=[first.pk, second.pk],
        )  # fmt: skip
    assert refused.value.code == "pass_venue_limit"
    assert not PassHolding.objects.exists() and not JournalEntry.objects.filter(kind=EntryKind.SALE).exists()

"""A network selling its members' tickets online on their behalf: who the seller is, whose tickets they are,
and what the settlement pays back to each venue."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from parvis.checkin import services as door
from parvis.checkin.models import CheckinList
from parvis.network.models import NetworkMembership
from parvis.passes.settlements import statement_build, statement_csv
from parvis.ticketing import services, signing
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Cart, Channel
from parvis.ticketing.tests.factories import buyer

from .factories import club, concert

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(network):
    """The network's association sells online for club A (which asked it to); club B sells itself."""
    association = club(network, "asso")
    network.ticket_seller = association
    network.ticket_commission_percent = Decimal("8")
    network.save()
    club_a, club_b = club(network, "club-a"), club(network, "club-b")
    NetworkMembership.objects.filter(network=network, organizer=club_a).update(sold_by_network=True)
    return association, club_a, club_b


def _checkout(*tariffs, channel=Channel.ONLINE, **kwargs):
    cart = Cart.objects.create(channel=channel)
    for t in tariffs:
        services.cart_add(cart=cart, tariff_id=t.pk, quantity=1, channel=channel)
    orders = services.checkout_place_orders(cart=cart, buyer=buyer(), provider_code="demo", **kwargs)
    for order in orders:
        services.payment_confirm(payment_id=order.payments.get(state="created").pk)
        order.refresh_from_db()
    return orders


def test_online_orders_go_to_the_network_seller_and_the_tickets_stay_the_venues(agent):
    association, club_a, club_b = agent
    at_a, at_b = concert(club_a, price="20.00"), concert(club_b, price="15.00")
    orders = _checkout(at_a.tariffs.get(), at_b.tariffs.get())
    by_seller = {o.organizer_id: o for o in orders}
    assert set(by_seller) == {association.pk, club_b.pk}
    ticket = by_seller[association.pk].tickets.get()
    assert ticket.organizer_id == club_a.pk and ticket.performance == at_a
    claims = signing.verify_secret(ticket.secret, signing.public_keys_of(club_a))  # the venue's key
    assert claims.performance_id == at_a.pk
    with pytest.raises(signing.InvalidSecret):
        signing.verify_secret(ticket.secret, signing.public_keys_of(association))
    # The venue's door admits it.
    type(at_a).objects.filter(pk=at_a.pk).update(starts_at=timezone.now() + datetime.timedelta(minutes=30))
    checkin_list = CheckinList.objects.create(organizer=club_a, name="Soir")
    checkin_list.performances.add(at_a)
    device, _token = door.device_create(organizer=club_a, name="Porte")
    verdict = door.redeem(device=device, checkin_list=checkin_list, secret=ticket.secret, nonce="n-1-abcdef")
    assert verdict.accepted


def test_the_venues_counter_still_sells_in_its_own_name(agent):
    _association, club_a, _club_b = agent
    [order] = _checkout(concert(club_a).tariffs.get(), channel=Channel.BOX_OFFICE)
    assert order.organizer_id == club_a.pk


def test_a_donation_to_a_venue_sold_on_behalf_is_refused(agent):
    _association, club_a, _club_b = agent
    club_a.accepts_donations = True
    club_a.save()
    with pytest.raises(SaleError) as refused:
        _checkout(concert(club_a).tariffs.get(), donations={club_a.pk: Decimal("10")})
    assert refused.value.code == "invalid_donation"


def test_the_settlement_pays_each_venue_its_tickets_less_the_commission_to_the_cent(agent, network):
    association, club_a, _club_b = agent
    performance = concert(club_a, price="17.35", days=3)
    orders = [_checkout(performance.tariffs.get())[0] for _ in range(3)]
    refunded = orders[2].tickets.get()
    services.tickets_refund(tickets=[refunded], actor=None, reason="test")
    day = timezone.localtime(performance.starts_at).date()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())
    statement = statement_build(network=network, start=start, end=start + datetime.timedelta(days=1))
    rows = {r.organizer_id: r for r in statement.rows}
    commission = (Decimal("17.35") * 8 / 100).quantize(Decimal("0.01"))  # 1.39 a ticket
    assert rows[association.pk].commission == 2 * commission
    assert rows[club_a.pk].tickets == 2 and rows[club_a.pk].tickets_amount == 2 * (
        Decimal("17.35") - commission
    )
    # the club's row says what the buyers paid, what the seller kept, and what is left
    assert rows[club_a.pk].tickets_gross == Decimal("34.70")
    assert rows[club_a.pk].tickets_withheld == 2 * commission
    assert rows[association.pk].tickets_withheld == 0 and rows[association.pk].tickets_gross == 0
    assert statement.total.total == Decimal("34.70")  # what the two valid tickets brought, to the cent
    csv_text = statement_csv(statement)
    header = csv_text.splitlines()[0].split(";")
    assert header[6:11] == [
        "billets_vendus_pour_compte",
        "billets_brut_ttc",
        "commission_retenue_ttc",
        "billets_net_ttc",
        "commission_percue_ttc",
    ]
    assert csv_text.splitlines()[-1].endswith(";34.70")


def test_the_venues_counter_cannot_refund_a_ticket_the_network_sold(agent):
    from parvis.boxoffice import services as counter
    from parvis.boxoffice.tests.helpers import open_counter

    _association, club_a, _club_b = agent
    [order] = _checkout(concert(club_a).tariffs.get())
    user, session = open_counter(club_a)
    with pytest.raises(counter.CounterError) as refused:
        counter.refund(session=session, actor=user, tickets=list(order.tickets.all()), reason="changed mind")
    assert refused.value.code == "unknown_ticket" and order.tickets.get().state == "valid"

"""Waiting lists: places that come back are held for the people waiting, in order, then passed on when an
offer expires, with no worker needed for the order to hold; the public cannot overtake them."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from parvis.ticketing import services, waitlist
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Cart, Hold, Order, WaitingEntry

from .factories import buy, on_sale_performance, tariff
from .test_web import _checkout_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_house():
    performance = on_sale_performance(capacity=2)
    full = tariff(performance, price="15.00")
    order = buy(full, 2)
    return performance, full, order


def _join(full, email, quantity=1):
    return waitlist.join(tariff=full, quantity=quantity, email=email, first_name="A", last_name="B")


def _public_try(full):
    with pytest.raises(SaleError) as exc:
        services.cart_add(cart=Cart.objects.create(), tariff_id=full.pk, quantity=1)
    return exc.value.code


def test_a_refunded_place_goes_to_the_first_in_line_not_to_the_public(
    full_house, django_capture_on_commit_callbacks
):
    performance, full, order = full_house
    first, rank1 = _join(full, "un@example.org")
    second, rank2 = _join(full, "deux@example.org")
    assert (rank1, rank2) == (1, 2)
    assert _join(full, "UN@example.org")[0] == first  # once per address
    with django_capture_on_commit_callbacks(execute=True):
        services.tickets_refund(tickets=[order.tickets.first()], reason="empêché")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == ("offered", "waiting")
    assert services.cart_live_holds(first.cart)[0].quantity == 1
    (offer,) = mail.outbox
    assert offer.to == ["un@example.org"] and f"/liste-attente/{first.token}/" in offer.body
    assert _public_try(full) == "sold_out"


def test_an_expired_offer_passes_to_the_next_at_the_next_attempt_without_a_worker(full_house):
    performance, full, order = full_house
    first, _ = _join(full, "un@example.org")
    second, _ = _join(full, "deux@example.org")
    services.tickets_refund(tickets=[order.tickets.first()], reason="empêché")
    first.refresh_from_db()
    Hold.objects.filter(cart=first.cart).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert _public_try(full) == "sold_out"  # this attempt reclaims the offer and gives it to the next person
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == ("expired", "offered")


def test_nobody_is_overtaken_by_a_smaller_request(full_house):
    performance, full, order = full_house
    pair, _ = _join(full, "deux@example.org", quantity=2)
    single, _ = _join(full, "un@example.org", quantity=1)
    services.tickets_refund(tickets=[order.tickets.first()], reason="x")
    pair.refresh_from_db()
    single.refresh_from_db()
    assert (pair.state, single.state) == ("waiting", "waiting")  # one place for a pair: wait for a second
    services.tickets_refund(tickets=[order.tickets.last()], reason="x")
    pair.refresh_from_db()
    assert pair.state == "offered" and services.cart_live_holds(pair.cart)[0].quantity == 2


def test_the_offer_link_leads_to_checkout_and_the_entry_is_converted(full_house, client):
    performance, full, order = full_house
    entry, _ = _join(full, "un@example.org")
    services.tickets_refund(tickets=[order.tickets.first()], reason="x")
    entry.refresh_from_db()
    response = client.get(f"/liste-attente/{entry.token}/")
    assert response["Location"] == "/panier/commande/"
    response = client.post("/panier/commande/", _checkout_data(client))
    assert response.status_code == 302
    bought = Order.objects.exclude(pk=order.pk).get()
    waitlist._settle_offers(performance.pk)
    entry.refresh_from_db()
    assert entry.state == "converted" and bought.email == "zoe@example.org"
    assert client.get(f"/liste-attente/{entry.token}/").status_code == 302  # no longer live: back to the page


def test_joining_is_refused_while_places_are_left_and_the_page_offers_the_list(client):
    performance = on_sale_performance(capacity=5)
    full = tariff(performance, price="15.00")
    with pytest.raises(SaleError) as exc:
        _join(full, "un@example.org")
    assert exc.value.code == "not_sold_out"
    buy(full, 5)
    page = client.get(f"/billets/{performance.pk}/").content.decode()
    assert "liste d&#x27;attente" in page.lower() or "liste d'attente" in page.lower()
    response = client.post(
        f"/billets/{performance.pk}/attente/",
        {
            "email": "zoe@example.org",
            "first_name": "Zoé",
            "last_name": "M",
            "tariff": full.pk,
            "quantity": "2",
        },
        follow=True,
    )
    assert "rang 1" in response.content.decode()
    assert WaitingEntry.objects.get().quantity == 2


def test_leaving_passes_held_places_on_and_staff_see_the_list(full_house, client):
    from parvis.network.models import Role
    from parvis.testing import login_staff, staff

    performance, full, order = full_house
    first, _ = _join(full, "un@example.org")
    second, _ = _join(full, "deux@example.org")
    services.tickets_refund(tickets=[order.tickets.first()], reason="x")
    login_staff(client, staff(performance.organizer, Role.BOX_OFFICE, username="bo@example.org"))
    url = f"/staff/o/{performance.organizer.slug}/dates/{performance.pk}/billetterie/"
    page = client.get(url).content.decode()
    assert "un@example.org" in page and "deux@example.org" in page
    client.logout()
    assert "Me retirer" in client.get(f"/liste-attente/{first.token}/quitter/").content.decode()
    client.post(f"/liste-attente/{first.token}/quitter/")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == ("cancelled", "offered")


def test_a_date_marked_sold_out_leads_from_its_event_page_to_the_waiting_list(client, full_house):
    performance, full, order = full_house
    performance.status = "sold_out"  # as its programmer marks it
    performance.save(update_fields=["status"])
    page = client.get(performance.event.get_absolute_url()).content.decode()
    tickets = f'href="/billets/{performance.pk}/"'
    assert "Complet" in page and tickets in page
    assert "M'inscrire sur la liste d'attente" in client.get(f"/billets/{performance.pk}/").content.decode()
    performance.status = "cancelled"
    performance.save(update_fields=["status"])
    assert tickets not in client.get(performance.event.get_absolute_url()).content.decode()


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("email", "a" * 256 + "@example.org", "254"),  # longer than the column: a form error, not a 500
        ("email", "zoé@", "Adresse e-mail invalide"),
        ("quantity", "²", "entier positif"),
        ("quantity", "9" * 10_000, "entier positif"),
        ("quantity", "7", "Six places au plus"),
        ("first_name", "Z" * 101, "100"),
    ],
)
def test_junk_on_the_waiting_list_form_is_a_message_and_writes_nothing(client, field, value, said):
    performance = on_sale_performance(capacity=1)
    full = tariff(performance, price="15.00")
    buy(full, 1)
    data = {
        "email": "zoe@example.org",
        "first_name": "Zoé",
        "last_name": "M",
        "tariff": full.pk,
        "quantity": "1",
    }
    response = client.post(f"/billets/{performance.pk}/attente/", {**data, field: value}, follow=True)
    assert response.status_code == 200 and said in response.content.decode()
    assert not WaitingEntry.objects.exists()

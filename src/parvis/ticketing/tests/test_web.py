"""The buyer's pages: choose, cart, details, demo payment, order page, PDF; errors in the buyer's language."""

import datetime
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from parvis.testing import OrganizerFactory
from parvis.ticketing.models import Hold, Order, Quota, Ticket
from parvis.ticketing.views import demo_webhook_signature

from .factories import on_sale_performance, tariff

pytestmark = pytest.mark.django_db


def _checkout_data(client, **extra):
    page = client.get("/panier/commande/")
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page.content.decode()).group(1)
    data = {
        "email": "zoe@example.org",
        "first_name": "Zoé",
        "last_name": "Martin",
        "terms": "on",
        "provider": "demo",
        "idempotency_key": key,
    }
    data.update(extra)
    return data


def test_a_buyer_buys_two_tickets_in_two_venues_and_receives_them(client, django_capture_on_commit_callbacks):
    a = on_sale_performance(organizer=OrganizerFactory(name="Club A"), title="Concert A")
    b = on_sale_performance(organizer=OrganizerFactory(name="Club B"), title="Concert B")
    ta, tb = tariff(a, price="12.00"), tariff(b, price="15.00")
    event_page = client.get(a.event.get_absolute_url()).content.decode()
    assert f"/billets/{a.pk}/" in event_page

    assert client.post(f"/billets/{a.pk}/", {f"q-{ta.pk}": "1"}).status_code == 302
    assert client.post(f"/billets/{b.pk}/", {f"q-{tb.pk}": "1"}).status_code == 302
    cart = client.get("/panier/")
    assert len(cart.context["holds"]) == 2 and "27,00" in cart.content.decode()

    data = _checkout_data(client, organizer_newsletter="on")
    response = client.post("/panier/commande/", data)
    assert response.status_code == 302 and response["Location"].startswith("/paiement/demo/")
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(response["Location"], {"action": "pay"})
    assert done.status_code == 302
    orders = Order.objects.order_by("total")
    assert [o.state for o in orders] == ["paid", "paid"]
    assert orders[0].consents[0]["given"] is True and orders[0].consents[0]["version"] == "2026-12"
    assert "Club A" in orders[0].consents[0]["text"]
    assert len(mail.outbox) == 2 and {m.to[0] for m in mail.outbox} == {"zoe@example.org"}
    order_page = client.get(orders[0].get_absolute_url())
    assert order_page.status_code == 200 and "billets.pdf" in order_page.content.decode()
    pdf = client.get(orders[0].get_absolute_url() + "billets.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    # The same form sent twice (double click) creates nothing more.
    again = client.post("/panier/commande/", data)
    assert again.status_code == 302 and Order.objects.count() == 2


def test_commander_goes_straight_to_the_details_and_keeps_the_rest_of_the_cart(client):
    a, b = on_sale_performance(title="Concert A"), on_sale_performance(title="Concert B")
    ta, tb = tariff(a, price="12.00"), tariff(b, price="15.00")
    page = client.get(f"/billets/{a.pk}/").content.decode()
    assert 'name="then" value="checkout"' in page and "Ajouter au panier" in page

    added = client.post(f"/billets/{a.pk}/", {f"q-{ta.pk}": "1"})
    assert added.status_code == 302 and added["Location"] == "/panier/"
    ordered = client.post(f"/billets/{b.pk}/", {f"q-{tb.pk}": "2", "then": "checkout"})
    assert ordered.status_code == 302 and ordered["Location"] == "/panier/commande/"
    details = client.get(ordered["Location"])
    assert details.status_code == 200
    assert {(h.performance_id, h.quantity) for h in Hold.objects.all()} == {(a.pk, 1), (b.pk, 2)}
    assert "Concert A" in details.content.decode() and "Concert B" in details.content.decode()


def test_commander_with_an_error_stays_on_the_page(client):
    performance = on_sale_performance(capacity=1)
    t = tariff(performance)
    response = client.post(f"/billets/{performance.pk}/", {f"q-{t.pk}": "0", "then": "checkout"})
    assert response.status_code == 409 and not Hold.objects.exists()
    assert "Choisissez au moins un billet." in response.content.decode()
    # More places than are left: nothing held, the reason shown, no way to the details.
    response = client.post(f"/billets/{performance.pk}/", {f"q-{t.pk}": "2", "then": "checkout"})
    assert response.status_code == 409 and not Hold.objects.exists()
    assert "Complet" in response.content.decode()
    assert client.get("/panier/commande/")["Location"] == "/panier/"  # an empty cart: back to the cart


def test_order_page_needs_its_secret(client):
    performance = on_sale_performance()
    client.post(f"/billets/{performance.pk}/", {f"q-{tariff(performance).pk}": "1"})
    client.post("/panier/commande/", _checkout_data(client))
    order = Order.objects.get()
    assert client.get(f"/commande/{order.code}/{order.secret}/").status_code == 200
    assert client.get(f"/commande/{order.code}/wrong-secret/").status_code == 404
    assert client.get(f"/commande/{order.code}/{order.secret}/billets.pdf").status_code == 404  # not paid


def test_refused_then_paid(client):
    performance = on_sale_performance()
    client.post(f"/billets/{performance.pk}/", {f"q-{tariff(performance).pk}": "2"})
    location = client.post("/panier/commande/", _checkout_data(client))["Location"]
    refused = client.post(location, {"action": "refuse"}, follow=True)
    assert "refusé" in refused.content.decode()
    assert Order.objects.get().state == "pending"
    client.post(location, {"action": "pay"})
    order = Order.objects.get()
    assert order.state == "paid" and order.tickets.count() == 2


def test_delayed_confirmation_through_a_signed_webhook(client):
    performance = on_sale_performance()
    client.post(f"/billets/{performance.pk}/", {f"q-{tariff(performance).pk}": "1"})
    location = client.post("/panier/commande/", _checkout_data(client))["Location"]
    client.post(location, {"action": "later"})
    order = Order.objects.get()
    payment = order.payments.get(state="pending")
    assert (
        client.post(
            "/paiement/demo/webhook/", {"payment": payment.pk}, headers={"X-Parvis-Demo-Signature": "forged"}
        ).status_code
        == 400
    )
    assert Order.objects.get().state == "pending"
    for _ in range(2):  # delivered twice, confirmed once
        response = client.post(
            "/paiement/demo/webhook/",
            {"payment": payment.pk},
            headers={"X-Parvis-Demo-Signature": demo_webhook_signature(payment.pk)},
        )
        assert response.status_code == 200
    assert Order.objects.get().state == "paid" and Ticket.objects.count() == 1


def test_sold_out_and_bad_quantities_are_explained(client):
    performance = on_sale_performance(capacity=1)
    full = tariff(performance)
    response = client.post(f"/billets/{performance.pk}/", {f"q-{full.pk}": "2"})
    assert response.status_code == 409 and "Complet" in response.content.decode()
    response = client.post(f"/billets/{performance.pk}/", {f"q-{full.pk}": "-1"})
    assert response.status_code == 409
    response = client.post(
        f"/billets/{performance.pk}/", {f"q-{full.pk}": "1"}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 302
    other = client.post(
        f"/billets/{performance.pk}/", {f"q-{full.pk}": "1"}, headers={"Accept-Language": "en"}
    )
    # The same cart may not take the last place twice; another buyer sees it sold out, in English.
    stranger = Client().post(
        f"/billets/{performance.pk}/", {f"q-{full.pk}": "1"}, headers={"Accept-Language": "en"}
    )
    assert "Sold out" in stranger.content.decode()
    assert other.status_code in (302, 409)
    assert Quota.objects.get(performance=performance, is_total=True).used == 1


def test_choosing_tickets_reads_the_tariff_once_and_still_checks_its_sales_window(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from parvis.ticketing.models import SalesConfig

    performance = on_sale_performance()
    full = tariff(performance)
    with CaptureQueriesContext(connection) as statements:
        response = client.post(f"/billets/{performance.pk}/", {f"q-{full.pk}": "2"})
    assert response.status_code == 302 and Hold.objects.get().quantity == 2
    assert sum('FROM "ticketing_tariff"' in q["sql"] for q in statements) == 1  # the page's read only
    SalesConfig.objects.create(performance=performance, online_close_minutes=60 * 24 * 365)
    response = Client().post(f"/billets/{performance.pk}/", {f"q-{full.pk}": "1"})
    assert response.status_code == 409 and Hold.objects.count() == 1  # closed online: refused


def test_an_expired_hold_at_checkout_is_explained_and_nothing_is_ordered(client):
    performance = on_sale_performance()
    client.post(f"/billets/{performance.pk}/", {f"q-{tariff(performance).pk}": "1"})
    data = _checkout_data(client)
    Hold.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = client.post("/panier/commande/", data)
    assert response.status_code == 400
    assert "délai de réservation" in response.content.decode()
    assert not Order.objects.exists()


def test_terms_must_be_accepted_and_consents_are_unticked_by_default(client):
    performance = on_sale_performance()
    client.post(f"/billets/{performance.pk}/", {f"q-{tariff(performance).pk}": "1"})
    page = client.get("/panier/commande/").content.decode()
    assert 'name="organizer_newsletter"' in page
    assert not re.search(r'name="organizer_newsletter"[^>]*checked', page)
    data = _checkout_data(client)
    del data["terms"]
    response = client.post("/panier/commande/", data)
    assert response.status_code == 400 and not Order.objects.exists()


def test_the_confirmation_names_the_show_and_its_venue_and_the_consent_says_du(
    client, django_capture_on_commit_callbacks
):
    seller = OrganizerFactory(name="Le Caveau")
    concert = on_sale_performance(organizer=seller, title="Trio Sillage")
    concert.venue.name = "Cave voûtée de Montreuil"
    concert.venue.save()
    price = tariff(concert, price="12.00")
    client.post(f"/billets/{concert.pk}/", {f"q-{price.pk}": "2"})
    checkout = client.get("/panier/commande/").content.decode()
    assert (
        "la lettre d&#x27;information du Caveau" in checkout
        or "la lettre d'information du Caveau" in checkout
    )
    response = client.post("/panier/commande/", _checkout_data(client, organizer_newsletter="on"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response["Location"], {"action": "pay"})
    order = Order.objects.get()
    assert "lettre d'information du Caveau" in order.consents[0]["text"]
    (message,) = mail.outbox
    assert message.subject.startswith("Vos billets : Trio Sillage, ")
    assert f"Cave voûtée de Montreuil (commande {order.code})" in message.subject
    day = timezone.localtime(concert.starts_at).day
    assert f" {day} " in message.subject

"""Stripe through the official library, answered from fixtures: hosted Checkout, signed webhooks, return.

This machine cannot reach Stripe to record live exchanges: the answers are written by hand (five of them can
be recorded from Stripe's test mode by `test_stripe_record`, see `fixtures/stripe/README.md`), and checked,
like the requests recorded here, against the library's model of Stripe's API (`test_stripe_fixtures`). The
library itself builds the requests, parses the answers and verifies webhook signatures.
"""

import datetime
import hashlib
import hmac
import re
import time
import urllib.parse
from pathlib import Path

import pytest
import stripe
from django.core import mail
from django.test import Client
from django.utils import timezone
from stripe.params import RefundCreateParams
from stripe.params.checkout import SessionCreateParams

from parvis.ticketing import stripe_client
from parvis.ticketing.models import Order, Ticket

from .factories import on_sale_performance, tariff
from .test_stripe_fixtures import request_problems

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures" / "stripe"
SECRET = "whsec_test_parvis"


class FixtureClient(stripe.HTTPClient):
    """Answers Stripe API calls from fixture files and records the requests made."""

    name = "fixtures"

    def __init__(self, answers: dict[tuple[str, str], tuple[str, dict]]):
        super().__init__()
        self.answers, self.requests = answers, []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        path = urllib.parse.urlparse(url).path
        self.requests.append((method.upper(), path, urllib.parse.parse_qs(post_data or "")))
        name, replacements = self.answers[(method.upper(), path)]
        body = (FIXTURES / name).read_text()
        for key, value in replacements.items():
            body = body.replace(key, value)
        return body, 200, {"Request-Id": "req_fixture"}


class Unreachable(stripe.HTTPClient):
    name = "unreachable"

    def request(self, *args, **kwargs):
        raise stripe.APIConnectionError("unreachable")


@pytest.fixture
def stripe_on(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_parvis"
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    settings.PARVIS_PAYMENT_PROVIDERS = ["free", "stripe"]
    yield
    stripe_client.HTTP_CLIENT = None


def _sign(payload: str, secret: str = SECRET, at: int | None = None) -> str:
    at = at or int(time.time())
    digest = hmac.new(secret.encode(), f"{at}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def _checkout(client, performance):
    full = tariff(performance, price="20.00")
    client.post(f"/billets/{performance.pk}/", {f"q-{full.pk}": "2"})
    page = client.get("/panier/commande/").content.decode()
    assert 'value="stripe"' in page
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page).group(1)
    return {
        "email": "ana@example.org",
        "first_name": "Ana",
        "last_name": "Lima",
        "terms": "on",
        "provider": "stripe",
        "idempotency_key": key,
    }


def test_checkout_redirects_to_stripe_and_the_signed_webhook_confirms_once(
    client, stripe_on, django_capture_on_commit_callbacks
):
    performance = on_sale_performance()
    data = _checkout(client, performance)
    answers = {("POST", "/v1/checkout/sessions"): ("checkout_session_create.json", {})}
    stripe_client.HTTP_CLIENT = fake = FixtureClient(answers)
    response = client.post("/panier/commande/", data)
    assert response.status_code == 302
    assert response["Location"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    method, path, sent = fake.requests[0]
    order = Order.objects.get()
    payment = order.payments.get()
    assert (method, path) == ("POST", "/v1/checkout/sessions")
    assert request_problems(sent, SessionCreateParams) == []
    assert sent["line_items[0][price_data][unit_amount]"] == ["4000"]
    assert sent["line_items[0][price_data][currency]"] == ["eur"]
    assert sent["payment_intent_data[metadata][parvis_payments]"] == [str(payment.pk)]
    assert payment.state == "pending" and order.state == "pending"

    event = (
        (FIXTURES / "event_payment_intent_succeeded.json")
        .read_text()
        .replace("__PAYMENTS__", str(payment.pk))
    )
    forged = client.post(
        "/paiement/stripe/webhook/",
        event,
        content_type="application/json",
        headers={"Stripe-Signature": _sign(event, secret="whsec_wrong")},
    )
    assert forged.status_code == 400 and Order.objects.get().state == "pending"
    stale = client.post(
        "/paiement/stripe/webhook/",
        event,
        content_type="application/json",
        headers={"Stripe-Signature": _sign(event, at=int(time.time()) - 3600)},
    )
    assert stale.status_code == 400
    for _ in range(2):  # Stripe retries deliveries: confirmed once
        with django_capture_on_commit_callbacks(execute=True):
            ok = _deliver(client, "event_payment_intent_succeeded.json", {"__PAYMENTS__": str(payment.pk)})
        assert ok.status_code == 200
    order.refresh_from_db()
    assert order.state == "paid" and Ticket.objects.filter(order=order).count() == 2
    assert order.payments.get().reference == f"pi_3PaRvIs0000000000000001:{payment.pk}"


def test_the_buyers_return_confirms_if_stripe_says_paid(client, stripe_on):
    performance = on_sale_performance()
    data = _checkout(client, performance)
    stripe_client.HTTP_CLIENT = FixtureClient(
        {("POST", "/v1/checkout/sessions"): ("checkout_session_create.json", {})}
    )
    client.post("/panier/commande/", data)
    order = Order.objects.get()
    payment = order.payments.get()
    session = "cs_test_a1PaRvIs0000000000000000000000000000000000000000000000"
    stripe_client.HTTP_CLIENT = FixtureClient(
        {
            ("GET", f"/v1/checkout/sessions/{session}"): (
                "checkout_session_retrieve_paid.json",
                {"__PAYMENTS__": str(payment.pk), "__CHECKOUT__": str(order.checkout)},
            )
        }
    )
    response = client.get(f"/paiement/stripe/retour/{order.checkout}/", {"session_id": session})
    assert response.status_code == 302 and response["Location"] == order.get_absolute_url()
    order.refresh_from_db()
    assert order.state == "paid"


def test_stripe_is_not_offered_without_keys(client, settings):
    settings.STRIPE_SECRET_KEY = ""
    performance = on_sale_performance()
    full = tariff(performance)
    client.post(f"/billets/{performance.pk}/", {f"q-{full.pk}": "1"})
    assert 'value="stripe"' not in client.get("/panier/commande/").content.decode()
    assert client.post("/paiement/stripe/webhook/", "{}", content_type="application/json").status_code in (
        400,
        404,
    )


def test_a_stripe_outage_keeps_the_order_and_says_so(client, stripe_on):
    performance = on_sale_performance()
    data = _checkout(client, performance)
    stripe_client.HTTP_CLIENT = Unreachable()
    response = client.post("/panier/commande/", data, follow=True)
    order = Order.objects.get()
    assert order.state == "pending" and "ne répond pas" in response.content.decode()
    assert order.payments.get().state == "created"  # nothing was sent to Stripe: the buyer may retry


def test_refunds_of_stripe_orders_are_sent_to_stripe_once(
    client, stripe_on, django_capture_on_commit_callbacks
):
    from parvis.ticketing import services
    from parvis.ticketing.models import Payment

    performance = on_sale_performance()
    data = _checkout(client, performance)
    stripe_client.HTTP_CLIENT = FixtureClient(
        {("POST", "/v1/checkout/sessions"): ("checkout_session_create.json", {})}
    )
    client.post("/panier/commande/", data)
    order = Order.objects.get()
    payment = order.payments.get()
    event = (
        (FIXTURES / "event_payment_intent_succeeded.json")
        .read_text()
        .replace("__PAYMENTS__", str(payment.pk))
    )
    client.post(
        "/paiement/stripe/webhook/",
        event,
        content_type="application/json",
        headers={"Stripe-Signature": _sign(event)},
    )
    ticket = order.tickets.order_by("number").first()
    stripe_client.HTTP_CLIENT = fake = FixtureClient({("POST", "/v1/refunds"): ("refund_create.json", {})})
    with django_capture_on_commit_callbacks(execute=True):
        services.tickets_refund(tickets=[ticket], reason="test")
    refund = Payment.objects.get(order=order, amount__lt=0)
    assert refund.provider == "stripe" and refund.reference == "re_3PaRvIs0000000000000001"
    ((method, path, sent),) = fake.requests
    assert (method, path) == ("POST", "/v1/refunds") and request_problems(sent, RefundCreateParams) == []
    assert sent["payment_intent"] == ["pi_3PaRvIs0000000000000001"] and sent["amount"] == ["2000"]
    stripe_client.refund_send(refund.pk)  # a second run sends nothing
    assert len(fake.requests) == 1


def test_a_stripe_payment_for_places_sold_meanwhile_is_refunded_at_stripe_once(
    client, stripe_on, settings, django_capture_on_commit_callbacks
):
    from parvis.ticketing.models import Hold, Payment

    from .factories import buy

    late = _pending_stripe_order(client, on_sale_performance(capacity=2))
    Hold.objects.filter(order=late).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    settings.PARVIS_PAYMENT_PROVIDERS = ["free", "stripe", "demo"]
    buy(late.items.get().tariff, 2)  # the buyer lingered on Stripe's page: both places went to another
    payment = late.payments.get()
    stripe_client.HTTP_CLIENT = fake = FixtureClient({("POST", "/v1/refunds"): ("refund_create.json", {})})
    mail.outbox.clear()
    for _ in range(2):  # Stripe retries deliveries: refunded once
        with django_capture_on_commit_callbacks(execute=True):
            response = _deliver(
                client, "event_payment_intent_succeeded.json", {"__PAYMENTS__": str(payment.pk)}
            )
        assert response.status_code == 200
    late.refresh_from_db()
    assert late.state == "cancelled" and not late.tickets.exists()
    ((method, path, sent),) = fake.requests
    assert (method, path) == ("POST", "/v1/refunds") and request_problems(sent, RefundCreateParams) == []
    assert sent["payment_intent"] == ["pi_3PaRvIs0000000000000001"] and sent["amount"] == ["4000"]
    refund = Payment.objects.get(order=late, amount__lt=0)
    assert refund.amount == -payment.amount and refund.reference == "re_3PaRvIs0000000000000001"
    assert sent["metadata[parvis_payment]"] == [str(refund.pk)]
    (notice,) = mail.outbox
    assert notice.to == ["ana@example.org"] and "40,00" in notice.body


def _deliver(client, name: str, replacements: dict[str, str]):
    event = (FIXTURES / name).read_text()
    for key, value in replacements.items():
        event = event.replace(key, value)
    return client.post(
        "/paiement/stripe/webhook/",
        event,
        content_type="application/json",
        headers={"Stripe-Signature": _sign(event)},
    )


def _order_placed_while_stripe_is_unreachable(client) -> Order:
    data = _checkout(client, on_sale_performance())
    stripe_client.HTTP_CLIENT = Unreachable()
    client.post("/panier/commande/", data)
    return Order.objects.get()


def _pending_stripe_order(client, performance) -> Order:
    data = _checkout(client, performance)
    stripe_client.HTTP_CLIENT = FixtureClient(
        {("POST", "/v1/checkout/sessions"): ("checkout_session_create.json", {})}
    )
    client.post("/panier/commande/", data)
    return Order.objects.get()


def test_the_completed_checkout_session_event_confirms_once(
    client, stripe_on, django_capture_on_commit_callbacks
):
    order = _pending_stripe_order(client, on_sale_performance())
    payment = order.payments.get()
    replacements = {"__PAYMENTS__": str(payment.pk), "__CHECKOUT__": str(order.checkout)}
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert _deliver(client, "event_checkout_session_completed.json", replacements).status_code == 200
    order.refresh_from_db()
    assert order.state == "paid" and order.tickets.count() == 2 and len(mail.outbox) == 1
    assert order.payments.get().reference == f"pi_3PaRvIs0000000000000001:{payment.pk}"


def test_a_refused_card_is_logged_and_another_card_on_stripes_page_then_confirms_the_order(
    client, stripe_on, django_capture_on_commit_callbacks
):
    from parvis.core.models import AuditLogEntry

    order = _pending_stripe_order(client, on_sale_performance())
    payment = order.payments.get()
    replacements = {"__PAYMENTS__": str(payment.pk)}
    assert _deliver(client, "event_payment_intent_payment_failed.json", replacements).status_code == 200
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.state == "pending" and payment.state == "pending" and not order.tickets.exists()
    (attempt,) = AuditLogEntry.objects.filter(action="payment.attempt_failed", object_id=str(order.pk))
    assert attempt.after == {"payment": payment.pk, "code": "card_declined"}
    with django_capture_on_commit_callbacks(execute=True):  # the same intent, paid with another card
        _deliver(client, "event_payment_intent_succeeded.json", replacements)
    order.refresh_from_db()
    assert order.state == "paid" and order.tickets.count() == 2 and len(mail.outbox) == 1


SESSION = "cs_test_a1PaRvIs0000000000000000000000000000000000000000000000"


def test_a_buyer_back_from_stripes_page_is_sent_to_the_same_page_while_it_is_open(client, stripe_on):
    order = _pending_stripe_order(client, on_sale_performance())
    payment = order.payments.get()
    assert (payment.state, payment.reference) == ("pending", f"{SESSION}:{payment.pk}")
    page = Client().get(order.get_absolute_url()).content.decode()  # from the e-mail, in another browser
    assert 'value="pay"' in page and "Payer la commande" in page
    stripe_client.HTTP_CLIENT = fake = FixtureClient(
        {("GET", f"/v1/checkout/sessions/{SESSION}"): ("checkout_session_create.json", {})}
    )
    other = Client()
    response = other.post(order.get_absolute_url(), {"action": "pay"})
    assert (
        response.status_code == 302 and response["Location"] == f"https://checkout.stripe.com/c/pay/{SESSION}"
    )
    assert [(m, p) for m, p, _ in fake.requests] == [("GET", f"/v1/checkout/sessions/{SESSION}")]  # no second
    assert order.payments.get().state == "pending"
    assert str(order.checkout) in other.session["parvis_checkouts"]  # Stripe's return leads back here


def test_an_expired_stripe_page_is_replaced_by_a_new_one_and_the_old_payment_closed(client, stripe_on):
    order = _pending_stripe_order(client, on_sale_performance())
    old = order.payments.get()
    stripe_client.HTTP_CLIENT = fake = FixtureClient(
        {
            ("GET", f"/v1/checkout/sessions/{SESSION}"): ("checkout_session_retrieve_expired.json", {}),
            ("POST", "/v1/checkout/sessions"): ("checkout_session_create.json", {"a1PaRvIs": "b2PaRvIs"}),
        }
    )
    response = client.post(order.get_absolute_url(), {"action": "pay"})
    assert response["Location"].startswith("https://checkout.stripe.com/c/pay/cs_test_b2PaRvIs")
    old.refresh_from_db()
    new = order.payments.exclude(pk=old.pk).get()
    assert old.state == "failed" and (new.state, new.amount) == ("pending", old.amount)
    assert new.reference.startswith("cs_test_b2PaRvIs") and new.reference.endswith(f":{new.pk}")
    (_, _, sent) = fake.requests[1]
    assert (
        sent["metadata[parvis_payments]"] == [str(new.pk)]
        and request_problems(sent, SessionCreateParams) == []
    )


def test_stripe_out_of_reach_at_checkout_then_the_buyer_pays_from_the_order_page(client, stripe_on):
    order = _order_placed_while_stripe_is_unreachable(client)
    assert order.payments.get().state == "created"
    response = client.post(order.get_absolute_url(), {"action": "pay"}, follow=True)  # still out of reach
    assert "ne répond pas" in response.content.decode() and order.payments.get().state == "created"
    stripe_client.HTTP_CLIENT = FixtureClient(
        {("POST", "/v1/checkout/sessions"): ("checkout_session_create.json", {})}
    )
    response = client.post(order.get_absolute_url(), {"action": "pay"})
    assert response["Location"] == f"https://checkout.stripe.com/c/pay/{SESSION}"
    assert order.payments.get().state == "pending"


def test_a_page_paid_meanwhile_confirms_the_order_instead_of_opening_another(
    client, stripe_on, django_capture_on_commit_callbacks
):
    order = _pending_stripe_order(client, on_sale_performance())
    payment = order.payments.get()
    stripe_client.HTTP_CLIENT = fake = FixtureClient(
        {
            ("GET", f"/v1/checkout/sessions/{SESSION}"): (
                "checkout_session_retrieve_paid.json",
                {"__PAYMENTS__": str(payment.pk), "__CHECKOUT__": str(order.checkout)},
            )
        }
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(order.get_absolute_url(), {"action": "pay"})
    assert response["Location"] == order.get_absolute_url() and len(fake.requests) == 1
    order.refresh_from_db()
    assert order.state == "paid" and order.tickets.count() == 2
    assert 'value="pay"' not in client.get(order.get_absolute_url()).content.decode()


def test_an_expired_order_offers_no_payment_and_refuses_one(client, stripe_on):
    from parvis.ticketing.models import Hold

    order = _pending_stripe_order(client, on_sale_performance())
    past = timezone.now() - datetime.timedelta(seconds=1)
    Order.objects.filter(pk=order.pk).update(expires_at=past)
    Hold.objects.filter(order=order).update(expires_at=past)
    stripe_client.HTTP_CLIENT = fake = FixtureClient({})
    assert 'value="pay"' not in client.get(order.get_absolute_url()).content.decode()
    response = client.post(order.get_absolute_url(), {"action": "pay"}, follow=True)
    assert response.redirect_chain == [(order.get_absolute_url(), 302)] and not fake.requests
    assert "Cette commande ne peut plus être payée." in response.content.decode()
    assert order.payments.get().state == "pending"


def test_a_double_click_on_pay_opens_one_stripe_page(client, stripe_on):
    order = _order_placed_while_stripe_is_unreachable(client)
    second = {}

    class Slow(FixtureClient):
        def request(self, *args, **kwargs):  # the second click arrives while Stripe answers the first
            if not second:
                second["response"] = None
                second["response"] = Client().post(order.get_absolute_url(), {"action": "pay"})
            return super().request(*args, **kwargs)

    stripe_client.HTTP_CLIENT = fake = Slow(
        {("POST", "/v1/checkout/sessions"): ("checkout_session_create.json", {})}
    )
    first = client.post(order.get_absolute_url(), {"action": "pay"})
    assert first["Location"] == f"https://checkout.stripe.com/c/pay/{SESSION}"
    assert second["response"]["Location"] == order.get_absolute_url()  # no second page
    assert len(fake.requests) == 1
    payment = order.payments.get()
    assert (payment.state, payment.reference) == ("pending", f"{SESSION}:{payment.pk}")


def test_a_refund_of_an_order_paid_partly_with_a_voucher_sends_stripe_only_the_cards_part(
    client, stripe_on, django_capture_on_commit_callbacks
):
    from decimal import Decimal

    from parvis.ticketing import services
    from parvis.ticketing.vouchers import voucher_issue

    performance = on_sale_performance()
    voucher = voucher_issue(organizer=performance.organizer, value=Decimal("30"), source="gift")
    data = _checkout(client, performance) | {"voucher": voucher.code}  # 40 € = 30 € voucher + 10 € card
    stripe_client.HTTP_CLIENT = FixtureClient(
        {("POST", "/v1/checkout/sessions"): ("checkout_session_create.json", {})}
    )
    client.post("/panier/commande/", data)
    order = Order.objects.get()
    card = order.payments.get(provider="stripe")
    assert card.amount == Decimal("10.00")
    _deliver(client, "event_payment_intent_succeeded.json", {"__PAYMENTS__": str(card.pk)})
    stripe_client.HTTP_CLIENT = fake = FixtureClient({("POST", "/v1/refunds"): ("refund_create.json", {})})
    with django_capture_on_commit_callbacks(execute=True):
        services.order_cancel(order=order, reason="test")
    ((_, _, sent),) = fake.requests
    assert sent["amount"] == ["1000"]  # the card's 10 €, not the order's 40 € (Stripe would refuse it)
    voucher.refresh_from_db()
    assert voucher.balance == Decimal("30.00")


def test_a_delayed_payment_under_way_opens_no_second_page(client, stripe_on):
    order = _pending_stripe_order(client, on_sale_performance())
    payment = order.payments.get()
    stripe_client.HTTP_CLIENT = fake = FixtureClient(
        {
            ("GET", f"/v1/checkout/sessions/{SESSION}"): (
                "checkout_session_retrieve_paid.json",  # completed, the debit still to clear
                {'"payment_status": "paid"': '"payment_status": "unpaid"', "__PAYMENTS__": str(payment.pk)},
            )
        }
    )
    response = client.post(order.get_absolute_url(), {"action": "pay"})
    assert response["Location"] == order.get_absolute_url() and len(fake.requests) == 1
    order.refresh_from_db()
    assert order.state == "pending" and order.payments.get().state == "pending"


def test_without_stripe_configured_a_pending_stripe_order_offers_no_payment(client, stripe_on, settings):
    order = _pending_stripe_order(client, on_sale_performance())
    settings.STRIPE_SECRET_KEY = ""
    assert 'value="pay"' not in client.get(order.get_absolute_url()).content.decode()
    response = client.post(order.get_absolute_url(), {"action": "pay"}, follow=True)
    assert "Cette commande ne peut plus être payée." in response.content.decode()

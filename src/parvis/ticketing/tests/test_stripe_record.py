"""Record the Stripe fixtures from Stripe's test mode, through Parvis's own calls.

    STRIPE_RECORD_KEY=sk_test_… .venv/bin/pytest -p no:xdist -m stripe_record \\
        src/parvis/ticketing/tests/test_stripe_record.py

Each test drives Parvis's code (the checkout's session, a buyer coming back to an expired page, a refund)
against Stripe with a test-mode key, lets the official library send the requests and parse the answers,
and writes each answer to `fixtures/stripe/`. What changes from one run to the next is put back to what
`test_stripe` expects: object ids become the fixtures' stable ids (`pi_3PaRvIs…`), our payment ids and the
checkout's id become the placeholders the tests fill in (`__PAYMENTS__`, `__CHECKOUT__`, `__REFUND__`).
`test_stripe_fixtures` then checks the recorded answers against the library's model, like the others.

Without the key, these tests are skipped: the project's machines cannot reach Stripe, which is why the
fixtures in the repository were written by hand (see `fixtures/stripe/README.md`). A paid Checkout Session
and its `checkout.session.completed` event need a buyer on Stripe's page and are not recorded here.
"""

import json
import os
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
import stripe

from parvis.ticketing import services, stripe_client, stripe_provider
from parvis.ticketing.models import Cart, Payment

from .factories import buyer, on_sale_performance, tariff

KEY = os.environ.get("STRIPE_RECORD_KEY", "")
FIXTURES = Path(__file__).parent / "fixtures" / "stripe"
SESSION = "cs_test_a1PaRvIs0000000000000000000000000000000000000000000000"
pytestmark = pytest.mark.django_db
# The recordings need a test-mode key; the recorder's own test (at the end) runs everywhere, without Stripe.
LIVE = pytest.mark.skipif(
    not KEY.startswith("sk_test_"), reason="records from Stripe: STRIPE_RECORD_KEY=sk_test_…"
)


class RecordingClient(stripe.HTTPClient):
    """Sends the library's requests to Stripe with its default HTTP client and keeps each exchange."""

    name = "recording"

    def __init__(self):
        super().__init__()
        self.inner = stripe.new_default_http_client()
        self.exchanges: list[tuple[str, str, dict, int, dict]] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        body, status, response_headers = self.inner.request(method, url, headers, post_data)
        text = body.decode() if isinstance(body, bytes) else body
        path = urllib.parse.urlparse(url).path
        self.exchanges.append(
            (method.upper(), path, urllib.parse.parse_qs(post_data or ""), status, json.loads(text))
        )
        return text, status, response_headers

    def answer(self, method: str, path: str) -> dict:
        """Stripe's last answer to this request (which must have succeeded)."""
        for m, p, _params, status, body in reversed(self.exchanges):
            if (m, p) == (method, path):
                assert status == 200, body
                return body
        raise AssertionError(f"no {method} {path} was sent")


@pytest.fixture
def recorder(settings):
    settings.STRIPE_SECRET_KEY = KEY or "sk_test_parvis"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_recording"  # Stripe is offered with both keys only
    settings.PARVIS_PAYMENT_PROVIDERS = ["free", "stripe"]
    stripe_client.HTTP_CLIENT = client = RecordingClient()
    yield client
    stripe_client.HTTP_CLIENT = None


def _write(name: str, answer: dict, *, ids: dict[str, str], texts: dict[str, str]) -> None:
    """Write an answer as a fixture: recorded ids made the stable ones, varying values placeholders."""
    text = json.dumps(answer, indent=2, ensure_ascii=False)
    for recorded, stable in {**ids, **texts}.items():
        if recorded:
            text = text.replace(recorded, stable)
    (FIXTURES / name).write_text(text + "\n")


def _stripe_order(amount: str = "20.00", quantity: int = 2):
    performance = on_sale_performance()
    cart = Cart.objects.create()
    services.cart_add(cart=cart, tariff_id=tariff(performance, price=amount).pk, quantity=quantity)
    (order,) = services.checkout_place_orders(cart=cart, buyer=buyer(), provider_code="stripe")
    return order


def _urls(order) -> tuple[str, str]:
    base = "http://127.0.0.1:8000"
    return f"{base}/paiement/stripe/retour/{order.checkout}/", base + order.get_absolute_url()


def _event(recorder: RecordingClient, kind: str, intent_id: str) -> dict:
    """The event Stripe made for this payment intent, as sent (events take a moment to be listed)."""
    for _ in range(30):
        stripe_client.client().v1.events.list({"type": kind, "limit": 20})
        for event in recorder.answer("GET", "/v1/events")["data"]:
            if event["data"]["object"]["id"] == intent_id:
                return event
        time.sleep(1)
    raise AssertionError(f"Stripe listed no {kind} event for {intent_id}")


@pytest.mark.stripe_record
@LIVE
def test_record_the_checkout_session_and_a_buyer_back_after_it_expired(recorder):
    order = _stripe_order()
    success, cancel = _urls(order)
    url = stripe_provider.checkout_session_create(orders=[order], success_url=success, cancel_url=cancel)
    created = recorder.answer("POST", "/v1/checkout/sessions")
    assert url == created["url"] and created["status"] == "open"
    payments = ",".join(str(p.pk) for p in order.payments.filter(provider="stripe"))
    session_ids = {created["id"]: SESSION, created["payment_intent"] or "": "pi_3PaRvIs0000000000000001"}
    texts = {
        str(order.checkout): "__CHECKOUT__",
        f'"parvis_payments": "{payments}"': '"parvis_payments": "__PAYMENTS__"',
    }
    _write("checkout_session_create.json", created, ids=session_ids, texts=texts)

    # Stripe closes the page (as when it expires); the buyer back on the order page is sent to a new one.
    stripe_client.client().v1.checkout.sessions.expire(created["id"])
    order.refresh_from_db()
    assert stripe_provider.payment_resume(order, success_url=success, cancel_url=cancel)
    expired = recorder.answer("GET", f"/v1/checkout/sessions/{created['id']}")
    assert expired["status"] == "expired"
    _write("checkout_session_retrieve_expired.json", expired, ids=session_ids, texts=texts)


@pytest.mark.stripe_record
@LIVE
def test_record_a_refund_and_the_events_of_a_paid_and_a_refused_intent(recorder):
    client = stripe_client.client()
    order = _stripe_order()
    payment = order.payments.get(provider="stripe")
    metadata = {"parvis_payments": str(payment.pk)}
    confirm = {"confirm": True, "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}
    # What Stripe's page does for the buyer: a payment intent carrying our payment's id, paid by card.
    intent = client.v1.payment_intents.create(
        {"amount": 4000, "currency": "eur", "payment_method": "pm_card_visa", "metadata": metadata, **confirm}
    )
    assert intent.status == "succeeded"
    paid = _event(recorder, "payment_intent.succeeded", intent.id)
    ids = {
        intent.id: "pi_3PaRvIs0000000000000001",
        intent.latest_charge: "ch_3PaRvIs0000000000000001",
        intent.payment_method: "pm_1PaRvIs0000000000000001",
        paid["id"]: "evt_3PaRvIs0000000000000001",
    }
    texts = {f'"parvis_payments": "{payment.pk}"': '"parvis_payments": "__PAYMENTS__"'}
    _write("event_payment_intent_succeeded.json", paid, ids=ids, texts=texts)

    # Parvis confirms it, then refunds one ticket: the refund goes to Stripe through `refund_send`.
    services.payment_confirm(payment_id=payment.pk, reference=f"{intent.id}:{payment.pk}")
    services.tickets_refund(tickets=[order.tickets.first()], reason="recording")
    refund = Payment.objects.get(order=order, provider="stripe", amount__lt=0)
    stripe_client.refund_send(refund.pk)
    answer = recorder.answer("POST", "/v1/refunds")
    assert answer["amount"] == 2000 and answer["status"] == "succeeded"
    ids |= {
        answer["id"]: "re_3PaRvIs0000000000000001",
        answer.get("balance_transaction") or "": "txn_3PaRvIs0000000000000002",
    }
    _write(
        "refund_create.json",
        answer,
        ids=ids,
        texts={f'"parvis_payment": "{refund.pk}"': '"parvis_payment": "__REFUND__"'},
    )

    # A refused card: the intent's payment_failed event.
    with pytest.raises(stripe.CardError) as refused:
        declined_card = {"payment_method": "pm_card_chargeDeclined", "metadata": metadata, **confirm}
        client.v1.payment_intents.create({"amount": 4000, "currency": "eur", **declined_card})
    declined = refused.value.error.payment_intent
    failed = _event(recorder, "payment_intent.payment_failed", declined.id)
    ids = {
        declined.id: "pi_3PaRvIs0000000000000001",  # the test pays the same intent after the refusal
        declined.latest_charge or "": "ch_3PaRvIs0000000000000003",
        failed["id"]: "evt_3PaRvIs0000000000000003",
        declined.payment_method or "": "pm_1PaRvIs0000000000000001",
    }
    _write("event_payment_intent_payment_failed.json", failed, ids=ids, texts=texts)


RECORDED = [
    "checkout_session_create.json",
    "checkout_session_retrieve_expired.json",
    "event_payment_intent_succeeded.json",
    "refund_create.json",
    "event_payment_intent_payment_failed.json",
]


class StripeOfFixtures:
    """Stands for Stripe in the recorder's own test: answers as Stripe would, from the fixtures with our
    values filled in and every id changed (as a new recording's would be)."""

    def __init__(self, fixtures: Path):
        self.fixtures, self.values = fixtures, {}

    def _answer(self, name: str) -> dict:
        text = (self.fixtures / name).read_text().replace("PaRvIs", "LiVeNw")
        for placeholder, value in self.values.items():
            text = text.replace(placeholder, value)
        return json.loads(text)

    def request(self, method, url, headers, post_data=None):
        path, query = urllib.parse.urlparse(url).path, urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
        params = {k: v[0] for k, v in urllib.parse.parse_qs(post_data or "").items()}
        self.values |= {
            placeholder: params[key]
            for placeholder, key in (
                ("__PAYMENTS__", "metadata[parvis_payments]"),
                ("__CHECKOUT__", "metadata[parvis_checkout]"),
                ("__REFUND__", "metadata[parvis_payment]"),
            )
            if key in params
        }
        status, body = 200, None
        if path == "/v1/checkout/sessions" or path.endswith("/expire"):
            body = self._answer("checkout_session_create.json")
        elif path.startswith("/v1/checkout/sessions/"):
            body = self._answer("checkout_session_retrieve_expired.json")
        elif path == "/v1/payment_intents":
            declined = "chargeDeclined" in params["payment_method"]
            event = (
                "event_payment_intent_payment_failed.json"
                if declined
                else "event_payment_intent_succeeded.json"
            )
            body = self._answer(event)["data"]["object"]
            if declined:
                error = {**body["last_payment_error"], "payment_intent": body}
                status, body = 402, {"error": error}
        elif path == "/v1/events":
            kind = query["type"][0].replace(".", "_")
            body = {
                "object": "list",
                "url": "/v1/events",
                "has_more": False,
                "data": [self._answer(f"event_{kind}.json")],
            }
        elif path == "/v1/refunds":
            body = self._answer("refund_create.json")
        return json.dumps(body).encode(), status, {"Request-Id": "req_recorder_test"}


def test_the_recorder_writes_back_what_stripe_answers_as_the_fixtures(recorder, monkeypatch, tmp_path):
    """Fed with Stripe's answers (here: the fixtures, every id changed), the recorder writes the fixtures
    back as they are: each changing id and value is put back to what the tests expect."""
    committed = FIXTURES
    recorder.inner = StripeOfFixtures(committed)
    monkeypatch.setattr(sys.modules[__name__], "FIXTURES", tmp_path)  # where the recordings are written
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    test_record_the_checkout_session_and_a_buyer_back_after_it_expired(recorder)  # the marks do not wrap
    test_record_a_refund_and_the_events_of_a_paid_and_a_refused_intent(recorder)
    for name in RECORDED:
        assert json.loads((tmp_path / name).read_text()) == json.loads((committed / name).read_text()), name

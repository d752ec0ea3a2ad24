"""Webhooks against a local receiver that verifies each signature with the reference library
(standardwebhooks): delivery after a sale, tries again on failure, disabling and its e-mail, a replay, a
secret's rotation, refused addresses, and the staff pages."""

import datetime
import http.server
import json
import threading

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from parvis.checkin import services as door
from parvis.checkin.models import CheckinList
from parvis.crm.models import Purpose
from parvis.crm.services import consent_record
from parvis.network.models import Role
from parvis.opendata import tasks, webhooks
from parvis.opendata.models import TOPICS, Delivery, Endpoint
from parvis.programming.services import performance_update
from parvis.testing import login_staff, staff
from parvis.ticketing import services
from parvis.ticketing.tests.factories import buy, on_sale_performance, tariff

pytestmark = pytest.mark.django_db


class Receiver:
    """An HTTP server on 127.0.0.1 that checks every request's signature with each secret it is given,
    and answers `status` (200 by default)."""

    def __init__(self):
        self.secrets: list[str] = []
        self.status = 200
        self.received: list[dict] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the library's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                verified = []
                for secret in receiver.secrets:
                    try:
                        Webhook(secret).verify(body, headers)
                        verified.append(secret)
                    except WebhookVerificationError:
                        pass
                receiver.received.append(
                    {
                        "body": json.loads(body),
                        "id": headers["webhook-id"],
                        "verified": verified,
                        "headers": headers,
                    }
                )
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def endpoint(organizer, receiver):
    made = webhooks.endpoint_create(
        actor=None, organizer=organizer, url=receiver.url, topics=["order.paid", "order.refunded"]
    )
    receiver.secrets.append(made.secret)
    return made


def _sale(organizer, quantity=2):
    return buy(tariff(on_sale_performance(organizer=organizer), price="20.00"), quantity)


def _deliver_all():
    for delivery in Delivery.objects.filter(state="pending").order_by("pk"):
        tasks.webhook_deliver.call(delivery_id=delivery.pk)


def test_a_paid_order_is_delivered_signed_once(organizer, endpoint, receiver):
    order = _sale(organizer)
    assert tasks.dispatch() == 1 and tasks.dispatch() == 0  # read once
    _deliver_all()
    [got] = receiver.received
    assert got["verified"] == [endpoint.secret]
    assert got["body"]["type"] == "order.paid" and got["body"]["data"]["code"] == order.code
    assert [t["state"] for t in got["body"]["data"]["tickets"]] == ["valid", "valid"]
    delivery = Delivery.objects.get()
    assert delivery.state == "succeeded" and delivery.attempts == 1 and got["id"] == delivery.message_id
    _deliver_all()
    assert len(receiver.received) == 1  # delivered: not sent again
    services.tickets_refund(tickets=[order.tickets.first()])
    tasks.dispatch()
    _deliver_all()
    assert [r["body"]["type"] for r in receiver.received] == ["order.paid", "order.refunded"]


def test_a_forged_or_stale_signature_does_not_verify(endpoint):
    body = b'{"type":"order.paid"}'
    headers = webhooks.headers_for(endpoint, "msg_1", body)
    assert Webhook(endpoint.secret).verify(body, headers) == {"type": "order.paid"}
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(b'{"type":"order.refunded"}', headers)
    old = webhooks.headers_for(endpoint, "msg_1", body, now=timezone.now() - datetime.timedelta(hours=1))
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(body, old)


def test_a_failing_receiver_is_tried_again_later_then_delivered(organizer, endpoint, receiver):
    receiver.status = 503
    _sale(organizer)
    tasks.dispatch()
    _deliver_all()
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("pending", 1, 503)
    assert abs((delivery.next_attempt_at - timezone.now()).total_seconds() - 5) < 3
    receiver.status = 204
    _deliver_all()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("succeeded", 2)
    assert Endpoint.objects.get().failures_in_row == 0
    assert len({r["id"] for r in receiver.received}) == 1  # the same message id on every try


def test_an_endpoint_failing_a_whole_schedule_is_disabled_and_its_administrators_told(
    organizer, endpoint, receiver, django_capture_on_commit_callbacks
):
    admin = staff(organizer, Role.ADMINISTRATOR, email="direction@example.org")
    receiver.status = 500
    _sale(organizer)
    tasks.dispatch()
    with django_capture_on_commit_callbacks(execute=True):
        for _try in range(len(webhooks.SCHEDULE) + 1):
            _deliver_all()
    delivery = Delivery.objects.get()
    endpoint.refresh_from_db()
    assert delivery.state == "failed" and delivery.attempts == 8
    assert not endpoint.is_active and "8" in endpoint.disabled_reason
    [notice] = [m for m in mail.outbox if "Webhook désactivé" in m.subject]
    assert notice.to == [admin.email] and receiver.url in notice.body
    _sale(organizer)
    tasks.dispatch()
    assert Delivery.objects.count() == 1  # a disabled endpoint is given nothing new
    # Enabled again by staff, the failed delivery replayed: it arrives.
    receiver.status = 200
    webhooks.endpoint_enable(actor=None, endpoint=endpoint)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.replay(actor=None, delivery=delivery)
    delivery.refresh_from_db()
    assert delivery.state == "succeeded" and receiver.received[-1]["id"] == delivery.message_id


def test_a_rotated_secret_signs_alongside_the_previous_one_for_a_day(
    organizer, endpoint, receiver, django_capture_on_commit_callbacks
):
    before = endpoint.secret
    webhooks.endpoint_rotate(actor=None, endpoint=endpoint)
    receiver.secrets.append(endpoint.secret)
    _sale(organizer)
    tasks.dispatch()
    _deliver_all()
    assert receiver.received[0]["verified"] == [before, endpoint.secret]
    assert len(receiver.received[0]["headers"]["webhook-signature"].split(" ")) == 2
    Endpoint.objects.filter(pk=endpoint.pk).update(
        previous_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        tasks.replay(actor=None, delivery=Delivery.objects.get())
    assert len(receiver.received) == 2 and receiver.received[-1]["verified"] == [endpoint.secret]


def test_addresses_a_webhook_may_not_call(settings):
    settings.PARVIS_WEBHOOKS_ALLOW_HTTP = False
    settings.PARVIS_WEBHOOKS_ALLOW_PRIVATE = False
    for url in (
        "http://example.org/hook",
        "ftp://example.org/",
        "https://127.0.0.1/hook",
        "https://10.1.2.3/x",
    ):
        with pytest.raises(ValidationError):
            webhooks.url_check(url)


def test_administrators_add_a_webhook_see_its_log_and_replay_others_may_not(
    client, organizer, receiver, django_capture_on_commit_callbacks
):
    login_staff(client, staff(organizer, Role.ADMINISTRATOR))
    url = reverse("staff:webhooks", args=[organizer.slug])
    answer = client.post(url, {"url": receiver.url})
    assert answer.status_code == 400 and "Choisissez au moins un événement." in answer.content.decode()
    answer = client.post(url, {"url": receiver.url, "topics": ["order.paid", "bogus"]})
    endpoint = Endpoint.objects.get()
    assert answer.status_code == 302 and endpoint.topics == ["order.paid"]
    page = client.get(reverse("staff:webhook_detail", args=[organizer.slug, endpoint.pk])).content.decode()
    assert endpoint.secret in page
    receiver.secrets.append(endpoint.secret)
    _sale(organizer)
    tasks.dispatch()
    _deliver_all()
    delivery = Delivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            reverse("staff:webhook_action", args=[organizer.slug, endpoint.pk, "replay"]),
            {"delivery": delivery.pk},
        )
    assert answer.status_code == 302 and len(receiver.received) == 2
    assert all(r["verified"] == [endpoint.secret] for r in receiver.received)
    login_staff(client, staff(organizer, Role.READ_ONLY))
    assert client.get(url).status_code == 403


def test_each_topic_reaches_an_endpoint_that_listens_to_it(organizer, receiver):
    every = webhooks.endpoint_create(
        actor=None, organizer=organizer, url=receiver.url, topics=[t for t, _label in TOPICS]
    )
    receiver.secrets.append(every.secret)
    order = _sale(organizer, 2)
    ticket, other = order.tickets.order_by("pk")
    services.tickets_refund(tickets=[other])
    type(ticket.performance).objects.filter(pk=ticket.performance_id).update(
        starts_at=timezone.now() + datetime.timedelta(minutes=30)
    )  # the evening has come: doors are open
    door_list = CheckinList.objects.create(organizer=organizer, name="Soirée")
    door_list.performances.add(ticket.performance)
    device, _token = door.device_create(organizer=organizer, name="Téléphone")
    assert door.redeem(device=device, checkin_list=door_list, nonce="n-1", secret=ticket.secret).accepted
    consent_record(
        contact=order.contact, purpose=Purpose.ORGANIZER_NEWSLETTER, given=True, source="self_service"
    )
    performance_update(actor=None, performance=ticket.performance, data={"capacity": 99})
    tasks.dispatch()
    _deliver_all()
    got = {r["body"]["type"]: r["body"]["data"] for r in receiver.received}
    assert set(got) == {t for t, _label in TOPICS}
    assert (
        got["ticket.checked_in"]["ticket"]["number"] == ticket.number
        and got["ticket.checked_in"]["scanned_at"]
    )
    assert got["consent.changed"]["purpose"] == "organizer_newsletter" and got["consent.changed"]["given"]
    assert got["performance.updated"]["capacity"] == 99
    assert got["contact.updated"]["email"] == "ana@example.org"
    assert all(r["verified"] == [every.secret] for r in receiver.received)

"""Background work that is not lost, with real parts: a task worker process killed with SIGKILL mid-task,
a real SMTP server (aiosmtpd) that refuses, holds or is stopped, and a stand-in for Stripe's API that keeps
the idempotency keys it saw. On SQLite and PostgreSQL."""

import datetime
import signal
import subprocess
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from parvis.core import jobs
from parvis.core.models import FailedJob, MailBounce, SentMail, WorkerBeat
from parvis.core.tests.processes import parvis, parvis_env, stop, wait
from parvis.core.tests.smtp import Sink, free_port
from parvis.core.tests.standins import reply_json, serve
from parvis.crm.models import Identifier
from parvis.crm.services import contact_resolve
from parvis.crm.tasks import send_privacy_links
from parvis.testing import OrganizerFactory
from parvis.ticketing.models import Order, Payment
from parvis.ticketing.tasks import refund_to_provider
from parvis.ticketing.tests.factories import buy, on_sale_performance, tariff

DATABASE_TASKS = {"default": {"BACKEND": "parvis.core.background.DatabaseBackend"}}
pytestmark = pytest.mark.django_db(transaction=True)


def _worker(*, smtp_port: int, extra: dict | None = None) -> subprocess.Popen:
    """`parvis db_worker` in its own process, on the test database, with a short lease."""
    env = parvis_env(EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}", **(extra or {}))
    return parvis(["db_worker", "--interval", "0.1", "--no-startup-delay", "-v0"], env)


def _orders(n: int) -> list[Order]:
    price = tariff(on_sale_performance(capacity=n + 5), price="20.00")
    with override_settings(TASKS=DATABASE_TASKS):
        return [buy(price) for _ in range(n)]


def test_a_worker_killed_mid_send_leaves_nothing_behind_every_confirmation_arrives_once():
    """The issue's case: 30 confirmations, the worker SIGKILLed at the 10th and another started: 30 arrive,
    none twice, no task left RUNNING. The dead worker held the 10th and the confirmations it had claimed
    with it (a batch, `jobs.Policy.batch`): all are taken back when its lease expires."""
    orders = _orders(30)
    codes = [order.code for order in orders]
    with Sink() as sink:
        sink.hold_at = 10
        first = _worker(smtp_port=sink.port)
        try:
            wait(sink.held.is_set, seconds=90, what="the 10th e-mail")
            assert len(sink.messages) == 9
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        sink.release()  # its connection is gone: the relay never accepted the 10th
        left = set(DBTaskResult.objects.filter(status="RUNNING").values_list("pk", flat=True))
        assert 1 < len(left) <= 21  # the 10th, and what the batch had claimed with it, left behind
        second = _worker(smtp_port=sink.port)
        try:
            wait(lambda: len(sink.messages) >= 30, seconds=90, what="30 e-mails")
            wait(
                lambda: not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists(),
                seconds=30,
                what="done",
            )
        finally:
            log = stop(second)
        time.sleep(0.3)
        subjects = sink.subjects()
    assert len(subjects) == 30, log
    assert sorted(code for code in codes for s in subjects if code in s) == sorted(codes)  # each once
    # Each task left behind was run by the second worker too; the others once.
    assert {row.pk for row in DBTaskResult.objects.all() if len(row.worker_ids) == 2} == left
    assert all(len(row.worker_ids) in (1, 2) for row in DBTaskResult.objects.all())
    assert SentMail.objects.count() == 30
    assert Order.objects.filter(confirmation_sent_at__isnull=True).count() == 0


def test_confirmations_are_claimed_together_and_sent_through_one_connection():
    """After a rush the worker claims the confirmations waiting in one go (`Policy.batch`) and hands them to
    the relay over one connection; another kind of task waiting among them is not part of the batch."""
    orders = _orders(5)
    _privacy_task("autre@example.org")
    confirmations = DBTaskResult.objects.filter(task_path__endswith="send_order_confirmation").order_by(
        "enqueued_at"
    )
    first = confirmations.first()
    first.claim("w1")
    taken = jobs.claim_alike(first, "w1", 10)
    assert {row.pk for row in taken} == set(confirmations.exclude(pk=first.pk).values_list("pk", flat=True))
    assert all(row.worker_ids == ["w1"] for row in DBTaskResult.objects.filter(status="RUNNING"))
    assert DBTaskResult.objects.get(task_path__endswith="send_privacy_links").status == "READY"
    for row in [first, *taken]:  # given back as they were
        assert jobs.unclaim(row) == 1
    assert {
        (status, tuple(ids)) for status, ids in DBTaskResult.objects.values_list("status", "worker_ids")
    } == {("READY", ())}
    with Sink() as sink, override_settings(TASKS=DATABASE_TASKS, **sink.email_settings()):
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "-v0")
        time.sleep(0.2)
        confirmations_sent = [
            peer for m, peer in zip(sink.messages, sink.peers, strict=True) if "commande" in m["Subject"]
        ]
    assert len(confirmations_sent) == 5 and len(set(confirmations_sent)) == 1
    assert sorted(len(row.worker_ids) for row in DBTaskResult.objects.all()) == [1] * 6
    assert not Order.objects.filter(pk__in=[o.pk for o in orders], confirmation_sent_at=None).exists()


def test_a_worker_stopped_mid_batch_gives_back_what_it_had_not_begun():
    """SIGTERM while the batch's 2nd e-mail is at the relay: that task ends, the others go back to the queue
    as they were (not a try, not a run again), and another worker sends them."""
    orders = _orders(6)
    with Sink() as sink:
        sink.hold_at = 2
        worker = _worker(smtp_port=sink.port)
        try:
            wait(sink.held.is_set, seconds=90, what="the 2nd e-mail")
            worker.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            sink.release()
            assert worker.wait(timeout=30) == 0
        finally:
            if worker.poll() is None:
                worker.kill()
        assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 2
        assert not DBTaskResult.objects.filter(status="RUNNING").exists()
        assert (
            list(DBTaskResult.objects.filter(status="READY").values_list("worker_ids", flat=True)) == [[]] * 4
        )
        with override_settings(TASKS=DATABASE_TASKS, **sink.email_settings()):
            call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "-v0")
        time.sleep(0.2)
        assert len(sink.messages) == 6
    assert sorted(len(row.worker_ids) for row in DBTaskResult.objects.all()) == [1] * 6
    assert not Order.objects.filter(pk__in=[o.pk for o in orders], confirmation_sent_at=None).exists()


def test_a_rerun_after_the_relay_accepted_sends_no_second_copy():
    """A task whose worker died after the relay's 250 but before the task was marked done is run again: the
    recorded Message-ID stops the second copy."""
    (order,) = _orders(1)
    row = DBTaskResult.objects.get()
    with Sink() as sink, override_settings(TASKS=DATABASE_TASKS, **sink.email_settings()):
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "-v0")
        assert len(sink.messages) == 1
        # As if the worker had died before recording the task done: RUNNING, its lease expired.
        # (`reap_stalled` puts it back READY; the order's claim stays, it is this task's own.)
        DBTaskResult.objects.filter(pk=row.pk).update(status="READY", finished_at=None)
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "-v0")
        assert len(sink.messages) == 1
    assert DBTaskResult.objects.get(pk=row.pk).status == "SUCCESSFUL"
    assert SentMail.objects.get().message_id == sink.messages[0]["Message-ID"]


@pytest.fixture
def fast_retries(settings):
    settings.PARVIS_TASK_DELAY_SCALE = 0
    settings.PARVIS_WORKER_OUTAGE_MAX_S = 0.05
    settings.PARVIS_WORKER_YIELD_MAX_S = 0


def _privacy_task(email: str):
    contact = contact_resolve(organizer_id=OrganizerFactory().pk, email=email)
    identifier = Identifier.objects.get(contact=contact, kind="email")
    with override_settings(TASKS=DATABASE_TASKS):
        return send_privacy_links.enqueue(identifier_ids=[identifier.pk]), contact


def test_an_smtp_451_is_tried_again_and_delivered_once(fast_retries):
    """The issue's case: a privacy-link e-mail answered 451 was FAILED for good; it is now tried again."""
    result, _contact = _privacy_task("ana@example.org")
    with Sink(answer=lambda address, n: "451 4.7.1 Try again later" if n == 1 else None) as sink:
        with override_settings(TASKS=DATABASE_TASKS, **sink.email_settings()):
            call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "-v0")
        assert len(sink.messages) == 1
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == "SUCCESSFUL" and len(row.worker_ids) == 2
    assert not FailedJob.objects.exists()


def test_an_smtp_5xx_is_a_bounce_not_tried_again_and_the_administrators_hear_of_it(fast_retries, client):
    from parvis.network.models import OrganizerStaff, Role
    from parvis.testing import UserFactory, login_staff

    result, contact = _privacy_task("gone@example.org")
    admin = UserFactory(email="admin@example.org")
    OrganizerStaff.objects.create(user=admin, organizer=contact.organizer, role=Role.ADMINISTRATOR)
    refuse = {"gone@example.org": "550 5.1.1 No such mailbox"}
    with Sink(answer=lambda address, n: refuse.get(address)) as sink:
        with override_settings(TASKS=DATABASE_TASKS, **sink.email_settings()):
            call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "-v0")
            row = DBTaskResult.objects.get(pk=result.id)
            assert row.status == "FAILED" and len(row.worker_ids) == 1  # not tried again
            job = FailedJob.objects.get(task_id=row.pk)
            assert job.organizer_id == contact.organizer_id and job.tries == 1
            assert "550" in job.reason and "gone@" not in job.reason  # why, without the address
            bounce = MailBounce.objects.get()
            assert (bounce.address, bounce.code) == ("gone@example.org", 550)
            # The administrators' notice waits two minutes (what fails together goes in one e-mail).
            notice = DBTaskResult.objects.get(task_path="parvis.network.tasks.send_failed_jobs_notice")
            DBTaskResult.objects.filter(pk=notice.pk).update(run_after=notice.enqueued_at)
            call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "-v0")
        (message,) = sink.messages
    assert message["To"] == "admin@example.org"
    body = message.get_payload(decode=True).decode()
    assert "Liens d'accès aux données personnelles" in body and "550" in body and "gone@" not in body
    assert f"/staff/o/{contact.organizer.slug}/taches-en-echec/" in body
    assert FailedJob.objects.get().notified_at is not None
    # The bounce shows on the contact that holds the address.
    login_staff(client, admin)
    page = client.get(
        reverse("staff:crm_contact", args=[contact.organizer.slug, contact.pk])
    ).content.decode()
    assert (
        "gone@example.org — <strong>refusée pour de bon par le serveur de messagerie" in page
        and "(550)" in page
    )


def test_with_the_relay_down_nothing_is_lost_and_confirmations_leave_in_order_of_purchase(fast_retries):
    orders = _orders(6)
    port = free_port()
    sink = Sink(port=port)
    later = threading.Timer(1.5, sink.start)  # the relay refuses connections, then comes back
    later.start()
    try:
        with override_settings(TASKS=DATABASE_TASKS, **sink.email_settings()):
            call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "-v0")
        subjects = sink.subjects()
    finally:
        later.join()
        sink.stop()
    assert [next(o.code for o in orders if o.code in s) for s in subjects] == [o.code for o in orders]
    assert all(jobs.tries_of(row) == 1 for row in DBTaskResult.objects.all())  # outages spent no try
    assert not FailedJob.objects.exists()


class StripeStandIn(BaseHTTPRequestHandler):
    """Enough of Stripe's POST /v1/refunds: one refund per idempotency key, as Stripe keeps them. The first
    request is answered only once `answer_first` is set (the worker is killed meanwhile)."""

    keys: list[str] = []
    refunds: dict[str, dict] = {}
    answer_first = threading.Event()
    seen = threading.Event()

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        key = self.headers.get("Idempotency-Key", "")
        type(self).keys.append(key)
        if key not in self.refunds:
            self.refunds[key] = {
                "id": f"re_standin{len(self.refunds) + 1}",
                "object": "refund",
                "status": "succeeded",
            }
        if len(self.keys) == 1:
            type(self).seen.set()
            type(self).answer_first.wait(30)
        reply_json(self, self.refunds[key])

    def log_message(self, *args):
        pass


def _card_refund() -> tuple[Order, Payment]:
    """An order paid by card and a refund of it recorded, not yet sent to the provider."""
    order = buy(tariff(on_sale_performance(), price="20.00"))
    Payment.objects.create(
        order=order, provider="stripe", amount=Decimal("20.00"), state="confirmed", reference="pi_standin:1"
    )
    return order, Payment.objects.create(
        order=order, provider="stripe", amount=Decimal("-20.00"), state="refunded"
    )


def test_a_refund_run_again_after_its_worker_died_is_refunded_once_at_the_provider():
    _order, refund = _card_refund()
    with override_settings(TASKS=DATABASE_TASKS):
        refund_to_provider.enqueue(payment_id=refund.pk)
    StripeStandIn.keys, StripeStandIn.refunds = [], {}
    StripeStandIn.answer_first.clear()
    StripeStandIn.seen.clear()
    server, stripe = serve(StripeStandIn)
    try:
        first = _worker(smtp_port=free_port(), extra=stripe)
        wait(StripeStandIn.seen.is_set, seconds=60, what="the refund request")
        first.send_signal(signal.SIGKILL)  # the provider refunded; the worker never heard it
        first.wait(timeout=10)
        StripeStandIn.answer_first.set()
        second = _worker(smtp_port=free_port(), extra=stripe)
        try:
            wait(lambda: Payment.objects.get(pk=refund.pk).reference, seconds=60, what="the refund's id")
        finally:
            stop(second)
    finally:
        server.shutdown()
    assert len(StripeStandIn.keys) >= 2 and set(StripeStandIn.keys) == {f"parvis-refund-{refund.pk}"}
    assert len(StripeStandIn.refunds) == 1  # one refund at the provider
    assert Payment.objects.get(pk=refund.pk).reference == "re_standin1"


def test_the_database_connections_cut_during_a_task_neither_lose_nor_double_its_e_mail():
    """pg_terminate_backend on every connection of the worker while its task talks to the relay: the worker
    reconnects by itself, records what the relay accepted, and the task is done once."""
    if connection.vendor != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    orders = _orders(2)
    with Sink() as sink:
        sink.hold_at = 1
        working = _worker(smtp_port=sink.port)
        try:
            wait(sink.held.is_set, seconds=60, what="the first e-mail")
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                assert cursor.fetchone()[0] >= 1
            sink.release()
            wait(lambda: len(sink.messages) >= 2, seconds=60, what="2 e-mails")
            wait(
                lambda: DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 2, seconds=60, what="done"
            )
        finally:
            log = stop(working)
        time.sleep(0.3)
        subjects = sink.subjects()
    assert sorted(code for o in orders for s in subjects if (code := o.code) in s) == sorted(
        o.code for o in orders
    ), log
    assert [len(row.worker_ids) for row in DBTaskResult.objects.all()] == [1, 1]
    assert SentMail.objects.count() == 2


def test_a_task_given_back_after_it_began_finishes_what_it_began():
    """The database lost after the confirmation's claim and before the e-mail left: the worker gives the
    task back (its try not counted), and the next run sends the e-mail rather than finding the claim."""
    (order,) = _orders(1)
    row = DBTaskResult.objects.get()
    Order.objects.filter(pk=order.pk).update(confirmation_sent_at=timezone.now())  # claimed by the first run
    row.claim("first")
    assert jobs.release(row) == 1
    with Sink() as sink, override_settings(TASKS=DATABASE_TASKS, **sink.email_settings()):
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "-v0")
        assert len(sink.messages) == 1 and order.code in sink.subjects()[0]
    row.refresh_from_db()
    assert row.status == "SUCCESSFUL" and jobs.tries_of(row) == 1 and len(row.worker_ids) == 2


def test_a_task_breaking_a_database_rule_spends_its_tries_and_fails_rather_than_waiting_for_ever(
    fast_retries,
):
    """An IntegrityError is the task's own error, not the database gone: before, the worker gave the task
    back without counting the try, and took it again, for ever."""
    order, refund = _card_refund()
    Payment.objects.create(  # the id the provider will answer is already another payment's
        order=order, provider="stripe", amount=Decimal("-1.00"), state="refunded", reference="re_standin1"
    )
    with override_settings(TASKS=DATABASE_TASKS):
        result = refund_to_provider.enqueue(payment_id=refund.pk)
    StripeStandIn.keys, StripeStandIn.refunds = [], {}
    StripeStandIn.answer_first.set()
    server, stripe = serve(StripeStandIn)
    try:
        with override_settings(TASKS=DATABASE_TASKS, **stripe):
            call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "-v0")
    finally:
        server.shutdown()
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == "FAILED" and jobs.tries_of(row) == 12  # refund_to_provider's tries
    assert FailedJob.objects.get(task_id=row.pk).error == "IntegrityError"
    assert len(StripeStandIn.refunds) == 1  # one refund at the provider, whatever the tries


def test_a_worker_waiting_for_the_mail_relay_stops_at_once_on_sigterm():
    """Waiting for a relay that refuses connections (up to 30 s between looks), the worker still stops as soon
    as it is told, the task back in its place with no try spent."""
    _orders(1)
    working = _worker(smtp_port=free_port(), extra={"PARVIS_WORKER_OUTAGE_MAX_S": "30"})
    try:
        long_wait = timezone.now() + datetime.timedelta(seconds=4)  # the 4th look waits 4 to 8 s
        wait(
            lambda: WorkerBeat.objects.filter(paused_until__gt=long_wait).exists(),
            seconds=60,
            what="the worker waiting long for the relay",
        )
        working.send_signal(signal.SIGTERM)
        working.wait(timeout=3)  # not the rest of its wait
    finally:
        if working.poll() is None:
            working.kill()
    row = DBTaskResult.objects.get()
    assert row.status == "READY" and jobs.tries_of(row) == 0

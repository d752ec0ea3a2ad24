"""A campaign's sender killed mid-send (a real `parvis db_worker` process, SIGKILL) loses nobody and
writes to nobody twice; a run that lost its rows to another abandons its message before the final dot
(issue 22). On SQLite and PostgreSQL."""

import signal
import threading
import time

import pytest
from django.db import connection
from django.test import override_settings

from parvis.core.tests.processes import parvis, parvis_env, stop, wait
from parvis.core.tests.smtp import Sink
from parvis.marketing import audience, delivery, services
from parvis.marketing.models import Campaign, Recipient

from .factories import campaign, person

DATABASE_TASKS = {"default": {"BACKEND": "parvis.core.background.DatabaseBackend"}}
pytestmark = pytest.mark.django_db(transaction=True)


def _worker(port: int):
    env = parvis_env(EMAIL_URL=f"smtp://127.0.0.1:{port}", PARVIS_CAMPAIGN_QUIET_HOURS="0,0")
    return parvis(["db_worker", "--interval", "0.1", "--no-startup-delay", "-v0"], env)


def test_a_sender_killed_mid_campaign_then_resumed_writes_to_each_person_once(organizer):
    for n in range(30):
        person(organizer, f"p{n:02d}@example.org", first=f"P{n}")
    letter = campaign(organizer)
    with override_settings(TASKS=DATABASE_TASKS, PARVIS_CAMPAIGN_PARTS=1):
        services.campaign_schedule(campaign=letter, actor=None)
    with Sink() as sink:
        sink.hold_at = 10  # the 10th message waits at its recipient: its sender is killed there
        first = _worker(sink.port)
        try:
            wait(sink.held.is_set, seconds=90, what="the 10th message")
            assert len(sink.messages) == 9
            assert Recipient.objects.filter(campaign=letter, state=Recipient.State.SENDING).exists()
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        sink.release()  # its connection is gone: the 10th was never given its final dot
        second = _worker(sink.port)
        try:
            wait(lambda: len(sink.messages) >= 30, seconds=90, what="30 messages")
            wait(
                lambda: Campaign.objects.get(pk=letter.pk).state == Campaign.State.SENT,
                seconds=30,
                what="the campaign sent",
            )
        finally:
            log = stop(second)
        time.sleep(0.3)
        received = sorted(m["To"] for m in sink.messages)
    assert received == [f"p{n:02d}@example.org" for n in range(30)], log  # each once
    assert Recipient.objects.filter(campaign=letter, state=Recipient.State.SENT).count() == 30


def test_a_run_whose_rows_were_taken_back_abandons_its_message_before_the_dot(organizer):
    """A run presumed dead (its lease expired while it waited) that was not: another run of its part takes
    its rows back; the first finds it no longer holds its row when it records it, and drops the message
    undelivered. The row is delivered once, by the run that holds it."""
    person(organizer, "ana@example.org")
    letter = campaign(organizer)
    audience.freeze(letter)
    Campaign.objects.filter(pk=letter.pk).update(state=Campaign.State.SENDING)
    with Sink() as sink, override_settings(**sink.email_settings()):
        sink.hold_at = 1
        outcome = {}

        def slow_run():
            try:
                delivery.part_send(letter, 0)
            except Exception as exc:  # noqa: BLE001 - recorded for the assertion
                outcome["error"] = exc
            finally:
                connection.close()

        thread = threading.Thread(target=slow_run)
        thread.start()
        wait(sink.held.is_set, seconds=30, what="the first run at the recipient")
        assert delivery.take_back(letter, 0) == 1  # the next run of the part starts
        sink.release()
        thread.join(timeout=30)
        assert Recipient.objects.get().state == Recipient.State.QUEUED
        assert sink.messages == []  # no final dot: nothing delivered
        sink.hold_at = None
        assert delivery.part_send(letter, 0) is None
        assert [m["To"] for m in sink.messages] == ["ana@example.org"]
    assert Recipient.objects.get().state == Recipient.State.SENT
    assert "error" not in outcome


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row claims under real concurrency: PostgreSQL")
def test_parts_and_a_second_run_of_one_part_side_by_side_write_to_each_person_once(organizer):
    """Two parts, and a run of part 0 started again while the first still sends (as after a lease lapsed
    during a pause), in real threads against one SMTP server: 120 people, 120 messages."""
    for n in range(120):
        person(organizer, f"p{n:03d}@example.org", first=f"P{n}")
    letter = campaign(organizer)
    Campaign.objects.filter(pk=letter.pk).update(parts=2)
    letter.refresh_from_db()
    audience.freeze(letter)
    Campaign.objects.filter(pk=letter.pk).update(state=Campaign.State.SENDING)
    with Sink() as sink, override_settings(**sink.email_settings()):
        barrier = threading.Barrier(3)

        def run(part):
            try:
                barrier.wait(timeout=10)
                delivery.part_send(letter, part)
            finally:
                connection.close()

        threads = [threading.Thread(target=run, args=(part,)) for part in (0, 1, 0)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        delivery.part_send(letter, 0)  # whatever a run taken over left queued
        delivery.part_send(letter, 1)
        received = sorted(m["To"] for m in sink.messages)
    assert received == [f"p{n:03d}@example.org" for n in range(120)]
    assert Recipient.objects.filter(campaign=letter, state=Recipient.State.SENT).count() == 120
    letter.refresh_from_db()
    assert letter.state == Campaign.State.SENT

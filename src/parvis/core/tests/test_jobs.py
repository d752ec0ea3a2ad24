"""What a failure means (`core.jobs.classify`), the delays between tries, stalled tasks taken back, and the
failed-jobs page of the staff (retry, dismiss, who may)."""

import datetime
import io
import json
import smtplib

import pytest
import stripe
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from parvis.core import jobs
from parvis.core.models import FailedJob, WorkerBeat
from parvis.network.models import OrganizerStaff, Role
from parvis.testing import OrganizerFactory, UserFactory, login_staff
from parvis.ticketing.tasks import send_order_confirmation
from parvis.ticketing.tests.factories import buy, on_sale_performance, tariff


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (smtplib.SMTPRecipientsRefused({"a@example.org": (451, b"later")}), jobs.TRANSIENT),
        (smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"no such user")}), jobs.PERMANENT),
        (smtplib.SMTPDataError(452, b"full"), jobs.TRANSIENT),
        (smtplib.SMTPDataError(554, b"rejected"), jobs.PERMANENT),
        (smtplib.SMTPResponseException(421, b"closing"), jobs.OUTAGE),
        (smtplib.SMTPServerDisconnected("gone"), jobs.OUTAGE),
        (ConnectionRefusedError(111, "refused"), jobs.OUTAGE),
        (ConnectionResetError(104, "reset"), jobs.OUTAGE),
        (TimeoutError("timed out"), jobs.OUTAGE),
        (OperationalError("server closed the connection"), jobs.OUTAGE),
        (stripe.APIConnectionError("unreachable"), jobs.OUTAGE),
        (stripe.APIError("oops", http_status=502), jobs.TRANSIENT),
        (stripe.RateLimitError("slow down", http_status=429), jobs.TRANSIENT),
        (
            stripe.InvalidRequestError("no such intent", param="payment_intent", http_status=400),
            jobs.PERMANENT,
        ),
        (jobs.Permanent("refused"), jobs.PERMANENT),
        (KeyError("ours"), jobs.TRANSIENT),
    ],
)
def test_what_a_failure_means(error, kind):
    assert jobs.classify(error) == kind


def test_delays_grow_exponentially_with_jitter_and_a_ceiling(settings):
    settings.PARVIS_TASK_DELAY_SCALE = 1.0
    rule = jobs.Policy(first_delay_s=10, max_delay_s=100)
    assert [jobs.delay_s(n, rule, rng=lambda: 1.0) for n in (1, 2, 3, 4, 5)] == [10, 20, 40, 80, 100]
    assert jobs.delay_s(3, rule, rng=lambda: 0.0) == 20  # half of it at least
    spread = {round(jobs.delay_s(3, rule), 3) for _ in range(50)}
    assert len(spread) > 40 and all(20 <= d <= 40 for d in spread)  # tried again apart, not together


def _running(*, worker: str, started_ago_s: float, tries: int = 1, order_id: int = 1) -> DBTaskResult:
    row = DBTaskResult.objects.create(
        status="RUNNING",
        args_kwargs={"args": [], "kwargs": {"order_id": order_id}},
        task_path=send_order_confirmation.module_path,
        backend_name="default",
        run_after=get_date_max(),
        worker_ids=[f"old{n}" for n in range(tries - 1)] + [worker],
        started_at=timezone.now() - datetime.timedelta(seconds=started_ago_s),
    )
    return row


def _beat(worker: str, ago_s: float) -> None:
    at = timezone.now() - datetime.timedelta(seconds=ago_s)
    WorkerBeat.objects.create(worker_id=worker, host="h", pid=1, started_at=at, beat_at=at)


@pytest.mark.django_db
def test_stalled_tasks_are_taken_back_in_their_place_and_fail_when_their_tries_are_spent(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.PARVIS_TASK_LEASE_S = 60
    order = buy(tariff(on_sale_performance(), price="20.00"))
    admin = UserFactory(email="admin@example.org")
    OrganizerStaff.objects.create(user=admin, organizer=order.organizer, role=Role.ADMINISTRATOR)
    _beat("alive", 5)
    _beat("dead", 300)
    long_task = _running(worker="alive", started_ago_s=600)  # a long task: its worker renews the lease
    killed = _running(worker="dead", started_ago_s=300)
    unknown = _running(worker="never-beat", started_ago_s=120)
    recent = _running(worker="dead", started_ago_s=10)  # claimed just now: the lease has not run out
    spent = _running(worker="dead", started_ago_s=300, tries=8, order_id=order.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.reap_stalled() == (2, 1)
    status = dict(DBTaskResult.objects.values_list("pk", "status"))
    assert status[long_task.pk] == "RUNNING" and status[recent.pk] == "RUNNING"
    assert status[killed.pk] == "READY" and status[unknown.pk] == "READY"
    assert DBTaskResult.objects.get(pk=killed.pk).run_after == get_date_max()  # its place in the queue
    assert status[spent.pk] == "FAILED"
    job = FailedJob.objects.get(task_id=spent.pk)
    assert (job.organizer, job.subject, job.tries) == (order.organizer, f"commande {order.code}", 8)
    assert "arrêté" in job.reason
    (notice,) = [m for m in mailoutbox if "tâche(s) en échec" in m.subject]  # immediate backend: at once
    assert notice.to == ["admin@example.org"] and order.code in notice.body


@pytest.mark.django_db
def test_parvis_health_names_the_workers_and_the_stalled(settings):
    settings.PARVIS_TASK_LEASE_S = 60
    _beat("w-alive-0001", 3)
    _running(worker="w-gone", started_ago_s=500)
    out = io.StringIO()
    call_command("health", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["tasks"]["stalled"] == 1
    (worker,) = report["workers"]
    assert worker["alive"] and worker["last_beat_age_s"] < 10
    text = io.StringIO()
    call_command("health", stdout=text)
    assert "worker w-alive-0001 on h pid 1: alive" in text.getvalue()


@pytest.mark.django_db
def test_a_failed_task_the_staff_have_not_handled_is_kept_past_the_purge():
    old = timezone.now() - datetime.timedelta(days=30)
    kept, gone = (_running(worker="x", started_ago_s=10, order_id=n) for n in (1, 2))
    DBTaskResult.objects.filter(pk__in=[kept.pk, gone.pk]).update(status="FAILED", finished_at=old)
    FailedJob.objects.create(
        task_id=kept.pk, task_path=kept.task_path, reason="r", error="E", tries=1, failed_at=old
    )
    assert jobs.purge_finished(days=7) == 1
    assert list(DBTaskResult.objects.values_list("pk", flat=True)) == [kept.pk]


def _failed_job(organizer) -> FailedJob:
    row = _running(worker="x", started_ago_s=10)
    DBTaskResult.objects.filter(pk=row.pk).update(status="FAILED", finished_at=timezone.now())
    return FailedJob.objects.create(
        task_id=row.pk,
        task_path=row.task_path,
        organizer=organizer,
        subject="commande ABC",
        reason="Le serveur de messagerie a répondu 550.",
        error="Bounced",
        tries=1,
        failed_at=timezone.now(),
    )


def _staff(organizer, role) -> object:
    user = UserFactory()
    OrganizerStaff.objects.create(user=user, organizer=organizer, role=role)
    return user


@pytest.mark.django_db
def test_the_failed_jobs_page_retries_and_dismisses_for_administrators_only(client):
    organizer, other = OrganizerFactory(), OrganizerFactory()
    job, dismissed = _failed_job(organizer), _failed_job(organizer)
    elsewhere = _failed_job(other)
    url = f"/staff/o/{organizer.slug}/taches-en-echec/"

    login_staff(client, _staff(organizer, Role.PROGRAMMING))
    assert client.get(url).status_code == 403
    assert client.post(f"{url}{job.pk}/retry/").status_code == 403
    login_staff(client, _staff(other, Role.ADMINISTRATOR))
    assert client.get(url).status_code == 404  # another organizer's

    admin = _staff(organizer, Role.ADMINISTRATOR)
    login_staff(client, admin)
    page = client.get(url).content.decode()
    assert "Envoi des billets" in page and "commande ABC" in page and "550" in page
    assert "2 tâches d'arrière-plan ont échoué définitivement" in page  # the banner
    assert client.post(f"{url}{elsewhere.pk}/retry/").status_code == 404

    response = client.post(f"{url}{job.pk}/retry/", follow=True)
    assert "Tâche relancée" in response.content.decode()
    row = DBTaskResult.objects.get(pk=job.task_id)
    assert (row.status, row.worker_ids, row.run_after) == ("READY", [], get_date_max())  # all its tries
    client.post(f"{url}{dismissed.pk}/dismiss/")
    dismissed.refresh_from_db()
    assert dismissed.dismissed_at is not None and dismissed.handled_by == admin
    assert DBTaskResult.objects.get(pk=dismissed.task_id).status == "FAILED"
    page = client.get(url).content.decode()
    assert "Aucune tâche en échec." in page and "ont échoué définitivement" not in page
    assert "Écartée le" in client.get(url + "?show=all").content.decode()
    again = client.post(f"{url}{job.pk}/retry/", follow=True).content.decode()
    assert "déjà été traitée" in again
    assert client.get(f"{url}{job.pk}/retry/").status_code == 405


@pytest.mark.django_db
def test_a_purged_task_cannot_be_retried_and_says_so(client):
    organizer = OrganizerFactory()
    job = _failed_job(organizer)
    DBTaskResult.objects.filter(pk=job.task_id).delete()
    login_staff(client, _staff(organizer, Role.ADMINISTRATOR))
    page = client.post(f"/staff/o/{organizer.slug}/taches-en-echec/{job.pk}/retry/", follow=True)
    assert "ne peut plus être relancée" in page.content.decode()
    job.refresh_from_db()
    assert job.open

"""Background work enqueued so that it happens only if the transaction commits (`core.background`)."""

import datetime

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from parvis.core.background import enqueue_on_commit
from parvis.ticketing.tasks import send_order_confirmation

DATABASE_TASKS = {"default": {"BACKEND": "parvis.core.background.DatabaseBackend"}}
IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_TASKS)
def test_with_the_database_backend_the_task_row_commits_or_rolls_back_with_the_transaction(
    django_assert_num_queries,
):
    with transaction.atomic():
        with django_assert_num_queries(1):  # its row, in this transaction: no hook, no transaction of its own
            enqueue_on_commit(send_order_confirmation, order_id=1)
        assert DBTaskResult.objects.filter(args_kwargs__kwargs__order_id=1).exists()
    assert DBTaskResult.objects.filter(args_kwargs__kwargs__order_id=1).count() == 1

    class Failed(Exception):
        pass

    with pytest.raises(Failed), transaction.atomic():
        enqueue_on_commit(send_order_confirmation, order_id=2)
        raise Failed
    assert not DBTaskResult.objects.filter(args_kwargs__kwargs__order_id=2).exists()

    enqueue_on_commit(send_order_confirmation, order_id=3)  # outside a transaction: at once
    assert DBTaskResult.objects.filter(args_kwargs__kwargs__order_id=3).exists()


RAN = []


@task
def remember(*, value: int) -> None:
    RAN.append(value)


@pytest.mark.django_db
@override_settings(TASKS=IMMEDIATE_TASKS)
def test_other_backends_are_called_when_the_transaction_commits(django_capture_on_commit_callbacks):
    RAN.clear()
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        enqueue_on_commit(remember, value=4)
        assert RAN == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert RAN == [4]


@pytest.mark.django_db
@override_settings(TASKS=DATABASE_TASKS)
def test_the_task_row_is_the_one_django_tasks_db_writes():
    import datetime

    from django.utils import timezone
    from django_tasks_db.models import get_date_max

    result = send_order_confirmation.enqueue(order_id=5)
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.run_after == get_date_max()  # what the library's pre_save receiver sets: run now
    assert (row.status, row.args_kwargs, row.backend_name) == (
        "READY",
        {"args": [], "kwargs": {"order_id": 5}},
        "default",
    )
    assert DBTaskResult.objects.ready().filter(pk=row.pk).exists()  # a worker takes it
    later = timezone.now() + datetime.timedelta(hours=1)
    deferred = send_order_confirmation.using(run_after=later).enqueue(order_id=6)
    assert DBTaskResult.objects.get(pk=deferred.id).run_after == later
    assert not DBTaskResult.objects.ready().filter(pk=deferred.id).exists()
    assert send_order_confirmation.get_backend().get_result(result.id).status == "READY"


@pytest.mark.django_db
@override_settings(TASKS=DATABASE_TASKS)
def test_enqueueing_returns_the_result_and_announces_it_once():
    from django_tasks.signals import task_enqueued

    announced = []

    def receiver(sender, task_result, **kwargs):
        announced.append(task_result)

    task_enqueued.connect(receiver)
    try:
        result = send_order_confirmation.enqueue(order_id=7)
    finally:
        task_enqueued.disconnect(receiver)
    assert [r.id for r in announced] == [result.id] and announced[0] is result
    assert (result.status, result.kwargs, result.task.func) == (
        "READY",
        {"order_id": 7},
        send_order_confirmation.func,
    )
    assert DBTaskResult.objects.filter(pk=result.id, task_path=send_order_confirmation.module_path).exists()


@pytest.mark.django_db
@override_settings(TASKS=DATABASE_TASKS)
def test_the_result_built_with_the_task_in_hand_is_the_librarys():
    import dataclasses
    import datetime

    from django.utils import timezone

    later = timezone.now() + datetime.timedelta(hours=1)
    for enqueued in (send_order_confirmation, send_order_confirmation.using(run_after=later, priority=3)):
        ours = enqueued.enqueue(order_id=8)
        library = DBTaskResult.objects.get(pk=ours.id).task_result  # the task imported again by its path
        for field in dataclasses.fields(library):
            if field.name != "db_result":
                assert getattr(ours, field.name) == getattr(library, field.name), field.name
        assert (ours.task.run_after, ours.task.priority) == (enqueued.run_after, enqueued.priority)


@pytest.mark.django_db
@override_settings(TASKS=DATABASE_TASKS)
def test_a_task_is_checked_once_unless_it_has_a_date(monkeypatch):
    import datetime

    from django.utils import timezone

    backend = send_order_confirmation.get_backend()
    checked = []
    monkeypatch.setattr(backend, "validate_task", lambda task: checked.append(task))
    for n in range(3):
        send_order_confirmation.enqueue(order_id=n)
    assert checked == [send_order_confirmation]
    later = timezone.now() + datetime.timedelta(hours=1)
    for n in range(2):
        deferred = send_order_confirmation.using(run_after=later + datetime.timedelta(minutes=n))
        checked.clear()  # a copy is checked as it is made, by the library
        deferred.enqueue(order_id=n)
        assert checked == [deferred]  # and again by the backend: not kept
    assert DBTaskResult.objects.count() == 5


# The database worker makes way for the sale while the machine is busy (core/management/commands/db_worker).


def test_the_machines_processor_time_is_read_from_proc_stat(tmp_path):
    from parvis.core.management.commands.db_worker import cpu_times

    stat = tmp_path / "stat"
    stat.write_text("cpu  100 5 50 800 20 3 2 1 9 0\ncpu0 50 2 25 400 10 1 1 0 4 0\n")
    assert cpu_times(str(stat)) == (820, 981)  # idle with disk waits; guest time is in user time already
    stat.write_text("cpu  garbage\n")
    assert cpu_times(str(stat)) is None
    assert cpu_times(str(tmp_path / "missing")) is None


def test_the_idle_share_left_by_the_other_processes_is_measured_since_the_last_look():
    from parvis.core.management.commands.db_worker import MachineLoad

    samples = iter([(800, 1000), (820, 1030), (850, 1200), (850, 1300), (950, 1400)])
    own = iter([0.0, 0.1, 0.5, 0.5, 0.5])  # the worker's own processor time, in seconds
    load = MachineLoad(sample=lambda: next(samples), own=lambda: next(own), ticks_per_s=100)
    assert load.idle_share() is None  # 30 ticks: too short to tell, added to the next look
    # 200 ticks, 50 idle, 50 of them the worker's own: the others left 100 idle
    assert load.idle_share() == 0.5
    assert load.idle_share() == 0.0  # 100 ticks, all of them the others' (a rush)
    assert load.idle_share() == 1.0
    unreadable = MachineLoad(sample=lambda: None)  # not Linux: no measure, no wait
    assert unreadable.idle_share() is None


class FakeLoad:
    def __init__(self, shares):
        self.shares = iter(shares)

    def idle_share(self):
        return next(self.shares)


class FakeClock:
    def __init__(self):
        self.now, self.slept = 0.0, []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_the_worker_waits_while_the_machine_is_busy_and_for_a_bounded_time():
    from parvis.core.management.commands.db_worker import make_way

    def wait(shares, max_seconds):
        clock = FakeClock()
        waited = make_way(
            FakeLoad(shares),
            idle_below=0.25,
            max_seconds=max_seconds,
            sleep=clock.sleep,
            clock=clock,
        )
        return waited, clock.slept

    assert wait([0.05, 0.10, 0.60], 30) == (2, [1.0, 1.0])  # a rush, then it ends
    assert wait([0.0] * 10, 2.5) == (2.5, [1.0, 1.0, 0.5])  # busy for good: then the next task
    assert wait([0.9], 30) == (0, [])  # a quiet machine: no wait between tasks
    assert wait([None], 30) == (0, [])  # too soon to tell, or no measure


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_TASKS, PARVIS_WORKER_YIELD_IDLE=0.3, PARVIS_WORKER_YIELD_MAX_S=7)
def test_parvis_db_worker_makes_way_after_each_task(monkeypatch):
    from django.core.management import call_command
    from django_tasks.signals import task_finished

    from parvis.core.management.commands import db_worker

    RAN.clear()
    waits = []

    def make_way(load, **kwargs):
        recorded = DBTaskResult.objects.filter(status="SUCCESSFUL").count()
        waits.append((RAN[:], recorded, kwargs))

    monkeypatch.setattr(db_worker, "make_way", make_way)
    remember.using(backend="default").enqueue(value=1)
    remember.using(backend="default").enqueue(value=2)
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    assert sorted(RAN) == [1, 2] and DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 2
    # After each task, once it has run and is recorded as done: stopping the worker then loses nothing.
    assert [(len(ran), recorded) for ran, recorded, _ in waits] == [(1, 1), (2, 2)]
    assert waits[0][2] == {"idle_below": 0.3, "max_seconds": 7}
    assert not [r for r in task_finished.receivers if r[0][0] == db_worker.RECEIVER_UID]  # only while it runs

    waits.clear()
    remember.using(backend="default").enqueue(value=3)
    with override_settings(PARVIS_WORKER_YIELD_MAX_S=0):  # turned off
        call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    assert sorted(RAN) == [1, 2, 3] and waits == []


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_TASKS, PARVIS_TASK_RESULTS_DAYS=7)
def test_the_worker_forgets_finished_work_after_its_days():
    now = timezone.now()

    def row(status, days_ago):
        finished = now - datetime.timedelta(days=days_ago) if status != "READY" else None
        return DBTaskResult.objects.create(
            args_kwargs={"args": [], "kwargs": {"order_id": 1}},
            task_path="parvis.ticketing.tasks.send_order_confirmation",
            backend_name="default",
            queue_name="default",
            run_after=now + datetime.timedelta(days=365),  # not due: the worker leaves it
            status=status,
            finished_at=finished,
        ).pk

    old_done, old_failed, recent, waiting = (
        row("SUCCESSFUL", 8),
        row("FAILED", 30),
        row("SUCCESSFUL", 1),
        row("READY", 0),
    )
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {recent, waiting}
    assert old_done and old_failed

"""Background work enqueued so that it happens only if the transaction commits (`core.background`)."""

import pytest
from django.db import transaction
from django.test import override_settings
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

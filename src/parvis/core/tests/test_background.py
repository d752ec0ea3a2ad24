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

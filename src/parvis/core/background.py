"""Background work that must happen only if the current transaction commits (e-mails, refunds at a provider).

`enqueue_on_commit` writes the task's row inside the transaction when the tasks live in the same database
(the default, database backend): the row commits with the sale or disappears with its rollback, a worker
cannot see it before the commit, and nothing is lost if the process dies between the commit and a hook.
It costs the sale no transaction of its own. Other backends (Redis, immediate) are called at commit.

`DatabaseBackend` is django-tasks' database backend writing its row with the INSERT compiled once
(`core.compiled.insert_many`): every sale enqueues its e-mail, and the ORM's `create()` was a tenth of an API
order's CPU.
"""

from django.db import DEFAULT_DB_ALIAS, connection, router, transaction
from django_tasks.base import Task
from django_tasks_db import backend as db_backend
from django_tasks_db.compat import normalize_json, task_enqueued

from .compiled import insert_many


class DatabaseBackend(db_backend.DatabaseBackend):
    def enqueue(self, task, args, kwargs):
        # As the library does, with its result built once (its `task_result` imports the task by its path
        # and copies it each time it is read).
        self.validate_task(task)
        result = self._task_to_db_task(task, args, kwargs).task_result
        task_enqueued.send(type(self), task_result=result)
        return result

    def _task_to_db_task(self, task, args, kwargs):
        from django_tasks_db.models import DBTaskResult, get_date_max

        # The row as the library writes it; `run_after` as its pre_save receiver sets it (insert_many,
        # like bulk_create, sends no signal).
        [row] = insert_many(
            [
                DBTaskResult(
                    id=self._get_id(),
                    args_kwargs=normalize_json({"args": args, "kwargs": kwargs}),
                    priority=task.priority,
                    task_path=task.module_path,
                    queue_name=task.queue_name,
                    run_after=task.run_after or get_date_max(),
                    backend_name=self.alias,
                )
            ]
        )
        return row


def enqueue_on_commit(task: Task, **kwargs) -> None:
    if connection.in_atomic_block and _in_this_database(task):
        task.enqueue(**kwargs)
    else:
        transaction.on_commit(lambda: task.enqueue(**kwargs))


def _in_this_database(task: Task) -> bool:
    from django_tasks_db.models import DBTaskResult

    return (
        isinstance(task.get_backend(), db_backend.DatabaseBackend)
        and router.db_for_write(DBTaskResult) == DEFAULT_DB_ALIAS
    )

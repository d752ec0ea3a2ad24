"""Background work that must happen only if the current transaction commits (e-mails, refunds at a provider).

`enqueue_on_commit` writes the task's row inside the transaction when the tasks live in the same database
(the default, database backend): the row commits with the sale or disappears with its rollback, a worker
cannot see it before the commit, and nothing is lost if the process dies between the commit and a hook.
It costs the sale no transaction of its own. Other backends (Redis, immediate) are called at commit.
"""

from django.db import DEFAULT_DB_ALIAS, connection, router, transaction
from django_tasks.base import Task


def enqueue_on_commit(task: Task, **kwargs) -> None:
    if connection.in_atomic_block and _in_this_database(task):
        task.enqueue(**kwargs)
    else:
        transaction.on_commit(lambda: task.enqueue(**kwargs))


def _in_this_database(task: Task) -> bool:
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    return (
        isinstance(task.get_backend(), DatabaseBackend)
        and router.db_for_write(DBTaskResult) == DEFAULT_DB_ALIAS
    )

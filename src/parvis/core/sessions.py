"""Django's database sessions, read and written with statements written once per process.

Every page a visitor with a session opens reads it (`AuthenticationMiddleware` asks whom it belongs to), so
the ORM wrote the same SELECT nine times per checkout, and its INSERT or UPDATE on the pages that change it.
Keys, expiry, encoding and the rest are Django's own. Set as `SESSION_ENGINE = "parvis.core.sessions"`.
"""

import contextlib

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, UpdateError
from django.contrib.sessions.models import Session
from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string

from .compiled import CompiledQuery, insert

_live_session = CompiledQuery(
    Session,
    lambda key, now: Session.objects.filter(session_key=key, expire_date__gt=now).order_by("pk")[:1],
)
_session_key = CompiledQuery(
    Session, lambda key: Session.objects.filter(session_key=key).values_list("session_key").order_by()[:1]
)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        session = next(iter(_live_session(self.session_key, timezone.now())), None)
        if session is None:
            self._session_key = None
        return session

    def exists(self, session_key):
        return bool(_session_key(session_key))

    def _get_new_session_key(self):
        """A new key without asking whether it is taken: every new key is written by an INSERT that fails on a
        taken key, and `create()` then draws another (Django asks first: a statement per new session, for a
        collision of 32 random characters)."""
        return get_random_string(32, VALID_KEY_CHARS)

    def save(self, must_create=False):
        """As Django's: a new session's key must be new (else CreateError), an existing one must still be
        there (else UpdateError)."""
        if self.session_key is None:
            return self.create()
        session = self.create_model_instance(self._get_session(no_load=must_create))
        using = router.db_for_write(Session, instance=session)
        connection = connections[using]
        # Inside a transaction a failed statement needs its savepoint; on its own it needs none.
        with transaction.atomic(using=using) if connection.in_atomic_block else contextlib.nullcontext():
            if must_create:
                try:
                    insert(session)
                except IntegrityError:
                    raise CreateError from None
            elif not _update(session, connection):
                raise UpdateError


def _update(session: Session, connection) -> bool:
    table, data, expiry, key = map(
        connection.ops.quote_name, (Session._meta.db_table, "session_data", "expire_date", "session_key")
    )
    expire_date = Session._meta.get_field("expire_date").get_db_prep_save(session.expire_date, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {data} = %s, {expiry} = %s WHERE {key} = %s",  # noqa: S608
            [session.session_data, expire_date, session.session_key],
        )
        return cursor.rowcount == 1

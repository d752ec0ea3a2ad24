"""Sessions (`SESSION_ENGINE = "parvis.core.sessions"`): a buyer's in a signed cookie, the others in the
database.

A visitor who only buys keeps little in the session: the cart's token, the checkouts just made, the member
card and passes opened in this browser. Kept in the database, that session was read on every page of a
checkout and written twice (8 of its 65 statements), and the table gained a row per visitor of a 100,000
visitor biennale. Such a session lives in its cookie instead, signed (it cannot be forged or altered; the
cart's token was already a secret the browser held) and expiring as a database session does.

Any other key (signing in, the two-factor step, the box office's last sale) moves the session into the
database for good, under a new random key: what proves who someone is is never in a cookie that a copy
could replay after logging out. A session that outgrows `COOKIE_LIMIT` moves there too.

In the database, sessions are read and written with statements written once per process (every page a
visitor with a session opens reads it: `AuthenticationMiddleware` asks whom it belongs to). Keys, expiry,
encoding and the rest are Django's own. With a shared cache, `parvis.core.cached_sessions` reads the
database sessions through it. Django's synchronous session interface only (Parvis is served by WSGI).
"""

import contextlib

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, UpdateError
from django.contrib.sessions.models import Session
from django.core import signing
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


# What buying keeps in the session (ticketing, memberships and passes views): nothing saying who one is.
BUYER_KEYS = frozenset({"parvis_cart", "parvis_checkouts", "parvis_membership", "parvis_passes"})
COOKIE_LIMIT = 2048  # characters of the signed value: far below the 4 kB browsers keep for a cookie
_SALT = "parvis.core.sessions.buyer"


def _in_cookie(session_key: str | None) -> bool:
    """A signed value holds ':' separators; the database's random keys are letters and digits."""
    return bool(session_key) and ":" in session_key


class BuyerCookieMixin:
    """A session that holds only `BUYER_KEYS` lives in its signed cookie (its key is the signed data)."""

    def load(self):
        if not _in_cookie(self.session_key):
            return super().load()
        try:
            data = signing.loads(
                self.session_key,
                salt=_SALT,
                serializer=self.serializer,
                max_age=self.get_session_cookie_age(),
            )
        except (signing.BadSignature, ValueError):  # altered, expired, or not ours: a new, empty session
            data = None
        if not isinstance(data, dict) or not data.keys() <= BUYER_KEYS:
            self._session_key = None
            return {}
        return data

    def save(self, must_create=False):
        data = self._get_session(no_load=must_create)
        if (self.session_key is None or _in_cookie(self.session_key)) and data.keys() <= BUYER_KEYS:
            signed = signing.dumps(data, salt=_SALT, serializer=self.serializer, compress=True)
            if len(signed) <= COOKIE_LIMIT:
                self._session_key = signed
                return
        if _in_cookie(self.session_key):  # into the database for good, under a new random key
            self._session_key = None
        super().save(must_create=must_create)

    def exists(self, session_key):
        return not _in_cookie(session_key) and super().exists(session_key)

    def delete(self, session_key=None):
        if session_key is None:
            session_key = self.session_key
        if session_key is not None and not _in_cookie(session_key):  # a cookie session has nothing kept here
            super().delete(session_key)


class DatabaseSessionStore(db.SessionStore):
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


class SessionStore(BuyerCookieMixin, DatabaseSessionStore):
    pass


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

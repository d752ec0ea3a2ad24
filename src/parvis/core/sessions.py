"""Django's database sessions, read with a statement written once per process.

Every page a visitor with a session opens reads it (`AuthenticationMiddleware` asks whom it belongs to), so
the ORM wrote the same SELECT nine times per checkout. Writing, expiry and the rest are Django's own.
Set as `SESSION_ENGINE = "parvis.core.sessions"`.
"""

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from .compiled import CompiledQuery

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

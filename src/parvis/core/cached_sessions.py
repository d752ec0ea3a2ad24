"""`parvis.core.sessions` with the database sessions read through the shared cache (Django's `cached_db`):
`SESSION_ENGINE = "parvis.core.cached_sessions"`, as production sets it when the cache is Redis."""

from django.contrib.sessions.backends import cached_db

from .sessions import BuyerCookieMixin


class SessionStore(BuyerCookieMixin, cached_db.SessionStore):
    pass

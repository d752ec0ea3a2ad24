"""Production settings: every secret and address must be given; nothing insecure is assumed.

A missing value fails at start-up with the variable's name (django-environ's ImproperlyConfigured).
"""

import os

from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DEBUG", "false")

from .base import *  # noqa: E402, F403
from .base import MIDDLEWARE, PARVIS_TASKS_BACKEND, STORAGES, env, postgresql_tuned  # noqa: E402

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY")
PARVIS_KEY_ENCRYPTION_KEY = env.str("PARVIS_KEY_ENCRYPTION_KEY")  # 32 random bytes, base64
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
PARVIS_BASE_URL = env.str("PARVIS_BASE_URL").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[PARVIS_BASE_URL])
DATABASES = {"default": postgresql_tuned(env.db("DATABASE_URL"))}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
vars().update(env.email_url("EMAIL_URL"))
# One cache shared by every worker process: the log-in throttles count failures across all of them (a
# per-process memory cache would multiply the limit by the number of workers and forget it at each restart).
CACHES = {"default": env.cache("CACHE_URL")}
if CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    raise ImproperlyConfigured(
        "CACHE_URL: use a cache shared by the workers (redis://… or dbcache://parvis_cache after "
        "`parvis createcachetable`), not the per-process memory"
    )
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    SESSION_ENGINE = "parvis.core.cached_sessions"  # staff sessions read from Redis, kept in the database
PARVIS_DEV_OUTBOX = False
PARVIS_PAYMENT_PROVIDERS = env.list("PARVIS_PAYMENT_PROVIDERS", default=["free", "stripe"])
if "demo" in PARVIS_PAYMENT_PROVIDERS:
    raise ImproperlyConfigured("PARVIS_PAYMENT_PROVIDERS: the demo provider is refused in production")
if PARVIS_TASKS_BACKEND == "immediate":
    raise ImproperlyConfigured("PARVIS_TASKS_BACKEND=immediate is for tests; use database or rq")

STORAGES = {  # the private storage of base is kept
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # a load balancer probes over plain HTTP
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_AGE = 60 * 60 * 12
MIDDLEWARE = list(MIDDLEWARE)

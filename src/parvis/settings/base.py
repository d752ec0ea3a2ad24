"""Settings shared by every environment, read from environment variables.

The defaults let a newcomer run Parvis with nothing configured: SQLite under var/, e-mails kept in a
development outbox, tasks in the database. production.py removes the defaults that are unsafe.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

SRC_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = SRC_DIR.parent.parent
VAR_DIR = Path(environ.Env().str("PARVIS_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="parvis-development-only-not-secret-5f1c0d9e8b7a")
# Seals the private signing keys in the database (core.keyvault); empty: derived from SECRET_KEY (dev only).
PARVIS_KEY_ENCRYPTION_KEY = env.str("PARVIS_KEY_ENCRYPTION_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
PARVIS_BASE_URL = env.str("PARVIS_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[PARVIS_BASE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "parvis.core",  # before django_tasks_db: its `db_worker` command is Parvis's (core/management)
    "django_tasks",
    "django_tasks_db",
    "parvis.web",
    "parvis.accounts",
    "parvis.network",
    "parvis.programming",
    "parvis.ticketing",
    "parvis.seating",
    "parvis.online",
    "parvis.groups",
    "parvis.checkin",
    "parvis.market",
    "parvis.crm",
    "parvis.boxoffice",
    "parvis.passes",
    "parvis.memberships",
    "parvis.recommendations",
    "parvis.marketing",
    "parvis.analytics",
    "parvis.opendata",
    "parvis.declarations",
    "anymail",  # the e-mail providers' webhooks (bounces, complaints), read by parvis.marketing.inbound
    "parvis.api",
    "parvis.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "parvis.core.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "parvis.core.middleware.RejectNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "parvis.core.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "parvis.accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "parvis.urls"
WSGI_APPLICATION = "parvis.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "parvis.web.context_processors.site",
                "parvis.network.staff_nav.staff_nav",
            ],
        },
    },
]

VAR_DIR.mkdir(parents=True, exist_ok=True)


def postgresql_tuned(database: dict) -> dict:
    """A PostgreSQL database as Parvis runs it (here and in production settings)."""
    if not database["ENGINE"].endswith("postgresql"):
        return database
    # Bulk operations batched under 65,535 values; health checks without a round trip (core/postgresql).
    database["ENGINE"] = "parvis.core.postgresql"
    options = database.setdefault("OPTIONS", {})
    # PostgreSQL's JIT compiles a segment's query for longer than it takes to run (0.3 s of 0.5 s measured).
    options.setdefault("options", "-c jit=off")
    if env.bool("PG_PREPARED_STATEMENTS", default=True):
        # Values sent apart from the SQL, and a statement run 5 times on a connection prepared: PostgreSQL
        # then skips parsing and planning it. Its CPU per door scan fell from 1.37 to 0.77 ms, per API order
        # from 3.7 to 2.3 ms (bench/). Behind PgBouncer in transaction mode, use PgBouncer 1.21 or later with
        # max_prepared_statements, or set PG_PREPARED_STATEMENTS=false.
        options.setdefault("server_side_binding", True)
        options.setdefault("prepare_threshold", 5)
    return database


DATABASES = {
    "default": postgresql_tuned(env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'parvis.sqlite3'}"))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One writer at a time: wait for the lock instead of failing, and take it at BEGIN so that
    # a read-then-write transaction never dead-ends on an upgrade ("database is locked").
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://parvis")}

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "staff:home"
LOGOUT_REDIRECT_URL = "accounts:login"
# Failed log-ins allowed per account and per address before a pause.
PARVIS_LOGIN_MAX_FAILURES = env.int("PARVIS_LOGIN_MAX_FAILURES", default=5)
PARVIS_LOGIN_LOCKOUT_SECONDS = env.int("PARVIS_LOGIN_LOCKOUT_SECONDS", default=900)

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [SRC_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Paris")
USE_I18N = True
USE_TZ = True
PARVIS_CURRENCY = "EUR"
# Minutes a cart keeps its places; enabled payment providers (the demo one is refused in production).
PARVIS_HOLD_MINUTES = env.int("PARVIS_HOLD_MINUTES", default=15)
PARVIS_PAYMENT_PROVIDERS = env.list(
    "PARVIS_PAYMENT_PROVIDERS", default=["free", "demo", "transfer", "stripe"]
)
# Stripe (hosted Checkout + webhooks): the provider is offered only when both values are set.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")  # empty: Stripe's own
if STRIPE_SECRET_KEY:
    # Buyers are sent to Stripe's hosted page after the checkout form; no Stripe script on our pages.
    PARVIS_CSP_OVERRIDES = {"form-action": "'self' https://checkout.stripe.com"}

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Documents only staff may read (a professional's proof): never under MEDIA_URL, served by permission-checked
# views (`core.files`).
PRIVATE_ROOT = Path(env.str("PRIVATE_ROOT", default=str(VAR_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_ROOT, "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# E-mail: "outbox://" keeps messages in the database, readable at /dev/outbox/ (development only).
EMAIL_URL = env.str("EMAIL_URL", default="outbox://")
if EMAIL_URL.startswith("outbox://"):
    EMAIL_BACKEND = "parvis.core.mail.OutboxEmailBackend"
else:
    vars().update(environ.Env.email_url_config(EMAIL_URL))
# A relay that stops answering fails the try after this many seconds (a task never hangs on it).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Parvis <billetterie@parvis.localhost>")
PARVIS_DEV_OUTBOX = env.bool("PARVIS_DEV_OUTBOX", default=DEBUG)
# Campaigns: senders working side by side per campaign, messages per second each (0: as fast as the relay
# takes them), and the quiet hours (local time, from–to) when no campaign is sent.
# An e-mail provider's webhooks (bounces, complaints, unsubscribes), at /retours/fournisseur/<provider>/
# tracking/, are open only with this "user:password" (HTTP basic authentication the provider sends).
ANYMAIL_WEBHOOK_SECRET = env.str("ANYMAIL_WEBHOOK_SECRET", default="")
ANYMAIL = {"WEBHOOK_SECRET": ANYMAIL_WEBHOOK_SECRET} if ANYMAIL_WEBHOOK_SECRET else {}
PARVIS_CAMPAIGN_PARTS = env.int("PARVIS_CAMPAIGN_PARTS", default=2)
PARVIS_CAMPAIGN_RATE_PER_PART = env.float("PARVIS_CAMPAIGN_RATE_PER_PART", default=0)
PARVIS_CAMPAIGN_QUIET_HOURS = tuple(env.list("PARVIS_CAMPAIGN_QUIET_HOURS", cast=int, default=[21, 8]))
# The share of the people who consented to personalised recommendations who get the common list instead,
# to measure what the recommendations change (an organizer sets its own in its recommendations' settings).
PARVIS_RECO_HOLDOUT_PERCENT = env.int("PARVIS_RECO_HOLDOUT_PERCENT", default=10)
# The dashboards' rollups follow the sales about this many seconds behind, through the task worker (0: only
# when a dashboard is read, which always brings them up to date first).
PARVIS_ANALYTICS_SETTLE_AFTER_S = env.float("PARVIS_ANALYTICS_SETTLE_AFTER_S", default=10.0)
# The audiences and circulation boards are computed again at most this often (a "recompute" link forces it).
PARVIS_ANALYTICS_KEEP_S = env.int("PARVIS_ANALYTICS_KEEP_S", default=300)
# Webhooks call https addresses on the Internet only, unless these allow plain http or an internal
# machine (a receiver on the same host in development).
PARVIS_WEBHOOKS_ALLOW_HTTP = env.bool("PARVIS_WEBHOOKS_ALLOW_HTTP", default=DEBUG)
PARVIS_WEBHOOKS_ALLOW_PRIVATE = env.bool("PARVIS_WEBHOOKS_ALLOW_PRIVATE", default=DEBUG)
PARVIS_SYNC_REQUESTS_PER_MIN = env.int("PARVIS_SYNC_REQUESTS_PER_MIN", default=600)  # per sync token
# `parvis analytics purge` keeps the change feed this long (a sync client away longer starts over).
PARVIS_FEED_KEEP_DAYS = env.int("PARVIS_FEED_KEEP_DAYS", default=30)

# Background work: the database backend by default, RQ (Redis) for scale. Correctness never depends on
# a worker running: tasks only do work that can wait (e-mails, PDFs, statistics). With RQ the task is still
# written in the database, in the business transaction, and `parvis task_relay` hands it to Redis.
# SIBIL, the Ministry of Culture's ticketing information system (its API v2): where declarations go.
SIBIL_URL = env.str("SIBIL_URL", default="")

PARVIS_TASKS_BACKEND = env.str("PARVIS_TASKS_BACKEND", default="database")
_TASK_BACKENDS = {
    "database": "parvis.core.background.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "rq": "parvis.core.background.DatabaseBackend",  # the table is the outbox: core/relay.py
}
if PARVIS_TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"PARVIS_TASKS_BACKEND must be one of {', '.join(_TASK_BACKENDS)}, not {PARVIS_TASKS_BACKEND!r}"
    )
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[PARVIS_TASKS_BACKEND]}}
# The database worker waits after a task while the machine has less than this share of its processor idle
# (an on-sale rush), for this many seconds at most (0: never): core/management/commands/db_worker.py.
PARVIS_WORKER_YIELD_IDLE = env.float("PARVIS_WORKER_YIELD_IDLE", default=0.25)
PARVIS_WORKER_YIELD_MAX_S = env.float("PARVIS_WORKER_YIELD_MAX_S", default=30.0)
# Finished background work (done or failed) is kept this many days, then forgotten by the worker.
PARVIS_TASK_RESULTS_DAYS = env.float("PARVIS_TASK_RESULTS_DAYS", default=7.0)
# A task whose worker gave no sign of life for this many seconds is run again by another (core/jobs.py).
PARVIS_TASK_LEASE_S = env.float("PARVIS_TASK_LEASE_S", default=60.0)
# Delays before a task's next try are multiplied by this (tests and benchmarks shorten them).
PARVIS_TASK_DELAY_SCALE = env.float("PARVIS_TASK_DELAY_SCALE", default=1.0)
# A worker that cannot reach a service (the mail relay, the database) waits at most this long between looks.
PARVIS_WORKER_OUTAGE_MAX_S = env.float("PARVIS_WORKER_OUTAGE_MAX_S", default=30.0)
if PARVIS_TASKS_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq"]
    RQ_QUEUES = {"default": {"URL": env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")}}

FORM_RENDERER = "parvis.web.forms.InputRenderer"  # Django's widget templates, inputs written in Python
SESSION_ENGINE = "parvis.core.sessions"  # a buyer's in a signed cookie, others in the database
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

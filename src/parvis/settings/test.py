"""Settings for the test suite: fast hashing, tasks run at once, e-mails in memory."""

import os

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("PARVIS_TASKS_BACKEND", "immediate")

from .base import *  # noqa: E402, F403
from .base import DATABASES, PASSWORD_HASHERS, STORAGES, VAR_DIR  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]  # noqa: S303
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PARVIS_DEV_OUTBOX = True
ALLOWED_HOSTS = ["*"]
MEDIA_ROOT = "/tmp/parvis-test-media"  # noqa: S108
PRIVATE_TEST_ROOT = "/tmp/parvis-test-private"  # noqa: S108
STORAGES = {**STORAGES, "private": {**STORAGES["private"], "OPTIONS": {"location": PRIVATE_TEST_ROOT}}}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so that the concurrency tests' threads share one database (as in production).
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("PARVIS_TEST_SQLITE_NAME") or str(VAR_DIR / "test.sqlite3")
    }
# Every API answer a test observes must be declared in the OpenAPI document (status and error code).
MIDDLEWARE = ["parvis.testing.ApiContractMiddleware", *MIDDLEWARE]  # noqa: F405
PARVIS_CAMPAIGN_QUIET_HOURS = (0, 0)  # a test that needs quiet hours sets them
PARVIS_WEBHOOKS_ALLOW_HTTP = True  # the tests' receiver listens on 127.0.0.1
PARVIS_WEBHOOKS_ALLOW_PRIVATE = True
PARVIS_ANALYTICS_SETTLE_AFTER_S = 0  # tests that count the tasks a sale leaves see only the sale's
PARVIS_ANALYTICS_KEEP_S = 0  # every read computes the figures (one test turns the keeping on)
PARVIS_RECO_HOLDOUT_PERCENT = 0  # nobody held out, unless a test sets a share: picks do not depend on ids
ANYMAIL_WEBHOOK_SECRET = "provider:webhook-secret"  # noqa: S105 - the tests' own
ANYMAIL = {"WEBHOOK_SECRET": ANYMAIL_WEBHOOK_SECRET}

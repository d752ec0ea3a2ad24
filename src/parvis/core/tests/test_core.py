import os
import subprocess
import sys
from decimal import Decimal

import pytest
from django.utils import translation

from parvis.core.money import Money, format_money
from parvis.core.text import fold


def test_fold_removes_accents_case_and_extra_spaces():
    assert fold("Théâtre  de l'ŒUVRE") == "theatre de l'oeuvre"
    assert fold("Ça Évolue") == "ca evolue"


def test_money_is_decimal_and_rounded_per_currency():
    assert Money(Decimal("12.345")).amount == Decimal("12.35")
    assert (Money(Decimal("0.10")) * 3).amount == Decimal("0.30")
    with pytest.raises(TypeError):
        Money(0.1)
    with pytest.raises(ValueError):
        Money(Decimal(1), "EUR") + Money(Decimal(1), "CHF")


def test_money_is_formatted_per_language():
    assert (
        format_money(Money(Decimal("1234.5")), language="fr") == "1\u202f234,50\u00a0€"
        or format_money(Money(Decimal("1234.5")), language="fr").replace("\u00a0", " ").replace("\u202f", " ")
        == "1 234,50 €"
    )
    with translation.override("en"):
        assert format_money(Money(Decimal("1234.5"))) == "€1,234.50"


def _run_parvis(args, env):
    full_env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "DJANGO_SETTINGS_MODULE",
            "DEBUG",
            "PARVIS_TASKS_BACKEND",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    full_env.update(env)
    return subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-m", "parvis", *args], env=full_env, capture_output=True, text=True, timeout=120
    )


def test_production_settings_fail_loudly_naming_the_missing_variable(tmp_path):
    result = _run_parvis(
        ["check"], {"DJANGO_SETTINGS_MODULE": "parvis.settings.production", "PARVIS_VAR_DIR": str(tmp_path)}
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def _production_env(tmp_path, **changes) -> dict:
    """Real-looking production values; a change set to None removes the variable."""
    env = {
        "DJANGO_SETTINGS_MODULE": "parvis.settings.production",
        "PARVIS_VAR_DIR": str(tmp_path),
        "SECRET_KEY": "x" * 20 + "a-real-secret-key-with-enough-entropy-0123456789",
        "ALLOWED_HOSTS": "billetterie.example.org",
        "PARVIS_BASE_URL": "https://billetterie.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "EMAIL_URL": "smtp+tls://user:pw@smtp.example.org:587",
        "PARVIS_KEY_ENCRYPTION_KEY": "q3Jm0d6hX0b7yQm2Vw9cS5pZ1kT8nR4eL6uA2gH0fJc=",
        "CACHE_URL": "redis://127.0.0.1:6379/1",
    }
    env.update(changes)
    return {k: v for k, v in env.items() if v is not None}


def test_production_settings_pass_check_deploy_with_real_values(tmp_path):
    result = _run_parvis(["check", "--deploy", "--fail-level", "WARNING"], _production_env(tmp_path))
    assert result.returncode == 0, result.stderr + result.stdout


def test_production_refuses_the_immediate_task_backend(tmp_path):
    result = _run_parvis(["check"], _production_env(tmp_path, PARVIS_TASKS_BACKEND="immediate"))
    assert result.returncode != 0 and "PARVIS_TASKS_BACKEND" in result.stderr


@pytest.mark.parametrize("cache_url", [None, "locmemcache://parvis"])
def test_production_needs_a_cache_shared_by_the_workers(tmp_path, cache_url):
    """The log-in throttles must count across gunicorn's workers: no per-process memory cache."""
    result = _run_parvis(["check"], _production_env(tmp_path, CACHE_URL=cache_url))
    assert result.returncode != 0 and "CACHE_URL" in result.stderr


def test_production_sessions_are_read_from_redis_and_kept_in_the_database(tmp_path):
    code = "from django.conf import settings; print(settings.SESSION_ENGINE)"
    result = _run_parvis(["shell", "--no-imports", "-c", code], _production_env(tmp_path))
    assert result.stdout.strip() == "parvis.core.cached_sessions", result.stderr
    result = _run_parvis(
        ["shell", "--no-imports", "-c", code], _production_env(tmp_path, CACHE_URL="dbcache://parvis_cache")
    )
    assert result.stdout.strip() == "parvis.core.sessions", result.stderr  # database sessions, compiled


@pytest.mark.django_db
def test_outbox_backend_keeps_messages(settings):
    from django.core.mail import EmailMultiAlternatives

    from parvis.core.models import OutboxMessage

    settings.EMAIL_BACKEND = "parvis.core.mail.OutboxEmailBackend"
    message = EmailMultiAlternatives("Vos billets", "Texte", "a@example.org", ["b@example.org"])
    message.attach_alternative("<p>HTML</p>", "text/html")
    message.send()
    kept = OutboxMessage.objects.get()
    assert (kept.subject, kept.to, kept.html_body) == ("Vos billets", "b@example.org", "<p>HTML</p>")


@pytest.mark.django_db
def test_outbox_page_is_off_unless_enabled(client, settings):
    settings.PARVIS_DEV_OUTBOX = False
    assert client.get("/dev/outbox/").status_code == 404
    settings.PARVIS_DEV_OUTBOX = True
    assert client.get("/dev/outbox/").status_code == 200


@pytest.mark.django_db
def test_every_page_has_a_content_security_policy_without_third_parties(client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "http" not in policy


def test_no_page_template_sets_an_inline_style_the_policy_would_refuse():
    """`style-src 'self'` refuses inline `style` attributes and elements: a page that sets one is silently
    drawn without it (a category's colour lost). E-mails (no policy) may; pages use classes, or an SVG fill
    (`colour_dot`)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    found = [
        f"{path.relative_to(root)}: {match.group(0)}"
        for path in root.glob("*/templates/**/*.html")
        if "email" not in path.parts
        for match in re.finditer(r"<style\b|\sstyle=", path.read_text(encoding="utf-8"))
    ]
    assert len(list(root.glob("*/templates/**/*.html"))) > 100 and found == []


def test_gunicorn_starts_two_workers_per_core_unless_told(monkeypatch):
    import multiprocessing
    import runpy
    from pathlib import Path

    config = Path(__file__).resolve().parents[4] / "gunicorn.conf.py"
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    assert runpy.run_path(str(config))["workers"] == 2 * multiprocessing.cpu_count()
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert runpy.run_path(str(config))["workers"] == 3


def test_a_gunicorn_worker_loads_the_views_and_freezes_them_out_of_the_garbage_collector():
    import gc
    import runpy
    import sys
    from pathlib import Path

    config = Path(__file__).resolve().parents[4] / "gunicorn.conf.py"
    post_worker_init = runpy.run_path(str(config))["post_worker_init"]
    try:
        post_worker_init(worker=None)
        assert gc.get_freeze_count() > 0 and "parvis.ticketing.views" in sys.modules
    finally:
        gc.unfreeze()


@pytest.mark.django_db
def test_ids_no_database_can_hold_match_nothing_instead_of_failing():
    from django import forms

    from parvis.core.params import id_param
    from parvis.network.models import Venue
    from parvis.testing import VenueFactory

    venue = VenueFactory()
    huge = 10**20  # beyond a 64-bit integer: SQLite raised OverflowError, PostgreSQL an error
    assert list(Venue.objects.filter(pk__in=[venue.pk, huge])) == [venue]
    assert list(Venue.objects.filter(pk__in=[huge, -huge])) == []
    assert list(Venue.objects.exclude(pk__in=[huge])) == [venue]
    choice = forms.ModelMultipleChoiceField(queryset=Venue.objects.all())
    with pytest.raises(forms.ValidationError):
        choice.clean([str(huge)])
    assert list(choice.clean([str(venue.pk)])) == [venue]
    for junk in ("", "abc", "²", "-3", " 12 ", str(huge), "1e3"):
        assert id_param({"x": junk}, "x") == (12 if junk == " 12 " else 0)
    assert id_param({}, "x") == 0

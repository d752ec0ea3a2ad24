import time

import pyotp
import pytest
from django.conf import settings
from django.urls import reverse

from parvis.accounts.models import TOTPDevice
from parvis.network.models import Role
from parvis.testing import staff

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def _login(client, username, password=PASSWORD):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_argon2_is_the_production_hasher():
    from parvis.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_programmer_logs_in_with_a_password_only(client, organizer):
    user = staff(organizer, Role.PROGRAMMING)
    response = _login(client, user.username)
    assert response.status_code == 302
    assert client.get(reverse("staff:home")).status_code == 200


def test_wrong_password_is_refused_with_a_message(client, organizer):
    user = staff(organizer, Role.PROGRAMMING)
    response = _login(client, user.username, "wrong")
    assert response.status_code == 401
    assert "incorrect" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_failed_logins_are_throttled_even_with_the_right_password_afterwards(client, organizer):
    user = staff(organizer, Role.PROGRAMMING)
    for _ in range(settings.PARVIS_LOGIN_MAX_FAILURES):
        assert _login(client, user.username, "wrong").status_code == 401
    response = _login(client, user.username)
    assert response.status_code == 429
    assert "Trop de tentatives" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_throttling_is_per_account_too(client, organizer):
    victim = staff(organizer, Role.PROGRAMMING)
    other = staff(organizer, Role.PROGRAMMING)
    for _ in range(settings.PARVIS_LOGIN_MAX_FAILURES):
        _login(client, victim.username, "wrong")
    assert _login(client, other.username).status_code == 302


def test_administrator_must_enrol_two_factor_before_any_staff_page(client, organizer):
    admin = staff(organizer, Role.ADMINISTRATOR)
    assert _login(client, admin.username).status_code == 302
    response = client.get(reverse("staff:event_list", args=[organizer.slug]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:totp_setup"))

    page = client.get(reverse("accounts:totp_setup"))
    secret = page.context["secret"]
    assert b"data:image/svg+xml" in page.content
    assert client.post(reverse("accounts:totp_setup"), {"code": "000000"}).status_code == 200
    assert not TOTPDevice.objects.filter(user=admin).exists()

    response = client.post(reverse("accounts:totp_setup"), {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert TOTPDevice.objects.get(user=admin).secret == secret
    assert client.get(reverse("staff:event_list", args=[organizer.slug])).status_code == 200


def test_enrolled_user_needs_the_code_and_a_code_is_never_accepted_twice(client, organizer):
    admin = staff(organizer, Role.ADMINISTRATOR)
    secret = pyotp.random_base32()
    TOTPDevice.objects.create(user=admin, secret=secret, confirmed_at="2026-01-01T00:00:00Z")
    response = _login(client, admin.username)
    assert response["Location"].startswith(reverse("accounts:login_totp"))
    assert "_auth_user_id" not in client.session  # not logged in before the second factor

    assert client.post(reverse("accounts:login_totp"), {"code": "123456"}).status_code == 401
    code = pyotp.TOTP(secret).now()
    assert client.post(reverse("accounts:login_totp"), {"code": code}).status_code == 302
    assert client.get(reverse("staff:event_list", args=[organizer.slug])).status_code == 200

    client.post(reverse("accounts:logout"))
    _login(client, admin.username)
    assert client.post(reverse("accounts:login_totp"), {"code": code}).status_code == 401  # replay


def test_totp_accepts_one_step_of_clock_drift():
    from parvis.accounts.services import _matching_step

    secret = pyotp.random_base32()
    now = time.time()
    previous = pyotp.TOTP(secret).at(now - 30)
    assert _matching_step(secret, previous, at=now) is not None
    assert _matching_step(secret, pyotp.TOTP(secret).at(now - 120), at=now) is None
    assert _matching_step(secret, "abcdef", at=now) is None


def test_next_parameter_cannot_redirect_elsewhere(client, organizer):
    user = staff(organizer, Role.PROGRAMMING)
    response = client.post(
        reverse("accounts:login") + "?next=https://evil.example/",
        {"username": user.username, "password": PASSWORD},
    )
    assert response["Location"] == "/staff/"

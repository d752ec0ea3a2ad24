"""Staff authentication: throttled password check, TOTP enrolment and verification."""

import hashlib
import time

import pyotp
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from parvis.core.audit import audit_record
from parvis.core.params import is_digits

from .models import TOTPDevice

TOTP_STEP = 30


class LoginThrottled(Exception):
    def __init__(self, retry_after: int):
        self.retry_after = retry_after


def _throttle_keys(username: str, ip: str) -> list[str]:
    digest = hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]
    return [f"login-fail:user:{digest}", f"login-fail:ip:{ip}"]


def login_throttle_check(*, username: str, ip: str) -> None:
    """Raise LoginThrottled while the account or the address has too many recent failures."""
    limit = settings.PARVIS_LOGIN_MAX_FAILURES
    for key in _throttle_keys(username, ip):
        state = cache.get(key)
        if state and state["count"] >= limit * (4 if key.startswith("login-fail:ip") else 1):
            raise LoginThrottled(retry_after=max(1, int(state["until"] - time.time())))


def login_failure_record(*, username: str, ip: str) -> None:
    lockout = settings.PARVIS_LOGIN_LOCKOUT_SECONDS
    for key in _throttle_keys(username, ip):
        state = cache.get(key) or {"count": 0}
        state = {"count": state["count"] + 1, "until": time.time() + lockout}
        cache.set(key, state, lockout)


def login_failures_clear(*, username: str, ip: str) -> None:
    cache.delete(_throttle_keys(username, ip)[0])


def staff_authenticate(*, request, username: str, password: str, ip: str):
    """The user if the password is right; None otherwise. Raises LoginThrottled when locked out."""
    login_throttle_check(username=username, ip=ip)
    user = authenticate(request, username=username.strip(), password=password)
    if user is None:
        login_failure_record(username=username, ip=ip)
        return None
    login_failures_clear(username=username, ip=ip)
    return user


def totp_new_secret() -> str:
    return pyotp.random_base32()


def totp_provisioning_uri(*, secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name="Parvis")


def _matching_step(secret: str, code: str, *, at: float | None = None) -> int | None:
    code = "".join(code.split())
    if not (is_digits(code, max_len=6) and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = at if at is not None else time.time()
    step = int(now // TOTP_STEP)
    for candidate in (step, step - 1, step + 1):  # one step of clock drift each way
        if totp.at(candidate * TOTP_STEP) == code:
            return candidate
    return None


def totp_enrol(*, user, secret: str, code: str) -> TOTPDevice | None:
    step = _matching_step(secret, code)
    if step is None:
        return None
    with transaction.atomic():
        device, _created = TOTPDevice.objects.update_or_create(
            user=user, defaults={"secret": secret, "confirmed_at": timezone.now(), "last_used_step": step}
        )
        audit_record(actor=user, action="totp.enrol", instance=device, after={"user": user.pk})
    return device


def totp_verify(*, user, code: str, ip: str) -> bool:
    """Check a code against the user's device, refusing replays; failures count towards throttling."""
    login_throttle_check(username=user.get_username(), ip=ip)
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user).first()
        if device is None:
            return False
        step = _matching_step(device.secret, code)
        if step is None or step <= device.last_used_step:
            login_failure_record(username=user.get_username(), ip=ip)
            return False
        device.last_used_step = step
        device.save(update_fields=["last_used_step"])
    login_failures_clear(username=user.get_username(), ip=ip)
    return True

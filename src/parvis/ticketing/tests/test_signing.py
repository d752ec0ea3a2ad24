"""Ticket secrets: verifiable offline, unforgeable, bound to the organizer's keys, rotation and revocation."""

import base64
import datetime

import pytest
from django.utils import timezone

from parvis.core.testing import OrganizerFactory
from parvis.ticketing import signing

pytestmark = pytest.mark.django_db
UNTIL = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)


def test_sign_and_verify_offline_with_public_keys_only():
    organizer = OrganizerFactory()
    key = signing.signing_key_for(organizer)
    secret = signing.sign_ticket(key=key, performance_id=7, number=42, valid_until=UNTIL)
    assert len(secret) == 108 and secret.isascii()
    claims = signing.verify_secret(secret, signing.public_keys_of(organizer))
    assert (claims.number, claims.performance_id, claims.valid_until) == (42, 7, UNTIL)


def _flip(secret: str, index: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4)))
    raw[index] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


@pytest.mark.parametrize("index", [0, 3, 7, 11, 15, 20, 50, 80])
def test_any_altered_byte_is_refused(index):
    organizer = OrganizerFactory()
    secret = signing.sign_ticket(
        key=signing.signing_key_for(organizer), performance_id=2, number=1, valid_until=UNTIL
    )
    with pytest.raises(signing.InvalidSecret) as exc:
        signing.verify_secret(_flip(secret, index), signing.public_keys_of(organizer))
    assert exc.value.reason in {"bad_signature", "unknown_key", "malformed"}


def test_a_secret_of_another_organizer_is_refused():
    mine, theirs = OrganizerFactory(), OrganizerFactory()
    secret = signing.sign_ticket(
        key=signing.signing_key_for(theirs), performance_id=2, number=1, valid_until=UNTIL
    )
    with pytest.raises(signing.InvalidSecret) as exc:
        signing.verify_secret(secret, signing.public_keys_of(mine))
    assert exc.value.reason == "unknown_key"


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "x",
        "%%%%",
        "A" * 5000,
        "PV1.abc",
        "https://example.org/?t=1",
        base64.urlsafe_b64encode(bytes(81)).decode(),
        "\x00\x01",
        "é" * 100,
    ],
)
def test_garbage_is_refused_cleanly(garbage):
    with pytest.raises(signing.InvalidSecret) as exc:
        signing.verify_secret(garbage, {1: bytes(32)})
    assert exc.value.reason in {"malformed", "unknown_key", "bad_signature"}


def test_rotation_keeps_old_tickets_valid_and_revocation_does_not():
    organizer = OrganizerFactory()
    old = signing.signing_key_for(organizer)
    old_secret = signing.sign_ticket(key=old, performance_id=1, number=1, valid_until=UNTIL)
    new = signing.rotate_key(organizer)
    assert new.pk != old.pk and signing.signing_key_for(organizer).pk == new.pk
    assert signing.verify_secret(old_secret, signing.public_keys_of(organizer)).number == 1
    old.revoked_at = timezone.now()
    old.save()
    with pytest.raises(signing.InvalidSecret):
        signing.verify_secret(old_secret, signing.public_keys_of(organizer))

"""Ticket secrets: verifiable offline, unforgeable, bound to the organizer's keys, rotation and revocation."""

import base64
import datetime

import pytest
from django.utils import timezone

from parvis.testing import OrganizerFactory
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


@pytest.mark.django_db
def test_private_keys_are_sealed_at_rest_and_open_only_with_the_key_encryption_key(settings, organizer):
    import importlib

    from django.apps import apps

    from parvis.core import keyvault
    from parvis.ticketing.models import SigningKey

    key = signing.signing_key_for(organizer)
    stored = bytes(SigningKey.objects.get(pk=key.pk).private_key)
    assert len(stored) > 32 and stored[:1] == keyvault.VERSION
    raw = keyvault.unseal(stored)
    assert raw not in stored  # the private half is not in the row in the clear
    secret = signing.sign_ticket(key=key, performance_id=1, number=1, valid_until=timezone.now())
    assert signing.verify_secret(secret, signing.public_keys_of(organizer)).number == 1
    tampered = stored[:-1] + bytes([stored[-1] ^ 1])
    with pytest.raises(keyvault.SealBroken):
        keyvault.unseal(tampered)
    settings.PARVIS_KEY_ENCRYPTION_KEY = "q3Jm0d6hX0b7yQm2Vw9cS5pZ1kT8nR4eL6uA2gH0fJc="
    with pytest.raises(keyvault.SealBroken):  # another key-encryption key opens nothing
        keyvault.unseal(stored)
    # A key stored raw before sealing existed is sealed by the migration.
    SigningKey.objects.filter(pk=key.pk).update(private_key=raw)
    migration = importlib.import_module("parvis.ticketing.migrations.0016_sealed_signing_keys")
    migration.seal_raw_keys(apps, None)
    assert keyvault.unseal(SigningKey.objects.get(pk=key.pk).private_key) == raw


def test_the_signing_key_is_read_once_per_process_for_a_few_seconds(monkeypatch, django_assert_num_queries):
    organizer = OrganizerFactory()
    key = signing.signing_key_for(organizer)  # created: not kept (its transaction could roll back)
    assert signing.signing_key_for(organizer).pk == key.pk
    with django_assert_num_queries(0):
        assert signing.signing_key_for(organizer).pk == key.pk
    # Rotated in another process (no signal here): this one signs with the retired key a few seconds more,
    # and what it signs stays valid.
    signing.SigningKey.objects.filter(pk=key.pk).update(retired_at=timezone.now())
    newer = signing._create_key(organizer.pk)
    signing._current_keys[organizer.pk] = (signing.time.monotonic() + 5, key)
    late = signing.sign_ticket(
        key=signing.signing_key_for(organizer), performance_id=1, number=2, valid_until=UNTIL
    )
    assert signing.verify_secret(late, signing.public_keys_of(organizer)).number == 2
    now = signing.time.monotonic()
    monkeypatch.setattr(signing.time, "monotonic", lambda: now + 6)
    assert signing.signing_key_for(organizer).pk == newer.pk
    # Rotated in this process: the next sale signs with the new key at once.
    rotated = signing.rotate_key(organizer)
    assert signing.signing_key_for(organizer).pk == rotated.pk

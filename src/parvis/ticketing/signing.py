"""Ticket secrets: compact payloads signed with the organizer's Ed25519 key, verifiable offline.

Format (base64url, no padding, 108 characters): payload (17 bytes) + Ed25519 signature (64 bytes).
Payload: version (1 byte) | key id (4) | performance id (4) | ticket number (4) | valid until, Unix time (4).
A member card uses the same layout with version 2: key id | membership id | persons | valid until.
A market badge uses it with version 3: key id | participant id | badge version | valid until.
A group's code (a class's visit) uses it with version 4: key id | booking id | performance id | valid until.
A ticket is identified by its performance and its number in the performance's uninterrupted series, so the
secret can be computed before the ticket row exists (tickets are inserted in one statement).
The door app needs only the organizer's public keys; a secret cannot be forged or altered without the
private key, which is stored sealed (`core.keyvault`). Keys rotate: a new key signs, retired keys still
verify, revoked keys no longer do.
"""

import base64
import binascii
import datetime
import struct
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from parvis.core import keyvault

from .models import SigningKey

VERSION = 1
CARD_VERSION = 2
BADGE_VERSION = 3
GROUP_VERSION = 4
_PAYLOAD = struct.Struct(">BIIII")
_SIGNATURE_SIZE = 64
MAX_SECRET_LENGTH = 200
# A ticket stays valid this long after its performance starts (late arrivals, long exhibitions' days).
VALIDITY_AFTER_START = datetime.timedelta(hours=12)


class InvalidSecret(Exception):
    """Why a secret was refused: malformed, unknown_key, bad_signature, revoked_key."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class TicketClaims:
    key_id: int
    performance_id: int
    number: int
    valid_until: datetime.datetime


_private_keys: dict[bytes, Ed25519PrivateKey] = {}


def private_key_of(key: SigningKey) -> Ed25519PrivateKey:
    """The key's private half, unsealed once per process (per sealed value: a restored database, or ids
    reused by tests, never get another key's half)."""
    sealed = bytes(key.private_key)
    private = _private_keys.get(sealed)
    if private is None:
        private = Ed25519PrivateKey.from_private_bytes(keyvault.unseal(sealed))
        if len(_private_keys) > 1000:
            _private_keys.clear()
        _private_keys[sealed] = private
    return private


def signing_key_for(organizer) -> SigningKey:
    """The organizer's current key, created on first use."""
    return signing_key_for_id(organizer.pk)


# The key each organizer signs with, kept a few seconds per process: every sale signs its tickets. A key
# rotated in another process goes on signing here for at most `PARVIS_SIGNING_KEY_TTL` seconds, and the
# tickets it signs stay valid (a retired key still verifies); in this process a saved key clears the copies.
_current_keys: dict[int, tuple[float, SigningKey]] = {}


def signing_key_for_id(organizer_id: int) -> SigningKey:
    now = time.monotonic()
    hit = _current_keys.get(organizer_id)
    if hit is not None and hit[0] > now:
        return hit[1]
    key = SigningKey.objects.filter(
        organizer_id=organizer_id, retired_at__isnull=True, revoked_at__isnull=True
    ).first()
    if key is None:  # not kept: the transaction that creates it may still roll back
        return _create_key(organizer_id)
    if len(_current_keys) > 1000:
        _current_keys.clear()
    _current_keys[organizer_id] = (now + getattr(settings, "PARVIS_SIGNING_KEY_TTL", 5.0), key)
    return key


def forget_current_keys(**kwargs) -> None:
    """Read each organizer's signing key again (a signal receiver too: a key was saved or deleted)."""
    _current_keys.clear()


def _create_key(organizer_id: int) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    return SigningKey.objects.create(
        organizer_id=organizer_id,
        private_key=keyvault.seal(private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())),
        public_key=private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
    )


def rotate_key(organizer) -> SigningKey:
    """A new key signs from now on; the previous ones keep verifying the tickets they signed."""
    with transaction.atomic():
        SigningKey.objects.filter(organizer=organizer, retired_at__isnull=True).update(
            retired_at=timezone.now()
        )
        transaction.on_commit(forget_current_keys)
        return _create_key(organizer.pk)


def sign_ticket(*, key: SigningKey, performance_id: int, number: int, valid_until: datetime.datetime) -> str:
    payload = _PAYLOAD.pack(VERSION, key.pk, performance_id, number, int(valid_until.timestamp()))
    signature = private_key_of(key).sign(payload)
    return base64.urlsafe_b64encode(payload + signature).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class CardClaims:
    key_id: int
    membership_id: int
    persons: int
    valid_until: datetime.datetime


def sign_card(*, key: SigningKey, membership_id: int, persons: int, valid_until: datetime.datetime) -> str:
    return _sign(CARD_VERSION, key, membership_id, persons, valid_until)


@dataclass(frozen=True)
class BadgeClaims:
    key_id: int
    participant_id: int
    badge_version: int
    valid_until: datetime.datetime


def sign_badge(*, key: SigningKey, participant_id: int, badge_version: int, valid_until) -> str:
    return _sign(BADGE_VERSION, key, participant_id, badge_version, valid_until)


def verify_badge(secret: str, public_keys: dict[int, bytes]) -> BadgeClaims:
    """Check a market badge's secret; raise InvalidSecret otherwise."""
    return BadgeClaims(*_verified(secret, public_keys, BADGE_VERSION))


@dataclass(frozen=True)
class GroupClaims:
    key_id: int
    booking_id: int
    performance_id: int  # the date the code was made for: a booking moved to another date needs a new one
    valid_until: datetime.datetime


def sign_group(*, key: SigningKey, booking_id: int, performance_id: int, valid_until) -> str:
    return _sign(GROUP_VERSION, key, booking_id, performance_id, valid_until)


def verify_group(secret: str, public_keys: dict[int, bytes]) -> GroupClaims:
    """Check a group's code; raise InvalidSecret otherwise."""
    return GroupClaims(*_verified(secret, public_keys, GROUP_VERSION))


def secret_version(secret: str) -> int:
    """1 for a ticket, 2 for a member card, 3 for a market badge, 4 for a group, 0 for anything else
    (nothing is verified)."""
    try:
        return _unpack(secret)[0][0]
    except InvalidSecret:
        return 0


def card_membership_id(secret: str) -> int:
    """The membership a card's secret names, before it is verified (to find the keys that verify it)."""
    (version, _key_id, membership_id, _persons, _until), _payload, _signature = _unpack(secret)
    if version != CARD_VERSION:
        raise InvalidSecret("malformed")
    return membership_id


def verify_card(secret: str, public_keys: dict[int, bytes]) -> CardClaims:
    """Check a member card's secret; raise InvalidSecret otherwise."""
    return CardClaims(*_verified(secret, public_keys, CARD_VERSION))


def _sign(version: int, key: SigningKey, first: int, second: int, valid_until: datetime.datetime) -> str:
    payload = _PAYLOAD.pack(version, key.pk, first, second, int(valid_until.timestamp()))
    signature = private_key_of(key).sign(payload)
    return base64.urlsafe_b64encode(payload + signature).rstrip(b"=").decode("ascii")


def _verified(secret: str, public_keys: dict[int, bytes], version: int) -> tuple:
    """(key id, first field, second field, valid until) of a secret of this version, once its signature
    is checked."""
    (found, key_id, first, second, valid_until), payload, signature = _unpack(secret)
    if found != version:
        raise InvalidSecret("malformed")
    _verify(public_keys.get(key_id), payload, signature)
    return key_id, first, second, datetime.datetime.fromtimestamp(valid_until, datetime.UTC)


def _verify(public: bytes | None, payload: bytes, signature: bytes) -> None:
    if public is None:
        raise InvalidSecret("unknown_key")
    try:
        Ed25519PublicKey.from_public_bytes(bytes(public)).verify(signature, payload)
    except InvalidSignature:
        raise InvalidSecret("bad_signature") from None


def _unpack(secret: str) -> tuple[tuple, bytes, bytes]:
    if not isinstance(secret, str) or not 0 < len(secret) <= MAX_SECRET_LENGTH:
        raise InvalidSecret("malformed")
    try:
        raw = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
    except (binascii.Error, ValueError):
        raise InvalidSecret("malformed") from None
    if len(raw) != _PAYLOAD.size + _SIGNATURE_SIZE:
        raise InvalidSecret("malformed")
    payload, signature = raw[: _PAYLOAD.size], raw[_PAYLOAD.size :]
    return _PAYLOAD.unpack(payload), payload, signature


def decode_secret(secret: str) -> tuple[TicketClaims, bytes, bytes]:
    """Claims, signed bytes and signature of a ticket's secret, without checking the signature."""
    (version, key_id, performance_id, number, valid_until), payload, signature = _unpack(secret)
    if version != VERSION:
        raise InvalidSecret("malformed")
    claims = TicketClaims(
        key_id, performance_id, number, datetime.datetime.fromtimestamp(valid_until, datetime.UTC)
    )
    return claims, payload, signature


def verify_secret(secret: str, public_keys: dict[int, bytes]) -> TicketClaims:
    """Check a secret against known public keys {key id: raw 32-byte key}; raise InvalidSecret otherwise."""
    claims, payload, signature = decode_secret(secret)
    _verify(public_keys.get(claims.key_id), payload, signature)
    return claims


def public_keys_of(organizer) -> dict[int, bytes]:
    """The keys a door device of this organizer trusts (current and retired, not revoked)."""
    return {
        k.pk: bytes(k.public_key)
        for k in SigningKey.objects.filter(organizer=organizer, revoked_at__isnull=True).only("public_key")
    }

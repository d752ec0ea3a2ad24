"""Private keys at rest: sealed with AES-256-GCM under a key-encryption key kept outside the database.

A copy of the database alone (a backup, a dump, a read-only injection) does not give the keys that sign
tickets, member cards and the till journal. The key-encryption key is `PARVIS_KEY_ENCRYPTION_KEY` (32 random
bytes, base64); production requires it. Development derives one from SECRET_KEY so that nothing is to set.
Sealed format: version (1 byte) | nonce (12) | ciphertext and tag.
"""

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

VERSION = b"\x01"
_AAD = b"parvis private key"


class SealBroken(Exception):
    """A sealed key that does not open: altered, or sealed under another key-encryption key."""


def _kek() -> bytes:
    configured = getattr(settings, "PARVIS_KEY_ENCRYPTION_KEY", "")
    if configured:
        try:
            key = base64.urlsafe_b64decode(configured + "=" * (-len(configured) % 4))
        except ValueError:
            key = b""
        if len(key) != 32:
            raise ImproperlyConfigured("PARVIS_KEY_ENCRYPTION_KEY must be 32 bytes in base64")
        return key
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"parvis-kek").derive(
        settings.SECRET_KEY.encode()
    )


def seal(raw: bytes) -> bytes:
    nonce = os.urandom(12)
    return VERSION + nonce + AESGCM(_kek()).encrypt(nonce, bytes(raw), _AAD)


def unseal(sealed: bytes) -> bytes:
    sealed = bytes(sealed)
    if sealed[:1] != VERSION or len(sealed) < 1 + 12 + 16:
        raise SealBroken("not a sealed key")
    try:
        return AESGCM(_kek()).decrypt(sealed[1:13], sealed[13:], _AAD)
    except InvalidTag:
        raise SealBroken("the seal does not open with this key-encryption key") from None


def derive(purpose: str) -> bytes:
    """A 32-byte key for one purpose (a network's keyed hash of addresses), derived from the key-encryption
    key: kept nowhere, the same in every process, and out of reach of a copy of the database."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"parvis-derive:" + purpose.encode()
    ).derive(_kek())

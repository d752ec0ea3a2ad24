"""Bearer tokens for machines (sales channels, door devices): "<kind>_<prefix>_<secret>".

Only a SHA-256 hash is stored; the public prefix finds the row, the hash is compared in constant time.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.db.models import QuerySet


@dataclass(frozen=True)
class NewToken:
    token: str
    prefix: str
    token_hash: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_new(kind: str) -> NewToken:
    prefix = secrets.token_hex(4)
    token = f"{kind}_{prefix}_{secrets.token_urlsafe(32)}"
    return NewToken(token=token, prefix=prefix, token_hash=token_hash(token))


def token_lookup(token: str, *, kind: str, queryset: QuerySet):
    """The live row (not revoked) that this token belongs to, or None."""
    parts = token.split("_")
    if len(parts) < 3 or parts[0] != kind:
        return None
    record = queryset.filter(prefix=parts[1], revoked_at__isnull=True).first()
    if record is None or not hmac.compare_digest(record.token_hash, token_hash(token)):
        return None
    return record

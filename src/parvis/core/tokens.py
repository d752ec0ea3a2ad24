"""Bearer tokens for machines (sales channels, door devices): "<kind>_<prefix>_<secret>".

Only a SHA-256 hash is stored; the public prefix finds the row, the hash is compared in constant time.
"""

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Model, QuerySet


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


class RecentTokens:
    """Which live row each token belongs to, remembered a few seconds in this process.

    A machine (a door scanner, a sales channel) sends its token with every call; reading the row each time
    costs a statement and compiling it. A row is read again after `ttl()` seconds, so a revocation made in
    another process takes effect within them, and at once in this one through `forget()`. Unknown tokens
    are remembered too (a flood of bad ones costs no queries); at most `size` tokens are kept.
    """

    def __init__(self, *, kind: str, queryset: Callable[[], QuerySet], ttl: Callable[[], float], size=5_000):
        self.kind, self.queryset, self.ttl, self.size = kind, queryset, ttl, size
        self._rows: dict[str, tuple[float, Model | None]] = {}

    def get(self, token: str):
        key = token_hash(token)
        now = time.monotonic()
        hit = self._rows.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        row = token_lookup(token, kind=self.kind, queryset=self.queryset())
        if len(self._rows) >= self.size:
            self._rows.clear()
        self._rows[key] = (now + self.ttl(), row)
        return row

    def forget(self, **kwargs) -> None:
        """Read every token's row again (a signal receiver too: a row was saved or deleted here)."""
        self._rows.clear()

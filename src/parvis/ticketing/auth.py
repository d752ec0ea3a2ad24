"""API tokens of sales channels: `parvis apitoken create --organizer <slug>` prints one.

Only a hash of the token is kept."""

import hashlib
import hmac
import secrets

from django.utils import timezone
from ninja.security import HttpBearer

from .models import ApiToken

PREFIX_LENGTH = 8


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_create(*, organizer, name: str) -> str:
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    token = f"pv_{prefix}_{secrets.token_urlsafe(32)}"
    ApiToken.objects.create(organizer=organizer, name=name, prefix=prefix, token_hash=_hash(token))
    return token


def api_token_check(token: str) -> ApiToken | None:
    parts = token.split("_")
    if len(parts) < 3 or parts[0] != "pv":
        return None
    record = (
        ApiToken.objects.select_related("organizer").filter(prefix=parts[1], revoked_at__isnull=True).first()
    )
    if record is None or not hmac.compare_digest(record.token_hash, _hash(token)):
        return None
    return record


class SalesChannelAuth(HttpBearer):
    def authenticate(self, request, token):
        record = api_token_check(token)
        if record is not None:
            request.api_token = record
            return record
        return None


def api_token_revoke(record: ApiToken) -> None:
    ApiToken.objects.filter(pk=record.pk).update(revoked_at=timezone.now())

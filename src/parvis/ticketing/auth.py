"""API tokens of sales channels: `parvis apitoken create --organizer <slug>` prints one, `parvis apitoken
revoke <prefix>` withdraws it.

Only a hash of the token is kept. Which token is whose is remembered a few seconds per process: a token
revoked here is refused at once, by other server processes within `PARVIS_API_TOKEN_TTL` seconds (5)."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from ninja.security import HttpBearer

from parvis.core.tokens import RecentTokens, token_new

from .models import ApiToken

_tokens = RecentTokens(
    kind="pv", queryset=ApiToken.objects.all, ttl=lambda: getattr(settings, "PARVIS_API_TOKEN_TTL", 5.0)
)


def api_token_create(*, organizer, name: str) -> str:
    new = token_new("pv")
    ApiToken.objects.create(organizer=organizer, name=name, prefix=new.prefix, token_hash=new.token_hash)
    return new.token


def api_token_check(token: str) -> ApiToken | None:
    return _tokens.get(token)


class SalesChannelAuth(HttpBearer):
    def authenticate(self, request, token):
        record = api_token_check(token)
        if record is not None:
            request.api_token = record
            return record
        return None


def api_token_revoke(record: ApiToken) -> bool:
    """Withdraw a token; False if it was already revoked."""
    with transaction.atomic():
        revoked = ApiToken.objects.filter(pk=record.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        # Forgotten now, and again at commit in case a call of this process read it meanwhile.
        _tokens.forget()
        transaction.on_commit(_tokens.forget)
    return bool(revoked)

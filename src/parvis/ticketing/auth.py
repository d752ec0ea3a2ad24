"""API tokens of sales channels: `parvis apitoken create --organizer <slug>` prints one.

Only a hash of the token is kept."""

from django.utils import timezone
from ninja.security import HttpBearer

from parvis.core.tokens import token_lookup, token_new

from .models import ApiToken


def api_token_create(*, organizer, name: str) -> str:
    new = token_new("pv")
    ApiToken.objects.create(organizer=organizer, name=name, prefix=new.prefix, token_hash=new.token_hash)
    return new.token


def api_token_check(token: str) -> ApiToken | None:
    return token_lookup(token, kind="pv", queryset=ApiToken.objects.all())


class SalesChannelAuth(HttpBearer):
    def authenticate(self, request, token):
        record = api_token_check(token)
        if record is not None:
            request.api_token = record
            return record
        return None


def api_token_revoke(record: ApiToken) -> None:
    ApiToken.objects.filter(pk=record.pk).update(revoked_at=timezone.now())

"""The sync API's one operation: `GET /api/v1/sync/{resource}?cursor=…&limit=…` with a sync token
(`parvis synctoken create --organizer <slug> --scopes orders,contacts`). See `sync` for the cursor."""

import time
from enum import StrEnum

from django.conf import settings
from django.core.cache import cache
from ninja import Field, Query, Router, Schema
from ninja.security import HttpBearer

from parvis.core.api_errors import ApiError, errors
from parvis.core.tokens import RecentTokens, token_new

from . import sync
from .models import SyncToken

router = Router(tags=["sync"])
_tokens = RecentTokens(
    kind="sy", queryset=SyncToken.objects.all, ttl=lambda: getattr(settings, "PARVIS_API_TOKEN_TTL", 5.0)
)


class Resource(StrEnum):
    ORDERS = "orders"
    TICKETS = "tickets"
    CHECKINS = "checkins"
    CONTACTS = "contacts"
    CONSENTS = "consents"
    INTERACTIONS = "interactions"


class SyncAuth(HttpBearer):
    def authenticate(self, request, token):
        record = _tokens.get(token)
        if record is not None:
            request.sync_token = record
        return record


class Record(Schema):
    op: str = Field(..., description="upsert, delete (gone, or merged into another contact), anonymise")
    id: int
    data: dict


class SyncPage(Schema):
    records: list[Record]
    next_cursor: str = Field(
        ..., description="Pass it back as `cursor` for what follows; keep it between runs"
    )
    has_more: bool = Field(..., description="False: nothing more for now (ask again later with next_cursor)")


def sync_token_create(*, organizer, name: str, scopes: list[str]) -> str:
    new = token_new("sy")
    SyncToken.objects.create(
        organizer=organizer,
        name=name,
        prefix=new.prefix,
        token_hash=new.token_hash,
        scopes=sorted(set(scopes)),
    )
    return new.token


def _rate_check(token: SyncToken) -> None:
    """At most PARVIS_SYNC_REQUESTS_PER_MIN calls a minute per token (a fixed window in the cache)."""
    window = int(time.time() // 60)
    key = f"sync-rate:{token.pk}:{window}"
    cache.add(key, 0, timeout=90)
    try:
        count = cache.incr(key)
    except ValueError:
        count = 1
    if count > settings.PARVIS_SYNC_REQUESTS_PER_MIN:
        raise ApiError(
            "rate_limited",
            "Trop de requêtes : réessayez dans une minute.",
            status=429,
            retry_after_s=60 - int(time.time()) % 60,
        )


@router.get(
    "/sync/{resource}",
    response={
        200: SyncPage,
        **errors(
            "DataSync",
            auth=True,
            e400=("bad_cursor", "invalid_input"),
            e403=("scope_missing",),
            e410=("cursor_expired",),
            e429=("rate_limited",),
        ),
    },
    auth=SyncAuth(),
    summary="Records of the organizer changed since a cursor (first call: all of them)",
)
def sync_page(
    request, resource: Resource, cursor: str = "", limit: int = Query(500, ge=1, le=sync.MAX_LIMIT)
):
    token: SyncToken = request.sync_token
    if resource.value not in token.scopes:
        raise ApiError("scope_missing", f"Ce jeton ne donne pas accès à « {resource.value} ».", status=403)
    _rate_check(token)
    try:
        page = sync.page(resource.value, token.organizer_id, cursor, limit)
    except sync.BadCursor:
        raise ApiError(
            "bad_cursor", "Curseur inconnu : reprenez avec le dernier next_cursor reçu.", status=400
        ) from None
    except sync.CursorExpired:
        raise ApiError(
            "cursor_expired",
            "Ce curseur est trop ancien (les changements qui le suivent ont été purgés) : "
            "recommencez sans curseur, depuis un instantané.",
            status=410,
        ) from None
    return {"records": page.records, "next_cursor": page.next_cursor, "has_more": page.has_more}

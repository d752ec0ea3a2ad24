"""Outgoing webhooks, signed as Standard Webhooks (https://www.standardwebhooks.com) says.

- **What is sent.** The webhooks follow the change feed (`core.changes`): each change of a topic an
  active endpoint of its organizer listens to becomes one `Delivery`, made once (one per endpoint and
  place in the feed), with the record's state when it is made. It is delivered after the commit that
  made the change, by the task worker.
- **Signature.** `webhook-id` (the message's id, the same on every try: the receiver's idempotency
  key), `webhook-timestamp` (seconds), `webhook-signature`: `v1,` and the base64 HMAC-SHA256 of
  `id.timestamp.body` under the endpoint's secret. For a day after a rotation the previous secret signs
  too (two signatures, space-separated), so the receiver can switch without losing a message.
  The signing is a dozen lines of the standard library; the tests verify it with the reference library
  (`standardwebhooks`).
- **Tries.** A 2xx is delivered. Anything else is tried again after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h
  and 10 h (the schedule the standard suggests), then failed for good. Each try is a task of its own,
  so a worker that dies mid-try loses nothing: the task runs again.
- **Disabling.** An endpoint whose tries have all failed for a whole schedule (nothing delivered
  since) is disabled, and its organizer's administrators get an e-mail. Staff can enable it again and
  replay any delivery from the log.
"""

import base64
import datetime
import hashlib
import hmac
import ipaddress
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.core import changes
from parvis.core.audit import audit_record
from parvis.core.models import Change

from . import payloads
from .models import Delivery, Endpoint, new_secret

FOLLOWER = "webhooks"  # its cursor in the change feed
SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 36000)  # seconds after each failed try
TIMEOUT_S = 10
ROTATION_GRACE = datetime.timedelta(hours=24)
USER_AGENT = "Parvis-Webhooks/1"


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers_for(endpoint: Endpoint, message_id: str, body: bytes, *, now=None) -> dict[str, str]:
    now = now or timezone.now()
    timestamp = int(now.timestamp())
    signatures = [sign(endpoint.secret, message_id, timestamp, body)]
    if endpoint.previous_secret and endpoint.previous_until and endpoint.previous_until > now:
        signatures.append(sign(endpoint.previous_secret, message_id, timestamp, body))
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signatures),
    }


def url_check(url: str) -> None:
    """Refuse an address a webhook may not call: not https (plain http only where the settings allow
    it), or a machine of the platform's own network (loopback, private, link-local), unless allowed."""
    parts = urllib.parse.urlsplit(url)
    allowed = ("https", "http") if settings.PARVIS_WEBHOOKS_ALLOW_HTTP else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        raise ValidationError(_("L'adresse doit commencer par https://."))
    if settings.PARVIS_WEBHOOKS_ALLOW_PRIVATE:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError:
        raise ValidationError(_("Ce nom de domaine est introuvable.")) from None
    for info in infos:
        ip = ipaddress.ip_address(info[4][0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast:
            raise ValidationError(_("Cette adresse désigne un réseau interne : elle est refusée."))


def endpoint_create(*, actor, organizer, url: str, topics: list[str], description: str = "") -> Endpoint:
    url_check(url)
    with transaction.atomic():
        endpoint = Endpoint.objects.create(
            organizer=organizer,
            url=url,
            topics=sorted(set(topics)),
            description=description[:200],
            from_seq=changes.head(),
        )
        if not Endpoint.objects.filter(is_active=True).exclude(pk=endpoint.pk).exists():
            changes.reset(FOLLOWER, max(endpoint.from_seq, changes.position(FOLLOWER)))  # no past to read
        audit_record(
            actor=actor,
            action="webhook.create",
            instance=endpoint,
            organizer_id=organizer.pk,
            after={"url": url, "topics": endpoint.topics},
        )
    return endpoint


def endpoint_rotate(*, actor, endpoint: Endpoint) -> Endpoint:
    """A new secret; the previous one still signs for a day."""
    endpoint.previous_secret, endpoint.previous_until = endpoint.secret, timezone.now() + ROTATION_GRACE
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_until"])
    audit_record(actor=actor, action="webhook.rotate", instance=endpoint, organizer_id=endpoint.organizer_id)
    return endpoint


def endpoint_enable(*, actor, endpoint: Endpoint) -> None:
    Endpoint.objects.filter(pk=endpoint.pk).update(is_active=True, failures_in_row=0, disabled_reason="")
    audit_record(actor=actor, action="webhook.enable", instance=endpoint, organizer_id=endpoint.organizer_id)


def _fan_out(batch: Sequence[Change]) -> list[Delivery]:
    """The deliveries a batch of changes makes (none twice: one per endpoint and change)."""
    topics = {c.topic for c in batch}
    listening: dict[int, list[Endpoint]] = {}
    for endpoint in Endpoint.objects.filter(
        organizer_id__in={c.organizer_id for c in batch}, is_active=True
    ).order_by("pk"):
        if topics & set(endpoint.topics):
            listening.setdefault(endpoint.organizer_id, []).append(endpoint)
    made = []
    heard = {
        change.seq: [
            e
            for e in listening.get(change.organizer_id, [])
            if change.topic in e.topics and change.seq > e.from_seq
        ]
        for change in batch
    }
    records = payloads.data_of([change for change in batch if heard[change.seq]])
    for change in batch:
        endpoints = heard[change.seq]
        if not endpoints:
            continue
        data = records.get((change.subject, change.subject_id))
        if data is None:
            continue  # the record is gone (a test's, a purge's): nothing to tell
        body = {"type": change.topic, "timestamp": change.at.isoformat(), "data": data}
        for endpoint in endpoints:
            delivery, created = Delivery.objects.get_or_create(
                endpoint=endpoint,
                seq=change.seq,
                defaults={
                    "message_id": f"msg_{uuid.uuid4().hex}",
                    "topic": change.topic,
                    "payload": body,
                    "next_attempt_at": timezone.now(),
                },
            )
            if created:
                made.append(delivery)
    return made


def attempt(delivery: Delivery, *, opener=None) -> tuple[bool, bool]:
    """One try of a delivery: POST it, record the answer, set the next try or fail it for good. Returns
    whether it was delivered, and whether its endpoint was disabled by this failure."""
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    request = urllib.request.Request(  # noqa: S310 (the scheme was checked when the endpoint was made)
        endpoint.url, data=body, headers=headers_for(endpoint, delivery.message_id, body), method="POST"
    )
    status, error = None, ""
    try:
        with (opener or urllib.request.urlopen)(request, timeout=TIMEOUT_S) as answer:
            status = answer.status
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        error = str(getattr(exc, "reason", exc))[:300]
    return _record(delivery, status, error)


def _record(delivery: Delivery, status: int | None, error: str) -> tuple[bool, bool]:
    now = timezone.now()
    ok = status is not None and 200 <= status < 300
    with transaction.atomic():
        endpoint = Endpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
        delivery.attempts += 1
        delivery.last_status, delivery.last_error = status, error
        if ok:
            delivery.state, delivery.delivered_at, delivery.next_attempt_at = (
                Delivery.State.SUCCEEDED,
                now,
                None,
            )
            endpoint.failures_in_row = 0
        else:
            endpoint.failures_in_row += 1
            if delivery.attempts > len(SCHEDULE):
                delivery.state, delivery.next_attempt_at = Delivery.State.FAILED, None
            else:
                delivery.next_attempt_at = now + datetime.timedelta(
                    seconds=SCHEDULE[delivery.attempts - 1] * settings.PARVIS_TASK_DELAY_SCALE
                )
        delivery.save()
        endpoint.save(update_fields=["failures_in_row"])
        disabled = not ok and endpoint.is_active and endpoint.failures_in_row > len(SCHEDULE)
        if disabled:
            reason = _("Aucune livraison réussie depuis %(n)s essais.") % {"n": endpoint.failures_in_row}
            Endpoint.objects.filter(pk=endpoint.pk).update(is_active=False, disabled_reason=reason[:300])
            audit_record(
                actor=None,
                action="webhook.disable",
                instance=endpoint,
                organizer_id=endpoint.organizer_id,
                after={"reason": reason},
            )
    return ok, disabled

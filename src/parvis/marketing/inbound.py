"""What comes back to the campaigns' addresses: bounces (DSN, parsed by flufl.bounce), complaints (ARF
feedback reports, RFC 5965) and unsubscribe requests sent to the `mailto:` of `List-Unsubscribe`.

Each message of a campaign leaves with its own return path, `bounce+<token>@<domain>` (VERP), and its own
`unsubscribe+<token>@<domain>`: the token names the recipient row, so a bounce or a request is tied to the
person and the campaign without trusting what the report says. Reports that reach us without a token (a
provider's feedback loop) are matched by the original message's Message-ID; a bounce matched by neither
still suppresses the address it names.

- A permanent failure: the address is suppressed (and shown on the profiles that hold it), the row marked
  bounced. A temporary one changes nothing: the relay retries on its own.
- A complaint: the address is suppressed and the campaign's consent withdrawn, as an unsubscribe would.
- An unsubscribe request: the consent withdrawn (the ledger keeps that it came by e-mail).
"""

import email
import email.policy
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from flufl.bounce import all_failures

from . import delivery, links, services
from .models import Recipient, Suppression

_LOCAL = re.compile(r"\b(bounce|unsubscribe)\+([0-9]+\.[A-Za-z0-9_\-]+)@", re.I)
_MESSAGE_ID = re.compile(r"^Message-ID:\s*(<[^>]+>)", re.I | re.M)


@dataclass
class Outcome:
    kind: str  # "bounce", "complaint", "unsubscribe", "temporary", "ignored"
    recipient_id: int | None = None
    addresses: list[str] = field(default_factory=list)


def _addressed_to(message) -> tuple[str, str] | None:
    """("bounce" or "unsubscribe", token) from the address the message was sent to."""
    for header in ("Delivered-To", "X-Original-To", "Envelope-To", "To"):
        for value in message.get_all(header) or []:
            found = _LOCAL.search(str(value))
            if found:
                return found.group(1).lower(), found.group(2)
    return None


def _recipient(token: str | None, message) -> Recipient | None:
    if token:
        recipient_id = links.recipient_id_of(token)
        if recipient_id is not None:
            return Recipient.objects.select_related("campaign", "contact").filter(pk=recipient_id).first()
    for part in message.walk():  # the original message, or its headers, inside the report
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            payload = part.get_payload()
            text = payload[0].as_string() if isinstance(payload, list) else str(payload)
            found = _MESSAGE_ID.search(text)
            if found:
                return (
                    Recipient.objects.select_related("campaign", "contact")
                    .filter(message_id=found.group(1))
                    .first()
                )
    return None


def _is_complaint(message) -> bool:
    return (
        message.get_content_type() == "multipart/report"
        and (message.get_param("report-type") or "").lower() == "feedback-report"
    )


def handle(raw: bytes) -> Outcome:
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    kind, token = _addressed_to(message) or ("", None)
    recipient = _recipient(token, message)
    proof = {"via": "e-mail", "from": str(message.get("From", ""))[:200], "at": timezone.now().isoformat()}
    with transaction.atomic():
        if kind == "unsubscribe" and recipient is not None:
            services.unsubscribe(recipient=recipient, proof=proof, one_click=False)
            return Outcome("unsubscribe", recipient.pk, [recipient.address])
        if _is_complaint(message):
            if recipient is None:
                return Outcome("ignored")
            delivery.suppress(recipient.address, Suppression.Reason.COMPLAINT, "feedback report")
            services.unsubscribe(recipient=recipient, proof={**proof, "complaint": True}, one_click=False)
            return Outcome("complaint", recipient.pk, [recipient.address])
        temporary, permanent = all_failures(message)
        failed = sorted(a.decode(errors="replace").lower() for a in permanent)
        if not failed:
            return Outcome("temporary" if temporary else "ignored", recipient.pk if recipient else None)
        if recipient is not None and recipient.address not in failed:
            failed.append(recipient.address)
        for address in failed:
            delivery.suppress(address, Suppression.Reason.HARD_BOUNCE, "bounce report", bounce_code=550)
        if recipient is not None:
            Recipient.objects.filter(pk=recipient.pk).update(
                state=Recipient.State.BOUNCED, error="bounce report"
            )
        return Outcome("bounce", recipient.pk if recipient else None, failed)


def provider_event(sender, event, esp_name: str = "", **kwargs) -> None:
    """An e-mail provider's webhook, normalised by django-anymail (its `tracking` signal, the library's own
    extension point). The provider knows its own message ids, not our rows: the row is the latest message
    sent to the address; the address is suppressed whatever it finds."""
    kind = {"bounced": "bounce", "complained": "complaint", "unsubscribed": "unsubscribe"}.get(
        event.event_type
    )
    address = (event.recipient or "").strip().lower()
    if kind is None or not address:
        return
    recipient = (
        Recipient.objects.select_related("campaign", "contact")
        .filter(address=address, state__in=[Recipient.State.SENT, Recipient.State.BOUNCED])
        .order_by("-sent_at", "-pk")
        .first()
    )
    proof = {
        "via": esp_name or "provider",
        "event": str(event.event_id or ""),
        "at": timezone.now().isoformat(),
    }
    with transaction.atomic():
        if kind == "bounce":
            detail = f"{esp_name} bounce: {event.description or ''}"
            delivery.suppress(address, Suppression.Reason.HARD_BOUNCE, detail, bounce_code=550)
            if recipient is not None:
                Recipient.objects.filter(pk=recipient.pk).update(
                    state=Recipient.State.BOUNCED, error="bounce report"
                )
            return
        if kind == "complaint":
            delivery.suppress(address, Suppression.Reason.COMPLAINT, f"{esp_name} complaint")
        if recipient is not None:
            services.unsubscribe(recipient=recipient, proof={**proof, kind: True}, one_click=False)

"""Redeeming tickets at the door: exactly once under concurrency, idempotent for a device's retries.

The entry itself is the insertion of the ticket's unique `Presence` row for the list: of eight gates
presenting the same ticket at the same instant, the database lets exactly one insert through.
"""

import datetime
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from parvis.core.tokens import token_lookup, token_new
from parvis.ticketing import signing
from parvis.ticketing.models import OrderState, Ticket, TicketState

from .models import CheckinList, Device, Presence, Scan

REFUSALS = {
    TicketState.CANCELLED: "cancelled",
    TicketState.REFUNDED: "refunded",
    TicketState.EXCHANGED: "exchanged",
}


def device_create(*, organizer, name: str, gate=None) -> tuple[Device, str]:
    new = token_new("pd")
    device = Device.objects.create(
        organizer=organizer, name=name, gate=gate, prefix=new.prefix, token_hash=new.token_hash
    )
    return device, new.token


def device_for_token(token: str) -> Device | None:
    return token_lookup(token, kind="pd", queryset=Device.objects.select_related("organizer", "gate"))


@dataclass
class Verdict:
    accepted: bool
    reason: str = ""
    ticket: Ticket | None = None
    first_scan: Scan | None = None
    scan: Scan | None = None
    extra: dict = field(default_factory=dict)


def _check_ticket(checkin_list: CheckinList, secret: str, at: datetime.datetime) -> tuple[str, Ticket | None]:
    """Why this secret may not enter this list now ("" if it may), and the ticket when known."""
    try:
        claims = signing.verify_secret(secret, signing.public_keys_of(checkin_list.organizer))
    except signing.InvalidSecret as exc:
        return ("invalid" if exc.reason != "malformed" else "malformed"), None
    ticket = (
        Ticket.objects.select_related("order", "tariff", "performance", "slot")
        .filter(
            performance_id=claims.performance_id, number=claims.number, organizer_id=checkin_list.organizer_id
        )
        .first()
    )
    if ticket is None:
        return "unknown_ticket", None
    if ticket.state != TicketState.VALID:
        return REFUSALS.get(ticket.state, "cancelled"), ticket
    if ticket.order.state not in (OrderState.PAID, OrderState.PARTIALLY_REFUNDED) and not (
        checkin_list.include_pending and ticket.order.state == OrderState.PENDING
    ):
        return "unpaid", ticket
    if not checkin_list.performances.filter(pk=ticket.performance_id).exists():
        return "wrong_performance", ticket
    allowed = list(checkin_list.tariffs.values_list("pk", flat=True))
    if allowed and ticket.tariff_id not in allowed:
        return "wrong_tariff", ticket
    opens = ticket.performance.starts_at - datetime.timedelta(minutes=checkin_list.opens_minutes_before)
    if at < opens:
        return "too_early", ticket
    if at > claims.valid_until:
        return "expired", ticket
    if ticket.slot_id:
        tolerance = datetime.timedelta(minutes=checkin_list.slot_tolerance_minutes)
        if not ticket.slot.slot_starts_at - tolerance <= at <= ticket.slot.slot_ends_at + tolerance:
            return "wrong_slot", ticket
    return "", ticket


def redeem(
    *,
    device: Device,
    checkin_list: CheckinList,
    secret: str,
    nonce: str,
    scanned_at: datetime.datetime | None = None,
    kind: str = Scan.Kind.ENTRY,
) -> Verdict:
    """Judge one scan. The same (device, nonce) always gets the same verdict, and is recorded once."""
    received = timezone.now()
    at = min(scanned_at or received, received)  # a device clock ahead of ours does not open doors early
    previous = Scan.objects.filter(device=device, nonce=nonce).select_related("ticket").first()
    if previous is not None:
        return _verdict_of(previous)
    reason, ticket = _check_ticket(checkin_list, secret, at)
    try:
        with transaction.atomic():
            scan = Scan.objects.create(
                checkin_list=checkin_list,
                device=device,
                gate=device.gate,
                ticket=ticket,
                nonce=nonce,
                kind=kind,
                accepted=not reason,
                reason=reason,
                scanned_at=at,
            )
            if not reason:
                reason = _enter_or_exit(checkin_list, ticket, scan, kind)
                if reason:
                    Scan.objects.filter(pk=scan.pk).update(accepted=False, reason=reason)
                    scan.accepted, scan.reason = False, reason
    except IntegrityError:  # the same nonce arrived twice at once: the first one's verdict stands
        return _verdict_of(Scan.objects.select_related("ticket").get(device=device, nonce=nonce))
    return _verdict_of(scan)


def _enter_or_exit(checkin_list: CheckinList, ticket: Ticket, scan: Scan, kind: str) -> str:
    if kind == Scan.Kind.EXIT:
        if not checkin_list.allow_reentry:
            return "no_reentry"
        left = Presence.objects.filter(checkin_list=checkin_list, ticket=ticket, inside=True).update(
            inside=False
        )
        return "" if left else "not_inside"
    try:
        with transaction.atomic():
            Presence.objects.create(checkin_list=checkin_list, ticket=ticket, first_scan=scan)
        return ""
    except IntegrityError:
        pass
    if checkin_list.allow_reentry and Presence.objects.filter(
        checkin_list=checkin_list, ticket=ticket, inside=False
    ).update(inside=True):
        return ""
    return "already_used"


def _verdict_of(scan: Scan) -> Verdict:
    first = None
    if scan.ticket_id and scan.reason == "already_used":
        presence = (
            Presence.objects.select_related("first_scan__gate")
            .filter(checkin_list_id=scan.checkin_list_id, ticket_id=scan.ticket_id)
            .first()
        )
        first = presence.first_scan if presence else None
    return Verdict(
        accepted=scan.accepted, reason=scan.reason, ticket=scan.ticket, first_scan=first, scan=scan
    )

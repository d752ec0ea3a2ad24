"""Redeeming tickets at the door: exactly once under concurrency, idempotent for a device's retries.

The entry itself is the insertion of the ticket's unique `Presence` row for the list: of eight gates
presenting the same ticket at the same instant, the database lets exactly one insert through.
"""

import functools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from parvis.core import changes
from parvis.core.audit import audit_record, snapshot
from parvis.core.tokens import token_new
from parvis.crm import services as crm
from parvis.memberships.models import Membership
from parvis.memberships.public import card_check
from parvis.programming.models import Performance
from parvis.ticketing import signing
from parvis.ticketing.models import Order, OrderState, Quota, Tariff, Ticket, TicketState

from . import extensions, rules
from .models import REFUSAL_LABELS, CheckinList, Device, Gate, Presence, Scan

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


@dataclass
class Verdict:
    accepted: bool
    reason: str = ""
    ticket: Ticket | None = None
    first_scan: Scan | None = None
    scan: Scan | None = None
    extra: dict = field(default_factory=dict)


# What a device may report as its own offline refusal (anything else is recorded as "refused_offline").
DEVICE_REASONS = frozenset(REFUSAL_LABELS) - {"refused_offline"}


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back the UTC datetimes it stores as naive ones; PostgreSQL hands them back aware."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@functools.cache
def _ticket_sql(vendor: str) -> str:
    """Read what judging a scan needs of a ticket, in one statement written out once.

    This is the door's hottest read: building it through the ORM cost more (0.6 ms) than running it.
    """
    table = connection.ops.quote_name
    return (
        "SELECT t.id, t.number, t.state, t.attendee_name, t.performance_id, t.tariff_id, t.slot_id, "  # noqa: S608
        "t.order_id, o.state, o.contact_id, p.starts_at, p.venue_id, r.name, r.seated, r.online, "
        "s.name, s.slot_starts_at, s.slot_ends_at "
        f"FROM {table(Ticket._meta.db_table)} t "
        f"JOIN {table(Order._meta.db_table)} o ON o.id = t.order_id "
        f"JOIN {table(Performance._meta.db_table)} p ON p.id = t.performance_id "
        f"JOIN {table(Tariff._meta.db_table)} r ON r.id = t.tariff_id "
        f"LEFT JOIN {table(Quota._meta.db_table)} s ON s.id = t.slot_id "
        "WHERE t.performance_id = %s AND t.number = %s AND t.organizer_id = %s"
    )


def _loaded(model, **values):
    """An instance as the ORM loads it with only these fields (the others load if asked for)."""
    ordered = [values[f.attname] for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(connection.alias, values.keys(), ordered)


def _ticket_read(organizer_id: int, performance_id: int, number: int) -> Ticket | None:
    """The ticket with its order's state, performance, tariff and slot."""
    with connection.cursor() as cursor:
        cursor.execute(_ticket_sql(connection.vendor), [performance_id, number, organizer_id])
        row = cursor.fetchone()
    if row is None:
        return None
    (pk, number, state, name, performance_id, tariff_id, slot_id, order_id, order_state, contact_id,
     starts_at, venue_id, tariff_name, seated, online, slot_name, slot_starts_at,
     slot_ends_at) = row  # fmt: skip
    ticket = _loaded(Ticket, id=pk, number=number, state=state, attendee_name=name)
    ticket.order = _loaded(Order, id=order_id, state=order_state, contact_id=contact_id)
    ticket.performance = _loaded(
        Performance, id=performance_id, starts_at=_aware(starts_at), venue_id=venue_id
    )
    ticket.tariff = _loaded(Tariff, id=tariff_id, name=tariff_name, seated=bool(seated), online=bool(online))
    ticket.slot = slot_id and _loaded(
        Quota,
        id=slot_id,
        name=slot_name,
        slot_starts_at=_aware(slot_starts_at),
        slot_ends_at=_aware(slot_ends_at),
    )
    return ticket


def _ticket_of(checkin_list: CheckinList, secret: str, ticket_ref) -> tuple[str, Ticket | None, datetime]:
    """The ticket a scan names, from its signed secret or (manual entry) its performance and number."""
    if ticket_ref is not None:
        performance_id, number = ticket_ref
        valid_until = None
    else:
        try:
            claims = signing.verify_secret(secret, checkin_list.public_keys)
        except signing.InvalidSecret as exc:
            return ("invalid" if exc.reason != "malformed" else "malformed"), None, None
        performance_id, number, valid_until = claims.performance_id, claims.number, claims.valid_until
    ticket = _ticket_read(checkin_list.organizer_id, performance_id, number)
    if ticket is None:
        return "unknown_ticket", None, None
    return "", ticket, valid_until or ticket.performance.starts_at + signing.VALIDITY_AFTER_START


def _check_ticket(checkin_list: CheckinList, ticket: Ticket, valid_until, at) -> str:
    """Why this ticket may not enter this list now ("" if it may)."""
    if ticket.state != TicketState.VALID:
        return REFUSALS.get(ticket.state, "cancelled")
    if ticket.order.state not in (OrderState.PAID, OrderState.PARTIALLY_REFUNDED) and not (
        checkin_list.include_pending and ticket.order.state == OrderState.PENDING
    ):
        return "unpaid"
    if ticket.performance_id not in checkin_list.performance_ids:
        return "wrong_performance"
    if ticket.tariff.online:  # it opens the stream, not the door
        return "online"
    if checkin_list.tariff_ids and ticket.tariff_id not in checkin_list.tariff_ids:
        return "wrong_tariff"
    opens = ticket.performance.starts_at - timedelta(minutes=checkin_list.opens_minutes_before)
    if at < opens:
        return "too_early"
    if at > valid_until:
        return "expired"
    if ticket.slot_id:
        tolerance = timedelta(minutes=checkin_list.slot_tolerance_minutes)
        if not ticket.slot.slot_starts_at - tolerance <= at <= ticket.slot.slot_ends_at + tolerance:
            return "wrong_slot"
    return ""


def redeem(
    *,
    device: Device,
    checkin_list: CheckinList,
    nonce: str,
    secret: str = "",
    ticket_ref: tuple[int, int] | None = None,
    scanned_at: datetime | None = None,
    kind: str = Scan.Kind.ENTRY,
    offline_verdict: str | None = None,
    offline_reason: str = "",
    counts: dict[str, int] | None = None,
) -> Verdict:
    """Judge one scan. The same (device, nonce) always gets the same verdict, and is recorded once.

    `offline_verdict` is what a device decided on its own while offline, sent when it synchronises. A
    refusal stands as it was (nobody came in). An acceptance is judged again: if the ticket had been used
    elsewhere, the earliest scan wins and the other is flagged as a conflict; if the ticket had been
    revoked meanwhile, the scan is refused and flagged.
    """
    received = timezone.now()
    at = min(scanned_at or received, received)  # a device clock ahead of ours does not open doors early
    version = signing.secret_version(secret) if ticket_ref is None else signing.VERSION
    if version not in (signing.VERSION, signing.CARD_VERSION) and extensions.kind_of_version(version):
        return _redeem_code(
            extensions.kind_of_version(version), device=device, checkin_list=checkin_list, nonce=nonce,
            secret=secret, at=at, kind=kind, offline_verdict=offline_verdict, offline_reason=offline_reason,
            counts=counts,
        )  # fmt: skip
    if version == signing.CARD_VERSION:
        return _redeem_card(
            device=device, checkin_list=checkin_list, nonce=nonce, secret=secret, at=at, kind=kind,
            offline_verdict=offline_verdict, offline_reason=offline_reason,
        )  # fmt: skip
    reason, ticket, valid_until = _ticket_of(checkin_list, secret, ticket_ref)
    if not reason:
        reason = _check_ticket(checkin_list, ticket, valid_until, at)
    offline = offline_verdict is not None
    if offline_verdict == "refused":
        reason = offline_reason if offline_reason in DEVICE_REASONS else "refused_offline"
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
                offline=offline,
                conflict=bool(reason) and offline_verdict == "accepted",
            )
            if not reason:
                reason = _enter_or_exit(checkin_list, ticket, scan, kind, offline=offline)
                if reason:
                    scan.accepted, scan.reason, scan.conflict = False, reason, offline
                    Scan.objects.filter(pk=scan.pk).update(accepted=False, reason=reason, conflict=offline)
    except IntegrityError:  # a retry of a scan already recorded (same nonce): the first verdict stands
        return _verdict_of(Scan.objects.select_related("ticket").get(device=device, nonce=nonce))
    return _verdict_of(scan)


def _redeem_card(
    *,
    device,
    checkin_list: CheckinList,
    nonce: str,
    secret: str,
    at,
    kind: str,
    offline_verdict,
    offline_reason,
) -> Verdict:
    """A member card on a list that admits members: as many people inside at once as the card names.

    The membership's row is locked while its entries on this list are counted, so two doors scanning the
    same duo card at once let in two people, never three."""

    if not checkin_list.admit_members:
        reason, membership = "member_card_refused", None
    else:
        reason, membership = card_check(secret, organizer_id=checkin_list.organizer_id, at=at)
    if offline_verdict == "refused":
        reason = offline_reason if offline_reason in DEVICE_REASONS else "refused_offline"
    try:
        with transaction.atomic():
            if not reason:
                Membership.objects.select_for_update().filter(pk=membership.pk).first()
                scans = Scan.objects.filter(checkin_list=checkin_list, membership=membership, accepted=True)
                inside = (
                    scans.filter(kind=Scan.Kind.ENTRY).count() - scans.filter(kind=Scan.Kind.EXIT).count()
                )
                if kind == Scan.Kind.EXIT:
                    reason = "" if checkin_list.allow_reentry else "no_reentry"
                    reason = reason or ("" if inside > 0 else "not_inside")
                elif inside >= membership.level.persons:
                    reason = "member_used"
            scan = _scan_create(
                checkin_list, device, nonce, kind, reason, at, offline_verdict, membership=membership
            )
    except IntegrityError:  # a retry of a scan already recorded (same nonce): the first verdict stands
        return _verdict_of(Scan.objects.select_related("ticket").get(device=device, nonce=nonce))
    return _verdict_of(scan)


def _scan_create(checkin_list, device, nonce, kind, reason, at, offline_verdict, **subject) -> Scan:
    """A scan of a member card or a product's code, as judged (`subject`: what it is about)."""
    return Scan.objects.create(
        checkin_list=checkin_list,
        device=device,
        gate=device.gate,
        nonce=nonce,
        kind=kind,
        accepted=not reason,
        reason=reason,
        scanned_at=at,
        offline=offline_verdict is not None,
        conflict=bool(reason) and offline_verdict == "accepted",
        **subject,
    )


def _redeem_code(
    code_kind, *, device, checkin_list, nonce, secret, at, kind, offline_verdict, offline_reason, counts=None
):
    """A code of a product above (a market badge, a group), judged by its kind. Its holder may come and
    go: each scan is judged on its own and recorded. A group's counts are recorded with the scan that lets
    it in, once: a retry of the same scan counts nothing again."""
    verdict = code_kind.judge(checkin_list, secret, at=at, kind=kind)
    reason = verdict.reason
    if offline_verdict == "refused":
        reason = (
            offline_reason if offline_reason in DEVICE_REASONS | set(code_kind.labels) else "refused_offline"
        )
    note = ""
    try:
        with transaction.atomic():
            scan = _scan_create(
                checkin_list, device, nonce, kind, reason, at, offline_verdict, code_ref=verdict.ref
            )
            if scan.accepted and counts and code_kind.headcount and kind == Scan.Kind.ENTRY:
                note = code_kind.count(verdict, counts, at=at)
    except IntegrityError:  # a retry of a scan already recorded (same nonce): the first verdict stands
        scan = Scan.objects.get(device=device, nonce=nonce)
    return Verdict(
        accepted=scan.accepted, reason=scan.reason, scan=scan, extra={"holder": verdict.holder, "note": note}
    )


def _enter_or_exit(checkin_list: CheckinList, ticket: Ticket, scan: Scan, kind: str, offline: bool) -> str:
    if kind == Scan.Kind.EXIT:
        if not checkin_list.allow_reentry:
            return "no_reentry"
        left = Presence.objects.filter(checkin_list=checkin_list, ticket=ticket, inside=True).update(
            inside=False
        )
        return "" if left else "not_inside"
    if _insert_presence(checkin_list, ticket, scan):
        changes.record(
            "ticket.checked_in",
            organizer_id=checkin_list.organizer_id,
            subject="ticket",
            subject_id=ticket.pk,
            at=scan.scanned_at,
        )
        # The first entry on this list is a visit in the buyer's audience profile.
        crm.interaction_record(
            contact_id=ticket.order.contact_id,
            organizer_id=checkin_list.organizer_id,
            kind=crm.Interaction.Kind.ATTENDANCE,
            at=scan.scanned_at,
            summary=str(ticket.number),
            ref=f"scan:{scan.pk}",
            venue_id=ticket.performance.venue_id,
            performance_id=ticket.performance_id,
            announced=True,  # by the ticket.checked_in change above
        )
        return ""
    if checkin_list.allow_reentry and Presence.objects.filter(
        checkin_list=checkin_list, ticket=ticket, inside=False
    ).update(inside=True):
        return ""
    if offline:
        return _first_by_time(checkin_list, ticket, scan)
    return "already_used"


def _insert_presence(checkin_list: CheckinList, ticket: Ticket, scan: Scan) -> bool:
    """Enter: insert the ticket's presence row unless it exists, in one statement (no savepoint)."""
    table = connection.ops.quote_name(Presence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (checkin_list_id, ticket_id, first_scan_id, inside) "  # noqa: S608
            "VALUES (%s, %s, %s, %s) ON CONFLICT (checkin_list_id, ticket_id) DO NOTHING RETURNING id",
            [checkin_list.pk, ticket.pk, scan.pk, True],
        )
        return cursor.fetchone() is not None


def _first_by_time(checkin_list: CheckinList, ticket: Ticket, scan: Scan) -> str:
    """An offline entry arrives for a ticket that already entered: the earlier scan keeps the entry.

    Both people were let in, so whichever loses is flagged as a conflict for staff.
    """
    presence = (
        Presence.objects.select_for_update()
        .select_related("first_scan")
        .get(checkin_list=checkin_list, ticket=ticket)
    )
    first = presence.first_scan
    if (scan.scanned_at, scan.pk) >= (first.scanned_at, first.pk):
        return "already_used"
    Scan.objects.filter(pk=first.pk).update(accepted=False, reason="already_used", conflict=True)
    presence.first_scan = scan
    presence.save(update_fields=["first_scan"])
    return ""


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


# Staff actions, each audited.


def gate_create(*, actor, organizer, name: str, request=None) -> Gate:
    with transaction.atomic():
        gate = Gate(organizer=organizer, name=name)
        gate.full_clean()
        gate.save()
        audit_record(
            actor=actor,
            action="checkin.gate_create",
            instance=gate,
            after=snapshot(gate),
            organizer=organizer,
            request=request,
        )
    return gate


def device_register(*, actor, organizer, name: str, gate=None, request=None) -> tuple[Device, str]:
    """A new scanning device and its token, shown once to the staff member who pairs the phone."""
    with transaction.atomic():
        device, token = device_create(organizer=organizer, name=name, gate=gate)
        audit_record(
            actor=actor,
            action="checkin.device_create",
            instance=device,
            after=snapshot(device, exclude=("token_hash",)),
            organizer=organizer,
            request=request,
        )
    return device, token


def device_revoke(*, actor, device: Device, request=None) -> None:
    with transaction.atomic():
        if Device.objects.filter(pk=device.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
            # Forgotten now, and again at commit in case a scan of this process read it meanwhile.
            rules.forget()
            transaction.on_commit(rules.forget)
            audit_record(
                actor=actor,
                action="checkin.device_revoke",
                instance=device,
                organizer=device.organizer,
                request=request,
            )


def list_save(*, actor, checkin_list: CheckinList, data: dict, performances, tariffs, request=None):
    """Create or change a check-in list (its rules, performances and tariffs)."""
    with transaction.atomic():
        creating = checkin_list.pk is None
        before = None if creating else _list_snapshot(checkin_list)
        for name, value in data.items():
            setattr(checkin_list, name, value)
        checkin_list.full_clean()
        checkin_list.save()
        checkin_list.performances.set(performances)
        checkin_list.tariffs.set(tariffs)
        audit_record(
            actor=actor,
            action="checkin.list_create" if creating else "checkin.list_change",
            instance=checkin_list,
            before=before,
            after=_list_snapshot(checkin_list),
            organizer=checkin_list.organizer,
            request=request,
        )
    return checkin_list


def _list_snapshot(checkin_list: CheckinList) -> dict:
    return {
        **snapshot(checkin_list),
        "performances": sorted(checkin_list.performances.values_list("pk", flat=True)),
        "tariffs": sorted(checkin_list.tariffs.values_list("pk", flat=True)),
    }


def conflict_review(*, actor, scan: Scan, request=None) -> None:
    """A staff member has looked into a conflict (someone let in twice, or with a revoked ticket)."""
    with transaction.atomic():
        if Scan.objects.filter(pk=scan.pk, conflict=True, reviewed_at__isnull=True).update(
            reviewed_at=timezone.now(), reviewed_by=actor
        ):
            audit_record(
                actor=actor,
                action="checkin.conflict_review",
                instance=scan,
                organizer=scan.checkin_list.organizer,
                request=request,
            )

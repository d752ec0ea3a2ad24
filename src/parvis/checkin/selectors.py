"""Reads for the door: the offline package of a list, live attendance."""

import base64
import datetime
import functools
import operator

from django.db.models import Count, Min, Q
from django.db.models.functions import TruncMinute
from django.utils import timezone

from parvis.core.params import is_digits
from parvis.memberships.public import card_keys_for
from parvis.programming.models import Performance
from parvis.ticketing import extensions, signing
from parvis.ticketing.models import OrderState, Tariff, Ticket, TicketState

from . import extensions as codes
from .models import CheckinList, Presence, Scan


def offline_package(checkin_list: CheckinList) -> dict:
    """What a device needs to judge tickets without the network: rules, public keys, tickets and their state.

    Tickets that are no longer valid are listed too (state), so a device that had them valid learns the
    revocation at its next download.
    """
    performances = list(checkin_list.performances.values_list("pk", flat=True))
    tariffs = list(checkin_list.tariffs.values_list("pk", flat=True))
    tickets = (
        Ticket.objects.filter(performance_id__in=performances, tariff__online=False)  # none at the door
        .select_related("order", "slot")
        .only(
            "performance_id",
            "number",
            "state",
            "tariff_id",
            "attendee_name",
            "order__state",
            "order__code",
            "slot__slot_starts_at",
            "slot__slot_ends_at",
        )
        .order_by("performance_id", "number")
    )
    used = set(
        Presence.objects.filter(checkin_list=checkin_list, inside=True).values_list("ticket_id", flat=True)
    )
    paid = {OrderState.PAID, OrderState.PARTIALLY_REFUNDED} | (
        {OrderState.PENDING} if checkin_list.include_pending else set()
    )
    mentions = mentions_where(Q(performance_id__in=performances))
    rows = []
    for t in tickets:
        valid = t.state == TicketState.VALID and t.order.state in paid
        rows.append(
            {
                **({"mentions": mentions[t.pk]} if t.pk in mentions else {}),
                "performance": t.performance_id,
                "number": t.number,
                "tariff": t.tariff_id,
                "name": t.attendee_name,
                "order": t.order.code,
                "state": t.state if t.state != TicketState.VALID else ("valid" if valid else "unpaid"),
                "inside": t.pk in used,
                "slot": [t.slot.slot_starts_at.isoformat(), t.slot.slot_ends_at.isoformat()]
                if t.slot_id
                else None,
            }
        )
    return {
        "list": {
            "id": checkin_list.pk,
            "name": checkin_list.name,
            "performances": performances,
            "tariffs": tariffs,
            "performance_info": _performance_info(performances),
            "tariff_names": dict(
                Tariff.objects.filter(performance_id__in=performances).values_list("pk", "name")
            ),
            "allow_reentry": checkin_list.allow_reentry,
            "opens_minutes_before": checkin_list.opens_minutes_before,
            "slot_tolerance_minutes": checkin_list.slot_tolerance_minutes,
            "admit_members": checkin_list.admit_members,
            "areas": checkin_list.areas,
        },
        "public_keys": {
            str(kid): base64.b64encode(key).decode()
            for kid, key in signing.public_keys_of(checkin_list.organizer).items()
        },
        **(_member_cards(checkin_list) if checkin_list.admit_members else {}),
        "codes": {name: kind.offline(checkin_list) for name, kind in codes.code_kinds.items()},
        "tickets": rows,
        "generated_at": timezone.now().isoformat(),
    }


def mentions_where(where: Q) -> dict[int, list[tuple[str, str]]]:
    """What the products print on these tickets, by ticket (a seat: « Place : Parterre, rang B, 7 »), so the
    usher can show the way. One query, over the tickets that have one of the products' relations."""
    relations = extensions.ticket_relations
    if not relations:
        return {}
    has_one = functools.reduce(operator.or_, (Q(**{f"{r.split('__')[0]}__isnull": False}) for r in relations))
    tickets = Ticket.objects.filter(where, has_one).select_related(*relations)
    return {t.pk: mentions for t in tickets if (mentions := extensions.mentions_of(t))}


def _member_cards(checkin_list) -> dict:
    """What a device needs to judge member cards offline: the keys of the programmes valid here, and the
    cards cancelled since they were printed (the QR cannot say so)."""

    keys, cancelled = card_keys_for(checkin_list.organizer_id)
    inside = (
        Scan.objects.filter(checkin_list=checkin_list, membership__isnull=False, accepted=True)
        .values("membership_id")
        .annotate(n=Count("pk", filter=Q(kind=Scan.Kind.ENTRY)) - Count("pk", filter=Q(kind=Scan.Kind.EXIT)))
    )
    return {
        "member_keys": {str(kid): base64.b64encode(key).decode() for kid, key in keys.items()},
        "members_cancelled": cancelled,
        "members_inside": {str(row["membership_id"]): row["n"] for row in inside if row["n"] > 0},
    }


def _performance_info(performance_ids) -> dict[int, dict]:
    return {
        p.pk: {
            "title": p.event.title,
            "venue": p.venue.name,
            "starts_at": p.starts_at.isoformat(),
            "valid_until": (p.starts_at + signing.VALIDITY_AFTER_START).isoformat(),
        }
        for p in Performance.objects.filter(pk__in=performance_ids).select_related("event", "venue")
    }


def lists_for_device(device) -> list[dict]:
    """Lists of the device's organizer that cover a performance from yesterday on, soonest first, then
    those that open areas to badges (a market's days: no performance of their own)."""
    since = timezone.now() - datetime.timedelta(days=1)
    result = []
    lists = (
        CheckinList.objects.filter(organizer=device.organizer, performances__starts_at__gte=since)
        .annotate(first=Min("performances__starts_at"))
        .order_by("first", "name")
        .distinct()
    )
    for checkin_list in lists:
        info = _performance_info(checkin_list.performances.values_list("pk", flat=True))
        result.append({"id": checkin_list.pk, "name": checkin_list.name, "performances": list(info.values())})
    listed = {row["id"] for row in result}
    for checkin_list in (
        CheckinList.objects.filter(organizer=device.organizer).exclude(areas=[]).order_by("name")
    ):
        if checkin_list.pk not in listed:
            result.append({"id": checkin_list.pk, "name": checkin_list.name, "performances": []})
    return result


def search_tickets(checkin_list: CheckinList, q: str, *, limit: int = 20) -> list[dict]:
    """Tickets of the list's performances by attendee or buyer name, order code or ticket number."""
    q = q.strip()
    if len(q) < 2 and not is_digits(q):
        return []
    match = (
        Q(attendee_name__icontains=q)
        | Q(order__last_name__icontains=q)
        | Q(order__email__iexact=q)
        | Q(order__code__iexact=q)
    )
    if is_digits(q, max_len=9):
        match |= Q(number=int(q))
    tickets = (
        Ticket.objects.filter(match, performance_id__in=checkin_list.performance_ids)
        .select_related("order", "tariff", "performance__event")
        .order_by("attendee_name", "number")[:limit]
    )
    inside = set(
        Presence.objects.filter(checkin_list=checkin_list, ticket__in=tickets, inside=True).values_list(
            "ticket_id", flat=True
        )
    )
    mentions = mentions_where(Q(pk__in=[t.pk for t in tickets]))
    return [
        {
            **({"mentions": mentions[t.pk]} if t.pk in mentions else {}),
            "performance": t.performance_id,
            "number": t.number,
            "name": t.attendee_name or f"{t.order.first_name} {t.order.last_name}",
            "order": t.order.code,
            "tariff": t.tariff.name,
            "event": t.performance.event.title,
            "state": t.state,
            "inside": t.pk in inside,
        }
        for t in tickets
    ]


def attendance(checkin_list: CheckinList, *, bucket_minutes: int = 5) -> dict:
    """Checked in / sold, by gate and by time bucket, for the door manager."""
    performances = checkin_list.performances.all()
    sold = Ticket.objects.filter(
        performance__in=performances, state=TicketState.VALID, tariff__online=False
    ).count()
    inside = Presence.objects.filter(checkin_list=checkin_list, inside=True).count()
    entered = Presence.objects.filter(checkin_list=checkin_list).count()
    accepted = Scan.objects.filter(checkin_list=checkin_list, accepted=True, kind=Scan.Kind.ENTRY)
    by_gate = dict(accepted.values_list("gate__name").annotate(n=Count("id")).values_list("gate__name", "n"))
    buckets: dict[str, int] = {}
    for minute, n in (
        accepted.annotate(m=TruncMinute("scanned_at"))
        .values_list("m")
        .annotate(n=Count("id"))
        .values_list("m", "n")
    ):
        start = minute - datetime.timedelta(minutes=minute.minute % bucket_minutes)
        key = timezone.localtime(start).strftime("%H:%M")
        buckets[key] = buckets.get(key, 0) + n
    refused = Scan.objects.filter(checkin_list=checkin_list, accepted=False).count()
    return {
        "sold": sold,
        "entered": entered,
        "inside": inside,
        "refused": refused,
        "by_gate": {(k or "—"): v for k, v in by_gate.items()},
        "by_time": dict(sorted(buckets.items())),
        "generated_at": timezone.now(),
    }

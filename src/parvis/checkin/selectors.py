"""Reads for the door: the offline package of a list, live attendance."""

import base64
import datetime

from django.db.models import Count
from django.db.models.functions import TruncMinute
from django.utils import timezone

from parvis.ticketing import signing
from parvis.ticketing.models import OrderState, Ticket, TicketState

from .models import CheckinList, Presence, Scan


def offline_package(checkin_list: CheckinList) -> dict:
    """What a device needs to judge tickets without the network: rules, public keys, tickets and their state.

    Tickets that are no longer valid are listed too (state), so a device that had them valid learns the
    revocation at its next download.
    """
    performances = list(checkin_list.performances.values_list("pk", flat=True))
    tariffs = list(checkin_list.tariffs.values_list("pk", flat=True))
    tickets = (
        Ticket.objects.filter(performance_id__in=performances)
        .select_related("order", "slot")
        .only(
            "performance_id",
            "number",
            "state",
            "tariff_id",
            "attendee_name",
            "order__state",
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
    rows = []
    for t in tickets:
        valid = t.state == TicketState.VALID and t.order.state in paid
        rows.append(
            {
                "performance": t.performance_id,
                "number": t.number,
                "tariff": t.tariff_id,
                "name": t.attendee_name,
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
            "allow_reentry": checkin_list.allow_reentry,
            "opens_minutes_before": checkin_list.opens_minutes_before,
            "slot_tolerance_minutes": checkin_list.slot_tolerance_minutes,
        },
        "public_keys": {
            str(kid): base64.b64encode(key).decode()
            for kid, key in signing.public_keys_of(checkin_list.organizer).items()
        },
        "tickets": rows,
        "generated_at": timezone.now().isoformat(),
    }


def attendance(checkin_list: CheckinList, *, bucket_minutes: int = 5) -> dict:
    """Checked in / sold, by gate and by time bucket, for the door manager."""
    performances = checkin_list.performances.all()
    sold = Ticket.objects.filter(performance__in=performances, state=TicketState.VALID).count()
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
    }

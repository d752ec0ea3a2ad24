"""Door API for scanning devices (device token): lists, offline package, redeem, sync, search, attendance."""

import datetime
from typing import Literal

from django.db.models import Q
from django.http import Http404
from ninja import Field, Router, Schema
from ninja.security import HttpBearer
from pydantic import AwareDatetime, field_validator

from parvis.core.api_errors import errors

from . import defaults, rules, selectors, services
from .models import CheckinList, Scan

router = Router(tags=["checkin"])

MAX_SYNC_BATCH = 500


class DeviceAuth(HttpBearer):
    def authenticate(self, request, token):
        device = rules.device_for_token(token)
        if device is not None:
            request.device = device
        return device


class TicketRef(Schema):
    performance: int = Field(..., ge=1)
    number: int = Field(..., ge=1)


class RedeemIn(Schema):
    list: int = Field(..., ge=1)
    secret: str = Field("", max_length=10_000, description="The QR code's content")
    ticket: TicketRef | None = Field(None, description="Manual entry, instead of a secret")
    nonce: str = Field(..., min_length=8, max_length=64, description="Unique per scan on this device")
    # With its UTC offset: a time without one means nothing across time zones (422, not 500).
    scanned_at: AwareDatetime | None = Field(
        None, description="When the device scanned (offline sync), with offset"
    )
    type: Scan.Kind = Scan.Kind.ENTRY
    offline_verdict: Literal["accepted", "refused"] | None = Field(
        None, description="What the device decided offline; only on synchronisation"
    )
    offline_reason: str = Field("", max_length=30)
    counts: dict[str, int] | None = Field(
        None, description="A group's code: how many came in, by the fields its kind names (pupils, adults)"
    )

    @field_validator("counts")
    @classmethod
    def _counts(cls, counts):
        if counts is not None and (len(counts) > 10 or any(not 0 <= n <= 10_000 for n in counts.values())):
            raise ValueError("counts: at most 10 fields, each from 0 to 10,000")
        return counts


class TicketInfo(Schema):
    number: int
    performance_id: int
    tariff: str
    name: str
    slot: str | None
    mentions: list[tuple[str, str]] = Field(
        [], description="What the ticket prints besides its tariff, as (label, text): its seat"
    )


class MemberInfo(Schema):
    id: int
    code: str
    name: str
    level: str
    persons: int
    valid_until: datetime.datetime


class FirstScan(Schema):
    at: datetime.datetime
    gate: str | None


class RedeemOut(Schema):
    nonce: str
    result: str
    reason: str
    conflict: bool
    ticket: TicketInfo | None
    member: MemberInfo | None = None
    holder: dict | None = Field(
        None,
        description="A badge's or a group's holder, as the door shows it: name, organisation, category, "
        "colour; for a group, `headcount` (expected) and `counted` (what the door recorded)",
    )
    note: str = Field("", description="What the door should read besides the verdict (a count not recorded)")
    first_scan: FirstScan | None


class SyncIn(Schema):
    scans: list[RedeemIn] = Field(..., max_length=MAX_SYNC_BATCH)


class SyncOut(Schema):
    results: list[RedeemOut]


def _list_of(device, list_id: int) -> CheckinList:
    checkin_list = rules.checkin_list_for(list_id, device.organizer_id)
    if checkin_list is None:
        raise Http404
    return checkin_list


def _redeem_one(device, checkin_list: CheckinList, payload: RedeemIn) -> dict:
    verdict = services.redeem(
        device=device,
        checkin_list=checkin_list,
        secret=payload.secret[:200],
        ticket_ref=(payload.ticket.performance, payload.ticket.number) if payload.ticket else None,
        nonce=payload.nonce,
        scanned_at=payload.scanned_at,
        kind=payload.type,
        offline_verdict=payload.offline_verdict,
        offline_reason=payload.offline_reason,
        counts=payload.counts,
    )
    ticket = verdict.ticket
    card = verdict.scan.membership if verdict.scan and verdict.scan.membership_id else None
    return {
        "member": {
            "id": card.pk,
            "code": card.code,
            "name": ", ".join([card.holder_name, *card.other_names]),
            "level": card.level.name,
            "persons": card.level.persons,
            "valid_until": card.valid_until,
        }
        if card
        else None,
        "holder": verdict.extra.get("holder") or None,
        "note": str(verdict.extra.get("note") or ""),
        "nonce": payload.nonce,
        "result": "accepted" if verdict.accepted else "refused",
        "reason": verdict.reason,
        "conflict": verdict.scan.conflict if verdict.scan else False,
        "ticket": {
            "number": ticket.number,
            "performance_id": ticket.performance_id,
            "tariff": ticket.tariff.name,
            "name": ticket.attendee_name,
            "slot": ticket.slot.name if ticket.slot_id else None,
            # The seat, for the usher to show the way (read only for tariffs that give one: the others
            # cost the door no query).
            "mentions": selectors.mentions_where(Q(pk=ticket.pk)).get(ticket.pk, [])
            if ticket.tariff.seated
            else [],
        }
        if ticket
        else None,
        "first_scan": {
            "at": verdict.first_scan.scanned_at,
            "gate": verdict.first_scan.gate.name if verdict.first_scan.gate_id else None,
        }
        if verdict.first_scan
        else None,
    }


@router.post(
    "/checkin/redeem",
    response={200: RedeemOut, **errors("Redeem", auth=True, lookup=True)},
    auth=DeviceAuth(),
)
def redeem(request, payload: RedeemIn):
    return _redeem_one(request.device, _list_of(request.device, payload.list), payload)


@router.post(
    "/checkin/sync", response={200: SyncOut, **errors("Sync", auth=True, lookup=True)}, auth=DeviceAuth()
)
def sync(request, payload: SyncIn):
    """Scans a device recorded offline, in the order it made them; each is idempotent by its nonce."""
    lists: dict[int, CheckinList] = {}
    results = []
    for scan in payload.scans:
        if scan.list not in lists:
            lists[scan.list] = _list_of(request.device, scan.list)
        results.append(_redeem_one(request.device, lists[scan.list], scan))
    return {"results": results}


@router.get("/checkin/lists", response={200: dict, **errors("Lists", auth=True)}, auth=DeviceAuth())
def lists(request):
    """The device's organizer's lists with a performance from yesterday on (each date has its own)."""
    defaults.default_lists_ensure(defaults.upcoming_of(request.device.organizer_id))
    return {"device": request.device.name, "lists": selectors.lists_for_device(request.device)}


@router.get(
    "/checkin/lists/{list_id}/download",
    response={200: dict, **errors("Download", auth=True, lookup=True)},
    auth=DeviceAuth(),
)
def download(request, list_id: int):
    """The offline package of a list: rules, public keys, every ticket with its state."""
    return selectors.offline_package(_list_of(request.device, list_id))


@router.get(
    "/checkin/lists/{list_id}/search",
    response={200: dict, **errors("Search", auth=True, lookup=True)},
    auth=DeviceAuth(),
)
def search(request, list_id: int, q: str = ""):
    """Manual search by name, order code or ticket number, when a QR code cannot be read."""
    return {"tickets": selectors.search_tickets(_list_of(request.device, list_id), q[:100])}


@router.get(
    "/checkin/lists/{list_id}/attendance",
    response={200: dict, **errors("Attendance", auth=True, lookup=True)},
    auth=DeviceAuth(),
)
def attendance(request, list_id: int):
    return selectors.attendance(_list_of(request.device, list_id))

"""Door API for scanning devices (device token): redeem a ticket on a check-in list."""

import datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.security import HttpBearer

from . import selectors, services
from .models import CheckinList, Scan

router = Router(tags=["checkin"])


class DeviceAuth(HttpBearer):
    def authenticate(self, request, token):
        device = services.device_for_token(token)
        if device is not None:
            request.device = device
        return device


class RedeemIn(Schema):
    list: int = Field(..., ge=1)
    secret: str = Field(..., max_length=10_000)
    nonce: str = Field(..., min_length=8, max_length=64, description="Unique per scan on this device")
    scanned_at: datetime.datetime | None = Field(None, description="When the device scanned (offline sync)")
    type: Scan.Kind = Scan.Kind.ENTRY


class TicketInfo(Schema):
    number: int
    performance_id: int
    tariff: str
    name: str
    slot: str | None


class FirstScan(Schema):
    at: datetime.datetime
    gate: str | None


class RedeemOut(Schema):
    result: str
    reason: str
    ticket: TicketInfo | None
    first_scan: FirstScan | None


@router.post("/checkin/redeem", response=RedeemOut, auth=DeviceAuth())
def redeem(request, payload: RedeemIn):
    device = request.device
    checkin_list = get_object_or_404(
        CheckinList.objects.select_related("organizer"), pk=payload.list, organizer=device.organizer
    )
    verdict = services.redeem(
        device=device,
        checkin_list=checkin_list,
        secret=payload.secret[:200],
        nonce=payload.nonce,
        scanned_at=payload.scanned_at,
        kind=payload.type,
    )
    ticket = verdict.ticket
    return {
        "result": "accepted" if verdict.accepted else "refused",
        "reason": verdict.reason,
        "ticket": {
            "number": ticket.number,
            "performance_id": ticket.performance_id,
            "tariff": ticket.tariff.name,
            "name": ticket.attendee_name,
            "slot": ticket.slot.name if ticket.slot_id else None,
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


@router.get("/checkin/lists/{list_id}/download", auth=DeviceAuth())
def download(request, list_id: int):
    """The offline package of a list: rules, public keys, every ticket with its state."""
    checkin_list = get_object_or_404(
        CheckinList.objects.select_related("organizer"), pk=list_id, organizer=request.device.organizer
    )
    return selectors.offline_package(checkin_list)


@router.get("/checkin/lists/{list_id}/attendance", auth=DeviceAuth())
def attendance(request, list_id: int):
    checkin_list = get_object_or_404(CheckinList, pk=list_id, organizer=request.device.organizer)
    return selectors.attendance(checkin_list)

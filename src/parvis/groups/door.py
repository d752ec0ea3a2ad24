"""A group's code at the door: one signed QR for the whole class, read by the check-in app through the
`code_kinds` extension point (docs/adr/0005, 0015), like a market's badge.

The code is signed with the organizer's key (version 4: the booking and the date it was made for), so a
phone judges it offline too. It lets the group in on the lists of its date, from the list's opening to the
end of that day; the door staff then type how many pupils and adults came, and that count is the booking's
arrival (`services.arrival`): the places follow it, and the invoice is made from it. A booking moved to
another date needs its new code (the leader's page always shows the current one)."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from parvis.checkin.extensions import CodeKind, CodeVerdict, verified
from parvis.ticketing import signing

from . import services
from .models import HOLDING, BookingState, GroupBooking

COUNTED = (BookingState.VISITED, BookingState.INVOICED, BookingState.PAID)


def group_secret(booking: GroupBooking) -> str:
    """The code on the leader's page: valid until the end of its date's day, in the venue's time."""
    performance = booking.performance
    venue_day = timezone.localtime(performance.starts_at, performance.venue.tzinfo).date()
    end = datetime.datetime.combine(venue_day, datetime.time(23, 59), tzinfo=performance.venue.tzinfo)
    return signing.sign_group(
        key=signing.signing_key_for_id(booking.organizer_id),
        booking_id=booking.pk,
        performance_id=booking.performance_id,
        valid_until=max(end, performance.starts_at + signing.VALIDITY_AFTER_START),
    )


def _holder(booking: GroupBooking) -> dict:
    counted = booking.state in COUNTED
    return {
        "name": booking.establishment_name,
        "organisation": booking.leader_name,
        "category": gettext("Groupe — %(offer)s") % {"offer": booking.offer.name},
        "headcount": {"pupils": booking.pupils, "adults": booking.adults},
        "counted": {"pupils": booking.final_pupils, "adults": booking.final_adults} if counted else None,
    }


class GroupCodes(CodeKind):
    labels = {
        "group_unknown": _("Groupe inconnu"),
        "group_not_confirmed": _("Réservation de groupe annulée ou non confirmée"),
        "group_other_date": _("Ce groupe est attendu à une autre date"),
    }
    headcount = (("pupils", _("Élèves ou participants")), ("adults", _("Accompagnateurs")))

    def judge(self, checkin_list, secret: str, *, at, kind: str) -> CodeVerdict:
        claims, refused = verified(signing.verify_group, checkin_list, secret)
        if refused:
            return refused
        booking = (
            GroupBooking.objects.select_related("offer", "performance")
            .filter(pk=claims.booking_id, organizer_id=checkin_list.organizer_id)
            .first()
        )
        if booking is None:
            return CodeVerdict("group_unknown")
        verdict = CodeVerdict("", ref=f"group:{booking.pk}", holder=_holder(booking))
        if booking.state not in HOLDING:
            verdict.reason = "group_not_confirmed"
        elif booking.performance_id != claims.performance_id or (
            booking.performance_id not in checkin_list.performance_ids
        ):
            verdict.reason = "group_other_date"
        elif at < booking.performance.starts_at - datetime.timedelta(
            minutes=checkin_list.opens_minutes_before
        ):
            verdict.reason = "too_early"
        elif at > claims.valid_until:
            verdict.reason = "expired"
        return verdict

    def count(self, verdict: CodeVerdict, counts: dict[str, int], *, at) -> str:
        booking_id = int(verdict.ref.removeprefix("group:"))
        locked = GroupBooking.objects.select_for_update(of=("self",))  # a booking's date may be empty
        booking = locked.select_related("offer", "performance").get(pk=booking_id)
        if booking.state in COUNTED:  # a second door, or the group coming back in: counted once
            verdict.holder = _holder(booking)
            return ""
        try:
            with transaction.atomic():
                services.arrival(
                    actor=None,
                    booking=booking,
                    pupils=int(counts.get("pupils", 0)),
                    adults=int(counts.get("adults", 0)),
                )
        except services.GroupError as exc:
            return gettext("Le compte n'est pas enregistré : %(why)s Comptez le groupe à l'accueil.") % {
                "why": exc.message
            }
        verdict.holder = _holder(booking)
        return ""

    def offline(self, checkin_list) -> dict:
        """The groups of the list's dates: whether each may come in, its names and its expected numbers."""
        bookings = GroupBooking.objects.filter(
            organizer_id=checkin_list.organizer_id, performance_id__in=checkin_list.performance_ids
        ).select_related("offer")
        groups = {}
        for booking in bookings:
            holder = _holder(booking)
            state = "counted" if booking.state in COUNTED else "confirmed" if booking.state in HOLDING else ""
            groups[str(booking.pk)] = [
                state,
                booking.performance_id,
                holder["name"],
                holder["organisation"],
                holder["category"],
                booking.pupils,
                booking.adults,
            ]
        return {"groups": groups} if groups else {}

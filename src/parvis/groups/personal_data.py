"""What groups keep about a person: the bookings they led (their name, e-mail and phone, what they asked).
Exported with their data, moved with them when two profiles are merged; at the erasure, the bookings stay
(the school came, the invoice is kept) without the leader's identity."""

from parvis.core.erasure import ERASED
from parvis.crm.extensions import PersonalDataHolder

from .models import GroupBooking


class GroupLeaders(PersonalDataHolder):
    owned = (("group_bookings", GroupBooking, "contact"),)

    def export(self, contact) -> dict:
        rows = GroupBooking.objects.filter(contact=contact).select_related("offer", "performance")
        return {
            "group_bookings": [
                {
                    "code": booking.code,
                    "offer": booking.offer.name,
                    "date": booking.performance.starts_at.isoformat() if booking.performance_id else None,
                    "state": booking.state,
                    "establishment": booking.establishment_name,
                    "leader": booking.leader_name,
                    "email": booking.leader_email,
                    "phone": booking.leader_phone,
                    "pupils": booking.pupils,
                    "adults": booking.adults,
                    "accessibility": booking.accessibility,
                }
                for booking in rows.order_by("created_at")
            ]
        }

    def erase(self, contact) -> dict:
        erased = GroupBooking.objects.filter(contact=contact).update(
            leader_name=ERASED, leader_email="", leader_phone="", accessibility="", newsletter=False
        )
        return {"group_bookings": erased}

"""A check-in list's rules and its organizer's public keys, kept a few seconds per process.

Every scan needs them; reading them from the database each time costs three queries on the door's hot
path. A change made in this process (list saved, key rotated or revoked) clears the copy at once; other
processes see it within `PARVIS_CHECKIN_RULES_TTL` seconds (5 by default).
"""

import time

from django.conf import settings

from .models import CheckinList

_lists: dict[int, tuple[float, CheckinList | None]] = {}


def checkin_list_for(list_id: int, organizer_id: int) -> CheckinList | None:
    """The list with its rules loaded, if it belongs to this organizer."""
    now = time.monotonic()
    hit = _lists.get(list_id)
    if hit is not None and hit[0] > now:
        checkin_list = hit[1]
    else:
        checkin_list = CheckinList.objects.select_related("organizer").filter(pk=list_id).first()
        if checkin_list is not None:  # load what a scan reads, once
            _ = checkin_list.performance_ids, checkin_list.tariff_ids, checkin_list.public_keys
        _lists[list_id] = (now + getattr(settings, "PARVIS_CHECKIN_RULES_TTL", 5.0), checkin_list)
    if checkin_list is None or checkin_list.organizer_id != organizer_id:
        return None
    return checkin_list


def forget(**kwargs) -> None:
    _lists.clear()

"""What every scan reads and rarely changes, kept a few seconds per process: a check-in list's rules, its
organizer's public keys, and which device a token belongs to.

Reading them from the database each time costs four queries on the door's hot path. A change made in this
process (list or device saved, key rotated or revoked, device revoked) clears the copies at once; other
processes see it within `PARVIS_CHECKIN_RULES_TTL` seconds (5 by default).
"""

import time

from django.conf import settings
from django.db.models.signals import m2m_changed, post_delete, post_save

from parvis.core.tokens import RecentTokens
from parvis.ticketing.models import SigningKey

from .models import CheckinList, Device, Gate

_lists: dict[int, tuple[float, CheckinList | None]] = {}


def _ttl() -> float:
    return getattr(settings, "PARVIS_CHECKIN_RULES_TTL", 5.0)


_devices = RecentTokens(kind="pd", queryset=lambda: Device.objects.select_related("gate"), ttl=_ttl)


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
        _lists[list_id] = (now + _ttl(), checkin_list)
    if checkin_list is None or checkin_list.organizer_id != organizer_id:
        return None
    return checkin_list


def device_for_token(token: str) -> Device | None:
    """The live (not revoked) device this token belongs to, or None."""
    return _devices.get(token)


def forget(**kwargs) -> None:
    _lists.clear()
    _devices.forget()


def forget_on_change() -> None:
    """Read the rules again after any change to what they are made of (lists, keys, devices, gates): a
    cache signal, not domain flow (called once, from CheckinConfig.ready)."""
    for model in (CheckinList, SigningKey, Device, Gate):
        post_save.connect(forget, sender=model, dispatch_uid=f"checkin_rules_{model.__name__}")
        post_delete.connect(forget, sender=model, dispatch_uid=f"checkin_rules_del_{model.__name__}")
    for through in (CheckinList.performances.through, CheckinList.tariffs.through):
        m2m_changed.connect(forget, sender=through, dispatch_uid=f"checkin_rules_{through.__name__}")

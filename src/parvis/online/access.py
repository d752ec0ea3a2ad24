"""The access check: what a personal link opens, when, and on how many devices at once.

A link is `/en-ligne/<token>/`, the token the access's id and version signed with the site's key: it cannot
be made up, and a revoked access (or a new link after one) refuses the old one. What it opens is read live
at each request: a refunded ticket, a cancelled card or date, a revocation end the access at once.

Devices: each browser gets its own key (a cookie); the page polls every `POLL_SECONDS`, and a device seen
within `LIVE_SECONDS` is watching. A link opened on a device beyond `OnlineContent.max_devices` is refused
with the reason, until one of the others stops (its button) or falls silent: no worker needs to run for a
place to come free. Admitting a device locks the access's row, so two browsers opening a shared link at the
same instant cannot both take the last place.

The usual request (a heartbeat) is one read of the access with what it depends on, and one UPDATE.
"""

import datetime
import secrets
from dataclasses import dataclass

from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from parvis.core.compiled import CompiledQuery
from parvis.core.params import is_digits
from parvis.crm import services as crm
from parvis.programming.models import PerformanceStatus
from parvis.ticketing.models import TicketState

from .models import OnlineAccess, Viewing

POLL_SECONDS = 30
LIVE_SECONDS = 75  # two polls missed and a margin: the device has gone
DEFAULT_DURATION = datetime.timedelta(hours=2)  # a date with neither end nor duration
DEVICE_COOKIE = "pv-online-{pk}"

_signer = signing.Signer(salt="parvis.online.access")
CONTENT_READ = (
    "kind", "embed_url", "link_url", "preview_url", "instructions", "opens_minutes_before",
    "closes_hours_after", "on_demand_days", "max_devices", "ticket_holders", "members",
)  # fmt: skip


class State:
    OPEN = "open"
    NOT_YET = "not_yet"
    ENDED = "ended"
    REVOKED = "revoked"
    CANCELLED = "cancelled"  # the ticket refunded or cancelled, the card or the date cancelled
    FULL = "full"  # open, but on as many devices as it may be at once


# Each request reads the access with what judging it needs (its ticket's state, its card's validity, the
# date and the content), the statement written once per process (`CompiledQuery`): written each time, it
# cost more than the read itself.
_access_read = CompiledQuery(
    OnlineAccess,
    lambda pk: (
        OnlineAccess.objects.select_related("content__performance__event", "ticket", "membership")
        .only(
            "version",
            "revoked_at",
            "revoked_reason",
            "first_opened_at",
            "organizer_id",
            "contact_id",
            "name",
            "email",
            "ticket__state",
            "membership__state",
            "membership__valid_from",
            "membership__valid_until",
            *(f"content__{name}" for name in CONTENT_READ),
            "content__performance__starts_at",
            "content__performance__ends_at",
            "content__performance__status",
            "content__performance__organizer_id",
            "content__performance__event__title",
            "content__performance__event__slug",
            "content__performance__event__organizer_id",
            "content__performance__event__duration_minutes",
        )  # fmt: skip
        .filter(pk=pk)
    ),
)


def token_of(access: OnlineAccess) -> str:
    return _signer.sign(f"{access.pk}-{access.version}")


def link_of(access: OnlineAccess, base_url: str = "") -> str:
    return base_url + reverse("online:access", args=[token_of(access)])


def access_of_token(token: str) -> OnlineAccess | None:
    """The access a link names, with what judging it reads, or None (a forged or outdated link)."""
    try:
        value = _signer.unsign(token[:120])
    except signing.BadSignature:
        return None
    pk, _sep, version = value.partition("-")
    if not (is_digits(pk) and is_digits(version, max_len=5)):
        return None
    found = _access_read(int(pk))
    if not found or found[0].version != int(version):
        return None
    return found[0]


def performance_end(performance) -> datetime.datetime:
    if performance.ends_at:
        return performance.ends_at
    minutes = performance.event.duration_minutes
    return performance.starts_at + (datetime.timedelta(minutes=minutes) if minutes else DEFAULT_DURATION)


def window(access: OnlineAccess) -> tuple[datetime.datetime, datetime.datetime | None]:
    """When the access opens and closes (None: not yet known, an on-demand access never opened)."""
    content = access.content
    performance = content.performance
    opens = performance.starts_at - datetime.timedelta(minutes=content.opens_minutes_before)
    if content.on_demand_days:
        if access.first_opened_at is None:
            return opens, None
        return opens, access.first_opened_at + datetime.timedelta(days=content.on_demand_days)
    return opens, performance_end(performance) + datetime.timedelta(hours=content.closes_hours_after)


def state_of(access: OnlineAccess, now: datetime.datetime) -> str:
    """Whether the link opens the content now (devices aside)."""
    if access.revoked_at is not None:
        return State.REVOKED
    if access.ticket_id is not None and access.ticket.state != TicketState.VALID:
        return State.CANCELLED
    if access.membership_id is not None and not access.membership.is_valid_at(now):
        return State.CANCELLED
    if access.content.performance.status == PerformanceStatus.CANCELLED:
        return State.CANCELLED
    opens, closes = window(access)
    if now < opens:
        return State.NOT_YET
    if closes is not None and now > closes:
        return State.ENDED
    return State.OPEN


def window_text(access: OnlineAccess) -> str:
    content = access.content
    opens, closes = window(access)
    local = timezone.localtime
    if content.on_demand_days and closes is None:
        text = ngettext(
            "à partir du %(opens)s, pendant %(n)s jour après la première ouverture",
            "à partir du %(opens)s, pendant %(n)s jours après la première ouverture",
            content.on_demand_days,
        ) % {"opens": formats.date_format(local(opens), "SHORT_DATETIME_FORMAT"), "n": content.on_demand_days}
    else:
        text = _("du %(opens)s au %(closes)s") % {
            "opens": formats.date_format(local(opens), "SHORT_DATETIME_FORMAT"),
            "closes": formats.date_format(local(closes), "SHORT_DATETIME_FORMAT"),
        }
    devices = ngettext("%(n)s appareil à la fois", "%(n)s appareils à la fois", content.max_devices) % {
        "n": content.max_devices
    }
    return f"{text} ; {devices}"


REASONS = {
    State.REVOKED: lambda a: (
        _("Cet accès a été révoqué par l'organisateur.")
        + (f" {a.revoked_reason}" if a.revoked_reason else "")
    ),
    State.CANCELLED: lambda a: _(
        "Ce billet n'est plus valable (remboursé ou annulé) : l'accès en ligne s'est fermé avec lui."
    ),
    State.ENDED: lambda a: _("La période d'accès est terminée."),
    State.FULL: lambda a: (
        ngettext(
            "Ce lien est déjà ouvert sur %(n)s appareil, le maximum en même temps. Arrêtez la lecture sur "
            "celui-ci (bouton « Arrêter sur cet appareil »), ou attendez une minute après l'avoir fermé.",
            "Ce lien est déjà ouvert sur %(n)s appareils, le maximum en même temps. Arrêtez la lecture sur "
            "l'un d'eux (bouton « Arrêter sur cet appareil »), ou attendez une minute après l'avoir fermé.",
            a.content.max_devices,
        )
        % {"n": a.content.max_devices}
    ),
}


def new_device() -> str:
    return secrets.token_urlsafe(16)


def device_valid(key: str | None) -> bool:
    return bool(key) and len(key) <= 32 and key.replace("-", "").replace("_", "").isalnum()


def touch(access: OnlineAccess, device: str, now: datetime.datetime) -> bool:
    """The heartbeat of a device watching: True if it was (and still is) one of the devices watching.
    One UPDATE in autocommit (a transaction around it, to skip the disk flush, cost more round trips than
    the flush: measured)."""
    return bool(
        Viewing.objects.filter(
            access_id=access.pk,
            device=device,
            ended_at__isnull=True,
            last_seen_at__gte=now - datetime.timedelta(seconds=LIVE_SECONDS),
        ).update(last_seen_at=now)
    )


def admit(access: OnlineAccess, device: str, now: datetime.datetime, *, user_agent: str = "") -> bool:
    """This device starts watching, if the link is on fewer devices than it may be; False otherwise.
    A device already watching is kept (its heartbeat)."""
    if touch(access, device, now):
        return True
    with transaction.atomic():
        OnlineAccess.objects.select_for_update().filter(pk=access.pk).first()  # one admission at a time
        others = (
            Viewing.objects.filter(
                access_id=access.pk,
                ended_at__isnull=True,
                last_seen_at__gte=now - datetime.timedelta(seconds=LIVE_SECONDS),
            )
            .exclude(device=device)
            .values("device")
            .distinct()
            .count()
        )
        if others >= access.content.max_devices:
            return False
        Viewing.objects.create(
            access=access, device=device, started_at=now, last_seen_at=now, user_agent=user_agent[:200]
        )
        if access.first_opened_at is None:
            OnlineAccess.objects.filter(pk=access.pk, first_opened_at__isnull=True).update(
                first_opened_at=now
            )
            access.first_opened_at = now
        performance = access.content.performance
        crm.interaction_record(
            contact_id=access.contact_id,
            organizer_id=access.organizer_id,
            kind=crm.Interaction.Kind.ONLINE,
            at=now,
            summary=_("En ligne : %(title)s") % {"title": performance.event.title},
            ref=f"online:{access.pk}",
            performance_id=performance.pk,
        )
    return True


def stop(access: OnlineAccess, device: str, now: datetime.datetime) -> None:
    """The viewer stops watching on this device: its place is free at once."""
    Viewing.objects.filter(access_id=access.pk, device=device, ended_at__isnull=True).update(
        ended_at=now, last_seen_at=now
    )


@dataclass
class Opened:
    """What a request to the link finds: the state, and the window shown on the page."""

    state: str
    opens_at: datetime.datetime
    closes_at: datetime.datetime | None


def open_link(access: OnlineAccess, device: str, now: datetime.datetime, *, user_agent: str = "") -> Opened:
    """The whole check of a page or a heartbeat: the link's state, then the device's place."""
    state = state_of(access, now)
    if state == State.OPEN and not admit(access, device, now, user_agent=user_agent):
        state = State.FULL
    opens, closes = window(access)
    return Opened(state, opens, closes)

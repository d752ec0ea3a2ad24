"""Who gets an access, and what staff do with them: grants from tickets and member cards, revocation and a
new link, the content's settings, and the audience the viewings make.

An order's accesses are made when its confirmation is written or its page shown (`order_links`), never
while the sale is made: a sale costs nothing more, and a link exists whatever runs when."""

import datetime
from collections import Counter
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from parvis.core.audit import audit_record
from parvis.core.background import enqueue_on_commit
from parvis.programming.models import Performance
from parvis.ticketing.models import Ticket, TicketState

from . import access as checks
from .models import OnlineAccess, OnlineContent, Viewing
from .tasks import send_access_link


def content_of(performance: Performance) -> OnlineContent:
    """The date's online content, made with its defaults the first time it is needed (an online ticket
    sold before staff set where the stream is still gets its link)."""
    content, _made = OnlineContent.objects.get_or_create(performance=performance)
    return content


def _tickets_giving_access(order_id: int) -> list[Ticket]:
    return [
        t
        for t in Ticket.objects.filter(order_id=order_id, state=TicketState.VALID)
        .filter(Q(tariff__online=True) | Q(performance__online_content__ticket_holders=True))
        .select_related("tariff", "performance__event", "order")
        .order_by("performance__starts_at", "number")
    ]


def grant_performance(performance: Performance) -> int:
    """Every valid ticket of the date that gives access gets its access (the staff page lists them all,
    links sent or not); returns how many were made."""
    content = content_of(performance)
    tickets = Ticket.objects.filter(
        performance=performance, state=TicketState.VALID, online_access__isnull=True
    ).select_related("order", "performance")
    if not content.ticket_holders:
        tickets = tickets.filter(tariff__online=True)
    missing = list(tickets)
    if missing:
        grant_tickets(missing)
    return len(missing)


def grant_tickets(tickets: list[Ticket]) -> dict[int, OnlineAccess]:
    """Each ticket's access (made if it has none yet), by ticket id."""
    found = _read(tickets)
    missing = [t for t in tickets if t.pk not in found]
    if missing:
        contents = {}
        for ticket in missing:
            if ticket.performance_id not in contents:
                contents[ticket.performance_id] = content_of(ticket.performance)
        OnlineAccess.objects.bulk_create(
            [
                OnlineAccess(
                    content=contents[t.performance_id],
                    organizer_id=t.organizer_id,
                    ticket=t,
                    contact_id=t.order.contact_id,
                    name=t.attendee_name or f"{t.order.first_name} {t.order.last_name}".strip(),
                    email=t.order.email,
                )
                for t in missing
            ],
            ignore_conflicts=True,  # another request made them meanwhile
        )
        return _read(tickets)
    return found


def _read(tickets) -> dict[int, OnlineAccess]:
    return {
        a.ticket_id: a
        for a in OnlineAccess.objects.filter(ticket__in=tickets).select_related("content__performance__event")
    }


def order_links(order, base_url: str) -> list[tuple[str, str, str]]:
    """The ticketing's `order_links`: each online ticket's personal link, with when it opens."""
    tickets = _tickets_giving_access(order.pk)
    if not tickets:
        return []
    accesses = grant_tickets(tickets)
    links = []
    for ticket in tickets:
        access = accesses[ticket.pk]
        performance = ticket.performance
        label = _("%(title)s, %(date)s — n° %(number)s") % {
            "title": performance.event.title,
            "date": formats.date_format(timezone.localtime(performance.starts_at), "SHORT_DATETIME_FORMAT"),
            "number": f"{ticket.number:06d}",
        }
        links.append((label, checks.link_of(access, base_url), checks.window_text(access)))
    return links


def online_mention(ticket) -> list[tuple[str, str]]:
    """On the order page and in the e-mail's lines: an online ticket says how it is used (no query)."""
    if getattr(ticket.tariff, "online", False):
        return [(_("En ligne"), _("accès par votre lien personnel, sans place en salle"))]
    return []


def grant_member(content: OnlineContent, membership) -> OnlineAccess:
    """A member card's access to the content (the same one each time it is asked for)."""
    try:
        with transaction.atomic():
            access, _made = OnlineAccess.objects.get_or_create(
                content=content,
                membership=membership,
                defaults={
                    "organizer_id": content.performance.organizer_id,
                    "name": membership.holder_name,
                    "email": membership.email,
                    "contact_id": getattr(membership.order, "contact_id", None),
                },
            )
    except IntegrityError:
        access = OnlineAccess.objects.get(content=content, membership=membership)
    if access.revoked_at is None:
        enqueue_on_commit(send_access_link, access_id=access.pk)
    return access


def grant_guest(content: OnlineContent, *, name: str, email: str, contact_id=None) -> OnlineAccess:
    """An access given by a product above (a school booking's preparatory visit): no ticket or card behind
    it, so only its window and a revocation (by that product, or staff) end it."""
    return OnlineAccess.objects.create(
        content=content,
        organizer_id=content.performance.organizer_id,
        name=name[:200],
        email=email,
        contact_id=contact_id,
    )


CONTENT_FIELDS = (
    "kind",
    "embed_url",
    "link_url",
    "preview_url",
    "instructions",
    "opens_minutes_before",
    "closes_hours_after",
    "on_demand_days",
    "max_devices",
    "ticket_holders",
    "members",
)


def content_save(*, actor, content: OnlineContent, values: dict, request=None) -> OnlineContent:
    before = {name: _plain(getattr(content, name)) for name in CONTENT_FIELDS}
    for name, value in values.items():
        setattr(content, name, value)
    content.full_clean()
    with transaction.atomic():
        content.save()
        audit_record(
            actor=actor,
            action="online.content",
            instance=content,
            label=str(content.performance),
            organizer_id=content.performance.organizer_id,
            before=before,
            after={name: _plain(getattr(content, name)) for name in CONTENT_FIELDS},
            request=request,
        )
    return content


def _plain(value):
    return value if value is None or isinstance(value, bool | int) else str(value)


def access_revoke(*, actor, access: OnlineAccess, reason: str, request=None) -> None:
    """The link stops opening anything, at once, on every device."""
    now = timezone.now()
    with transaction.atomic():
        if not OnlineAccess.objects.filter(pk=access.pk, revoked_at__isnull=True).update(
            revoked_at=now, revoked_reason=reason[:200]
        ):
            return
        Viewing.objects.filter(access=access, ended_at__isnull=True).update(ended_at=now)
        audit_record(
            actor=actor, action="online.revoke", instance=access, label=access.name or access.email,
            organizer_id=access.organizer_id, after={"reason": reason[:200]}, request=request,
        )  # fmt: skip


def access_renew(*, actor, access: OnlineAccess, request=None) -> OnlineAccess:
    """A new link (the old one, perhaps shared, opens nothing any more), sent to its holder."""
    with transaction.atomic():
        locked = OnlineAccess.objects.select_for_update().get(pk=access.pk)
        locked.version += 1
        locked.revoked_at, locked.revoked_reason = None, ""
        locked.save(update_fields=["version", "revoked_at", "revoked_reason"])
        Viewing.objects.filter(access=locked, ended_at__isnull=True).update(ended_at=timezone.now())
        audit_record(
            actor=actor, action="online.renew", instance=locked, label=locked.name or locked.email,
            organizer_id=locked.organizer_id, after={"version": locked.version}, request=request,
        )  # fmt: skip
        if locked.email:
            enqueue_on_commit(send_access_link, access_id=locked.pk)
    return locked


@dataclass
class Audience:
    accesses: int
    opened: int
    viewers: int  # people (accesses) who watched
    devices: int
    watching_now: int
    peak: int
    peak_at: datetime.datetime | None
    minutes: int


def audience(content: OnlineContent, now: datetime.datetime | None = None) -> Audience:
    """Unique viewers, devices, peak of devices watching at once (from each viewing's span), now."""
    now = now or timezone.now()
    live_since = now - datetime.timedelta(seconds=checks.LIVE_SECONDS)
    rows = list(
        Viewing.objects.filter(access__content=content).values_list(
            "access_id", "device", "started_at", "last_seen_at", "ended_at"
        )
    )
    changes: Counter = Counter()
    minutes = 0.0
    poll = datetime.timedelta(seconds=checks.POLL_SECONDS)
    for _access, _device, started, seen, ended in rows:
        # Watching until stopped; a device still polling, until now; one gone silent, until its next poll.
        end = ended or (now if seen >= live_since else seen + poll)
        changes[started] += 1
        changes[end + datetime.timedelta(microseconds=1)] -= 1
        minutes += (end - started).total_seconds() / 60
    peak, peak_at, running = 0, None, 0
    for at in sorted(changes):
        running += changes[at]
        if running > peak:
            peak, peak_at = running, at
    accesses = OnlineAccess.objects.filter(content=content)
    return Audience(
        accesses=accesses.count(),
        opened=accesses.filter(first_opened_at__isnull=False).count(),
        viewers=len({r[0] for r in rows}),
        devices=len({(r[0], r[1]) for r in rows}),
        watching_now=sum(1 for r in rows if r[4] is None and r[3] >= live_since),
        peak=peak,
        peak_at=peak_at,
        minutes=round(minutes),
    )

"""Memberships: selling and renewing cards, and the benefits a card gives where and when it is valid.

Benefits are never stored on the buyer's side: at each sale the ticketing asks `benefits_for` whether the
cart's card is valid at that organizer now, and what it gives.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from parvis.core.audit import audit_record
from parvis.crm import services as crm
from parvis.network.models import NetworkMembership
from parvis.ticketing import services as sales
from parvis.ticketing import signing
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Channel, Order, OrderExtra
from parvis.ticketing.providers import enabled_providers

from .models import Membership, MembershipLevel, MembershipProgram

# Renewing early adds the new year after the current one; a card is renewable from this long before its end.
RENEWABLE_BEFORE = datetime.timedelta(days=120)


@dataclass(frozen=True)
class Benefits:
    """What a valid card gives at one organizer."""

    membership_id: int
    level: str
    persons: int
    priority_days: int
    addon_discount_percent: Decimal
    free_event_ids: frozenset[int]


def covers(membership: Membership, organizer_id: int) -> bool:
    """Is the card valid at this organizer: its programme's own, or any member of its network."""
    program = membership.level.program
    if program.organizer_id == organizer_id:
        return True
    return bool(program.network_id) and (
        NetworkMembership.objects.filter(network_id=program.network_id, organizer_id=organizer_id).exists()
    )


def benefits_for(
    membership: Membership | None, organizer_id: int, *, at: datetime.datetime | None = None
) -> Benefits | None:
    """The card's benefits at this organizer now, or None if it is not valid here and now."""
    if membership is None or not membership.is_valid_at(at) or not covers(membership, organizer_id):
        return None
    level = membership.level
    return Benefits(
        membership_id=membership.pk,
        level=level.name,
        persons=level.persons,
        priority_days=level.priority_days,
        addon_discount_percent=level.addon_discount_percent,
        free_event_ids=frozenset(level.free_events.values_list("pk", flat=True)),
    )


def membership_find(*, code: str, email: str | None) -> Membership:
    """A card from its number and its holder's e-mail (online, the number alone is not enough; at the
    counter, `email=None`: the staff see the card)."""
    cards = Membership.objects.select_related("level__program").filter(code=code.strip().upper())
    if email is not None:
        cards = cards.filter(email__iexact=email.strip())
    membership = cards.first()
    if membership is None or membership.state == Membership.State.CANCELLED:
        raise SaleError("member_unknown")
    return membership


def _payment_window(
    level: MembershipLevel, code: str, *, channel: str, counter_payments
) -> datetime.timedelta:
    """How long the buyer has to pay a card: at the counter it is paid at once (or it is free)."""
    if channel == Channel.BOX_OFFICE:
        if counter_payments is None and code != "free":
            raise SaleError("provider_unavailable")
        return datetime.timedelta(minutes=15)
    provider = enabled_providers().get(code)
    if provider is None or code == "transfer" or (code == "free" and level.price):
        raise SaleError("provider_unavailable")
    return provider.payment_window


def _card_create(level, order, buyer, renewed_from, other_names, valid_from, valid_until) -> Membership:
    """The card the order bought (pending until the order is paid)."""
    return Membership.objects.create(
        level=level,
        order=order,
        renewed_from=renewed_from,
        first_name=order.first_name,
        last_name=order.last_name,
        email=order.email,
        other_names=other_names,
        language=buyer.language,
        price=level.price,
        vat_rate=level.vat_rate,
        currency=level.currency,
        valid_from=valid_from,
        valid_until=valid_until,
    )


def membership_order_place(
    *,
    level: MembershipLevel,
    buyer: sales.Buyer,
    provider_code: str,
    other_names: list[str] | tuple = (),
    renewed_from: Membership | None = None,
    channel: str = Channel.ONLINE,
    counter_payments: list[tuple[str, Decimal, str]] | None = None,
    actor=None,
    notify: bool = True,
    contact=None,
) -> Order:
    """An order for one card, paid like any order; the card becomes valid once the order is paid.

    A renewal starts where the card it renews ends (or now, if that is past), so no day is lost."""

    now = timezone.now()
    program = level.program
    if not renewed_from and (not program.on_sale or not level.on_sale):
        raise SaleError("membership_not_on_sale")
    other_names = [n.strip()[:100] for n in other_names if n and n.strip()]
    if len(other_names) > level.persons - 1:
        raise SaleError("membership_people", limit=level.persons - 1)
    code = "free" if level.price == 0 else provider_code
    window = _payment_window(level, code, channel=channel, counter_payments=counter_payments)
    with transaction.atomic():
        if renewed_from is not None:
            renewed_from = Membership.objects.select_for_update().get(pk=renewed_from.pk)
            if _renewed(renewed_from, now):
                raise SaleError("membership_renewed")
            # An unpaid renewal that expired frees the link for a new one.
            Membership.objects.filter(renewed_from=renewed_from).update(renewed_from=None)
        start = max(now, renewed_from.valid_until) if renewed_from else now
        valid_from, valid_until = level.period_from(start)
        contact = contact or buyer.contact_at(program.organizer_id, source=channel)
        order = Order.objects.create(
            organizer_id=program.organizer_id,
            contact=contact,
            channel=channel,
            **buyer.order_fields(program.organizer_id),
            total=level.price,
            currency=level.currency,
            expires_at=now + window,
        )
        OrderExtra.objects.create(
            order=order,
            kind=OrderExtra.Kind.MEMBERSHIP,
            description=f"{program.name} — {level.name}",
            quantity=1,
            unit_price=level.price,
            vat_rate=level.vat_rate,
        )
        membership = _card_create(level, order, buyer, renewed_from, other_names, valid_from, valid_until)
        audit_record(
            actor=actor,
            action="order.place",
            instance=order,
            organizer_id=program.organizer_id,
            after={"membership": membership.code, "level": level.name, "total": str(level.price)},
        )
        sales.order_payment_start(
            order=order, provider_code=code, counter_payments=counter_payments, notify=notify
        )
    order.refresh_from_db()
    return order


def memberships_of_order_issue(order: Order) -> list[Membership]:
    """The order is paid: its cards become valid (once, however often the confirmation comes)."""
    pending = list(Membership.objects.filter(order=order, state=Membership.State.PENDING))
    Membership.objects.filter(pk__in=[m.pk for m in pending], state=Membership.State.PENDING).update(
        state=Membership.State.ACTIVE
    )
    for membership in pending:
        crm.interaction_record(
            contact_id=order.contact_id,
            organizer_id=order.organizer_id,
            kind=crm.Interaction.Kind.ORDER,
            at=timezone.now(),
            summary=f"{membership.level.name} {membership.code}",
            ref=f"membership:{membership.code}",
        )
        audit_record(
            actor=None,
            action="membership.issue",
            instance=membership,
            organizer_id=order.organizer_id,
            after={
                "code": membership.code,
                "level": membership.level.name,
                "valid_until": membership.valid_until.isoformat(),
            },
        )
    return pending


def memberships_of_order_cancel(order: Order, *, actor=None) -> None:
    """The membership order is refunded: its cards stop giving anything from now on."""
    for membership in Membership.objects.filter(order=order).exclude(state=Membership.State.CANCELLED):
        membership_cancel(membership=membership, actor=actor)


def membership_cancel(*, membership: Membership, actor=None, request=None) -> None:
    before = membership.state
    if (
        not Membership.objects.filter(pk=membership.pk)
        .exclude(state=Membership.State.CANCELLED)
        .update(state=Membership.State.CANCELLED)
    ):
        return
    membership.state = Membership.State.CANCELLED
    audit_record(
        actor=actor,
        action="membership.cancel",
        instance=membership,
        organizer_id=membership.level.program.organizer_id,
        before={"state": before},
        after={"state": Membership.State.CANCELLED},
        request=request,
    )


def renewable(membership: Membership, *, now: datetime.datetime | None = None) -> bool:
    """A card may be renewed near its end (or after it), once, if its level is still offered."""
    now = now or timezone.now()
    if membership.state != Membership.State.ACTIVE or membership.valid_until - now > RENEWABLE_BEFORE:
        return False
    return membership.level.program.on_sale and not _renewed(membership, now)


def _renewed(membership: Membership, now: datetime.datetime) -> bool:
    """Renewed already: by a renewal paid, or one still waiting for its payment (an expired one does not
    count)."""
    return (
        Membership.objects.filter(renewed_from=membership)
        .exclude(state=Membership.State.CANCELLED)
        .exclude(state=Membership.State.PENDING, order__expires_at__lte=now)
        .exists()
    )


def membership_renew(*, membership: Membership, provider_code: str) -> Order:
    """One click from the reminder: the same level, the same people, from the end of the current card."""
    if not renewable(membership):
        raise SaleError("membership_renewed")
    return membership_order_place(
        level=membership.level,
        renewed_from=membership,
        other_names=membership.other_names,
        provider_code=provider_code,
        buyer=sales.Buyer(
            email=membership.email,
            first_name=membership.first_name,
            last_name=membership.last_name,
            language=membership.language,
        ),
    )


def renewal_reminders_due(*, now: datetime.datetime | None = None) -> list[int]:
    """Active cards ending within their programme's reminder period, not yet reminded nor renewed."""
    now = now or timezone.now()
    candidates = Membership.objects.filter(
        state=Membership.State.ACTIVE,
        reminder_sent_at__isnull=True,
        valid_until__gt=now,
        valid_until__lte=now + datetime.timedelta(days=120),
    ).select_related("level__program")
    due = []
    for membership in candidates:
        if membership.valid_until - now > datetime.timedelta(days=membership.level.program.reminder_days):
            continue
        if Membership.objects.filter(renewed_from=membership, state=Membership.State.ACTIVE).exists():
            continue
        due.append(membership.pk)
    return due


def card_check(secret: str, *, organizer_id: int, at: datetime.datetime) -> tuple[str, Membership | None]:
    """A member card shown at a door of this organizer: why it may not enter ("" if it may), and whose.

    The QR is verified with the programme organizer's keys; validity comes from the database, so a card
    cancelled or ended since it was printed is refused."""

    try:
        membership_id = signing.card_membership_id(secret)
    except signing.InvalidSecret:
        return "malformed", None
    membership = Membership.objects.select_related("level__program").filter(pk=membership_id).first()
    if membership is None:
        return "invalid", None
    try:
        signing.verify_card(secret, signing.public_keys_of(membership.level.program.organizer))
    except signing.InvalidSecret:
        return "invalid", None
    if not membership.is_valid_at(at):
        return "member_expired", membership
    if not covers(membership, organizer_id):
        return "member_elsewhere", membership
    return "", membership


def card_keys_for(organizer_id: int) -> tuple[dict[int, bytes], list[int]]:
    """The public keys that sign the member cards valid at this organizer (its own programmes and its
    networks'), and the ids of those programmes' cards cancelled while they would still be valid."""

    networks = NetworkMembership.objects.filter(organizer_id=organizer_id).values("network_id")
    programs = MembershipProgram.objects.filter(
        Q(organizer_id=organizer_id) | Q(network_id__in=networks)
    ).select_related("organizer")
    keys: dict[int, bytes] = {}
    for organizer in {p.organizer for p in programs}:
        keys.update(signing.public_keys_of(organizer))
    cancelled = list(
        Membership.objects.filter(
            level__program__in=programs, state=Membership.State.CANCELLED, valid_until__gt=timezone.now()
        ).values_list("pk", flat=True)
    )
    return keys, cancelled

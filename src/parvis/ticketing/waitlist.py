"""Waiting lists: places that come back go to the people waiting, in order, before anyone else.

Whenever `inventory` frees places of a performance (a refund, a released or expired hold), `offer_freed`
runs in the same transaction: each waiting person in turn gets the places as a hold in a cart of their
own, kept OFFER_WINDOW, and an e-mail with a link to it. An offer that expires is reclaimed like any hold
by the next buyer's attempt, and that same reclaim passes the places to the next person: no worker is
needed for the order to be kept (only to send the e-mails, and `refresh` to send them sooner).
"""

import contextvars
import datetime

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django_tasks import task

from . import inventory
from .errors import SaleError
from .models import Cart, Channel, HoldState, Tariff, WaitingEntry
from .tasks import send_waitlist_offer

OFFER_WINDOW = datetime.timedelta(hours=12)
_offering = contextvars.ContextVar("parvis_waitlist_offering", default=False)


def join(*, tariff: Tariff, quantity: int, email: str, first_name: str, last_name: str, language: str = "fr"):
    """Put someone on the list (once per address and performance); returns the entry and its rank."""

    if not 1 <= quantity <= 6:
        raise SaleError("invalid_quantity")
    if not tariff.is_active or not tariff.sold_online:
        raise SaleError("unknown_tariff")
    free = inventory.availability(performance_ids=[tariff.performance_id], channel=Channel.ONLINE)
    if free.get(tariff.pk, 0) >= quantity and not _waiting(tariff.performance_id).exists():
        raise SaleError("not_sold_out")
    email = email.strip().lower()
    entry = WaitingEntry.objects.filter(
        performance_id=tariff.performance_id, email=email, state__in=["waiting", "offered"]
    ).first()
    if entry is None:
        entry = WaitingEntry.objects.create(
            performance_id=tariff.performance_id,
            tariff=tariff,
            quantity=quantity,
            email=email,
            first_name=first_name.strip()[:100],
            last_name=last_name.strip()[:100],
            language=language,
        )
    rank = _waiting(tariff.performance_id).filter(pk__lte=entry.pk).count()
    return entry, rank


def _waiting(performance_id: int):
    return WaitingEntry.objects.filter(performance_id=performance_id, state=WaitingEntry.State.WAITING)


def _settle_offers(performance_id: int) -> None:
    """Offers whose hold was bought become CONVERTED; those whose hold ended unbought become EXPIRED."""
    offered = WaitingEntry.objects.filter(performance_id=performance_id, state=WaitingEntry.State.OFFERED)
    for entry in offered.select_related("cart"):
        holds = entry.cart.holds.all() if entry.cart else []
        if any(h.order_id for h in holds):
            WaitingEntry.objects.filter(pk=entry.pk).update(state=WaitingEntry.State.CONVERTED)
        elif not any(h.state == HoldState.ACTIVE and h.expires_at > timezone.now() for h in holds):
            WaitingEntry.objects.filter(pk=entry.pk).update(state=WaitingEntry.State.EXPIRED)


def offer_freed(performance_id: int) -> int:
    """Offer freed places to the people waiting, in order (called by `inventory` when places come back).
    Stops at the first person whose places do not fit, so nobody is overtaken. Returns offers made."""

    if _offering.get() or not _waiting(performance_id).exists():
        return 0
    token = _offering.set(True)
    made = 0
    try:
        with transaction.atomic():
            _settle_offers(performance_id)
            for entry in (
                _waiting(performance_id)
                .select_for_update()
                .select_related("tariff")
                .order_by("created_at", "pk")
            ):
                cart = Cart.objects.create(channel=Channel.ONLINE)
                expires = timezone.now() + OFFER_WINDOW
                try:
                    with transaction.atomic():
                        inventory.hold_places(
                            cart=cart, tariff=entry.tariff, quantity=entry.quantity, channel=Channel.ONLINE,
                            expires_at=expires,
                        )  # fmt: skip
                except inventory.SoldOut:
                    cart.delete()
                    break
                WaitingEntry.objects.filter(pk=entry.pk).update(
                    state=WaitingEntry.State.OFFERED,
                    cart=cart,
                    offered_at=timezone.now(),
                    offer_expires_at=expires,
                )
                made += 1

                entry_id = entry.pk
                transaction.on_commit(
                    lambda entry_id=entry_id: send_waitlist_offer.enqueue(entry_id=entry_id)
                )
    finally:
        _offering.reset(token)
    return made


def refresh() -> int:
    """Pass expired offers on now rather than at the next buyer's attempt (a task, for prompt e-mails)."""

    performance_ids = set(
        WaitingEntry.objects.filter(
            state=WaitingEntry.State.OFFERED, offer_expires_at__lte=timezone.now()
        ).values_list("performance_id", flat=True)
    )
    freed = 0
    for performance_id in performance_ids:
        freed += inventory.reclaim_expired_holds(performance_ids=[performance_id])
    return freed


def waiting_count(performance_id: int) -> int:
    return _waiting(performance_id).aggregate(n=Sum("quantity"))["n"] or 0


def leave(entry: WaitingEntry) -> bool:
    """The person leaves the list; places held for them go to the next person. False if already out."""

    with transaction.atomic():
        entry = WaitingEntry.objects.select_for_update(of=("self",)).select_related("cart").get(pk=entry.pk)
        if entry.state not in (WaitingEntry.State.WAITING, WaitingEntry.State.OFFERED):
            return False
        WaitingEntry.objects.filter(pk=entry.pk).update(state=WaitingEntry.State.CANCELLED)
        if entry.cart is not None:
            for hold in entry.cart.holds.filter(state=HoldState.ACTIVE, order__isnull=True):
                inventory.release_hold(hold)  # passes the places on
    return True


@task()
def refresh_waiting_lists() -> int:
    """Pass expired offers on promptly (cron or the worker); correctness does not depend on it."""
    return refresh()

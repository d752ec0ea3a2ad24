"""The ONE place where capacity is taken and given back.

Every change of `Quota.used` is a single conditional UPDATE (`used + n <= capacity`) inside the caller's
transaction, quotas always taken in id order (no deadlock between two buyers). Holds that have expired are
reclaimed by the next buyer of the same performance who finds the free places short: an expired hold is free
at once, with or without a worker. Reclaiming flips the hold's state with a conditional UPDATE too, so two
buyers can never give the same places back twice.
"""

import datetime
import functools
from collections.abc import Callable, Iterable

from django.db import connection, transaction
from django.db.models import F, Sum, prefetch_related_objects
from django.utils import timezone

from parvis.core.compiled import CompiledQuery, insert, insert_many
from parvis.core.registry import Registry

from .models import Channel, Hold, HoldState, Quota, Tariff, WaitingEntry

# What is left of an online tariff that no contingent limits (its viewers are not counted in the room).
ONLINE_UNLIMITED = 10_000


class SoldOut(Exception):
    """Not enough places left in one of the quotas."""

    def __init__(self, quota: Quota | None, requested: int):  # None: seats, not a quota, were short
        self.quota, self.requested = quota, requested
        super().__init__(f"quota {getattr(quota, 'pk', None)} cannot take {requested}")


def _applies(quota: Quota, tariff: Tariff, channel: str, slot_id: int | None = None) -> bool:
    if quota.is_slot:  # a timed-entry slot counts only for the buyers who chose it
        return quota.pk == slot_id
    if quota.is_total:
        return not tariff.online  # an online ticket takes no place in the room
    limited_to = quota.tariffs.all()  # prefetched
    if tariff.online:  # only a contingent of its own (viewers) limits it
        return tariff in limited_to
    return (not limited_to or tariff in limited_to) and quota.applies_to_channel(channel)


_quotas_of = CompiledQuery(
    Quota, lambda performance_id: Quota.objects.filter(performance_id=performance_id).order_by("id")
)


def performance_quotas(performance_id: int) -> list[Quota]:
    """A performance's quotas in id order; the tariffs they are limited to are read only if some are."""
    quotas = _quotas_of(performance_id)
    if any(not q.is_total and not q.is_slot for q in quotas):
        prefetch_related_objects(quotas, "tariffs")
    return quotas


def applicable_quotas(
    *, tariff: Tariff, channel: str, slot_id: int | None = None, quotas: list[Quota] | None = None
) -> list[Quota]:
    """The quotas that a place of this tariff sold on this channel (in this slot) draws on, in id order.
    `quotas`: the performance's quotas when the caller has read them already."""
    if quotas is None:
        quotas = performance_quotas(tariff.performance_id)
    return [q for q in quotas if _applies(q, tariff, channel, slot_id)]


@functools.cache
def _take_sql(vendor: str) -> str:
    """The conditional UPDATE that takes places, written once per database (it runs at every sale)."""
    table, used, capacity, pk = map(
        connection.ops.quote_name, (Quota._meta.db_table, "used", "capacity", "id")
    )
    return f"UPDATE {table} SET {used} = {used} + %s WHERE {pk} = %s AND {used} + %s <= {capacity}"  # noqa: S608


def _take(quotas: Iterable[Quota], quantity: int) -> None:
    sql = _take_sql(connection.vendor)
    with connection.cursor() as cursor:
        for quota in sorted(quotas, key=lambda q: q.pk):
            cursor.execute(sql, [quantity, quota.pk, quantity])
            if cursor.rowcount != 1:
                raise SoldOut(quota, quantity)


def _give_back(quota_ids: Iterable[int], quantity: int) -> None:
    for quota_id in sorted(quota_ids):
        Quota.objects.filter(pk=quota_id).update(used=F("used") - quantity)


def _end_hold(hold_id: int, *, from_state: str, to_state: str) -> bool:
    """Move a hold out of `from_state`; True only for the one caller that did it."""
    return bool(Hold.objects.filter(pk=hold_id, state=from_state).update(state=to_state))


# Who is told, in the same transaction, that places of a date came back: the waiting list registers here
# (TicketingConfig.ready), so that the people on it get them first.
places_freed: Registry[Callable[[int], object]] = Registry("listeners to places given back")


class PlaceFollower:
    """A product that gives each place of some tariffs an identity (a numbered seat), told in the same
    transaction as the places (docs/adr/0005). Only holds and tickets of tariffs marked `seated` reach it,
    except `released`, which a released hold's id is enough to answer."""

    def converted(self, hold: Hold) -> None:
        """The hold's places are sold: its seats too, or raise SoldOut (they went to another buyer after
        the hold expired) and the whole conversion is undone."""

    def released(self, hold_id: int) -> None:
        """The buyer gave the hold's places back: its seats are free at once."""

    def issued(self, hold_id: int, tickets: list) -> None:
        """The tickets of a converted hold were issued: each takes one of its seats."""

    def voided(self, ticket_ids: list[int]) -> None:
        """These tickets' places came back (refunded, exchanged away): their seats are free at once."""

    def placed(self, tariff: Tariff, quantity: int, seat_ids: list[int] | None, *, like_tickets=()):
        """Places sold at once, without a hold (a channel's API, an exchange), before they are taken: claim
        their seats, these or the best available (the seats of `like_tickets` first where the same seats
        are free), raise SaleError when they cannot (the whole sale is undone), and return what gives each
        ticket its seat once the tickets are issued (a function of the tickets)."""
        return lambda tickets: None

    def hold_placed(self, hold: Hold, *, like_tickets=(), like_holds=()) -> None:
        """A hold of a seated tariff made without a seat map (a subscription's dates): give it seats, the
        same as `like_tickets`' and `like_holds`' where they are free at its date (a subscriber keeps their
        seat), else the best available; raise SaleError when there are none."""


place_followers: Registry[PlaceFollower] = Registry("products that place each place")


def hold_place(hold: Hold, *, like_tickets=(), like_holds=()) -> None:
    """Seats for a hold made with `placed=True` by a flow without a seat map (see `hold_placed`)."""
    for follower in place_followers:
        follower.hold_placed(hold, like_tickets=like_tickets, like_holds=like_holds)


def places_voided(ticket_ids: list[int]) -> None:
    """Tickets were refunded or exchanged away: the products that placed them let their seats go."""
    for follower in place_followers:
        follower.voided(ticket_ids)


def _freed(performance_ids: Iterable[int]) -> None:
    """Places came back: each listener hears of each date (same transaction)."""
    for performance_id in sorted(set(performance_ids)):
        for listener in places_freed:
            listener(performance_id)


def reclaim_expired_holds(*, performance_ids: Iterable[int], now: datetime.datetime | None = None) -> int:
    """Give back the places of expired holds of these performances. Returns the number of places freed."""
    now = now or timezone.now()
    freed = 0
    touched: set[int] = set()
    stale = (
        Hold.objects.filter(
            performance_id__in=list(performance_ids), state=HoldState.ACTIVE, expires_at__lte=now
        )
        .order_by("id")
        .values_list("id", "quantity", "performance_id")
    )
    with transaction.atomic():
        for hold_id, quantity, performance_id in stale:
            if _end_hold(hold_id, from_state=HoldState.ACTIVE, to_state=HoldState.EXPIRED):
                _give_back(
                    Hold.quotas.through.objects.filter(hold_id=hold_id).values_list("quota_id", flat=True),
                    quantity,
                )
                freed += quantity
                touched.add(performance_id)
        if touched:
            _freed(touched)
    return freed


def hold_places(
    *,
    cart,
    tariff: Tariff,
    quantity: int,
    channel: str,
    expires_at: datetime.datetime,
    slot_id: int | None = None,
    quotas: list[Quota] | None = None,
) -> Hold:
    """Take `quantity` places of `tariff` until `expires_at`, or raise SoldOut (and take nothing).
    `quotas`: the performance's quotas (`performance_quotas`) when the caller has read them already."""
    if quantity <= 0:
        raise ValueError("quantity must be positive")

    # Reclaimed on their own transaction: if this buyer then finds nothing left, the expired holds stay given
    # back (and passed to the waiting list) rather than rolled back with the failed attempt.
    def hold_create() -> Hold:
        with transaction.atomic():
            applicable = applicable_quotas(tariff=tariff, channel=channel, slot_id=slot_id, quotas=quotas)
            _take(applicable, quantity)  # a full quota rolls back what the others gave
            hold = insert(
                Hold(
                    cart=cart,
                    performance_id=tariff.performance_id,
                    tariff=tariff,
                    quantity=quantity,
                    expires_at=expires_at,
                    slot_id=slot_id,
                )
            )
            insert_many(  # a new hold: nothing to compare with, one insert
                [Hold.quotas.through(hold_id=hold.pk, quota_id=q.pk) for q in applicable]
            )
        return hold

    return _reclaiming(tariff.performance_id, hold_create)


def _reclaiming(performance_id: int, take):
    """`take()` from the free places; if they fall short, once more after reclaiming the performance's
    expired holds (when there are any). The usual sale thus reads no expired hold at all."""
    try:
        return take()
    except SoldOut:
        if not reclaim_expired_holds(performance_ids=[performance_id]):
            raise
    return take()


def take_places(
    *, tariff: Tariff, quantity: int, channel: str, quotas: list[Quota], slot_id: int | None = None
) -> list[int]:
    """Take `quantity` places of `tariff` for good, without a hold (a sale paid in the same transaction);
    returns the quota ids the sold places count in, or raises SoldOut having taken nothing.

    Runs inside the caller's transaction, which should call it last: each quota row stays locked until
    that transaction ends. Expired holds are reclaimed only when the free places do not suffice, so the
    usual sale costs one UPDATE per quota; a buyer who then finds nothing gives the reclaimed places back
    to the next one (the caller's rollback leaves those holds expired, and expired holds count as free)."""
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    applicable = applicable_quotas(tariff=tariff, channel=channel, slot_id=slot_id, quotas=quotas)
    _reclaiming(tariff.performance_id, lambda: _take_all_or_nothing(applicable, quantity))
    return [q.pk for q in applicable]


def give_back(*, performance_id: int, quota_ids: Iterable[int], quantity: int) -> None:
    """Places taken by `take_places` come back (a group booking cancelled or smaller): the waiting list
    hears of them in the same transaction."""
    if quantity <= 0:
        return
    with transaction.atomic():
        _give_back(quota_ids, quantity)
        _freed([performance_id])


def _take_all_or_nothing(quotas: list[Quota], quantity: int) -> None:
    """`_take`, giving back what it took from the first quotas if a later one is full (no savepoint)."""
    taken = []
    for quota in sorted(quotas, key=lambda q: q.pk):
        try:
            _take([quota], quantity)
        except SoldOut:
            _give_back([q.pk for q in taken], quantity)
            raise
        taken.append(quota)


def release_hold(hold: Hold) -> bool:
    """The buyer gives the places back (removed from the cart, or payment failed)."""
    with transaction.atomic():
        if not _end_hold(hold.pk, from_state=HoldState.ACTIVE, to_state=HoldState.RELEASED):
            return False
        _give_back(hold.quotas.values_list("id", flat=True), hold.quantity)
        for follower in place_followers:
            follower.released(hold.pk)
        _freed([hold.performance_id])
    return True


def extend_hold(hold: Hold, *, expires_at: datetime.datetime) -> bool:
    """Keep a live hold longer (a pending order waiting for its payment). False if it had already expired."""
    return bool(
        Hold.objects.filter(pk=hold.pk, state=HoldState.ACTIVE, expires_at__gt=timezone.now()).update(
            expires_at=expires_at
        )
    )


def convert_hold(hold: Hold, *, channel: str = Channel.ONLINE, seated: bool = False) -> list[int]:
    """Turn a hold into sold places; returns the quota ids the sold places count in.

    If the hold was reclaimed meanwhile (a payment arriving after the hold expired), the places are taken
    again if there are any; otherwise SoldOut is raised and the caller refunds. `seated`: the hold's tariff
    is (`Tariff.seated`): its seats are sold with its places, all or nothing.
    """
    if not seated:
        return _convert(hold, channel)
    with transaction.atomic():
        quota_ids = _convert(hold, channel)
        for follower in place_followers:
            follower.converted(hold)
        return quota_ids


def _convert(hold: Hold, channel: str) -> list[int]:
    # The usual case, a live hold, is one conditional UPDATE: no savepoint needed in the caller's transaction.
    if _end_hold(hold.pk, from_state=HoldState.ACTIVE, to_state=HoldState.CONVERTED):
        return [quota_id for (quota_id,) in _quotas_of_hold(hold.pk)]
    with transaction.atomic():
        if Hold.objects.filter(pk=hold.pk, state=HoldState.CONVERTED).exists():
            return list(hold.quotas.values_list("id", flat=True))  # already converted: nothing more to take
        # Expired (reclaimed by another buyer) or released: take the places again, if any are left.
        reclaim_expired_holds(performance_ids=[hold.performance_id])
        quotas = applicable_quotas(tariff=hold.tariff, channel=channel, slot_id=hold.slot_id)
        _take(quotas, hold.quantity)
        Hold.objects.filter(pk=hold.pk).update(state=HoldState.CONVERTED)
        hold.quotas.set(quotas)
        return [q.pk for q in quotas]


_quotas_of_hold = CompiledQuery(  # read at each payment's confirmation
    Hold.quotas.through,
    lambda hold_id: (
        Hold.quotas.through.objects.filter(hold_id=hold_id).values_list("quota_id").order_by("pk")
    ),
)


def give_back_sold(*, quota_ids: Iterable[int], quantity: int = 1) -> None:
    """Places of cancelled or refunded tickets become available again."""
    quota_ids = list(quota_ids)
    with transaction.atomic():
        _give_back(quota_ids, quantity)
        _freed(Quota.objects.filter(pk__in=quota_ids).values_list("performance_id", flat=True))


def _quotas_and_free(
    performance_ids: list[int], now: datetime.datetime
) -> tuple[dict[int, Quota], dict[int, int]]:
    """The performances' quotas and the places free in each, counting expired (unreclaimed) holds as free."""
    quotas = {
        q.pk: q for q in Quota.objects.filter(performance_id__in=performance_ids).prefetch_related("tariffs")
    }
    stale = dict(
        Hold.quotas.through.objects.filter(
            hold__performance_id__in=performance_ids, hold__state=HoldState.ACTIVE, hold__expires_at__lte=now
        )
        .values("quota_id")
        .annotate(n=Sum("hold__quantity"))
        .values_list("quota_id", "n")
    )
    return quotas, {pk: q.capacity - q.used + stale.get(pk, 0) for pk, q in quotas.items()}


def availability(
    *, performance_ids: Iterable[int], channel: str, now: datetime.datetime | None = None
) -> dict[int, int]:
    """Places left per tariff id (counting expired holds as free), without writing anything."""
    performance_ids = list(performance_ids)
    quotas, free = _quotas_and_free(performance_ids, now or timezone.now())
    return _left_per_tariff(performance_ids, channel, quotas, free)


def _left_per_tariff(performance_ids: list[int], channel: str, quotas, free) -> dict[int, int]:
    tariffs = list(Tariff.objects.filter(performance_id__in=performance_ids, is_active=True))
    waiting = dict(
        WaitingEntry.objects.filter(performance_id__in=performance_ids, state=WaitingEntry.State.WAITING)
        .values("performance_id")
        .annotate(n=Sum("quantity"))
        .values_list("performance_id", "n")
    )
    return _left_of(tariffs, channel, quotas, free, waiting)


def _left_of(tariffs, channel: str, quotas, free, waiting) -> dict[int, int]:
    # Places that expired holds would free go first to the people waiting, if any.
    result = {}
    for tariff in tariffs:
        applicable = [
            q
            for q in quotas.values()
            if q.performance_id == tariff.performance_id and _applies(q, tariff, channel)
        ]
        if tariff.online:  # the waiting list waits for places in the room; no contingent: no limit
            result[tariff.pk] = max(0, min((free[q.pk] for q in applicable), default=ONLINE_UNLIMITED))
            continue
        left = min((free[q.pk] for q in applicable), default=0) - waiting.get(tariff.performance_id, 0)
        result[tariff.pk] = max(0, left)
    return result


def slots_free(*, performance_id: int, now: datetime.datetime | None = None) -> list[tuple[Quota, int]]:
    """Each timed-entry slot of a performance with its free places (expired holds counted as free)."""
    return _slots_free(*_quotas_and_free([performance_id], now or timezone.now()))


def slots_free_of(
    *, performance_ids: Iterable[int], now: datetime.datetime | None = None
) -> dict[int, list[tuple[Quota, int]]]:
    """`slots_free` of several performances from one reading (the counter lists many dates)."""
    quotas, free = _quotas_and_free(list(performance_ids), now or timezone.now())
    by_performance: dict[int, dict[int, Quota]] = {}
    for pk, quota in quotas.items():
        by_performance.setdefault(quota.performance_id, {})[pk] = quota
    return {pid: _slots_free(qs, free) for pid, qs in by_performance.items()}


def _slots_free(quotas: dict[int, Quota], free: dict[int, int]) -> list[tuple[Quota, int]]:
    total = next((free[pk] for pk, q in quotas.items() if q.is_total), 0)
    slots = sorted((q for q in quotas.values() if q.is_slot), key=lambda q: q.slot_starts_at)
    return [(q, max(0, min(free[q.pk], total))) for q in slots]


def performance_availability(
    *, performance_id: int, channel: str, now: datetime.datetime | None = None, tariffs: list | None = None
) -> tuple[dict[int, int], list[tuple[Quota, int]]]:
    """`availability` and `slots_free` of one performance, from one reading of its quotas (`tariffs`: the
    performance's tariffs to answer for, if the caller has read them; all its active ones otherwise).

    Every tickets page asks: its statements are written once per process."""
    quotas = {q.pk: q for q in performance_quotas(performance_id)}
    stale = dict(_stale_places(performance_id, now or timezone.now()))
    free = {pk: q.capacity - q.used + stale.get(pk, 0) for pk, q in quotas.items()}
    waiting = dict(_waiting_places(performance_id))
    if tariffs is None:
        tariffs = list(Tariff.objects.filter(performance_id=performance_id, is_active=True))
    return _left_of(tariffs, channel, quotas, free, waiting), _slots_free(quotas, free)


_stale_places = CompiledQuery(  # places of a performance's expired holds not yet reclaimed, per quota
    Hold.quotas.through,
    lambda performance_id, now: (
        Hold.quotas.through.objects.filter(
            hold__performance_id=performance_id, hold__state=HoldState.ACTIVE, hold__expires_at__lte=now
        )
        .values("quota_id")
        .annotate(n=Sum("hold__quantity"))
        .values_list("quota_id", "n")
    ),
)
_waiting_places = CompiledQuery(  # places the people waiting for a performance asked for
    WaitingEntry,
    lambda performance_id: (
        WaitingEntry.objects.filter(performance_id=performance_id, state=WaitingEntry.State.WAITING)
        .values("performance_id")
        .annotate(n=Sum("quantity"))
        .values_list("performance_id", "n")
    ),
)

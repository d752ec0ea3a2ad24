"""The ONE place where a date's seats are taken and given back (as `ticketing.inventory` is for places).

A claim is one INSERT per seat, all in one statement that skips the seats already claimed live (the
partial unique index `seat_claimed_once` decides, not Python); then the caller's claims are counted: if
one is missing, `SeatTaken` says which seats, and the caller's transaction rolls every one back (no partial
group). A seat still claimed by a hold past its expiry is set aside by a conditional UPDATE in the same
transaction and inserted again: an expired hold's seat is free for the next buyer at once, without a
worker."""

import functools
import secrets

from django.db import connection, transaction
from django.utils import timezone

from .models import ClaimState, SeatClaim


class SeatTaken(Exception):
    """Some of the seats asked for are held, sold or kept by someone else."""

    def __init__(self, seat_ids: list[int]):
        self.seat_ids = seat_ids
        super().__init__(f"seats taken: {seat_ids}")


def live_claims(performance_id: int, *, now=None):
    """The claims that take a seat now: sold, kept, or held and not yet expired."""
    now = now or timezone.now()
    return SeatClaim.objects.filter(
        performance_id=performance_id, state__in=[ClaimState.SOLD, ClaimState.KEPT]
    ) | (SeatClaim.objects.filter(performance_id=performance_id, state=ClaimState.HELD, expires_at__gt=now))


@functools.cache
def _taken_sql(vendor: str) -> str:
    table = connection.ops.quote_name(SeatClaim._meta.db_table)
    return (
        f"SELECT seat_id FROM {table} WHERE performance_id = %s AND (state IN (%s, %s) "  # noqa: S608
        "OR (state = %s AND expires_at > %s))"
    )


def taken_seats(performance_id: int, *, now=None) -> set[int]:
    """The seats of the date claimed live (the same rows as `live_claims`): read at each choice of seats,
    as plain rows (the ORM's objects cost more than the query for 2,000 seats)."""
    now = connection.ops.adapt_datetimefield_value(now or timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            _taken_sql(connection.vendor),
            [performance_id, ClaimState.SOLD.value, ClaimState.KEPT.value, ClaimState.HELD.value, now],
        )
        return {seat_id for (seat_id,) in cursor.fetchall()}


def seats_claim(
    *,
    performance_id: int,
    seat_ids: list[int],
    state: str = ClaimState.HELD,
    hold_id: int | None = None,
    expires_at=None,
    kept: str = "",
) -> list[SeatClaim]:
    """Claim every seat or none (raises `SeatTaken`, having claimed nothing once the caller rolls back)."""
    ids = sorted(set(seat_ids))
    if not ids:
        return []
    if state == ClaimState.HELD and expires_at is None:
        raise ValueError("a held seat needs its expiry")
    token = secrets.token_hex(8)
    claim = {"state": state, "hold_id": hold_id, "kept": kept, "token": token}
    claim["expires_at"] = expires_at if state == ClaimState.HELD else None
    with transaction.atomic():
        mine = _insert(performance_id, ids, claim)
        if len(mine) != len(ids):
            # Some seats are claimed: those whose hold has expired are set aside, then tried again.
            missing = [s for s in ids if s not in {c.seat_id for c in mine}]
            if SeatClaim.objects.filter(
                performance_id=performance_id,
                seat_id__in=missing,
                state=ClaimState.HELD,
                expires_at__lte=timezone.now(),
            ).update(state=ClaimState.RELEASED):
                mine += _insert(performance_id, missing, claim)
        if len(mine) != len(ids):
            got = {c.seat_id for c in mine}
            raise SeatTaken([s for s in ids if s not in got])
    return mine


def _insert(performance_id: int, ids: list[int], claim: dict) -> list[SeatClaim]:
    """One INSERT of every seat, the seats claimed live skipped (the unique index decides); the claims
    this call holds now (returned by the INSERT itself where the database can)."""
    if connection.features.can_return_rows_from_bulk_insert:
        return _insert_returning(performance_id, ids, claim)
    SeatClaim.objects.bulk_create(
        [SeatClaim(performance_id=performance_id, seat_id=seat_id, **claim) for seat_id in ids],
        ignore_conflicts=True,
    )
    return list(
        SeatClaim.objects.filter(performance_id=performance_id, token=claim["token"], seat_id__in=ids)
    )


def claims_release(*, hold_id: int | None = None, ticket_ids=None, performance_id=None, seat_ids=None) -> int:
    """Give seats back: a hold's (removed from the cart), tickets' (refunded, exchanged), or kept seats
    (staff release house seats)."""
    if hold_id is not None:
        claims = SeatClaim.objects.filter(hold_id=hold_id, state=ClaimState.HELD)
    elif ticket_ids is not None:
        claims = SeatClaim.objects.filter(ticket_id__in=list(ticket_ids), state=ClaimState.SOLD)
    elif performance_id is not None and seat_ids is not None:
        claims = SeatClaim.objects.filter(
            performance_id=performance_id, seat_id__in=list(seat_ids), state=ClaimState.KEPT
        )
    else:
        raise ValueError("say which seats to release")
    return claims.update(state=ClaimState.RELEASED)


def _insert_returning(performance_id: int, ids: list[int], claim: dict) -> list[SeatClaim]:
    ops = connection.ops
    table = ops.quote_name(SeatClaim._meta.db_table)
    now = timezone.now()
    values = [
        ops.adapt_datetimefield_value(claim["expires_at"]) if claim["expires_at"] else None,
        ops.adapt_datetimefield_value(now),
    ]
    row = "(%s, %s, %s, %s, %s, %s, %s, %s)"
    params: list = []
    for seat_id in ids:
        params += [
            performance_id,
            seat_id,
            claim["state"],
            claim["hold_id"],
            claim["kept"],
            *values,
            claim["token"],
        ]
    sql = (
        f"INSERT INTO {table} (performance_id, seat_id, state, hold_id, kept, expires_at, claimed_at, token) "  # noqa: S608
        f"VALUES {', '.join([row] * len(ids))} ON CONFLICT DO NOTHING RETURNING id, seat_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        SeatClaim(
            id=pk,
            performance_id=performance_id,
            seat_id=seat_id,
            claimed_at=now,
            **{k: claim[k] for k in ("state", "hold_id", "kept", "expires_at", "token")},
        )
        for pk, seat_id in rows
    ]

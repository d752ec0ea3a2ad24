"""Taking seats: chosen on the map (checked against the single-seat rule), or the best available (chosen,
then claimed in the same transaction; if someone was quicker, chosen again, up to `TRIES` times)."""

import random

from django.db import transaction

from parvis.ticketing.errors import SaleError

from . import best
from .claims import SeatTaken, seats_claim
from .models import ClaimState, Seat, SeatedPerformance
from .selectors import free_seats, layout_of

TRIES = 3


def seats_choose(
    *,
    performance_id: int,
    quantity: int | None = None,
    seat_ids: list[int] | None = None,
    category_id: int | None = None,
    hold_id: int | None = None,
    expires_at=None,
    state: str = ClaimState.HELD,
    kept: str = "",
    rng: random.Random | None = None,
):
    """Claim these seats, or the best `quantity` of a category; returns the claims, or raises SaleError
    with the reason a buyer reads: `seat_taken` (with the seats), `seat_single_gap` (with the seats the
    choice would leave alone), `seats_not_together` (with what is left), `not_seated`."""
    seated = SeatedPerformance.objects.select_related("plan").filter(performance_id=performance_id).first()
    if seated is None:
        raise SaleError("not_seated")
    claim = {
        "performance_id": performance_id,
        "hold_id": hold_id,
        "expires_at": expires_at,
        "state": state,
        "kept": kept,
    }
    layout = layout_of(seated.plan, performance_id)
    if seat_ids is not None:
        _check_choice(seated, layout, seat_ids, category_id)
        try:
            with transaction.atomic():
                return seats_claim(seat_ids=seat_ids, **claim)
        except SeatTaken as exc:
            raise SaleError("seat_taken", seats=labels(exc.seat_ids)) from None
    if not quantity or quantity <= 0:
        raise SaleError("invalid_quantity")
    for attempt in range(TRIES):
        chosen = best.best_available(
            layout,
            free_seats(layout, performance_id),
            quantity,
            category=category_id,
            rng=rng,
            spread=4**attempt,
        )
        if isinstance(chosen, best.Shortage):
            raise SaleError(
                "seats_not_together", quantity=quantity, free=chosen.free, together=chosen.together
            )
        try:
            with transaction.atomic():
                return seats_claim(seat_ids=list(chosen), **claim)
        except SeatTaken:
            continue  # someone was quicker: choose again among what is left
    raise SaleError("seat_taken", seats="—")


def _check_choice(seated: SeatedPerformance, layout: best.Layout, seat_ids: list[int], category_id) -> None:
    unknown = [s for s in seat_ids if s not in layout.places]
    if unknown or not seat_ids:
        raise SaleError("unknown_seat")
    if category_id is not None and any(layout.places[s].category != category_id for s in seat_ids):
        raise SaleError("seat_wrong_category")
    if not seated.refuse_single_gaps:
        return
    free = free_seats(layout, seated.performance_id)
    if not set(seat_ids) <= free:
        return  # the claim says which are taken
    stranded = best.singles_left(layout, free, set(seat_ids))
    if not stranded:
        return
    # Refused only when the same number of seats could be taken without leaving anyone alone: a buyer is
    # never kept from the last seats there are.
    other = best.best_available(layout, free, len(seat_ids), category=layout.places[seat_ids[0]].category)
    if not isinstance(other, best.Shortage) and not best.singles_left(layout, free, set(other)):
        raise SaleError("seat_single_gap", seats=labels(stranded))


def labels(seat_ids) -> str:
    """The seats in words, for a message: « rang B, place 7 ; rang B, place 9 »."""
    return " ; ".join(
        seat.label for seat in Seat.objects.filter(pk__in=list(seat_ids)).order_by("row_index", "x")
    )

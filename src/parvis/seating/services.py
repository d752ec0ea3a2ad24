"""Taking seats: chosen on the map (checked against the single-seat rule), or the best available (chosen,
then claimed in the same transaction; if someone was quicker, chosen again, up to `TRIES` times)."""

import random

from django.db import transaction

from parvis.core.audit import audit_record
from parvis.core.background import enqueue_on_commit
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Channel, Hold, HoldState, Quota, Tariff, Ticket, TicketState
from parvis.ticketing.services import cart_add
from parvis.ticketing.tasks import send_order_confirmation

from . import best
from .claims import SeatTaken, claims_release, seats_claim
from .models import LIVE, CategoryTariff, ClaimState, Seat, SeatClaim, SeatedPerformance, SeatQuality
from .selectors import category_of, free_seats, layout_of
from .standing import standing_sales_set

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
    check_gaps: bool = True,
    link: CategoryTariff | None = None,
):
    """Claim these seats, or the best `quantity` of a category; returns the claims, or raises SaleError
    with the reason a buyer reads: `seat_taken` (with the seats), `seat_single_gap` (with the seats the
    choice would leave alone; not checked when `check_gaps` is off: staff decide), `seats_not_together`
    (with what is left), `not_seated`."""
    if link is not None:  # read already (`tariff_seating`): the date's seating, whether qualities are painted
        seated, painted = link.seated, link.painted
    else:
        seated = (
            SeatedPerformance.objects.select_related("plan").filter(performance_id=performance_id).first()
        )
        painted = True
    if seated is None:
        raise SaleError("not_seated")
    claim = {
        "performance_id": performance_id,
        "hold_id": hold_id,
        "expires_at": expires_at,
        "state": state,
        "kept": kept,
    }
    layout = layout_of(seated.plan, performance_id, painted=painted)
    if seat_ids is not None:
        _check_choice(seated, layout, seat_ids, category_id, check_gaps=check_gaps)
        try:
            return seats_claim(seat_ids=seat_ids, **claim)  # its own savepoint: all the seats or none
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
            return seats_claim(seat_ids=list(chosen), **claim)
        except SeatTaken:
            continue  # someone was quicker: choose again among what is left
    raise SaleError("seat_taken", seats="—")


def seats_like(
    *,
    performance_id: int,
    category_id: int | None,
    quantity: int,
    like_tickets=(),
    like_holds=(),
    state: str = ClaimState.HELD,
    hold_id: int | None = None,
    expires_at=None,
) -> list[SeatClaim]:
    """The same seats as these tickets or holds have (at other dates in the same hall: same zone, row and
    number), if they are all free here and in the category; else the best available. A subscriber keeps
    their seat from show to show, an exchanged ticket its seat at the new date."""
    claim = {"performance_id": performance_id, "category_id": category_id, "state": state}
    claim |= {"hold_id": hold_id, "expires_at": expires_at}
    wanted = _same_seats(performance_id, category_id, like_tickets, like_holds)[:quantity]
    if len(wanted) == quantity:
        try:
            with transaction.atomic():
                return seats_choose(seat_ids=wanted, check_gaps=False, **claim)
        except SaleError as exc:
            if exc.code not in ("seat_taken", "unknown_seat"):
                raise
    return seats_choose(quantity=quantity, **claim)


def _same_seats(performance_id: int, category_id, like_tickets, like_holds) -> list[int]:
    seated = SeatedPerformance.objects.select_related("plan").filter(performance_id=performance_id).first()
    if seated is None or not (like_tickets or like_holds):
        return []
    # The seats the subscriber has (their tickets, latest first), then those of this cart's other dates.
    in_hall = SeatClaim.objects.filter(seat__plan__space_id=seated.plan.space_id).order_by(
        "-claimed_at", "seat__row_index", "seat__x"
    )
    keys = ("seat__zone", "seat__row", "seat__number")
    liked = [
        *in_hall.filter(ticket_id__in=list(like_tickets)).values_list(*keys),
        *in_hall.filter(hold_id__in=list(like_holds), state=ClaimState.HELD).values_list(*keys),
    ]
    here = {
        (zone, row, number): pk
        for pk, zone, row, number in Seat.objects.filter(
            plan=seated.plan, category_id=category_id
        ).values_list("pk", "zone", "row", "number")
    }
    free = free_seats(layout_of(seated.plan, performance_id), performance_id)
    found = [here.get(key) for key in dict.fromkeys(liked)]
    return [pk for pk in found if pk is not None and pk in free]


def _check_choice(
    seated: SeatedPerformance, layout: best.Layout, seat_ids: list[int], category_id, *, check_gaps: bool
) -> None:
    unknown = [s for s in seat_ids if s not in layout.places]
    if unknown or not seat_ids:
        raise SaleError("unknown_seat")
    if category_id is not None and any(layout.places[s].category != category_id for s in seat_ids):
        raise SaleError("seat_wrong_category")
    if not seated.refuse_single_gaps or not check_gaps:
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


def seats_hold(
    *,
    cart,
    tariff_id: int,
    seat_ids: list[int] | None = None,
    quantity: int | None = None,
    channel: str = Channel.ONLINE,
    rng: random.Random | None = None,
    check_gaps: bool = True,
) -> Hold:
    """Put seats in the cart: these, or the best `quantity` of the tariff's category. The places are held
    like any (same quotas, same expiry) and the seats claimed with them, in one transaction: both or
    neither. The box office turns `check_gaps` off (its staff may leave a seat alone)."""
    category_id = category_of(tariff_id)
    if category_id is None:
        raise SaleError("not_seated")
    count = len(set(seat_ids)) if seat_ids is not None else quantity
    with transaction.atomic():
        hold = cart_add(cart=cart, tariff_id=tariff_id, quantity=count or 0, channel=channel, placed=True)
        seats_choose(
            performance_id=hold.performance_id,
            quantity=count,
            seat_ids=seat_ids,
            category_id=category_id,
            hold_id=hold.pk,
            expires_at=hold.expires_at,
            rng=rng,
            check_gaps=check_gaps,
        )
    return hold


def seats_keep(*, actor, performance, seat_ids: list[int], kind: str, request=None) -> int:
    """The venue keeps these seats (press, artists, the sound desk, a subscriber's renewal): all or none
    (`SeatTaken`)."""
    with transaction.atomic():
        claims = seats_claim(
            performance_id=performance.pk, seat_ids=seat_ids, state=ClaimState.KEPT, kept=kind
        )
        _audit_kept(actor, performance, "seating.keep", seat_ids, kind, request)
    return len(claims)


def seats_release(*, actor, performance, seat_ids: list[int], request=None) -> int:
    """Kept seats go on sale (those of `seat_ids` that were kept)."""
    with transaction.atomic():
        released = list(
            SeatClaim.objects.filter(
                performance_id=performance.pk, seat_id__in=seat_ids, state=ClaimState.KEPT
            ).values_list("seat_id", flat=True)
        )
        claims_release(performance_id=performance.pk, seat_ids=released)
        if released:
            _audit_kept(actor, performance, "seating.release", released, "", request)
    return len(released)


def _audit_kept(actor, performance, action: str, seat_ids, kind: str, request) -> None:
    audit_record(
        actor=actor,
        action=action,
        instance=performance,
        organizer_id=performance.organizer_id,
        after={"seats": labels(seat_ids), **({"kind": kind} if kind else {})},
        request=request,
    )


def held_seats(hold_ids) -> dict[int, list[Seat]]:
    """The seats each of these holds has (a basket's lines)."""
    found: dict[int, list[Seat]] = {}
    claims = SeatClaim.objects.filter(hold_id__in=list(hold_ids), state=ClaimState.HELD).select_related(
        "seat"
    )
    for claim in claims.order_by("seat__row_index", "seat__x"):
        found.setdefault(claim.hold_id, []).append(claim.seat)
    return found


def seating_put_on_sale(
    *, actor, performance, plan, tariffs_by_category: dict[int, list[int]]
) -> SeatedPerformance:
    """Sell a date with numbered seats on this plan version: each category of the plan by its tariffs (a
    tariff sells one category). The date's total quota is set to the plan's seats."""
    categories = set(plan.categories.values_list("pk", flat=True))
    if not set(tariffs_by_category) <= categories:
        raise SaleError("unknown_seat")
    tariff_ids = [t for ids in tariffs_by_category.values() for t in ids]
    if len(tariff_ids) != len(set(tariff_ids)) or Tariff.objects.filter(
        pk__in=tariff_ids, performance=performance
    ).count() != len(tariff_ids):
        raise SaleError("unknown_tariff")
    if (
        Ticket.objects.filter(
            performance=performance, state=TicketState.VALID, seat_claim__isnull=True
        ).exists()
        or Hold.objects.filter(performance=performance, state=HoldState.ACTIVE, tariff__seated=False).exists()
    ):
        raise SaleError("seating_after_sales")  # those places have no seat to give
    current = (
        SeatedPerformance.objects.filter(performance=performance).values_list("plan_id", flat=True).first()
    )
    if (
        current not in (None, plan.pk)
        and SeatClaim.objects.filter(performance=performance, state__in=LIVE).exists()
    ):
        raise SaleError("seating_plan_in_use")  # a date keeps the plan version it sells seats of
    with transaction.atomic():
        seated, _created = SeatedPerformance.objects.update_or_create(
            performance=performance, defaults={"plan": plan}
        )
        seated.category_tariffs.all().delete()
        CategoryTariff.objects.bulk_create(
            [
                CategoryTariff(seated=seated, category_id=category_id, tariff_id=tariff_id)
                for category_id, ids in tariffs_by_category.items()
                for tariff_id in ids
            ]
        )
        standing = standing_sales_set(seated, plan, tariffs_by_category)  # standing places: no seats
        Tariff.objects.filter(performance=performance).update(seated=False)
        Tariff.objects.filter(pk__in=set(tariff_ids) - standing).update(seated=True)
        standing_capacity = sum(plan.standing_areas.values_list("capacity", flat=True))
        Quota.objects.filter(performance=performance, is_total=True).update(
            capacity=plan.seats.count() + standing_capacity
        )
        audit_record(
            actor=actor,
            action="seating.on_sale",
            instance=performance,
            organizer_id=performance.organizer_id,
            after={
                "plan": plan.pk,
                "version": plan.version,
                "categories": {str(k): v for k, v in tariffs_by_category.items()},
            },
        )
    return seated


def seat_change(*, actor, ticket, seat_id: int, request=None) -> SeatClaim:
    """Move a sold ticket to another free seat of its category, the ticket kept (same number, same QR
    code): the new seat is claimed first (the unique index decides), then the old one let go, in one
    transaction. Staff decide: the single-seat rule does not apply. The buyer gets the ticket again."""
    with transaction.atomic():
        old = (
            SeatClaim.objects.select_for_update()
            .select_related("seat")
            .filter(ticket_id=ticket.pk, state=ClaimState.SOLD)
            .first()
        )
        if old is None or ticket.state != TicketState.VALID:
            raise SaleError("not_seated")
        category_id = category_of(ticket.tariff_id)
        seat = Seat.objects.filter(pk=seat_id, plan_id=old.seat.plan_id).first()
        if seat is None:
            raise SaleError("unknown_seat")
        if seat.category_id != category_id:
            raise SaleError("seat_wrong_category")
        SeatClaim.objects.filter(pk=old.pk).update(state=ClaimState.RELEASED, ticket=None)
        try:
            [new] = seats_claim(
                performance_id=ticket.performance_id, seat_ids=[seat.pk], state=ClaimState.SOLD
            )
        except SeatTaken:
            raise SaleError("seat_taken", seats=seat.label) from None
        SeatClaim.objects.filter(pk=new.pk).update(ticket=ticket)
        audit_record(
            actor=actor,
            action="seating.seat_change",
            instance=ticket.order,
            organizer_id=ticket.organizer_id,
            before={"ticket": ticket.number, "seat": old.seat.label},
            after={"ticket": ticket.number, "seat": seat.label},
            request=request,
        )
        if ticket.order.email:
            enqueue_on_commit(send_order_confirmation, order_id=ticket.order_id, resend=True)
    return new


def quality_paint(*, actor, performance, seat_ids: list[int], score: int | None, request=None) -> int:
    """Give these seats a quality for this date (0 to 100; best available prefers the higher), or back to
    the default from their distance to the stage (`score` None)."""
    if score is not None and not 0 <= score <= 100:
        raise SaleError("invalid_quantity")
    with transaction.atomic():
        SeatQuality.objects.filter(performance_id=performance.pk, seat_id__in=seat_ids).delete()
        if score is not None:
            SeatQuality.objects.bulk_create(
                [SeatQuality(performance_id=performance.pk, seat_id=pk, score=score) for pk in seat_ids]
            )
        audit_record(
            actor=actor,
            action="seating.quality",
            instance=performance,
            organizer_id=performance.organizer_id,
            after={"seats": labels(seat_ids), "score": score},
            request=request,
        )
    return len(seat_ids)

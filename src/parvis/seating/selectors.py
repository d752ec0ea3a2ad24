"""Reads of the seating: a plan's layout for the search (kept per plan version: a version never changes),
and the free seats of a date."""

import functools
from dataclasses import replace

from django.db.models import Exists, OuterRef
from django.utils import timezone

from parvis.core.compiled import CompiledQuery

from .best import Layout, Place
from .claims import taken_seats
from .models import CategoryTariff, Seat, SeatPlan, SeatQuality
from .plans import default_quality

FIELDS = ("pk", "zone", "row_index", "block", "position", "category_id", "x", "restricted", "wheelchair")


@functools.lru_cache(maxsize=64)
def _plan_layout(plan_id: int, made_at) -> Layout:
    """A plan version's seats never change once made: its layout is built once per process (keyed by
    when the plan was made too: a test database gives ids again), each seat's quality from its distance
    to the stage."""
    quality = default_quality(SeatPlan.objects.get(pk=plan_id))
    return Layout(
        [
            Place(
                id=pk,
                zone=zone,
                row_index=row_index,
                block=block,
                position=position,
                category=category_id,
                x=x,
                restricted=restricted,
                wheelchair=wheelchair,
                quality=quality[pk],
            )
            for pk, zone, row_index, block, position, category_id, x, restricted, wheelchair in (
                Seat.objects.filter(plan_id=plan_id).values_list(*FIELDS)
            )
        ]
    )


def layout_of(plan: SeatPlan, performance_id: int | None = None, *, painted: bool = True) -> Layout:
    """The plan's layout, with the date's seat qualities where staff painted them (`painted` False: the
    caller knows none were)."""
    layout = _plan_layout(plan.pk, plan.created_at)
    scores = (
        dict(SeatQuality.objects.filter(performance_id=performance_id).values_list("seat_id", "score"))
        if performance_id and painted
        else {}
    )
    if not scores:
        return layout
    return Layout([replace(p, quality=scores.get(p.id, p.quality)) for p in layout.places.values()])


def category_of(tariff_id: int) -> int | None:
    """The seat category a tariff sells (None: not a seated tariff)."""
    return CategoryTariff.objects.filter(tariff_id=tariff_id).values_list("category_id", flat=True).first()


_tariff_seating = CompiledQuery(  # read at each seated sale
    CategoryTariff,
    lambda tariff_id: (
        CategoryTariff.objects.filter(tariff_id=tariff_id)
        .select_related("seated__plan")
        .annotate(painted=Exists(SeatQuality.objects.filter(performance_id=OuterRef("seated_id"))))
        .order_by()[:1]
    ),
)


def tariff_seating(tariff_id: int) -> CategoryTariff | None:
    """What selling a seated tariff needs, in one query written out once: its category, its date's
    seating with the plan, and whether staff painted seat qualities for the date (`painted`)."""
    found = _tariff_seating(tariff_id)
    return found[0] if found else None


def free_seats(layout: Layout, performance_id: int, *, now=None) -> set[int]:
    return set(layout.places) - taken_seats(performance_id, now=now or timezone.now())

"""Best available seats, and the single-seat rule: pure functions over a date's seats (no database).

For N seats of a category:
1. contiguous seats in one block of a row (between two aisles), ranked by: no single seat left stranded in
   the block, a run of free seats filled exactly, the fewest restricted-view seats, the highest quality,
   the nearest to the row's centre;
2. else N seats in one row with gaps, the closest together;
3. else two adjacent rows of the zone, each part contiguous, one behind the other;
4. else nothing, and what is left is said (`Shortage`).
Among candidates nearly as good as the best (same first three criteria, quality within `QUALITY_SLACK`
points a seat), one is chosen at random: buyers asking at the same moment do not all reach for the same
seats and collide.

A seat's neighbours are those next to it in its block (`Place.block`, `Place.position`), never by number.
Wheelchair spaces are not given by best available: they are chosen on the map or the list."""

import random
from dataclasses import dataclass
from itertools import accumulate

QUALITY_SLACK = 2  # points of quality per seat under which two candidates count as equally good


@dataclass(frozen=True, slots=True)
class Place:
    id: int
    zone: str
    row_index: int
    block: int
    position: int
    category: int
    x: float
    quality: int = 50
    restricted: bool = False
    wheelchair: bool = False


@dataclass(frozen=True)
class Shortage:
    """Why no choice was made: free seats of the category, and the most side by side."""

    free: int
    together: int


class Layout:
    """A plan's seats grouped for the search: per row (zone, row index) and per block, by position. Made
    once per plan and kept; a search only reads it with the set of free seats."""

    def __init__(self, places: list[Place]):
        self.places = {p.id: p for p in places}
        blocks: dict[tuple, list[Place]] = {}
        for p in places:
            blocks.setdefault((p.zone, p.row_index, p.block), []).append(p)
        self.blocks = {key: sorted(members, key=lambda p: p.position) for key, members in blocks.items()}
        rows: dict[tuple, list[Place]] = {}
        for p in places:
            rows.setdefault((p.zone, p.row_index), []).append(p)
        self.rows = {key: sorted(members, key=lambda p: p.x) for key, members in rows.items()}
        self.centre = {key: (m[0].x + m[-1].x) / 2 for key, m in self.rows.items()}

    def runs(self, free: set[int]):
        """Each block's runs of free seats (adjacent positions), with the block's row key."""
        for (zone, row_index, _block), members in self.blocks.items():
            run: list[Place] = []
            for p in members:
                if p.id in free and not p.wheelchair and (not run or p.position == run[-1].position + 1):
                    run.append(p)
                    continue
                if run:
                    yield (zone, row_index), run
                run = [p] if p.id in free and not p.wheelchair else []
            if run:
                yield (zone, row_index), run


class _Candidate:
    """A window: its ranking key, and its seats read from its run only when asked (a search ranks a
    thousand windows and gives one)."""

    __slots__ = ("key", "_run", "_start", "_n")

    def __init__(self, key: tuple, run: list[Place], start: int, n: int):
        self.key, self._run, self._start, self._n = key, run, start, n

    @property
    def seats(self) -> tuple[int, ...]:
        return tuple(p.id for p in self._run[self._start : self._start + self._n])


def _by_key(c: _Candidate) -> tuple:
    return c.key


def _windows(layout: Layout, free: set[int], n: int, category: int | None):
    """Every window of n contiguous free seats of the category, with its ranking key."""
    for row_key, run, start, key in _window_keys(layout, free, n, category):
        centre = layout.centre[row_key]
        yield _Candidate((*key, abs((run[start].x + run[start + n - 1].x) / 2 - centre)), run, start, n)


def _window_keys(layout: Layout, free: set[int], n: int, category: int | None):
    """The windows as (row, run, start, key without the distance to the row's centre): the hot loop of a
    search, kept to integer sums (the distance is computed for the few nearly best only)."""
    for row_key, run in layout.runs(free):
        size = len(run)
        if size < n:
            continue
        quality = list(accumulate((p.quality for p in run), initial=0))
        mixed = category is not None and any(p.category != category for p in run)
        bad = list(accumulate((p.category != category for p in run), initial=0)) if mixed else None
        restricted = (
            list(accumulate((p.restricted for p in run), initial=0))
            if any(p.restricted for p in run)
            else None
        )
        last = size - n
        for i in range(last + 1):
            if bad is not None and bad[i + n] - bad[i]:
                continue
            yield (
                row_key,
                run,
                i,
                (
                    (i == 1) + (last - i == 1),
                    0 if last == 0 else 1,
                    restricted[i + n] - restricted[i] if restricted is not None else 0,
                    quality[i] - quality[i + n],
                ),
            )


def _pick(layout: Layout, windows: list, n: int, rng: random.Random, spread: int) -> tuple[int, ...]:
    """One of the best windows, at random among the nearly as good: a buyer choosing again after a
    collision (`spread` wider) looks a little further from the crowd."""
    best = min(w[3] for w in windows)
    slack = QUALITY_SLACK * n * spread
    near = [
        _Candidate((*key, abs((run[i].x + run[i + n - 1].x) / 2 - layout.centre[row_key])), run, i, n)
        for row_key, run, i, key in windows
        if key[:3] == best[:3] and key[3] - best[3] <= slack
    ]
    near.sort(key=_by_key)
    # Windows that share no seat with a better one first: two buyers at the same moment then mostly reach
    # for different seats, not for overlapping windows of the same ones.
    taken: set[int] = set()
    apart, overlapping = [], []
    for c in near[: 64 * spread]:
        seats = c.seats
        if taken.isdisjoint(seats):
            apart.append(seats)
            taken.update(seats)
        else:
            overlapping.append(seats)
    return rng.choice((apart + overlapping)[: 4 * spread])


def best_available(
    layout: Layout,
    free: set[int],
    n: int,
    *,
    category: int | None = None,
    rng: random.Random | None = None,
    spread: int = 1,
) -> tuple[int, ...] | Shortage:
    """The seats to give (ids), or a `Shortage`. `spread`: how widely to choose among the nearly best (1
    the first time; more when choosing again after someone was quicker)."""
    rng = rng or random.Random()  # noqa: S311 (spreading buyers, not a secret)
    if n <= 0:
        return ()
    windows = list(_window_keys(layout, free, n, category))
    if windows:
        return _pick(layout, windows, n, rng, spread)
    eligible = [
        p
        for pid in free
        if (p := layout.places.get(pid)) is not None
        and not p.wheelchair
        and (category is None or p.category == category)
    ]
    if len(eligible) < n:
        return _shortage(layout, free, category, len(eligible))
    spread = _one_row_with_gaps(layout, eligible, n)
    if spread is not None:
        return spread
    two = _two_rows(layout, free, n, category, rng)
    if two is not None:
        return two
    return _shortage(layout, free, category, len(eligible))


def _one_row_with_gaps(layout: Layout, eligible: list[Place], n: int) -> tuple[int, ...] | None:
    """N free seats of one row, the closest together (then the best)."""
    by_row: dict[tuple, list[Place]] = {}
    for p in eligible:
        by_row.setdefault((p.zone, p.row_index), []).append(p)
    best = None
    for members in by_row.values():
        if len(members) < n:
            continue
        members.sort(key=lambda p: p.x)
        for i in range(len(members) - n + 1):
            window = members[i : i + n]
            key = (window[-1].x - window[0].x, -sum(p.quality for p in window))
            if best is None or key < best[0]:
                best = (key, tuple(p.id for p in window))
    return best[1] if best else None


def _two_rows(layout: Layout, free: set[int], n: int, category, rng) -> tuple[int, ...] | None:
    """Part in a row, the rest in the row behind, each part contiguous, the parts one behind the other."""
    front_n, back_n = (n + 1) // 2, n // 2
    by_row: dict[tuple, dict[int, list[_Candidate]]] = {}
    for size in {front_n, back_n}:
        for c in _windows(layout, free, size, category):
            row = layout.places[c.seats[0]]
            by_row.setdefault((row.zone, row.row_index), {}).setdefault(size, []).append(c)
    best = None
    for (zone, index), sizes in by_row.items():
        behind = by_row.get((zone, index + 1), {})
        for front in sizes.get(front_n, []):
            for back in behind.get(back_n, []):
                if set(front.seats) & set(back.seats):
                    continue
                fx = sum(layout.places[s].x for s in front.seats) / len(front.seats)
                bx = sum(layout.places[s].x for s in back.seats) / len(back.seats)
                key = (front.key[0] + back.key[0], abs(fx - bx), front.key[3] + back.key[3])
                if best is None or key < best[0]:
                    best = (key, front.seats + back.seats)
    return best[1] if best else None


def _shortage(layout: Layout, free: set[int], category, count: int) -> Shortage:
    together = 0
    for _row, run in layout.runs(free):
        length = 0
        for p in run:
            length = length + 1 if category is None or p.category == category else 0
            together = max(together, length)
    return Shortage(free=count, together=together)


def singles_left(layout: Layout, free: set[int], chosen: set[int]) -> list[int]:
    """The seats that taking `chosen` would leave alone between taken seats (or a taken seat and the end
    of the block), where they were not alone before."""
    after = free - chosen
    touched = {(p.zone, p.row_index, p.block) for pid in chosen if (p := layout.places.get(pid))}
    alone_before = {r[0].id for _k, r in layout.runs(free) if len(r) == 1}
    stranded = []
    for key in touched:
        members = layout.blocks[key]
        for i, p in enumerate(members):
            if p.id not in after or p.wheelchair or p.id in alone_before:
                continue
            left_free = i > 0 and members[i - 1].id in after and members[i - 1].position == p.position - 1
            right_free = (
                i + 1 < len(members)
                and members[i + 1].id in after
                and members[i + 1].position == p.position + 1
            )
            if not left_free and not right_free:
                stranded.append(p.id)
    return stranded

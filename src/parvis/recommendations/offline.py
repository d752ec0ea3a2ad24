"""Recommendations for many people at once, from a model's item-item scores, and their evaluation on a
split of history: what `parvis reco evaluate` and `bench/reco.py` run."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from . import engine, learning, metrics


def popularity(train: sparse.csr_matrix) -> np.ndarray:
    """How many people took each item."""
    return np.asarray((train > 0).sum(axis=0)).ravel()


def known_attributes(train: sparse.csr_matrix, attributes: Sequence[frozenset]) -> list[frozenset]:
    """For each person, the attributes (genres, venues) of what they took."""
    known = []
    for person in range(train.shape[0]):
        met: set = set()
        for item in train.indices[train.indptr[person] : train.indptr[person + 1]]:
            met |= attributes[item]
        known.append(frozenset(met))
    return known


def recommend_all(
    train: sparse.csr_matrix,
    item_scores: np.ndarray,
    features: engine.Features,
    balance: engine.Balance,
    *,
    count: int = 20,
    chunk: int = 2048,
    known: Sequence[frozenset] | None = None,
    only: Sequence[int] | None = None,
) -> dict[int, list[int]]:
    """person → `count` items, what they took left out; scored `chunk` people at a time (memory).
    `only`: the people to recommend for (all by default)."""
    people = np.arange(train.shape[0]) if only is None else np.asarray(only)
    lists: dict[int, list[int]] = {}
    for start in range(0, len(people), chunk):
        rows = people[start : start + chunk]
        block = train[rows]
        scores = np.asarray(block @ item_scores, dtype=np.float32)
        scores = engine.discounted(scores, features.popularity, balance)
        for offset, person in enumerate(rows.tolist()):
            taken = block.indices[block.indptr[offset] : block.indptr[offset + 1]]
            candidates = engine.top_candidates(scores[offset], taken, max(balance.pool, count))
            if balance.curiosity == 0:
                lists[person] = candidates[:count].tolist()
                continue
            picks = engine.rerank(
                candidates,
                scores[offset, candidates],
                features,
                count=count,
                balance=balance,
                known=known[person] if known is not None else frozenset(),
            )
            lists[person] = [pick.index for pick in picks]
    return lists


@dataclass(frozen=True)
class Split:
    train: sparse.csr_matrix
    held_out: Mapping[int, set[int]]


def random_split(cells: Sequence[tuple[int, int, float]], *, people: int, items: int, seed: int) -> Split:
    """80 % of the signals to learn from, 20 % to find, drawn at random (the usual MovieLens protocol)."""
    keep = np.random.default_rng(seed).random(len(cells)) < 0.8
    train = [cell for cell, kept in zip(cells, keep, strict=True) if kept]
    held: dict[int, set[int]] = {}
    for (person, item, _weight), kept in zip(cells, keep, strict=True):
        if not kept:
            held.setdefault(person, set()).add(item)
    return Split(learning.signal_matrix(train, people=people, items=items), held)


def assess(
    split: Split,
    lists: Mapping[int, Sequence[int]],
    *,
    diversity: Mapping[str, Sequence[frozenset]],
    discovery_attributes: Sequence[frozenset],
    known: Sequence[frozenset],
) -> dict[str, float]:
    return metrics.evaluate(
        lists,
        split.held_out,
        diversity={name: engine.unit_vectors(values) for name, values in diversity.items()},
        discovery_attributes=discovery_attributes,
        known=dict(enumerate(known)),
        popularity=popularity(split.train),
        people=split.train.shape[0],
    )

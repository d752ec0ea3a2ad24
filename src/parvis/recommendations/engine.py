"""The recommender's arithmetic, apart from the database: matrices in, scores and ranked lists out.

- **Collaborative, item to item (EASE, Steck 2019)**: from the people × events matrix of weighted signals
  (attended > bought > clicked), the item-item weights B = I − P·diag(1/diag P), P = (XᵀX + λI)⁻¹, with
  B's diagonal zero. A person's score for an event is their history times B. One dense inverse of the
  catalogue's size (an organizer's or a network's events, a few thousand at most), in numpy.
- **Content, for the cold start**: TF-IDF over what staff write of each event (title, genre, tags, artists,
  venue, the French and English descriptions; scikit-learn), cosine similarity between events. An event
  nobody has bought yet is recommended from day one through it; as its signals grow, the collaborative
  score takes over (`blend`: a weight n/(n + shrink) for an event with n signals).
- **Curiosity re-ranking**: the scores discounted by popularity (the long tail gets its chance), then the
  list built one pick at a time (MMR, Carbonell & Goldstein 1998), each pick the best of relevance, plus a
  bonus for a genre or a venue new to the person, minus its mean likeness to the picks so far (genres,
  venue). One knob, `Balance.curiosity`, from 0 (familiar: relevance alone) to 1 (discovery).

Learning the weights (EASE, TF-IDF: scipy and scikit-learn) is in `learning.py`, which only the nightly
training and the evaluation import; serving (a page, a campaign's batch) needs numpy alone. Everything here
is a pure function of arrays, tested on tiny hand-checked data (`tests/test_engine.py`)
and measured on MovieLens-100k and a generated network (`bench/reco.py`).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

# A signal's weight: coming to a show says more than buying it, buying more than a click.
WEIGHTS = {"attended": 3.0, "bought": 2.0, "clicked": 1.0}


def row_scaled(matrix: np.ndarray) -> np.ndarray:
    """Each row divided by its largest value (rows of zeros stay zero): scores of one scale to blend."""
    top = matrix.max(axis=1, keepdims=True)
    return np.divide(matrix, top, out=np.zeros_like(matrix), where=top > 0)


def blend_parts(
    collaborative: np.ndarray, content: np.ndarray, counts: np.ndarray, *, shrink: float = 20.0
) -> tuple[np.ndarray, np.ndarray]:
    """Item-item scores in two parts that add up: for a target event with n signals, n/(n + shrink) of
    the collaborative score ("the same audience") and the rest of the content's ("alike"). A new event
    (n = 0) is reached through its content alone."""
    trust = (counts / (counts + shrink)).astype(np.float32)[np.newaxis, :]
    return trust * row_scaled(np.maximum(collaborative, 0)), (1 - trust) * row_scaled(content)


def blend(collaborative: np.ndarray, content: np.ndarray, counts: np.ndarray, *, shrink: float = 20.0):
    together, alike = blend_parts(collaborative, content, counts, shrink=shrink)
    return together + alike


def neighbours(scores: np.ndarray, *, count: int) -> tuple[np.ndarray, np.ndarray]:
    """For each item, the `count` items it scores best (indices and scores, best first)."""
    count = min(count, max(scores.shape[1] - 1, 0))
    if count == 0:
        empty = np.zeros((scores.shape[0], 0))
        return empty.astype(np.int64), empty.astype(np.float32)
    best = np.argpartition(-scores, count - 1, axis=1)[:, :count]
    taken = np.take_along_axis(scores, best, axis=1)
    order = np.argsort(-taken, axis=1, kind="stable")
    return np.take_along_axis(best, order, axis=1), np.take_along_axis(taken, order, axis=1)


def unit_vectors(attributes: Sequence[frozenset]) -> np.ndarray:
    """Each item's attributes (its genres, its venue…) as a one-hot row of unit length: the dot product
    of two rows is the cosine of their attributes, 1 for the same, 0 for nothing in common."""
    names = sorted({name for item in attributes for name in item}, key=str)
    column = {name: position for position, name in enumerate(names)}
    vectors = np.zeros((len(attributes), max(len(names), 1)), dtype=np.float32)
    for row, item in enumerate(attributes):
        for name in item:
            vectors[row, column[name]] = 1.0
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


@dataclass(frozen=True)
class Features:
    """What the re-ranking knows of each item: its attributes (genres, venue) and how many people took it."""

    attributes: list[frozenset]
    popularity: np.ndarray

    @cached_property
    def unit(self) -> np.ndarray:
        return unit_vectors(self.attributes)


@dataclass(frozen=True)
class Balance:
    """The slider from "familiar" (0) to "discovery" (1), and what it sets: how much the popular is
    discounted (score / popularity^alpha), how much an item alike to those already picked loses, how much
    one with a genre or a venue new to the person gains, and among how many candidates it chooses.
    The default (0.5) is the setting measured on MovieLens-100k in `bench/reco.py`."""

    curiosity: float = 0.5

    @property
    def popularity_discount(self) -> float:
        return 0.5 * self.curiosity

    @property
    def diversity(self) -> float:
        return 2.0 * self.curiosity

    @property
    def discovery(self) -> float:
        return 0.2 * self.curiosity

    @property
    def pool(self) -> int:
        return 40


def discounted(scores: np.ndarray, popularity: np.ndarray, balance: Balance) -> np.ndarray:
    """Scores divided by popularity^alpha: the long tail gets its chance (catalogue coverage)."""
    if balance.popularity_discount == 0:
        return scores
    return scores / np.power(np.maximum(popularity, 1), balance.popularity_discount).astype(np.float32)


@dataclass(frozen=True)
class Pick:
    index: int
    relevance: float
    new_attributes: frozenset  # the attributes (a genre, a venue) the person has not met yet


def rerank(
    candidates: Sequence[int],
    relevance: Sequence[float],
    features: Features,
    *,
    count: int,
    balance: Balance,
    known: frozenset = frozenset(),
) -> list[Pick]:
    """`count` of the candidates in order (MMR). Each step takes the candidate with the best
    relevance + discovery·(share of its attributes new to the person) − diversity·(its mean likeness to
    the picks so far); relevance scaled to [0, 1] among the candidates. Taking the mean likeness rather
    than the largest is what raises the list's diversity: with few genres, the largest is soon 1 for all."""
    candidates = list(candidates)
    if not candidates or count <= 0:
        return []
    scores = np.asarray(relevance, dtype=np.float64)
    low, high = scores.min(), scores.max()
    scaled = (scores - low) / (high - low) if high > low else np.ones_like(scores)
    attributes = [features.attributes[index] for index in candidates]
    discovery = np.array([len(a - known) / len(a) if a else 0.0 for a in attributes])
    base = scaled + balance.discovery * discovery
    unit = features.unit[candidates]
    alike = unit @ unit.T
    total = np.zeros(len(candidates))
    free = np.ones(len(candidates), dtype=bool)
    picks: list[Pick] = []
    for taken in range(min(count, len(candidates))):
        value = base - balance.diversity * (total / taken if taken else 0.0)
        best = int(np.argmax(np.where(free, value, -np.inf)))
        free[best] = False
        total += alike[best]
        picks.append(Pick(candidates[best], float(scores[best]), attributes[best] - known))
    return picks


def top_candidates(scores: np.ndarray, exclude: np.ndarray, pool: int) -> np.ndarray:
    """The indices of the `pool` best scores, best first, leaving out `exclude` (what the person has)."""
    scores = scores.copy()
    scores[exclude] = -np.inf
    pool = min(pool, int(np.isfinite(scores).sum()))
    if pool <= 0:
        return np.zeros(0, dtype=np.int64)
    best = np.argpartition(-scores, pool - 1)[:pool]
    return best[np.argsort(-scores[best], kind="stable")]

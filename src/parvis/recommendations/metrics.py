"""How good a set of recommendation lists is, against what people really took afterwards (held out).

- Recall@k: of the items a person took later, the share found in their first k (divided by min(k, n),
  so that a perfect list scores 1 even for a person who took more than k); NDCG@k: the same, weighted
  by rank (binary relevance).
- Intra-list diversity: the mean over the pairs of a list of 1 − the cosine of their attributes (the
  genres, as one-hot vectors; the venues likewise). On MovieLens-100k this reproduces the baseline the
  issue gives for plain EASE (0.72).
- Catalogue coverage: the share of the catalogue that appears in at least one list.
- Novelty: the mean self-information −log₂(p) of the items recommended, p the share of people who took it.
- Discovery rate: of the hits, the share in a genre or a venue the person had not met in their history.
"""

from collections.abc import Mapping, Sequence

import numpy as np


def intra_list_diversity(items: Sequence[int], unit: np.ndarray) -> float:
    """1 − the mean cosine between the pairs of `items` (`unit`: rows of unit length, `unit_vectors`)."""
    count = len(items)
    if count < 2:
        return 0.0
    vectors = unit[list(items)]
    alike = vectors @ vectors.T
    pairs_sum = float(alike.sum() - np.trace(alike))
    return 1.0 - pairs_sum / (count * (count - 1))


def evaluate(
    lists: Mapping[int, Sequence[int]],
    held_out: Mapping[int, set[int]],
    *,
    diversity: Mapping[str, np.ndarray],
    discovery_attributes: Sequence[frozenset],
    known: Mapping[int, frozenset],
    popularity: np.ndarray,
    people: int,
    recall_at: int = 20,
    ndcg_at: int = 10,
) -> dict[str, float]:
    """The figures above for `lists` (person → items, best first); `diversity`: name → unit vectors of
    an attribute (e.g. "genres"), each giving an `ild_<name>` figure."""
    recalls, ndcgs, novelties = [], [], []
    diversities: dict[str, list[float]] = {name: [] for name in diversity}
    hits = discoveries = 0
    covered: set[int] = set()
    share = np.maximum(popularity, 1) / max(people, 1)
    for person, items in lists.items():
        covered.update(items[:recall_at])
        taken = held_out.get(person)
        if not taken:
            continue
        top = list(items[:recall_at])
        found = [item in taken for item in top]
        recalls.append(sum(found) / min(len(taken), recall_at))
        gains = sum(1 / np.log2(rank + 2) for rank, hit in enumerate(found[:ndcg_at]) if hit)
        ideal = sum(1 / np.log2(rank + 2) for rank in range(min(len(taken), ndcg_at)))
        ndcgs.append(gains / ideal)
        for name, unit in diversity.items():
            diversities[name].append(intra_list_diversity(top, unit))
        novelties.append(float(np.mean(-np.log2(share[top]))) if top else 0.0)
        person_known = known.get(person, frozenset())
        for item, hit in zip(top, found, strict=True):
            if hit:
                hits += 1
                discoveries += bool(discovery_attributes[item] - person_known)
    figures = {
        "recall_at_20": float(np.mean(recalls)) if recalls else 0.0,
        "ndcg_at_10": float(np.mean(ndcgs)) if ndcgs else 0.0,
        "coverage": len(covered) / len(popularity) if len(popularity) else 0.0,
        "novelty": float(np.mean(novelties)) if novelties else 0.0,
        "discovery_rate": discoveries / hits if hits else 0.0,
        "people": len(recalls),
    }
    for name, values in diversities.items():
        figures[f"ild_{name}"] = float(np.mean(values)) if values else 0.0
    return figures

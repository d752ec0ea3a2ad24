"""Learning the item-item weights from signals (scipy, scikit-learn): what the nightly training and the
evaluation run. Serving a suggestion never imports this (see `engine.py`)."""

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer


def signal_matrix(cells: Sequence[tuple[int, int, float]], *, people: int, items: int) -> sparse.csr_matrix:
    """People × items, each cell the strongest signal of that person for that item."""
    if not len(cells):
        return sparse.csr_matrix((people, items), dtype=np.float32)
    rows, cols, values = (np.asarray(part) for part in zip(*cells, strict=True))
    return signal_matrix_of(rows, cols, values, people=people, items=items)


def signal_matrix_of(
    rows: np.ndarray, cols: np.ndarray, values: np.ndarray, *, people: int, items: int
) -> sparse.csr_matrix:
    """`signal_matrix` from three arrays (millions of signals without a Python tuple each)."""
    if not len(rows):
        return sparse.csr_matrix((people, items), dtype=np.float32)
    order = np.lexsort((-values, cols, rows))  # per cell, the strongest first
    rows, cols, values = rows[order], cols[order], values[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    return sparse.csr_matrix(
        (values[first].astype(np.float32), (rows[first], cols[first])), shape=(people, items)
    )


def ease(matrix: sparse.spmatrix, *, lam: float = 300.0) -> np.ndarray:
    """The EASE item-item weights (items × items, float32, zero diagonal)."""
    gram = np.asarray((matrix.T @ matrix).todense(), dtype=np.float64)
    diagonal = np.diag_indices_from(gram)
    gram[diagonal] += lam
    inverse = np.linalg.inv(gram)
    weights = inverse / (-np.diag(inverse))
    weights[diagonal] = 0.0
    return weights.astype(np.float32)


def content_similarity(texts: Sequence[str]) -> np.ndarray:
    """Cosine similarity of the events' descriptions (items × items, float32, zero diagonal)."""
    if not any(text.strip() for text in texts):
        return np.zeros((len(texts), len(texts)), dtype=np.float32)
    vectors = TfidfVectorizer(sublinear_tf=True, min_df=1, strip_accents="unicode").fit_transform(texts)
    similarity = np.asarray((vectors @ vectors.T).todense(), dtype=np.float32)
    np.fill_diagonal(similarity, 0.0)
    return similarity

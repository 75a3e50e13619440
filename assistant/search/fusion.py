"""Dense and BM25 scores of the same candidates made one score. Chosen once, by `fusion` in settings."""

from __future__ import annotations

import numpy as np


def convex(dense: np.ndarray, sparse: np.ndarray, w_dense: float, w_sparse: float) -> np.ndarray:
    """Each side min-max normalised over the candidates, then a weighted sum. The candidates are the
    union of both sides' best, scored exactly, so the normalisation is the same whichever store or
    index (exact or approximate) found them."""
    return w_dense * _minmax(dense) + w_sparse * _minmax(sparse)


def rrf(dense: np.ndarray, sparse: np.ndarray, w_dense: float, w_sparse: float, k: int = 60) -> np.ndarray:
    """Weighted reciprocal rank fusion over the candidates."""
    return w_dense / (k + _ranks(dense)) + w_sparse / (k + _ranks(sparse))


def fuse(
    kind: str, dense: np.ndarray, sparse: np.ndarray, w_dense: float, w_sparse: float, rrf_k: int = 60
) -> np.ndarray:
    return rrf(dense, sparse, w_dense, w_sparse, rrf_k) if kind == "rrf" else convex(dense, sparse, w_dense, w_sparse)


def _minmax(x: np.ndarray) -> np.ndarray:
    lo, hi = (float(x.min()), float(x.max())) if len(x) else (0.0, 0.0)
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)


def _ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(-x, kind="stable")
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[order] = np.arange(1, len(x) + 1)
    return ranks

"""Latency percentiles as the scorer (eval/score.py) computes them, for every report of the project."""

from __future__ import annotations

import statistics
from collections.abc import Iterable


def score_percentile(values: Iterable[float], p: float) -> float:
    """score.py's definition: p50 is the median (the mean of the middle two of an even count); any other
    p is the value at index int(p/100 * (n - 1)) of the sorted values (p95: the lower nearest rank).
    0.0 for no values."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    if p == 50:
        return float(statistics.median(ordered))
    return float(ordered[int(p / 100 * (len(ordered) - 1))])

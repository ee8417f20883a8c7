"""What every benchmark module reports the same way: percentiles and the comparison row `bench.run` prints."""

from __future__ import annotations

import statistics
from typing import Any


def percentile(values: list[float], q: float) -> float:
    """The `q` quantile (0..1) of `values` by nearest rank; `values` must not be empty."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def percentiles_ms(seconds: list[float]) -> dict[str, float]:
    """p50 (the median) and p95 of `seconds`, in milliseconds rounded to 0.01."""
    return {
        "p50": round(statistics.median(seconds) * 1000, 2),
        "p95": round(percentile(seconds, 0.95) * 1000, 2),
    }


def comparison(name: str, unit: str, keysmith: float, baseline: float, baseline_name: str) -> dict[str, Any]:
    """One row of `bench.run`'s table: Keysmith beside a naive baseline measured in the same run."""
    return {
        "name": name,
        "unit": unit,
        "keysmith": keysmith,
        "baseline": baseline,
        "baseline_name": baseline_name,
    }

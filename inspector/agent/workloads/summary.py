"""Spreads and the throughput knee: small pure functions over measured numbers.

Standard library only (it runs inside the target); `inspector.core.pool_sizing` reuses
`find_knee` so the agent and the report call the same size the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) of `values` by linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def spread(values: Sequence[float], digits: int = 3) -> dict[str, float | int]:
    """The median and the range of repeated measurements: {"p50", "min", "max", "n"}."""
    if not values:
        return {"p50": 0.0, "min": 0.0, "max": 0.0, "n": 0}
    return {
        "p50": round(percentile(values, 0.5), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "n": len(values),
    }


def distribution(values: Sequence[float], digits: int = 3) -> dict[str, float | int]:
    """Percentiles of one run's samples: {"p50", "p95", "max", "n"}."""
    if not values:
        return {"p50": 0.0, "p95": 0.0, "max": 0.0, "n": 0}
    return {
        "p50": round(percentile(values, 0.5), digits),
        "p95": round(percentile(values, 0.95), digits),
        "max": round(max(values), digits),
        "n": len(values),
    }


def find_knee(
    sizes: Sequence[int],
    throughput: Sequence[float],
    noise: Sequence[float] | None = None,
    min_gain: float = 0.05,
) -> tuple[int | None, str]:
    """The smallest size past which a larger size no longer buys real throughput.

    `throughput[i]` is the median throughput at `sizes[i]` (ascending sizes); `noise[i]` the
    half-width of its spread (max - min) / 2. Walking up the sizes, the knee is the first size
    from which every later size stays within max(`min_gain` of the best, the combined noise)
    of it: more connections past that point only add waiting and memory. Returns the size (or
    None without data) and one sentence saying why.
    """
    if not sizes or len(sizes) != len(throughput):
        return None, "no measurements"
    noise = list(noise) if noise is not None else [0.0] * len(sizes)
    best = max(throughput)
    if best <= 0:
        return None, "no request completed at any size"
    for i, size in enumerate(sizes):
        later = range(i + 1, len(sizes))
        if all(
            throughput[j] - throughput[i] <= max(min_gain * best, noise[i] + noise[j])
            for j in later
        ):
            if i == len(sizes) - 1 and len(sizes) > 1:
                return size, (
                    f"throughput was still rising at the largest size tried ({size}); "
                    "the knee may lie beyond the sweep"
                )
            gain = (throughput[i + 1] - throughput[i]) if i + 1 < len(sizes) else 0.0
            return size, (
                f"throughput reaches {throughput[i]:.0f}/s at size {size} "
                f"({100 * throughput[i] / best:.0f}% of the best, {best:.0f}/s); every larger "
                f"size adds at most max({min_gain:.0%} of the best, the measured noise) "
                f"(next step: {gain:+.0f}/s)"
            )
    return sizes[-1], "no size stood out"

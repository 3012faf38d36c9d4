"""How measurements become the Impact and Frequency of a finding's priority (1-10 each).

The mapping is a documented table, not a formula tuned to the demo, so the report can say
why a score is what it is:

Impact, from the longest time one occurrence blocked the event loop:
    >= 1000 ms: 10   >= 300 ms: 9   >= 100 ms: 8   >= 50 ms: 7   >= 16 ms: 5   else 3
    (16 ms is one frame at 60 Hz; 100 ms is a hitch users notice.)
Impact, from the share of the loop (or sampled) thread's time spent in the code:
    >= 25 %: 10   >= 10 %: 9   >= 5 %: 8   >= 2 %: 7   >= 1 %: 6   >= 0.5 %: 5
    >= 0.1 %: 4   else 3
    When both are known the larger wins.
Frequency, from occurrences (blocked stretches, or separate sampled entries) per minute:
    >= 600: 10   >= 60: 9   >= 12: 8   >= 4: 7   >= 1: 6   >= 0.2: 4   else 2
Difficulty is never measured; it stays the rule's estimate.
"""

from __future__ import annotations

from analyzers.findings import Priority

_BLOCK_MS = ((1000.0, 10), (300.0, 9), (100.0, 8), (50.0, 7), (16.0, 5))
_SHARE = ((0.25, 10), (0.10, 9), (0.05, 8), (0.02, 7), (0.01, 6), (0.005, 5), (0.001, 4))
_PER_MIN = ((600.0, 10), (60.0, 9), (12.0, 8), (4.0, 7), (1.0, 6), (0.2, 4))


def _step(value: float, table: tuple[tuple[float, int], ...], floor: int) -> int:
    for threshold, score in table:
        if value >= threshold:
            return score
    return floor


def impact_from_block_ms(max_ms: float) -> int:
    return _step(max_ms, _BLOCK_MS, 3)


def impact_from_share(share: float) -> int:
    return _step(share, _SHARE, 3)


def frequency_from_rate(per_minute: float) -> int:
    return _step(per_minute, _PER_MIN, 2)


def measured_priority(
    difficulty: int,
    *,
    share: float | None = None,
    block_ms: float | None = None,
    per_minute: float = 0.0,
    basis: str = "",
) -> Priority:
    """A "measured" priority from whichever measurements exist; difficulty is kept."""
    impacts = []
    if share is not None:
        impacts.append(impact_from_share(share))
    if block_ms is not None:
        impacts.append(impact_from_block_ms(block_ms))
    impact = max(impacts) if impacts else 3
    return Priority(
        impact=impact,
        frequency=frequency_from_rate(per_minute),
        difficulty=difficulty,
        source="measured",
        basis=basis,
    )

"""How measurements become the Impact and Frequency of a finding's priority (1-10 each).

The mapping is a documented table, not a formula tuned to the demo, so the report can say
why a score is what it is:

Impact, from the longest time one occurrence blocked the event loop:
    >= 1000 ms: 10   >= 300 ms: 9   >= 100 ms: 8   >= 50 ms: 7   >= 16 ms: 5   else 3
    (16 ms is one frame at 60 Hz; 100 ms is a hitch users notice.)
Impact, from the share of the loop (or sampled) thread's time spent in the code:
    >= 25 %: 10   >= 10 %: 9   >= 5 %: 8   >= 2 %: 7   >= 1 %: 6   >= 0.5 %: 5
    >= 0.1 %: 4   else 3
    When both are known the larger wins, within what the share allows (below).
Impact, from memory retained after the work that allocated it was undone:
    >= 256 MB: 9   >= 64 MB: 8   >= 16 MB: 7   >= 4 MB: 6   >= 1 MB: 5   else 3
Frequency, from occurrences (blocked stretches, or separate sampled entries) per minute:
    >= 600: 10   >= 60: 9   >= 12: 8   >= 4: 7   >= 1: 6   >= 0.2: 4   else 2
Difficulty is never measured; it stays the rule's estimate.

What a share allows: a long stall that is a small part of the loop's time is not a priority.
When the share is known, Impact is at most 2 below 0.2 %, 3 below 0.5 %, 4 below 1 %, 6 below
2 %; so a
share under 0.2 % scores at most 20 + 50 - 2 = 68 even at Frequency 10 and is never
CRITICAL. A one-off stall (fewer than `ONE_OFF` occurrences) is not a priority however long
it was: Impact at most 4 and Frequency at most 2, so it scores at most 48 (MEDIUM); the
137 ms, 0.1 % one-off scores 20 + 10 - 6 = 24, LOW.
"""

from __future__ import annotations

from analyzers.findings import Priority

_BLOCK_MS = ((1000.0, 10), (300.0, 9), (100.0, 8), (50.0, 7), (16.0, 5))
_SHARE = ((0.25, 10), (0.10, 9), (0.05, 8), (0.02, 7), (0.01, 6), (0.005, 5), (0.001, 4))
_RETAINED_MB = ((256.0, 9), (64.0, 8), (16.0, 7), (4.0, 6), (1.0, 5))
_PER_MIN = ((600.0, 10), (60.0, 9), (12.0, 8), (4.0, 7), (1.0, 6), (0.2, 4))
_SHARE_CAP = ((0.002, 2), (0.005, 3), (0.01, 4), (0.02, 6))  # below this share, Impact at most
ONE_OFF = 3
"""Fewer occurrences than this in a session make a one-off."""
ONE_OFF_IMPACT = 4
"""A one-off's Impact at most: with Frequency at most 2 it scores under 50 (MEDIUM or LOW)."""


def _step(value: float, table: tuple[tuple[float, int], ...], floor: int) -> int:
    for threshold, score in table:
        if value >= threshold:
            return score
    return floor


def impact_from_block_ms(max_ms: float) -> int:
    return _step(max_ms, _BLOCK_MS, 3)


def impact_from_share(share: float) -> int:
    return _step(share, _SHARE, 3)


def impact_from_retained_mb(mb: float) -> int:
    return _step(mb, _RETAINED_MB, 3)


def frequency_from_rate(per_minute: float) -> int:
    return _step(per_minute, _PER_MIN, 2)


def share_cap(share: float) -> int:
    """The highest Impact a share of the loop's time allows (10 from 2 % on)."""
    for below, cap in _SHARE_CAP:
        if share < below:
            return cap
    return 10


def measured_priority(
    difficulty: int,
    *,
    share: float | None = None,
    block_ms: float | None = None,
    per_minute: float = 0.0,
    count: int | None = None,
    impact: int | None = None,
    frequency: int | None = None,
    basis: str = "",
) -> Priority:
    """A "measured" priority from whichever measurements exist; difficulty is kept.

    `count` (occurrences in the session) marks one-offs; `impact`/`frequency` are measured
    values from another table (memory, errors) that take part like the others.
    """
    one_off = count is not None and count < ONE_OFF
    impacts = [] if impact is None else [impact]
    if share is not None:
        impacts.append(impact_from_share(share))
    if block_ms is not None:
        impacts.append(impact_from_block_ms(block_ms))
    value = max(impacts) if impacts else 3
    if share is not None:
        value = min(value, share_cap(share))
    if one_off:
        value = min(value, ONE_OFF_IMPACT)
    freq = frequency if frequency is not None else frequency_from_rate(per_minute)
    if one_off:
        freq = min(freq, 2)
    return Priority(
        impact=max(1, min(value, 10)),
        frequency=max(1, min(freq, 10)),
        difficulty=difficulty,
        source="measured",
        basis=basis,
    )

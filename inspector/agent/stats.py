"""Bounded per-interval aggregates: counts and a capped sample of durations.

Every probe aggregates into these between flushes; a flush swaps them out. Nothing here grows
with the length of a session: duration samples are capped (reservoir sampling past the cap)
and tables of keys are capped by the probes that own them.
"""

from __future__ import annotations

MAX_DURATIONS = 256  # mirrors inspector.core.records.MAX_DURATIONS (the agent imports nothing)
MAX_KEYS = 2000  # per table of keys (event types, handlers, widgets); past it, counted as dropped


class DurationSample:
    """Count, errors, max and at most MAX_DURATIONS durations (milliseconds) of one interval.

    Past the cap, every 8th new value overwrites a slot in turn: cheaper than a true
    reservoir on hot paths (no random numbers), still a spread over the whole interval.
    """

    __slots__ = ("count", "errors", "max_ms", "samples")

    def __init__(self) -> None:
        self.count = 0
        self.errors = 0
        self.max_ms = 0.0
        self.samples: list[float] = []

    def add(self, ms: float) -> None:
        n = self.count = self.count + 1
        if ms > self.max_ms:
            self.max_ms = ms
        if n <= MAX_DURATIONS:
            self.samples.append(ms)
        elif not n & 7:
            self.samples[(n >> 3) % MAX_DURATIONS] = ms

    def rounded(self) -> list[float]:
        return [round(v, 3) for v in self.samples]


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of `values` by nearest rank; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def type_key(value: object) -> str:
    """A stable string for an event type: an enum's name, a string as is, else its repr."""
    if isinstance(value, str):
        return value
    name = getattr(value, "name", None)
    if isinstance(name, str):
        return name
    return repr(value)[:120]

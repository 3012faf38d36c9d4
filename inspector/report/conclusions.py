"""What the report concludes, as plain data: figures with their sources, tables, statements.

A `Conclusion` is decided once by a processor (`inspector.report.processors`) and read by
every section and every format that mentions its topic, so two places cannot disagree. Every
`Figure` names its `Source`: the session's records (kinds, how many, which window) or, for an
estimate, the method that produced it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

MEASURED = "measured"
NOT_MEASURED = "not_measured"


@dataclass(frozen=True)
class Source:
    """Where a figure comes from.

    `records` names the record kinds (or "py-spy samples", "workload `pools`") it was computed
    from, `count` how many, `window` the seconds from the session's start they cover. An
    estimate has no records of its own: `estimate` states its method. `origin` says whose
    activity the records show: "app" (the target on its own), "workload" (traffic our
    workloads drove), "mixed", or "" when that does not apply (a session-wide figure).
    """

    records: tuple[str, ...] = ()
    count: int = 0
    window: tuple[float, float] | None = None
    estimate: str = ""
    origin: str = ""
    meta_key: str = ""  # a setting read from the session's meta, not from records

    @property
    def is_estimate(self) -> bool:
        return bool(self.estimate)

    def describe(self) -> str:
        if self.estimate:
            return f"estimate: {self.estimate}"
        if self.meta_key:
            return f"session setting `{self.meta_key}`"
        parts = [" + ".join(self.records) or "session"]
        if self.records:
            parts[0] += f" ({self.count} records)" if self.count else " (no records)"
        if self.window is not None:
            parts.append(f"{self.window[0]:.0f}-{self.window[1]:.0f} s")
        if self.origin == "workload":
            parts.append("driven by our workloads")
        elif self.origin == "mixed":
            parts.append("app and our workloads")
        return ", ".join(parts)


@dataclass(frozen=True)
class Figure:
    """One number as the report prints it (`text`, with its unit) and where it comes from."""

    key: str
    label: str
    text: str
    source: Source


@dataclass(frozen=True)
class Table:
    """A table of plain cells: no JSON, no nested structures."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    source: Source = field(default_factory=Source)


@dataclass(frozen=True)
class Conclusion:
    """The one answer the report gives on a topic (pool sizing, memory trend, ...).

    `statement` is the sentence every section prints for the topic, verbatim. `status` is
    machine-readable ("measured", "not_measured", "no_app_traffic", "failed", ...). Every
    figure the statement or the table quotes is in `figures`.
    """

    topic: str
    title: str
    status: str
    statement: str
    figures: tuple[Figure, ...] = ()
    table: Table | None = None

    @property
    def measured(self) -> bool:
        return self.status == MEASURED

    def figure(self, key: str) -> Figure | None:
        for fig in self.figures:
            if fig.key == key:
                return fig
        return None


def iter_figures(conclusions: Sequence[Conclusion]) -> Iterator[Figure]:
    for c in conclusions:
        yield from c.figures

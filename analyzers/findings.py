"""The one finding type shared by analyzers, the session, the GUI and the report.

A finding is frozen: attaching measured evidence or a measured priority makes a new finding
(`with_evidence`, `with_priority`), so every stage can hand it on without defensive copies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

AREAS: Mapping[int, str] = {
    1: "Orchestrator engine and job queue",
    2: "Triggers",
    3: "Execution context and state",
    4: "Canvas rendering",
    5: "Connection pools",
    6: "Parallel execution",
    7: "Desktop automation",
    8: "Node execution",
    9: "Controllers and event bus",
    10: "Config, fuzzy search and utils",
}


class Severity(StrEnum):
    """Priority category; the audit plan's thresholds on the score."""

    CRITICAL = "CRITICAL"
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"

    @classmethod
    def from_score(cls, score: int) -> Severity:
        if score >= 70:
            return cls.CRITICAL
        if score >= 50:
            return cls.HIGH
        if score >= 30:
            return cls.MEDIUM
        return cls.LOW


def _check_scale(name: str, value: int) -> None:
    if not 1 <= value <= 10:
        raise ValueError(f"{name} must be on the 1-10 scale, got {value}")


@dataclass(frozen=True)
class Priority:
    """Score = Impact*10 + Frequency*5 - Difficulty*2, inputs on 1-10.

    `source` says where the inputs came from: "default" (the rule's static guess) or
    "measured" (replaced from session evidence); `basis` says how, for the report.
    """

    impact: int
    frequency: int
    difficulty: int
    source: str = "default"
    basis: str = ""

    def __post_init__(self) -> None:
        _check_scale("impact", self.impact)
        _check_scale("frequency", self.frequency)
        _check_scale("difficulty", self.difficulty)

    @property
    def score(self) -> int:
        return self.impact * 10 + self.frequency * 5 - self.difficulty * 2

    @property
    def category(self) -> Severity:
        return Severity.from_score(self.score)


@dataclass(frozen=True)
class ChainStep:
    """One hop of a call chain, from the async/GUI caller down to the blocking call."""

    path: str
    line: int
    symbol: str
    note: str = ""


@dataclass(frozen=True)
class Evidence:
    """A measurement attached to a finding (py-spy samples, agent metrics, workload results)."""

    source: str  # "py-spy", "agent", "workload"
    summary: str  # one human sentence with the figure in it
    metrics: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    """A performance defect pinned to a line, with its priority and any measured evidence.

    `path` is relative to the audited root (POSIX separators), lines are 1-based.
    `kind` is "static" for analyzer findings and "dynamic" for ones found in measurements.
    `related` are other lines the message speaks of (the loop, the lock, the first call), so
    the message itself never holds a line number. `anchor` is the normalized text of the
    flagged statement (static) or a structural key such as a widget class (dynamic), and
    `occurrence` tells apart repeats of the same anchor in one symbol; with rule, path and
    symbol they make the fingerprint (see `analyzers.identity`).
    """

    rule: str
    area: int
    path: str
    line: int
    message: str
    priority: Priority
    end_line: int = 0
    col: int = 0
    symbol: str = ""
    title: str = ""
    root_cause: str = ""
    recommendation: str = ""
    example_before: str = ""
    example_after: str = ""
    kind: str = "static"
    tags: tuple[str, ...] = ()
    chain: tuple[ChainStep, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    related: tuple[ChainStep, ...] = ()
    anchor: str = ""
    occurrence: int = 0

    def __post_init__(self) -> None:
        if self.area not in AREAS:
            raise ValueError(f"area must be 1-10, got {self.area}")
        if self.end_line == 0:
            object.__setattr__(self, "end_line", self.line)

    @property
    def severity(self) -> Severity:
        return self.priority.category

    @property
    def score(self) -> int:
        return self.priority.score

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def fingerprint(self) -> str:
        """Identity that survives moves and rewording: never the line, message or figures."""
        key = f"{self.rule}|{self.path}|{self.symbol}|{self.anchor}|{self.occurrence}"
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    def with_evidence(self, *evidence: Evidence) -> Finding:
        return replace(self, evidence=self.evidence + tuple(evidence))

    def with_priority(self, priority: Priority) -> Finding:
        return replace(self, priority=priority)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["priority"]["score"] = self.score
        data["priority"]["category"] = self.severity.value
        data["severity"] = self.severity.value
        data["fingerprint"] = self.fingerprint
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        """Inverse of `to_dict`; unknown keys are ignored so newer files still load."""
        pri = dict(data["priority"])
        priority = Priority(
            impact=int(pri["impact"]),
            frequency=int(pri["frequency"]),
            difficulty=int(pri["difficulty"]),
            source=pri.get("source", "default"),
            basis=pri.get("basis", ""),
        )
        structured = {"priority", "chain", "evidence", "tags", "related"}
        known = {f for f in cls.__dataclass_fields__} - structured
        kwargs = {k: v for k, v in data.items() if k in known}
        return cls(
            priority=priority,
            chain=tuple(ChainStep(**c) for c in data.get("chain", ())),
            related=tuple(ChainStep(**c) for c in data.get("related", ())),
            evidence=tuple(
                Evidence(e["source"], e["summary"], dict(e.get("metrics", {})))
                for e in data.get("evidence", ())
            ),
            tags=tuple(data.get("tags", ())),
            **kwargs,
        )


def rank(findings: Sequence[Finding]) -> list[Finding]:
    """The one unified ranking: score, then area, then location, so output is stable."""
    return sorted(findings, key=lambda f: (-f.score, f.area, f.path, f.line, f.rule))

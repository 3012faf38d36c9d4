"""Compare two sessions or two audits (before/after a fix): what is new, gone or changed.

Findings are matched by `Finding.fingerprint` (rule, file, enclosing symbol, message; not the
line), so a finding that only moved is "unchanged". A matched finding "changed" when its
score, its priority's source, or a measured evidence figure differs. Between two sessions the
headline measurements are compared too, which is how a team sees that a fix worked.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyzers.findings import Finding, rank
from inspector.core.session import Session, SessionError

_SQLITE_MAGIC = b"SQLite format 3\x00"


class ComparisonError(Exception):
    """An input that is neither a session nor a JSON report; the message is one line."""


@dataclass(frozen=True)
class Changed:
    old: Finding
    new: Finding
    what: tuple[str, ...]

    @property
    def score_delta(self) -> int:
        return self.new.score - self.old.score


@dataclass(frozen=True)
class MetricDelta:
    name: str
    old: float
    new: float
    lower_is_better: bool = True

    @property
    def improved(self) -> bool:
        return self.new < self.old if self.lower_is_better else self.new > self.old


@dataclass
class Comparison:
    """The outcome of `compare`: findings by status and measured headline deltas."""

    old_label: str
    new_label: str
    new: list[Finding]
    gone: list[Finding]
    changed: list[Changed]
    unchanged: int
    metrics: list[MetricDelta] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old_label,
            "new_label": self.new_label,
            "new": [f.to_dict() for f in self.new],
            "gone": [f.to_dict() for f in self.gone],
            "changed": [
                {
                    "fingerprint": c.new.fingerprint,
                    "what": list(c.what),
                    "old": c.old.to_dict(),
                    "new": c.new.to_dict(),
                }
                for c in self.changed
            ],
            "unchanged": self.unchanged,
            "metrics": [
                {"name": m.name, "old": m.old, "new": m.new, "improved": m.improved}
                for m in self.metrics
            ],
        }

    def to_markdown(self) -> str:
        out = [
            f"# Comparison: `{self.old_label}` → `{self.new_label}`",
            "",
            f"{len(self.new)} new, {len(self.gone)} gone, {len(self.changed)} changed, "
            f"{self.unchanged} unchanged (matched by fingerprint: rule, file, symbol, message).",
            "",
        ]
        if self.metrics:
            out += [
                "## Measured headline",
                "",
                "| Metric | Before | After | Verdict |",
                "|---|---|---|---|",
            ]
            for m in self.metrics:
                verdict = "better" if m.improved else ("same" if m.new == m.old else "worse")
                out.append(f"| {m.name} | {m.old:.2f} | {m.new:.2f} | {verdict} |")
            out.append("")
        for title, items in (
            ("New findings", self.new),
            ("Gone (fixed or no longer seen)", self.gone),
        ):
            out += [f"## {title}", ""]
            out += [
                f"- [{f.severity.value}] `{f.location}` {f.rule}: {f.message} (score {f.score})"
                for f in items
            ] or ["None."]
            out.append("")
        out += ["## Changed in measured impact", ""]
        out += [
            f"- `{c.new.location}` {c.new.rule}: score {c.old.score} → {c.new.score} "
            f"({c.score_delta:+d}); {', '.join(c.what)}"
            for c in self.changed
        ] or ["None."]
        return "\n".join(out) + "\n"


def _evidence_metrics(f: Finding) -> dict[str, float]:
    out: dict[str, float] = {}
    for ev in f.evidence:
        for key, value in ev.metrics.items():
            out[f"{ev.source}:{key}"] = float(value)
    return out


def compare_findings(
    old: Sequence[Finding], new: Sequence[Finding], old_label: str = "old", new_label: str = "new"
) -> Comparison:
    before = {f.fingerprint: f for f in old}
    after = {f.fingerprint: f for f in new}
    changed: list[Changed] = []
    unchanged = 0
    for fp in before.keys() & after.keys():
        a, b = before[fp], after[fp]
        what = []
        if a.score != b.score:
            what.append(f"score {a.score} → {b.score}")
        if a.priority.source != b.priority.source:
            what.append(f"inputs {a.priority.source} → {b.priority.source}")
        ma, mb = _evidence_metrics(a), _evidence_metrics(b)
        for key in sorted(ma.keys() | mb.keys()):
            if ma.get(key) != mb.get(key):
                what.append(f"{key} {ma.get(key, '—')} → {mb.get(key, '—')}")  # noqa: PERF401
        if what:
            changed.append(Changed(a, b, tuple(what)))
        else:
            unchanged += 1
    return Comparison(
        old_label,
        new_label,
        rank([after[fp] for fp in after.keys() - before.keys()]),
        rank([before[fp] for fp in before.keys() - after.keys()]),
        sorted(changed, key=lambda c: (-abs(c.score_delta), c.new.path, c.new.line)),
        unchanged,
    )


def _headline(session: Session) -> Mapping[str, tuple[float, bool]]:
    # Imported here: the report package builds on the core, not the other way round at import.
    from inspector.report.measured import group_by_kind, summarize

    m = summarize(group_by_kind(session.records()))
    out: dict[str, tuple[float, bool]] = {}
    if m.loop.measured:
        out["event-loop lag p95 (ms)"] = (m.loop.lag_ms.p95, True)
        out["event-loop lag max (ms)"] = (m.loop.lag_ms.max, True)
        out["slow callbacks"] = (float(m.loop.slow_callbacks), True)
    if m.bus.measured:
        out["bus handler p95 (ms)"] = (m.bus.handler_p95_ms, True)
        out["bus events/s"] = (m.bus.events_per_s, False)
    if m.repaint.measured:
        out["paint time p95 (ms)"] = (m.repaint.paint_ms.p95, True)
    if m.memory.measured and m.memory.judgeable:
        out["RSS growth (MB/h)"] = (m.memory.growth_mb_per_h, True)
    return out


def load_findings(path: Path) -> tuple[list[Finding], Session | None]:
    """Findings from a session file or a JSON report (the session is returned open)."""
    try:
        head = path.read_bytes()[:16]
    except OSError as exc:
        raise ComparisonError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if head == _SQLITE_MAGIC:
        try:
            session = Session.open(path, read_only=True)
        except SessionError as exc:
            raise ComparisonError(str(exc)) from exc
        return session.findings(), session
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [Finding.from_dict(f) for f in data["findings"]], None
    except (ValueError, KeyError, TypeError) as exc:
        raise ComparisonError(
            f"{path} is neither a session file nor a casare-inspector JSON report"
        ) from exc


def compare_paths(old: Path, new: Path) -> Comparison:
    old_findings, old_session = load_findings(old)
    new_findings, new_session = load_findings(new)
    try:
        result = compare_findings(old_findings, new_findings, old.name, new.name)
        if old_session is not None and new_session is not None:
            before, after = _headline(old_session), _headline(new_session)
            result.metrics = [
                MetricDelta(name, before[name][0], after[name][0], before[name][1])
                for name in before
                if name in after
            ]
    finally:
        for s in (old_session, new_session):
            if s is not None:
                s.close()
    return result

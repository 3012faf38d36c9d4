"""JSON renderer: the full report data, for tools and for comparing two runs."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from analyzers.findings import Finding
from inspector.report.model import ReportModel

FORMAT = "casare-inspector-report"
FORMAT_VERSION = 2  # 2: "conclusions" replace projections, answers, hot_functions, pool_sizing


def _plain(value: Any) -> Any:
    """Dataclasses, tuples and mappings as JSON-ready data; findings by fingerprint."""
    if isinstance(value, Finding):
        return value.fingerprint
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else value
        return [_plain(v) for v in items]
    return value


class JsonRenderer:
    """Formats a ReportModel as one JSON document (findings in full, the rest by reference)."""

    # No indent by default: json's C encoder only runs without one (10x faster on big reports).
    def __init__(self, indent: int | None = None) -> None:
        self.indent = indent

    def to_data(self, model: ReportModel) -> dict[str, Any]:
        m = model.measurements
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "kind": model.kind,
            "title": model.title,
            "generated": model.generated,
            "target": model.target,
            "profile": model.profile,
            "source_root": model.source_root,
            "session": model.session_name,
            "score_formula": "impact*10 + frequency*5 - difficulty*2",
            "summary": {
                "findings": len(model.findings),
                "by_severity": {s.value: n for s, n in model.severity_counts().items()},
                "critical": len(model.critical),
                "memory_risks": len(model.memory_risks),
                "async_antipatterns": len(model.async_patterns),
                "quick_wins": [f.fingerprint for f in model.quick_wins],
                "long_term": [f.fingerprint for f in model.long_term],
            },
            "findings": [
                {**f.to_dict(), "rank": i, "metrics": _plain(model.metrics.get(f.fingerprint, ()))}
                for i, f in enumerate(model.findings, 1)
            ],
            "areas": [
                {
                    "area": a.area,
                    "name": a.name,
                    "checked": a.checked,
                    "rules": list(a.rules),
                    "findings": [f.fingerprint for f in a.findings],
                }
                for a in model.areas
            ],
            "measurements": _plain(m),
            "targets": dict(model.targets),
            "synthesis": {
                "groups": _plain(model.groups),
                "cascades": _plain(model.cascades),
                "conflicts": _plain(model.conflicts),
                "patterns": _plain(model.patterns),
            },
            "action_plan": [
                {
                    "phase": p.name,
                    "window": p.window,
                    "findings": [f.fingerprint for f in p.findings],
                }
                for p in model.phases
            ],
            # Every conclusion the report states, with its figures and their sources: the
            # Markdown and HTML sections quote these verbatim.
            "conclusions": {topic: _plain(c) for topic, c in model.conclusions.items()},
            "audit": _plain(model.audit),
            "coverage": None
            if model.coverage is None
            else {
                "source": model.coverage.source,
                "gaps": [
                    {
                        "finding": g.finding.fingerprint,
                        "file_percent": g.file_percent,
                        "line_covered": g.line_covered,
                    }
                    for g in model.gaps
                ],
            },
            "plots": [
                {"name": p.name, "title": p.title, "caption": p.caption} for p in model.plots
            ],
        }

    def render(self, model: ReportModel) -> str:
        return json.dumps(self.to_data(model), indent=self.indent, default=str) + "\n"


def load_findings(text: str) -> list[Finding]:
    """The findings of a JSON report, as Finding objects (rank order)."""
    data = json.loads(text)
    if data.get("format") != FORMAT:
        raise ValueError("not a casare-inspector JSON report")
    return [Finding.from_dict(f) for f in data["findings"]]

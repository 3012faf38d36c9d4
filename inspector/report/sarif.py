"""SARIF 2.1.0 renderer, for code-scanning UIs and editors.

URIs are repo-relative with `uriBaseId` %SRCROOT% (resolved through `originalUriBaseIds`), so
the log is portable; `partialFingerprints` carry Finding.fingerprint so a result keeps its
identity across runs; `rank` maps the score onto SARIF's 0-100; call chains are `codeFlows`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from analyzers.findings import Finding, Priority, Severity
from inspector import __version__
from inspector.report.model import ReportModel

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "casareInspectorFinding/v1"

# The score's range on 1-10 inputs: 1*10+1*5-10*2 = -5 up to 10*10+10*5-1*2 = 148.
SCORE_MIN, SCORE_MAX = -5, 148

LEVELS: Mapping[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
}


def rank_of(score: int) -> float:
    """Score -> SARIF rank (0-100), linear over the score's whole range, order preserved."""
    clamped = min(max(score, SCORE_MIN), SCORE_MAX)
    return round((clamped - SCORE_MIN) * 100.0 / (SCORE_MAX - SCORE_MIN), 1)


def _rule_classes() -> dict[str, Any]:
    try:
        from analyzers.registry import all_rules

        return {r.ID: r for r in all_rules()}
    except Exception:  # a broken rule module must not stop the report
        return {}


def _artifact(path: str) -> dict[str, str]:
    """Where a file is: relative to %SRCROOT% for the audited tree's own files; an absolute
    file:// URI for files outside it (the stdlib, site-packages, seen by py-spy), which must
    not be read as if they were under the source root."""
    if PurePosixPath(path).is_absolute():
        return {"uri": PurePosixPath(path).as_uri()}
    windows = PureWindowsPath(path)
    if windows.is_absolute():  # C:\... or \\server\share\... recorded on Windows
        return {"uri": windows.as_uri()}
    # Percent-encoded: a path with spaces is not a valid uri-reference as is.
    return {"uri": quote(path, safe="/"), "uriBaseId": SRCROOT}


def _location(
    path: str, line: int, end_line: int = 0, col: int = 0, symbol: str = "", message: str = ""
) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": max(line, 1)}
    if end_line and end_line >= line:
        region["endLine"] = end_line
    if col:
        region["startColumn"] = col + 1  # libcst columns are 0-based, SARIF's 1-based
    loc: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": _artifact(path),
            "region": region,
        }
    }
    if symbol:
        loc["logicalLocations"] = [{"fullyQualifiedName": symbol, "kind": "function"}]
    if message:
        loc["message"] = {"text": message}
    return loc


class SarifRenderer:
    """Formats a ReportModel as a SARIF 2.1.0 log with one run."""

    def rules(self, model: ReportModel) -> list[dict[str, Any]]:
        classes = _rule_classes()
        firsts: dict[str, Finding] = {}
        for f in model.findings:
            firsts.setdefault(f.rule, f)
        out = []
        for rule_id in sorted(firsts):
            f = firsts[rule_id]
            cls = classes.get(rule_id)
            if cls is not None:
                default = Priority(cls.IMPACT, cls.FREQUENCY, cls.DIFFICULTY)
                title, rationale, rec = cls.TITLE, cls.RATIONALE, cls.RECOMMENDATION
                before, after, tags = cls.EXAMPLE_BEFORE, cls.EXAMPLE_AFTER, tuple(cls.TAGS)
            else:
                default = Priority(f.priority.impact, f.priority.frequency, f.priority.difficulty)
                title, rationale, rec = f.title or rule_id, f.root_cause, f.recommendation
                before, after, tags = f.example_before, f.example_after, f.tags
            help_md = rec or title
            if before or after:
                help_md += (
                    f"\n\nBefore:\n```python\n{before.strip()}\n```\n\n"
                    f"After:\n```python\n{after.strip()}\n```"
                )
            out.append(
                {
                    "id": rule_id,
                    "name": "".join(w.capitalize() for w in title.replace("-", " ").split())
                    or rule_id,
                    "shortDescription": {"text": title},
                    "fullDescription": {"text": rationale or title},
                    "help": {"text": rec or title, "markdown": help_md},
                    "defaultConfiguration": {
                        "level": LEVELS[default.category],
                        "rank": rank_of(default.score),
                    },
                    "properties": {
                        "tags": sorted({*tags, "performance"}),
                        "area": f.area,
                        "defaultScore": default.score,
                    },
                }
            )
        return out

    def result(self, f: Finding, rule_index: int) -> dict[str, Any]:
        text = f.message
        if f.recommendation:
            text += f" Recommendation: {' '.join(f.recommendation.split())}"
        res: dict[str, Any] = {
            "ruleId": f.rule,
            "ruleIndex": rule_index,
            "level": LEVELS[f.severity],
            "rank": rank_of(f.score),
            "message": {"text": text},
            "locations": [_location(f.path, f.line, f.end_line, f.col, f.symbol)],
            "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
            "properties": {
                "score": f.score,
                "severity": f.severity.value,
                "area": f.area,
                "impact": f.priority.impact,
                "frequency": f.priority.frequency,
                "difficulty": f.priority.difficulty,
                "prioritySource": f.priority.source,
                "priorityBasis": f.priority.basis,
                "kind": f.kind,
                "tags": list(f.tags),
                "evidence": [e.summary for e in f.evidence],
            },
        }
        if f.related:
            res["relatedLocations"] = [
                {"id": i, **_location(s.path, s.line, symbol=s.symbol, message=s.note or s.symbol)}
                for i, s in enumerate(f.related)
            ]
        if f.chain:
            res["codeFlows"] = [
                {
                    "message": {"text": "call chain from the caller down to the costly call"},
                    "threadFlows": [
                        {
                            "locations": [
                                {
                                    "location": _location(
                                        s.path, s.line, symbol=s.symbol, message=s.note or s.symbol
                                    ),
                                    "nestingLevel": i,
                                }
                                for i, s in enumerate(f.chain)
                            ]
                        }
                    ],
                }
            ]
        return res

    def to_data(self, model: ReportModel) -> dict[str, Any]:
        rules = self.rules(model)
        index = {r["id"]: i for i, r in enumerate(rules)}
        run: dict[str, Any] = {
            "tool": {
                "driver": {
                    "name": "casare-inspector",
                    "version": __version__,
                    "semanticVersion": __version__,
                    "rules": rules,
                }
            },
            "results": [self.result(f, index[f.rule]) for f in model.findings],
            "columnKind": "unicodeCodePoints",
            "properties": {
                "profile": model.profile,
                "kind": model.kind,
                "scoreFormula": "impact*10 + frequency*5 - difficulty*2",
                # The report's conclusions (session state, provenance, pool sizing, ...), the
                # same statements the Markdown and HTML show.
                "conclusions": {
                    topic: {"status": c.status, "statement": c.statement}
                    for topic, c in model.conclusions.items()
                },
            },
        }
        session = model.conclusions.get("session")
        if session is not None:
            # A cut-short session or a failed workload is the run's caveat, where SARIF
            # viewers show it; the same statement the Markdown opens with.
            invocation: dict[str, Any] = {"executionSuccessful": session.status != "cut_short"}
            if session.status not in ("complete", "static"):
                invocation["toolExecutionNotifications"] = [
                    {"level": "warning", "message": {"text": session.statement}}
                ]
            run["invocations"] = [invocation]
        if model.source_root:
            root_uri = Path(model.source_root).resolve().as_uri().rstrip("/") + "/"
            run["originalUriBaseIds"] = {SRCROOT: {"uri": root_uri}}
        else:
            run["originalUriBaseIds"] = {
                SRCROOT: {"description": {"text": "The root of the audited source tree."}}
            }
        return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}

    def render(self, model: ReportModel) -> str:
        # Compact: json's C encoder only runs without indent; viewers pretty-print anyway.
        return json.dumps(self.to_data(model), separators=(",", ":")) + "\n"

"""Test coverage data for the "test coverage gaps" appendix (coverage.xml or `coverage json`).

Only reads what coverage.py writes: Cobertura XML (`coverage xml`) or the JSON export
(`coverage json`). Paths are matched to findings by suffix, because coverage files store
paths relative to wherever the tests ran.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from analyzers.findings import Finding

CANDIDATE_NAMES = ("coverage.xml", "coverage.json", "cov.xml", "cov.json")


@dataclass(frozen=True)
class FileCoverage:
    path: str
    percent: float
    missing: frozenset[int]


@dataclass(frozen=True)
class CoverageData:
    """Per-file line coverage from one coverage file (`source` names it, for the report)."""

    source: str
    files: Mapping[str, FileCoverage]

    def lookup(self, relpath: str) -> FileCoverage | None:
        if relpath in self.files:
            return self.files[relpath]
        for path, cov in self.files.items():
            if relpath.endswith("/" + path) or path.endswith("/" + relpath):
                return cov
        return None


@dataclass(frozen=True)
class CoverageGap:
    finding: Finding
    file_percent: float
    line_covered: bool


def load_coverage(path: Path) -> CoverageData | None:
    """Read a coverage file; None if it is neither Cobertura XML nor coverage.py JSON."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    files: dict[str, FileCoverage] = {}
    if text.lstrip().startswith("<"):
        try:
            root = ET.fromstring(text)
        except ET.ParseError:
            return None
        for cls in root.iter("class"):
            name = (cls.get("filename") or "").replace("\\", "/")
            lines = cls.find("lines")
            missing = frozenset(
                int(ln.get("number", "0"))
                for ln in (lines if lines is not None else ())
                if ln.get("hits", "0") == "0"
            )
            files[name] = FileCoverage(name, float(cls.get("line-rate", "0")) * 100.0, missing)
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            return None
        for name, entry in (data.get("files") or {}).items():
            norm = name.replace("\\", "/")
            summary = entry.get("summary") or {}
            files[norm] = FileCoverage(
                norm,
                float(summary.get("percent_covered", 0.0)),
                frozenset(int(n) for n in entry.get("missing_lines") or ()),
            )
    return CoverageData(path.name, files) if files else None


def find_coverage(source_root: Path | None, explicit: Path | None = None) -> CoverageData | None:
    if explicit is not None:
        return load_coverage(explicit)
    if source_root is None:
        return None
    for name in CANDIDATE_NAMES:
        candidate = source_root / name
        if candidate.is_file():
            data = load_coverage(candidate)
            if data is not None:
                return data
    return None


def coverage_gaps(findings: Sequence[Finding], coverage: CoverageData) -> list[CoverageGap]:
    """Findings in code the tests do not run (line missed, or file under 50 %): a fix there
    has no safety net, so the action plan should add a test with it."""
    gaps = []
    for f in findings:
        cov = coverage.lookup(f.path)
        if cov is None:
            gaps.append(CoverageGap(f, 0.0, False))
            continue
        covered = f.line not in cov.missing
        if not covered or cov.percent < 50.0:
            gaps.append(CoverageGap(f, cov.percent, covered))
    return gaps

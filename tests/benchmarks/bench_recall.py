"""Static audit recall on hand-confirmed CasareRPA defects, per audit-plan area.

`recall_cases.json` (next to this file) lists real defects of CasareRPA @ 441a9bbe by path,
enclosing symbol and the rules that name them (a proxy for the hidden, hand-confirmed set of
issue 13; paths and symbols only, never CasareRPA's code). A case is found when the audit
reports one of its rules (any rule when the list is empty) in its file, in its symbol or a
symbol nested inside it.

CASARE_SRC names the tree to audit: CasareRPA's `src/casare_rpa` at 441a9bbe (case paths are
relative to it). BENCH_RECALL_FINDINGS=FILE scores the findings of an earlier
`casare-inspector audit --json FILE` instead of auditing (to compare two versions of the
rules on the same tree). Targets from issue 13: >= 70 % overall, >= 50 % in every area.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from analyzers.findings import AREAS
from analyzers.runner import audit
from tests.benchmarks.harness import Report

CASES = Path(__file__).with_name("recall_cases.json")
OVERALL_TARGET = 0.70
AREA_TARGET = 0.50


@dataclass(frozen=True)
class Case:
    area: int
    path: str
    symbol: str
    rules: tuple[str, ...]
    defect: str


@dataclass(frozen=True)
class Hit:
    rule: str
    path: str
    symbol: str


def load_cases(path: Path = CASES) -> list[Case]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [
        Case(c["area"], c["path"], c["symbol"], tuple(c.get("rules", ())), c.get("class", ""))
        for c in data["cases"]
    ]


def found(case: Case, hits: Iterable[Hit]) -> bool:
    for hit in hits:
        if hit.path != case.path:
            continue
        if case.rules and hit.rule not in case.rules:
            continue
        if hit.symbol == case.symbol or hit.symbol.startswith(case.symbol + "."):
            return True
    return False


def recall_by_area(cases: list[Case], hits: list[Hit]) -> Mapping[int, tuple[int, int]]:
    """area -> (found, total)."""
    out: dict[int, tuple[int, int]] = {}
    for case in cases:
        got, total = out.get(case.area, (0, 0))
        out[case.area] = (got + found(case, hits), total + 1)
    return out


def _hits_from_json(path: Path) -> list[Hit]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [Hit(f["rule"], f["path"], f.get("symbol", "")) for f in data["findings"]]


def run(report: Report) -> None:
    cases = load_cases()
    saved = os.environ.get("BENCH_RECALL_FINDINGS")
    if saved:
        hits = _hits_from_json(Path(saved))
        source = f"findings file {Path(saved).name}"
    else:
        src = os.environ.get("CASARE_SRC")
        if not src:
            report.not_measured("recall", "set CASARE_SRC to CasareRPA's src/casare_rpa @ 441a9bbe")
            return
        result = audit(Path(src), "casare_rpa")
        hits = [Hit(f.rule, f.path, f.symbol) for f in result.findings]
        source = f"audit of {Path(src).name}"
    by_area = recall_by_area(cases, hits)
    for area in sorted(by_area):
        got, total = by_area[area]
        report.figure(
            f"area {area} ({AREAS[area]})",
            100.0 * got / total,
            "% found",
            target=100 * AREA_TARGET,
            higher_is_better=True,
            detail=f"{got} of {total}",
        )
    got = sum(g for g, _ in by_area.values())
    report.figure(
        "overall",
        100.0 * got / len(cases),
        "% found",
        target=100 * OVERALL_TARGET,
        higher_is_better=True,
        detail=f"{got} of {len(cases)} cases, {source}",
    )
    for case in cases:
        if not found(case, hits):
            rules = "/".join(case.rules) or "any rule"
            print(f"  missed: area {case.area} {case.path} {case.symbol} ({rules}): {case.defect}")

"""Static precision on real code: findings judged by hand, precision per rule and per tree.

Re-audits each calibration tree this machine has and matches its findings against hand
judgements (a maintainer's verdict on each sampled finding: a real defect, wrong, or true but
trivial). The projects, each from the environment variable naming its source folder:

    CASARE_SRC        CasareRPA @ 441a9bbe, its src/casare_rpa (the rules were written on it)
    CASARE_2026_SRC   CasareRPA @ f63b9277 (2026-01), its src folder
    CALIB_ELECTRUM    Electrum (spesmilo/electrum, asyncio + PyQt), the repository root
    CALIB_FEELUOWN    FeelUOwn (feeluown/FeelUOwn, asyncio + Qt via qasync), the repository root
    CALIB_TRIBLER     Tribler 7.14 (Tribler/tribler v7.14.0, asyncio core + PyQt5 GUI), the
                      repository root; judged blind (nobody tuned a rule on it before)
    CALIB_SPYDER      Spyder IDE (spyder-ide/spyder, Qt with asyncio in its remote client and
                      dispatcher), its `spyder` package folder
    CALIB_GALACTEEK   Galacteek (pinnaculum/galacteek, PyQt5 + asyncio via qasync), the
                      repository root; judged blind twice, then tuned on
    CALIB_ERT         ert (equinor/ert, PySide6 GUI + asyncio ensemble evaluator), its `src`
                      folder; judged blind, no rule tuned on it before
    CALIB_BITCOIN_SAFE  Bitcoin Safe (andreasgriffin/bitcoin-safe, PyQt6 + asyncio), its
                      `bitcoin_safe` package folder; judged blind, no rule tuned on it before
    CALIB_MFW_PYQT6   MFW-PyQt6 (overflow65537/MFW-PyQt6, PySide6 + qasync), the repository
                      root; judged blind after the ert / Bitcoin Safe fixes
    CALIB_MFWPH       MFWPH (TanyaShue/MFWPH, PySide6 + qasync), the repository root; blind too
    CALIB_QUBES_MANAGER  qubes-manager (QubesOS/qubes-manager, PyQt5 + asyncio), the
                      repository root; blind too
    Judged blind after the round-12 fixes, every finding (each its package folder):
    CALIB_KRITAAI     krita-ai-diffusion (Acly/krita-ai-diffusion, PyQt5 in Krita, own
                      timer-stepped asyncio loop), `ai_diffusion`
    CALIB_SAKIA       Sakia (duniter/sakia, PyQt5 + quamash), `src/sakia`
    CALIB_BUBBLESUB   bubblesub (rr-/bubblesub, PyQt5 + quamash), `bubblesub`
    CALIB_NOTOLOG     Notolog (notolog/notolog-editor, PySide6 + qasync), `notolog`
    CALIB_JVCONNECTED jvconnected (nocarryr/jvconnected, PySide2 + qasync), `src/jvconnected`
    CALIB_PYRPL       PyRPL (lneuhaus/pyrpl, PyQt5 + quamash), `pyrpl`
    CALIB_M2GUI       ts_m2gui (lsst-ts/ts_m2gui, PySide6 + qasync), `python/lsst/ts/m2gui`
    Judged blind after the round-13 fixes, every finding:
    CALIB_ARTIQ       ARTIQ (m-labs/artiq, PyQt6 + qasync dashboards), `artiq`
    CALIB_RANDOVANIA  Randovania (randovania/randovania 2024-01, PySide6 + qasync), `randovania`
    CALIB_LEVITYDASH  LevityDash (noblecloud/LevityDash, PySide2, asyncio loops in plugin
                      threads), `src/LevityDash`
    Judged blind after the round-14 fixes, every finding:
    CALIB_BIKECOMPUTER  pizero_bikecomputer (hishizuka/pizero_bikecomputer, PySide6 +
                      qasync), the repository root
    CALIB_YASB        YASB (amnweb/yasb 2026-01, PyQt6 + qasync), `src`
    CALIB_PYOBS_GUI   pyobs-gui (pyobs/pyobs-gui, PySide6 + qasync), `pyobs_gui`

CALIB_JUDGEMENTS lists judgement files (os.pathsep-separated): JSON lists of
{"rule", "path", "symbol", "statement", "verdict": "real"|"wrong"|"trivial", "note"}, keyed by
rule, path, enclosing symbol and the flagged line's text with whitespace collapsed, so a
judgement survives line moves and rewording. Judgements and the projects' code stay outside
this repository. A tree or file that is missing is skipped with a message.

Targets (issue 13): among judged findings that are not trivial, >= 80 % real defects; <= 25 %
of judged HIGH/CRITICAL findings trivial; <= 3 findings per 1,000 lines.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from pathlib import Path

from analyzers.findings import Finding
from analyzers.runner import audit
from tests.benchmarks.harness import Report

TREES = (
    ("CasareRPA 441a9bbe", "CASARE_SRC", "casare_rpa"),
    ("CasareRPA 2026 f63b9277", "CASARE_2026_SRC", "casare_rpa"),
    ("Electrum", "CALIB_ELECTRUM", "generic"),
    ("FeelUOwn", "CALIB_FEELUOWN", "generic"),
    ("Tribler", "CALIB_TRIBLER", "generic"),
    ("Spyder", "CALIB_SPYDER", "generic"),
    ("Galacteek", "CALIB_GALACTEEK", "generic"),
    ("ert", "CALIB_ERT", "generic"),
    ("Bitcoin Safe", "CALIB_BITCOIN_SAFE", "generic"),
    ("MFW-PyQt6", "CALIB_MFW_PYQT6", "generic"),
    ("MFWPH", "CALIB_MFWPH", "generic"),
    ("qubes-manager", "CALIB_QUBES_MANAGER", "generic"),
    ("krita-ai-diffusion", "CALIB_KRITAAI", "generic"),
    ("Sakia", "CALIB_SAKIA", "generic"),
    ("bubblesub", "CALIB_BUBBLESUB", "generic"),
    ("Notolog", "CALIB_NOTOLOG", "generic"),
    ("jvconnected", "CALIB_JVCONNECTED", "generic"),
    ("PyRPL", "CALIB_PYRPL", "generic"),
    ("ts_m2gui", "CALIB_M2GUI", "generic"),
    ("ARTIQ", "CALIB_ARTIQ", "generic"),
    ("Randovania", "CALIB_RANDOVANIA", "generic"),
    ("LevityDash", "CALIB_LEVITYDASH", "generic"),
    ("pizero_bikecomputer", "CALIB_BIKECOMPUTER", "generic"),
    ("YASB", "CALIB_YASB", "generic"),
    ("pyobs-gui", "CALIB_PYOBS_GUI", "generic"),
)
VERDICTS = ("real", "wrong", "trivial")

Key = tuple[str, str, str, str]


def load_judgements(paths: list[Path]) -> dict[Key, str]:
    verdicts: dict[Key, str] = {}
    for path in paths:
        for entry in json.loads(path.read_text(encoding="utf-8")):
            key = (entry["rule"], entry["path"], entry["symbol"], entry["statement"])
            verdicts[key] = entry["verdict"]
    return verdicts


def statement_at(root: Path, finding: Finding, lines_cache: dict[str, list[str]]) -> str:
    """The flagged line's text with whitespace collapsed ("" when the file is gone)."""
    if finding.path not in lines_cache:
        base = root.parent if (root / "__init__.py").is_file() else root
        for candidate in (base / finding.path, root / finding.path):
            if candidate.is_file():
                text = candidate.read_text(encoding="utf-8", errors="replace")
                lines_cache[finding.path] = text.splitlines()
                break
        else:
            lines_cache[finding.path] = []
    lines = lines_cache[finding.path]
    if not 1 <= finding.line <= len(lines):
        return ""
    return " ".join(lines[finding.line - 1].split())


def precision(counts: Counter[str]) -> float | None:
    judged = counts["real"] + counts["wrong"]
    return counts["real"] / judged if judged else None


def run(report: Report) -> None:
    files = [Path(p) for p in os.environ.get("CALIB_JUDGEMENTS", "").split(os.pathsep) if p]
    missing = [str(p) for p in files if not p.is_file()]
    for path in missing:
        print(f"  judgement file not found, skipped: {path}")
    verdicts = load_judgements([p for p in files if p.is_file()])
    if not verdicts:
        report.not_measured("precision", "no judgements (set CALIB_JUDGEMENTS)")
    for label, env, profile in TREES:
        source = os.environ.get(env, "")
        if not source or not Path(source).is_dir():
            report.not_measured(label, f"{env} is not set to a source folder")
            continue
        root = Path(source)
        result = audit(root, profile)
        report.figure(
            f"{label}: findings per 1,000 lines",
            result.per_kloc(),
            "",
            target=3.0,
            detail=f"{len(result.findings)} findings, {result.lines:,} lines, "
            + ", ".join(f"{k} {v}" for k, v in result.counts_by_severity().items()),
        )
        cache: dict[str, list[str]] = {}
        by_rule: dict[str, Counter[str]] = defaultdict(Counter)
        total: Counter[str] = Counter()
        severe: Counter[str] = Counter()
        for finding in result.findings:
            key = (finding.rule, finding.path, finding.symbol, statement_at(root, finding, cache))
            verdict = verdicts.get(key)
            by_rule[finding.rule]["findings"] += 1
            if verdict is None:
                continue
            by_rule[finding.rule][verdict] += 1
            total[verdict] += 1
            if finding.severity.value in ("CRITICAL", "HIGH"):
                severe[verdict] += 1
        judged = sum(total[v] for v in VERDICTS)
        if not judged:
            report.not_measured(f"{label}: precision", "no finding of this tree is judged")
            continue
        print(f"  {label}: rule  findings  judged  real  wrong  trivial  precision")
        for rule, counts in sorted(by_rule.items()):
            n = sum(counts[v] for v in VERDICTS)
            if not n:
                continue
            p = precision(counts)
            shown = "-" if p is None else f"{p:.0%}"
            print(
                f"    {rule:<14}{counts['findings']:>6}{n:>8}{counts['real']:>6}"
                f"{counts['wrong']:>7}{counts['trivial']:>9}  {shown:>9}"
            )
        p = precision(total)
        if p is None:
            report.not_measured(f"{label}: precision", "every judged finding is trivial")
        else:
            report.figure(
                f"{label}: real defects among judged non-trivial findings",
                p,
                "",
                target=0.8,
                higher_is_better=True,
                detail=f"{judged} judged: {total['real']} real, {total['wrong']} wrong, "
                f"{total['trivial']} trivial",
            )
        n_severe = sum(severe[v] for v in VERDICTS)
        if n_severe:
            report.figure(
                f"{label}: trivial share of judged HIGH/CRITICAL findings",
                severe["trivial"] / n_severe,
                "",
                target=0.25,
                detail=f"{severe['trivial']} of {n_severe}",
            )

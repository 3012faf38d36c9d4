"""Report rendering from a session with 1,000 findings and 5 minutes of agent records.

Candidate: `write_report` end to end (model, synthesis, plots, Markdown + JSON + SARIF +
HTML written to disk). Baseline: plain `json.dumps` of the same findings, the floor any
report has to pay. Target from issue 6: the whole render under 2 s.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from inspector.core.session import Session
from inspector.report import write_report
from tests.benchmarks.harness import Report, timed
from tests.report.builders import TREE, fixture_records, synthetic_findings

N_FINDINGS = 1_000
SECONDS = 300


def _load() -> str:
    # Wall time on a shared machine says little without the load it ran under.
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except (AttributeError, OSError):
        return "n/a"


def run(report: Report) -> None:
    findings = synthetic_findings(N_FINDINGS)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.session"
        with Session.create(path, target="bench", source_root=str(TREE)) as session:
            session.put_findings(findings)
            session.append(fixture_records(time.time(), TREE, seconds=SECONDS))
            records = sum(session.record_counts().values())
            out = Path(tmp) / "docs" / "performance" / "PERFORMANCE_AUDIT_REPORT.md"
            write_report(session, out)  # warm-up: imports (matplotlib) are not per-report cost

            def baseline() -> None:
                json.dumps([f.to_dict() for f in findings])

            def candidate() -> None:
                write_report(session, out)

            ratio = report.compare(
                f"write_report (4 formats + plots) vs json.dumps of {N_FINDINGS} findings",
                baseline,
                candidate,
                repeat=3,
            )
            times = [timed(candidate) for _ in range(3)]
            cpu = []
            for _ in range(3):
                start = time.process_time()
                candidate()
                cpu.append(time.process_time() - start)
            sizes = {
                p.suffix: p.stat().st_size for p in out.parent.glob("PERFORMANCE_AUDIT_REPORT.*")
            }
            report.figure(
                f"render {N_FINDINGS} findings + {records} records, all formats",
                statistics.median(times),
                "s",
                target=2.0,
                detail=f"wall; CPU {statistics.median(cpu):.3f} s; load average "
                f"{_load()}; ratio to baseline {ratio:.1f}x; sizes "
                + ", ".join(f"{k} {v // 1024} KiB" for k, v in sorted(sizes.items())),
            )

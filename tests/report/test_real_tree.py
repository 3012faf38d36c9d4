"""Opt-in: a static-only report on a real tree points every file:line at the named line.

Set CASARE_AUDIT_ROOT to an audited tree (e.g. CasareRPA's repository root) to run it; the
static audit of CasareRPA takes minutes, so the default suite does not.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from analyzers.runner import audit
from inspector.report import write_static_report
from inspector.report.locations import check_locations

ROOT = os.environ.get("CASARE_AUDIT_ROOT")


@pytest.mark.skipif(not ROOT, reason="set CASARE_AUDIT_ROOT to audit a real tree")
def test_static_report_on_a_real_tree_links_every_finding_to_its_line(tmp_path: Path):
    root = Path(ROOT)
    profile = os.environ.get("CASARE_AUDIT_PROFILE", "casare_rpa")
    result = audit(root, profile)
    out = tmp_path / "docs" / "performance" / "PERFORMANCE_AUDIT_REPORT.md"
    meta = result.to_dict_without_findings()
    (md_path, *_) = write_static_report(result.findings, meta, root, out, formats=("md",))
    refs, problems = check_locations(md_path.read_text(), md_path.parent, root, result.findings)
    assert problems == [], "\n".join(str(p) for p in problems[:20])
    assert len({(r.path, r.line) for r in refs}) >= len({(f.path, f.line) for f in result.findings})

"""What a static report says about the audit itself: files the profile maps to no area,
profile entries that match nothing, and the lines a finding's message speaks of."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from analyzers.runner import audit
from inspector.report import write_static_report
from inspector.report.consistency import check_report
from inspector.report.model import model_from_static

SCHEMA = Path(__file__).resolve().parents[1] / "data" / "sarif" / "sarif-schema-2.1.0.json"
DRAIN = "def {name}(queue):\n    while queue:\n        queue.pop(0)\n"


def test_unassigned_files_warnings_and_related_lines_reach_the_report(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    (root / "orchestrator").mkdir(parents=True)
    (root / "misc").mkdir()
    (root / "orchestrator" / "queue_runner.py").write_text(DRAIN.format(name="drain"))
    (root / "misc" / "helpers.py").write_text(DRAIN.format(name="drain_other"))
    result = audit(root, "casare_rpa", use_cache=False, jobs=1)
    assert result.unassigned_files == ["misc/helpers.py"]
    meta = result.to_dict_without_findings()
    out = tmp_path / "docs" / "performance" / "PERFORMANCE_AUDIT_REPORT.md"
    (md, *_) = write_static_report(result.findings, meta, root, out, formats=("md",))
    text = md.read_text(encoding="utf-8")
    assert "Files the profile maps to no area: 1 (1 finding there" in text
    # casare_rpa is a whole program: functions nothing calls are unreachable, ranked LOW
    assert "function nobody calls): 2 findings, ranked LOW" in text
    assert text.count("Unreachable today: function `drain") == 2
    assert f"Profile entries that match nothing in this tree: {len(result.warnings)}:" in text
    assert text.count("**Related lines:**") == 2
    assert "misc/helpers.py:2" in text  # the loop the pop(0) finding speaks of
    assert text.count("the profile maps this file to no area") == 1
    assert check_report(model_from_static(result.findings, meta, root), {"md": text}) == []


def test_related_lines_are_sarif_related_locations_valid_by_the_schema(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    root.mkdir()
    (root / "queue_runner.py").write_text(DRAIN.format(name="drain"))
    result = audit(root, "generic", use_cache=False, jobs=1)
    out = tmp_path / "report.md"
    paths = write_static_report(
        result.findings, result.to_dict_without_findings(), root, out, formats=("sarif",)
    )
    log = json.loads(paths[0].read_text(encoding="utf-8"))
    (res,) = log["runs"][0]["results"]
    (related,) = res["relatedLocations"]
    assert related["physicalLocation"]["region"] == {"startLine": 2}
    assert related["message"] == {"text": "loop"}
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)

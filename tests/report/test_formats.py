from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from analyzers.findings import Priority
from inspector.report import ReportError, write_model
from inspector.report.json_report import load_findings
from inspector.report.model import build_model
from inspector.report.sarif import SRCROOT, SarifRenderer, rank_of
from tests.report.builders import ENGINE, TREE, finding

SCHEMA = Path(__file__).resolve().parents[1] / "data" / "sarif" / "sarif-schema-2.1.0.json"


def test_sarif_validates_against_the_official_2_1_0_schema(written):
    log = json.loads(written["sarif"].read_text())
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def test_sarif_content_locations_levels_rank_fingerprints_and_code_flows(written, model):
    run = json.loads(written["sarif"].read_text())["runs"][0]
    assert run["originalUriBaseIds"][SRCROOT]["uri"].startswith("file://")
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert set(rules) == {f.rule for f in model.findings}
    for r in rules.values():
        assert r["defaultConfiguration"]["level"] in ("error", "warning", "note")
        assert r["help"]["text"]
    results = run["results"]
    assert len(results) == len(model.findings)
    by_fp = {f.fingerprint: f for f in model.findings}
    for res in results:
        f = by_fp[res["partialFingerprints"]["casareInspectorFinding/v1"]]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"] == {"uri": f.path, "uriBaseId": SRCROOT}
        assert loc["region"]["startLine"] == f.line
        assert 0 <= res["rank"] <= 100
        assert (
            res["level"]
            == {"CRITICAL": "error", "HIGH": "error", "MEDIUM": "warning", "LOW": "note"}[
                f.severity.value
            ]
        )
        assert rules[res["ruleId"]] is run["tool"]["driver"]["rules"][res["ruleIndex"]]
    ranks = [r["rank"] for r in results]
    assert ranks == sorted(ranks, reverse=True)  # results follow the one ranking
    flows = [r for r in results if "codeFlows" in r]
    assert len(flows) == sum(1 for f in model.findings if f.chain)
    steps = flows[0]["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [s["location"]["physicalLocation"]["region"]["startLine"] for s in steps] == [
        c.line for c in by_fp[flows[0]["partialFingerprints"]["casareInspectorFinding/v1"]].chain
    ]


def test_sarif_rank_is_monotonic_in_the_score_and_bounded():
    assert rank_of(-5) == 0.0 and rank_of(148) == 100.0
    scores = [p.score for p in (Priority(i, i, 11 - i) for i in range(1, 11))]
    ranks = [rank_of(s) for s in scores]
    assert ranks == sorted(ranks)


def test_sarif_fingerprints_are_stable_when_a_finding_moves():
    a = finding(ENGINE, "linear-dequeue", symbol="JobEngine.dequeue")
    moved = finding(ENGINE, "thread-lock-in-async", symbol="JobEngine.dequeue", message=a.message)
    fps = []
    for f in (a, moved):
        log = SarifRenderer().to_data(
            build_model([f], kind="static", source_root=TREE, plots=False)
        )
        fps.append(log["runs"][0]["results"][0]["partialFingerprints"])
    assert fps[0] == fps[1]


def test_json_round_trips_the_findings_and_references_them(written, model):
    text = written["json"].read_text()
    assert load_findings(text) == model.findings
    data = json.loads(text)
    fps = {f["fingerprint"] for f in data["findings"]}
    assert [a["area"] for a in data["areas"]] == list(range(1, 11))
    for group in data["synthesis"]["conflicts"]:
        assert group["first"] in fps and group["second"] in fps and group["winner"] in fps
    assert data["measurements"]["bus"]["measured"] is True
    assert json.loads(json.dumps(data)) == data


def test_html_is_self_contained_with_embedded_plots(written, model):
    html = written["html"].read_text()
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", html)
    assert "http://" not in html and "https://" not in html
    imgs = re.findall(r'<img alt="[^"]*" src="([^"]*)"', html)
    assert len(imgs) == len(model.plots) > 0
    assert all(src.startswith("data:image/png;base64,") for src in imgs)
    assert "<link" not in html and "<script" not in html
    for area in range(1, 11):
        assert f'id="area-{area}-' in html
    assert '<span class="sev-CRITICAL">CRITICAL</span>' in html
    assert "<table>" in html and "<pre><code>" in html


def test_plots_are_written_next_to_the_report_and_linked(written, model):
    folder = written["out"].parent / "PERFORMANCE_AUDIT_REPORT_files"
    names = sorted(p.name for p in folder.glob("*.png"))
    assert names == sorted(f"{p.name}.png" for p in model.plots)
    md = written["md"].read_text()
    for name in names:
        assert f"](PERFORMANCE_AUDIT_REPORT_files/{name})" in md
        assert (folder / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_unwritable_destination_fails_in_one_line_and_keeps_the_old_report(tmp_path, model):
    out = tmp_path / "PERFORMANCE_AUDIT_REPORT.md"
    out.write_text("previous report")
    (tmp_path / "PERFORMANCE_AUDIT_REPORT_files").write_text("a file where the plot folder goes")
    with pytest.raises(ReportError) as err:
        write_model(model, out)
    assert "\n" not in str(err.value) and "cannot write the report" in str(err.value)
    assert out.read_text() == "previous report"
    assert not (tmp_path / "PERFORMANCE_AUDIT_REPORT.json").exists()
    blocked = tmp_path / "file.txt"
    blocked.write_text("x")
    with pytest.raises(ReportError):
        write_model(model, blocked / "docs" / "report.md", formats=("md",))


def test_unknown_format_is_a_one_line_error(tmp_path, model):
    with pytest.raises(ReportError, match="unknown report format"):
        write_model(model, tmp_path / "r.md", formats=("pdf",))


def test_paths_with_spaces_stay_valid_links_and_uris(tmp_path: Path):
    from inspector.report.locations import check_locations
    from inspector.report.markdown import MarkdownRenderer

    root = tmp_path / "my project"
    (root / "src dir").mkdir(parents=True)
    (root / "src dir" / "a (1).py").write_text("import time\n\ntime.sleep(1)\n")
    f = finding(ENGINE, "linear-dequeue", path="src dir/a (1).py", line=3)
    model = build_model([f], kind="static", source_root=root, plots=False)
    md = MarkdownRenderer(link_base="").render(model)
    _, problems = check_locations(md, root, root, [f])
    assert problems == []
    sarif = SarifRenderer().to_data(model)
    uri = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri["uri"] == "src%20dir/a%20%281%29.py"


def test_written_files_get_ordinary_permissions(tmp_path, model):
    """Not mkstemp's 0600: the mode any plainly created file would get under this umask."""
    import stat

    import inspector.report as report_pkg

    paths = write_model(model, tmp_path / "r.md", formats=("md", "json"))
    for p in paths:
        assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~report_pkg._UMASK

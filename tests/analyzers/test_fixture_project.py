"""The whole audit on our fixture tree: every planted defect found, nothing in `clean/`."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzers.runner import audit

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "fixture_project"

# (rule, path, line) of each defect planted in the fixture for the area 1-3 and
# cross-cutting rules.
EXPECTED = {
    ("CIA001", "nodes/email_node.py", 24),
    ("CIA002", "nodes/email_node.py", 18),
    ("CIA003", "canvas/widget.py", 19),
    ("CIA004", "canvas/widget.py", 22),
    ("CIA005", "canvas/widget.py", 28),
    ("CIA101", "orchestrator/engine.py", 16),
    ("CIA102", "orchestrator/job_queue.py", 44),
    ("CIA103", "orchestrator/job_queue.py", 34),
    ("CIA104", "orchestrator/job_queue.py", 22),
    ("CIA104", "orchestrator/engine.py", 12),
    ("CIA105", "orchestrator/engine.py", 33),
    ("CIA201", "triggers/file_trigger.py", 18),
    ("CIA202", "orchestrator/engine.py", 27),
    ("CIA203", "triggers/file_trigger.py", 34),
    ("CIA301", "execution/context.py", 9),
    ("CIA302", "execution/context.py", 15),
    ("CIA303", "execution/context.py", 23),
    ("CIA304", "execution/context.py", 29),
    ("CIA305", "orchestrator/job_queue.py", 38),
    # Recall rules (issue 13): polling dispatch, peers awaited in turn, per-event growth,
    # bulk file work in a coroutine, a static modal dialog in a coroutine.
    ("CIA107", "orchestrator/dispatcher.py", 13),
    ("CIA204", "orchestrator/dispatcher.py", 29),
    ("CIA106", "orchestrator/dispatcher.py", 25),
    ("CIA204", "triggers/manager.py", 12),
    ("CIA106", "triggers/manager.py", 20),
    ("CIA001", "triggers/manager.py", 28),
    ("CIA004", "canvas/dialogs.py", 8),
}


@pytest.fixture(scope="module")
def result():
    return audit(FIXTURE, "generic", use_cache=False, jobs=1)


# Folders of the fixture written for these rules (other rules' tests add their own folders).
OWN_DIRS = ("orchestrator/", "triggers/", "execution/", "nodes/", "canvas/", "events/", "clean/")


def _own(result):
    return {
        (f.rule, f.path, f.line)
        for f in result.findings
        if f.path.startswith(OWN_DIRS)
        and (f.rule[:4] == "CIA0" or (f.rule[:4] in ("CIA1", "CIA2", "CIA3") and len(f.rule) == 6))
    }


def test_every_planted_defect_is_found_at_its_line(result):
    found = _own(result)
    missing = EXPECTED - found
    assert not missing, f"not found: {sorted(missing)}"


def test_no_unplanned_findings_from_these_rules(result):
    extra = _own(result) - EXPECTED
    assert not extra, f"unexpected: {sorted(extra)}"


def test_clean_code_gets_no_finding_from_any_rule(result):
    clean = [f for f in result.findings if f.path.startswith("clean/")]
    assert clean == [], [(f.rule, f.line, f.message) for f in clean]


def test_cross_function_findings_show_their_chain(result):
    by_rule = {f.rule: f for f in result.findings}
    chain = by_rule["CIA002"].chain
    assert [step.symbol.rsplit(".", 1)[-1] for step in chain] == [
        "execute",
        "send_with_retry",
        "_send_mail",
    ]
    assert chain[-1].note == "smtplib.SMTP"
    assert chain[-1].line == 8
    assert "smtplib.SMTP" in by_rule["CIA002"].message
    assert by_rule["CIA003"].chain[-1].note == "subprocess.run"


def test_aliased_imports_are_matched_by_qualified_name(result):
    sleep = [f for f in result.findings if f.rule == "CIA001"]
    assert sleep and "time.sleep" in sleep[0].message  # written as `t.sleep` in the file


def test_whole_fixture_is_analyzed(result):
    assert result.errors == []
    assert result.files == result.analyzed
    assert result.lines > 200


def test_areas_come_from_the_profile(tmp_path):
    profile = tmp_path / "p.toml"
    profile.write_text('[areas]\n"orchestrator/**" = 1\n"execution/**" = 3\n"**" = 10\n')
    result = audit(FIXTURE, str(profile), use_cache=False, jobs=1)
    areas = {f.path.split("/")[0]: f.area for f in result.findings}
    assert areas["orchestrator"] == 1
    assert areas["execution"] == 3
    assert areas["canvas"] == 10

"""The area 4-10 rules on our fixture tree: each planted defect found at its line, no more.

Planted defects carry a trailing `# expect: CIA4xx` comment in the fixture files, so the
expectation lives next to the code it describes; near-misses in the same files carry none.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analyzers.runner import audit

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "fixture_project"
# The fixture directories written for these rules (the others belong to the area 1-3 tests).
OWN_DIRS = (
    "canvas_items/",
    "pools/",
    "parallel/",
    "desktop/",
    "node_pack/",
    "event_system/",
    "utils/",
)
_EXPECT = re.compile(r"#\s*expect:\s*(CIA\d+)")
_AREA_4_TO_10 = re.compile(r"^CIA([4-9]\d\d|10\d\d)$")


def _expected() -> set[tuple[str, str, int]]:
    out: set[tuple[str, str, int]] = set()
    for path in FIXTURE.rglob("*.py"):
        rel = path.relative_to(FIXTURE).as_posix()
        if not rel.startswith(OWN_DIRS):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for rule in _EXPECT.findall(line):
                out.add((rule, rel, number))
    return out


@pytest.fixture(scope="module")
def result():
    return audit(FIXTURE, "generic", use_cache=False, jobs=1)


def test_fixture_plants_a_defect_for_every_area_4_to_10():
    areas = {rule[3:-2] for rule, _, _ in _expected()}
    assert areas == {"4", "5", "6", "7", "8", "9", "10"}


def test_every_planted_defect_is_found_at_its_line(result):
    found = {(f.rule, f.path, f.line) for f in result.findings}
    missing = _expected() - found
    assert not missing, f"not found: {sorted(missing)}"


def test_no_unplanned_findings_in_own_fixture_files(result):
    found = {(f.rule, f.path, f.line) for f in result.findings if f.path.startswith(OWN_DIRS)}
    extra = found - _expected()
    assert not extra, f"unexpected: {sorted(extra)}"


def test_area_rules_stay_quiet_on_clean_code(result):
    clean = [
        (f.rule, f.line)
        for f in result.findings
        if f.path.startswith("clean/") and _AREA_4_TO_10.match(f.rule)
    ]
    assert clean == []


def test_messages_name_the_object_and_the_fix(result):
    by_rule = {f.rule: f for f in result.findings if f.path.startswith(OWN_DIRS)}
    assert "self._timer" in by_rule["CIA403"].message
    assert "16 ms" in by_rule["CIA403"].message
    assert "self._lock" in by_rule["CIA501"].message
    assert "new_context" in by_rule["CIA501"].message
    assert "deque" in by_rule["CIA601"].message
    desktop = [f.message for f in result.findings if f.rule == "CIA701"]
    assert any("window.find_child" in m and "asyncio.to_thread" in m for m in desktop)


def test_aliased_and_imported_names_resolve(result):
    # `import uiautomation as auto` then `auto.WheelDown(...)` is reported by its real name.
    messages = [f.message for f in result.findings if f.rule == "CIA701"]
    assert any("uiautomation.WheelDown" in m for m in messages)

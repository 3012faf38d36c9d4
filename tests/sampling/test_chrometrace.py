"""The chrometrace parser on real py-spy output (golden files) and on malformed input."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from pathlib import Path

import pytest

from inspector.sampling.chrometrace import Frame, parse_chrometrace
from inspector.sampling.errors import PySpyFormatError

DATA = Path(__file__).resolve().parents[1] / "data" / "pyspy"
TARGET = "/project/blocking_loop_target.py"


def _blocking_line() -> int:
    lines = (DATA / "blocking_loop_target.py").read_text().splitlines()
    return next(i for i, text in enumerate(lines, 1) if "# BLOCKING_LINE" in text)


def test_golden_runs_cover_each_thread_without_gaps_or_overlap() -> None:
    runs = parse_chrometrace((DATA / "blocking_loop.chrometrace.json").read_text())
    by_thread = defaultdict(list)
    for run in runs:
        by_thread[(run.pid, run.tid)].append(run)
    assert len(by_thread) == 2
    for thread_runs in by_thread.values():
        for before, after in itertools.pairwise(thread_runs):
            assert after.start_us == before.end_us
    names = sorted(r.thread for r in runs[:2])
    assert names == ["MainThread", "cpu-worker"]
    # the file said when it was recorded: --duration 2 at 100 Hz
    span = max(r.end_us for r in runs) - min(r.start_us for r in runs)
    assert 1.5e6 < span < 3.5e6


def test_golden_pseudo_frames_are_removed_and_give_thread_ids() -> None:
    runs = parse_chrometrace((DATA / "blocking_loop.chrometrace.json").read_text())
    events = json.loads((DATA / "blocking_loop.chrometrace.json").read_text())
    os_tids = {
        int(e["name"].split("(")[1].split(")")[0])
        for e in events
        if e["name"].startswith("thread (")
    }
    assert {r.tid for r in runs} == os_tids
    assert all(fr.file for r in runs for fr in r.frames)


def test_golden_shows_the_blocking_line_for_about_100_ms_at_a_time() -> None:
    runs = parse_chrometrace((DATA / "blocking_loop.chrometrace.json").read_text())
    line = _blocking_line()
    blocked = [r for r in runs if r.frames[-1] == Frame("load_config", TARGET, line)]
    assert blocked, "the sleeping line never appeared"
    longest_ms = max(r.duration_us for r in blocked) / 1000
    assert 70 < longest_ms < 140


def test_subprocess_frames_are_stripped() -> None:
    runs = parse_chrometrace((DATA / "subprocesses.chrometrace.json").read_text())
    assert runs
    assert not any(fr.function.startswith("process ") for r in runs for fr in r.frames)
    assert {r.thread for r in runs} == {"MainThread", "cpu-worker"}


def _event(ph: str, ts: int, name: str = "f", filename: str = "a.py", line: int = 1) -> dict:
    return {
        "ph": ph,
        "ts": ts,
        "pid": 1,
        "tid": 2,
        "name": name,
        "args": {"filename": filename, "line": line},
    }


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("not json", "not JSON"),
        ('{"traceEvents": []}', "JSON array"),
        (json.dumps([_event("X", 0)]), "phase"),
        (json.dumps([_event("E", 0)]), "no open frame"),
        (json.dumps([_event("B", 0, "f"), _event("E", 5, "g")]), "does not close"),
        (json.dumps([_event("B", 10), _event("E", 5)]), "back in time"),
        (json.dumps([{**_event("B", 0), "ts": -1}]), "ts"),
        (json.dumps([{**_event("B", 0), "args": None}]), "args"),
        (json.dumps([{**_event("B", 0), "args": {"filename": 3, "line": 1}}]), "filename"),
        (json.dumps([{**_event("B", 0), "args": {"filename": "a", "line": "7"}}]), "line"),
        (json.dumps([7]), "not an object"),
    ],
)
def test_malformed_input_raises_a_typed_error_naming_the_problem(text: str, says: str) -> None:
    with pytest.raises(PySpyFormatError, match=says):
        parse_chrometrace(text)


def test_truncated_golden_file_is_rejected() -> None:
    text = (DATA / "blocking_loop.chrometrace.json").read_text()
    with pytest.raises(PySpyFormatError):
        parse_chrometrace(text[: len(text) // 2])


def test_identical_stacks_make_one_run_and_changes_split_it() -> None:
    events = [
        _event("B", 0, "main", "m.py", 1),
        _event("B", 0, "work", "m.py", 5),
        _event("E", 30, "work", "m.py", 5),
        _event("B", 30, "work", "m.py", 6),
        _event("E", 50, "work", "m.py", 6),
        _event("E", 50, "main", "m.py", 1),
    ]
    runs = parse_chrometrace(json.dumps(events))
    assert [(r.start_us, r.end_us, r.frames[-1].line) for r in runs] == [(0, 30, 5), (30, 50, 6)]

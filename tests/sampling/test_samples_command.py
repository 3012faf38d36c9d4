"""The `samples` subcommand on a session with known samples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inspector.cli import main
from tests.sampling.builders import LOOP, LOOP_WAIT, ROOT, SessionBuilder, f


@pytest.fixture
def session_path(tmp_path: Path) -> Path:
    b = SessionBuilder(tmp_path / "s.db")
    blocked = (*LOOP, f("tick", f"{ROOT}/app.py", 20), f("load_config", f"{ROOT}/config.py", 8))
    for _ in range(3):
        b.run(LOOP_WAIT, 100).run(blocked, 90)
    b.session.close()
    return tmp_path / "s.db"


def test_top_prints_threads_and_hot_lines(session_path: Path, capsys) -> None:
    assert main(["samples", str(session_path), "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "MainThread" in out and "[event loop]" in out
    assert "load_config" in out and "/project/config.py:8" in out


def test_blocked_and_speedscope(session_path: Path, tmp_path: Path, capsys) -> None:
    out_json = tmp_path / "x.speedscope.json"
    code = main(
        [
            "samples",
            str(session_path),
            "--blocked",
            "--source-root",
            ROOT,
            "--speedscope",
            str(out_json),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "config.py:8" in out and "blocked 3x" in out
    assert json.loads(out_json.read_text())["profiles"]


def test_missing_session_is_one_line_error(tmp_path: Path, capsys) -> None:
    assert main(["samples", str(tmp_path / "nope.db"), "--top", "3"]) != 0
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no session file" in err

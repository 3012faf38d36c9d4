"""Idle detection from the innermost Python frame's call site."""

from __future__ import annotations

from pathlib import Path

import inspector.agent.transport as transport
from inspector.sampling.activity import is_idle
from inspector.sampling.chrometrace import Frame

TRANSPORT = str(Path(transport.__file__).resolve())


def _line_of(path: str, needle: str) -> int:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return next(i for i, text in enumerate(lines, 1) if needle in text)


def test_the_agents_reader_waiting_on_its_socket_is_idle() -> None:
    line = _line_of(TRANSPORT, "sock.recv(")
    assert is_idle([Frame("Transport._read", TRANSPORT, line)])


def test_other_agent_lines_and_project_sleeps_stay_active(tmp_path: Path) -> None:
    line = _line_of(TRANSPORT, "def ")
    assert not is_idle([Frame("Transport.x", TRANSPORT, line)])
    app = tmp_path / "app.py"
    app.write_text("import time\n\ndef tick():\n    time.sleep(1)\n", encoding="utf-8")
    assert not is_idle([Frame("tick", str(app), 4)])

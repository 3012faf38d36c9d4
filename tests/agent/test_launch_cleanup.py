"""Launch mode leaves no private folder behind, and no token file when the agent never starts."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from inspector.attach import launch
from inspector.attach.agent_config import sweep_stale_dirs
from inspector.core.agent_link import AgentLink
from inspector.core.session import Session


def _ours() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("casare-inspector-*"))


def _wait_until_gone(before: set[Path], timeout: float = 10.0) -> set[Path]:
    deadline = time.monotonic() + timeout
    while _ours() - before and time.monotonic() < deadline:
        time.sleep(0.05)
    return _ours() - before


def test_a_launch_whose_agent_connects_leaves_no_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    before = _ours()
    link = AgentLink(Session.create(tmp_path / "l.session"))
    assert before == set()
    link.start()
    proc = launch.launch_target(
        [sys.executable, "-c", "import time; time.sleep(3)"], "generic", link
    )
    try:
        assert link.wait_connected(20)
        assert _wait_until_gone(before) == set()
    finally:
        proc.kill()
        proc.wait()
        link.close()


def test_the_token_file_goes_when_the_agent_never_starts(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    before = _ours()
    link = AgentLink(Session.create(tmp_path / "n.session"))
    link.start()
    # not Python: nothing ever reads the config file holding the token
    proc = launch.launch_target(["sleep", "0.5"], "generic", link)
    proc.wait()
    assert _wait_until_gone(before) == set()
    link.close()


def test_folders_of_dead_inspectors_are_swept(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    live = Path(tempfile.gettempdir()) / f"casare-inspector-{os.getpid()}-test"
    live.mkdir()
    stale = Path(tempfile.gettempdir()) / "casare-inspector-999999999-test"
    stale.mkdir(exist_ok=True)
    (stale / "agent.json").write_text("{}")
    sweep_stale_dirs()
    assert not stale.exists() and live.exists()

"""The agent inside targets running other Pythons than the inspector's (3.12, 3.13, 3.14).

CasareRPA runs on 3.12+ while the inspector may run on 3.11: the agent is source code loaded
by the *target's* interpreter, so it is exercised here under each interpreter this machine
has (pyenv's or on PATH), by launch and by PID attach. Interpreters that are not installed
are skipped, naming what is missing.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from inspector.attach import ptrace_call
from inspector.core.session import Session
from inspector.live.engine import LiveEngine
from tests.agent.helpers import FIXTURE, ROOT, LineWatcher, child_env, fixture_profile, stop

VERSIONS = ("3.12", "3.13", "3.14")


def _interpreter(version: str) -> str | None:
    """A working `python<version>`: pyenv's builds first (its shims on PATH may refuse)."""
    pyenv = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates = sorted(glob.glob(f"{pyenv}/versions/{version}.*/bin/python{version}"))[::-1]
    on_path = shutil.which(f"python{version}")
    for exe in [*candidates, *([on_path] if on_path else [])]:
        try:
            out = subprocess.run(
                [exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=20,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and out.stdout.strip() == version:
            return exe
    return None


def _params() -> list:
    out = []
    for version in VERSIONS:
        exe = _interpreter(version)
        mark = pytest.mark.skipif(exe is None, reason=f"no Python {version} on this machine")
        out.append(pytest.param(version, exe, marks=mark, id=f"py{version}"))
    return out


def _wait_for_series(recording: LiveEngine, session: Session) -> None:
    """Until the target has sent bus, handler and loop-lag records (at most ~27 s of the
    fixture's 30: a loaded machine can take over 15 s to start a target and its agent)."""
    for _ in range(54):
        recording.wait(0.5)
        if all(session.records(kind, limit=1) for kind in ("bus", "handler", "loop_lag")):
            return


def _check(session: Session, version: str) -> None:
    hello = [r for r in session.records("agent") if r.get("event") == "hello"]
    assert hello and hello[0]["python"].startswith(version + ".")
    assert sum(sum(r["events"].values()) for r in session.records("bus")) > 0
    handlers = session.records("handler")
    assert handlers and all(r["file"] == str(FIXTURE) for r in handlers)
    assert session.records("loop_lag")


@pytest.mark.parametrize(("version", "exe"), _params())
def test_launch_mode_under(version: str, exe: str, tmp_path: Path) -> None:
    session = Session.create(tmp_path / "launch.session")
    recording = LiveEngine(session, fixture_profile(tmp_path))
    recording.launch(
        [exe, str(FIXTURE), "30"],
        cwd=ROOT,
        env=child_env(),
        stdout=subprocess.DEVNULL,
    )
    try:
        _wait_for_series(recording, session)
    finally:
        recording.finish("test over", terminate_launched=True)
    _check(session, version)


@pytest.mark.skipif(not ptrace_call.supported(), reason="attach needs Linux x86-64")
@pytest.mark.parametrize(("version", "exe"), _params())
def test_attach_by_pid_under(version: str, exe: str, tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [exe, str(FIXTURE), "30"], stdout=subprocess.PIPE, text=True, env=child_env(), cwd=ROOT
    )
    lines = LineWatcher(proc)
    try:
        lines.wait_for("ready")
        session = Session.create(tmp_path / "attach.session")
        recording = LiveEngine(session, fixture_profile(tmp_path))
        recording.attach(proc.pid)
        lines.wait_for("hooked=True")
        _wait_for_series(recording, session)
        recording.finish("test over", terminate_launched=False)
        lines.wait_for("hooked=False")  # detach restored the original publish
        assert proc.poll() is None  # and the target keeps running
        _check(session, version)
    finally:
        stop(proc)

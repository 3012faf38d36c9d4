"""The demo target as a real child process: it announces itself and quits on time."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _start_demo(*args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-m", "inspector.demo", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _first_line(proc: subprocess.Popen[str], timeout: float) -> str:
    """The first stdout line, read on a thread so a hung child cannot hang the test."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0] if lines else ""


def test_demo_prints_pid_and_ready_then_exits_cleanly_after_duration() -> None:
    started = time.monotonic()
    proc = _start_demo("--duration", "3", "--nodes", "20")
    try:
        line = _first_line(proc, timeout=30)
        assert line.strip() == f"demo pid={proc.pid} ready"
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, stderr
    assert 3.0 <= elapsed < 25, elapsed
    # The built-in workload ran: the flaky autosave handler failed and the bus logged it.
    assert "autosave target is locked" in stderr
    assert "Task was destroyed" not in stderr


def test_demo_without_workload_stays_quiet_and_still_quits() -> None:
    proc = _start_demo("--duration", "1.5", "--no-workload")
    try:
        assert "ready" in _first_line(proc, timeout=30)
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert "autosave target is locked" not in stderr


def test_demo_rejects_a_negative_duration_in_one_line() -> None:
    proc = _start_demo("--duration", "-1")
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert "must not be negative" in stderr.strip().splitlines()[-1]

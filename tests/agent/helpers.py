"""Shared helpers for the agent tests: real child processes, marker lines, test profiles."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).with_name("fixture_target.py")

FIXTURE_PROFILE = """
[profile]
name = "fixture"

[probes]
flush_ms = 100
loop_probe_ms = 50
slow_callback_ms = 50
leak_s = 30

[[probes.bus]]
name = "fixture"
class = "__main__:Bus"
handlers = ["_handlers"]
history = "_history"

[[probes.pool]]
name = "fixture-pool"
class = "__main__:Pool"
stats = "get_stats"

[probes.memory]
containers = ["__main__:Bus._history"]
"""


def fixture_profile(tmp_path: Path) -> str:
    path = tmp_path / "fixture.toml"
    path.write_text(FIXTURE_PROFILE, encoding="utf-8")
    return str(path)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["PYTHONUNBUFFERED"] = "1"
    return env


class LineWatcher:
    """Collects a child's stdout lines on a thread; `wait_for` a line with a prefix."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))

    def wait_for(self, prefix: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            for line in self.lines:
                if line.startswith(prefix):
                    self.lines.remove(line)
                    return line
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no line starting with {prefix!r}; saw {self.lines[-10:]}")
            try:
                self.lines.append(self._queue.get(timeout=min(left, 0.5)))
            except queue.Empty:
                continue

    def last(self, prefix: str) -> str | None:
        while True:
            try:
                self.lines.append(self._queue.get_nowait())
            except queue.Empty:
                break
        hits = [line for line in self.lines if line.startswith(prefix)]
        return hits[-1] if hits else None


def start_fixture(duration: float = 30.0) -> tuple[subprocess.Popen[str], LineWatcher]:
    proc = subprocess.Popen(
        [sys.executable, str(FIXTURE), str(duration)],
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
        cwd=ROOT,
    )
    watcher = LineWatcher(proc)
    watcher.wait_for("ready")
    return proc, watcher


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(10)

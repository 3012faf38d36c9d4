"""py-spy dies with the inspector, also on kill -9, and its temp folder does not leak."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from inspector.sampling import child_lifetime
from inspector.sampling.errors import SamplingError
from inspector.sampling.preflight import find_py_spy

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "tests" / "data" / "pyspy" / "blocking_loop_target.py"

try:
    find_py_spy()
    HAVE_PY_SPY = True
except SamplingError:
    HAVE_PY_SPY = False

RECORDER = """
import sys, time
from inspector.core.session import Session
from inspector.sampling.recorder import PySpyRecorder
recorder = PySpyRecorder(int(sys.argv[1]), Session.create(sys.argv[2]), chunk_s=30)
recorder.start()
print("started", flush=True)
time.sleep(120)
"""


def _py_spy_children(parent: psutil.Process) -> list[psutil.Process]:
    return [p for p in parent.children(recursive=True) if "py-spy" in p.name()]


def _gone(proc: psutil.Process) -> bool:
    try:
        return not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.skipif(not HAVE_PY_SPY, reason="py-spy is not installed")
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_py_spy_dies_with_a_killed_recorder_and_its_folder_is_swept(tmp_path):
    target = subprocess.Popen(
        [sys.executable, str(TARGET), "60"], stdout=subprocess.PIPE, text=True
    )
    recorder = None
    try:
        assert target.stdout is not None and target.stdout.readline().strip() == "ready"
        recorder = subprocess.Popen(
            [sys.executable, "-c", RECORDER, str(target.pid), str(tmp_path / "k.session")],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert recorder.stdout is not None and recorder.stdout.readline().strip() == "started"
        parent = psutil.Process(recorder.pid)
        deadline = time.monotonic() + 20
        spies: list[psutil.Process] = []
        while not spies and time.monotonic() < deadline:
            spies = _py_spy_children(parent)
            time.sleep(0.1)
        assert spies, "py-spy never started"
        folders = list(Path(tempfile.gettempdir()).glob(f"casare-pyspy-{recorder.pid}-*"))
        assert len(folders) == 1
        recorder.send_signal(signal.SIGKILL)
        recorder.wait(10)
        deadline = time.monotonic() + 5
        while not all(_gone(p) for p in spies) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert all(_gone(p) for p in spies), "py-spy outlived the killed recorder"
        assert folders[0].exists()
        assert folders[0] in child_lifetime.sweep_stale_dirs()
        assert not folders[0].exists()
    finally:
        for proc in (recorder, target):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()


def test_the_sweep_keeps_folders_of_live_inspectors(tmp_path):
    mine = tmp_path / f"casare-pyspy-{os.getpid()}-abc"
    dead = tmp_path / "casare-pyspy-999999999-abc"
    other = tmp_path / "casare-pyspy-x"
    for folder in (mine, dead, other):
        folder.mkdir()
    assert child_lifetime.sweep_stale_dirs(tmp_path) == [dead]
    assert mine.exists() and other.exists() and not dead.exists()

"""Preflight: every way sampling can fail to start ends as one clear line."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from inspector.core.session import Session
from inspector.sampling import preflight
from inspector.sampling.errors import SamplingError
from inspector.sampling.recorder import PySpyRecorder


def test_finds_py_spy_next_to_the_interpreter_or_says_how_to_install(monkeypatch) -> None:
    try:
        exe = preflight.find_py_spy()
    except SamplingError as exc:
        assert "pip install py-spy" in str(exc)
        return
    assert exe.name.startswith("py-spy")
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    monkeypatch.setenv("PATH", "")
    with pytest.raises(SamplingError, match="pip install py-spy"):
        preflight.find_py_spy()


def test_no_such_pid() -> None:
    with pytest.raises(SamplingError, match="no process with PID"):
        preflight.check(2**22 + 12345)


def test_refuses_itself() -> None:
    with pytest.raises(SamplingError, match="itself"):
        preflight.check(os.getpid())


@pytest.mark.skipif(sys.platform == "win32", reason="needs a non-Python POSIX process")
def test_non_python_process_is_named_as_such() -> None:
    proc = subprocess.Popen(["sleep", "30"])
    try:
        with pytest.raises(SamplingError, match="does not look like a Python process") as info:
            preflight.check(proc.pid)
        assert "\n" not in str(info.value)
    finally:
        proc.kill()
        proc.wait()


def test_permission_errors_explain_ptrace_rights() -> None:
    message = preflight.classify_failure(os.getpid(), "Error: Permission denied (os error 13)")
    assert "ptrace" in message or "Administrator" in message or "sudo" in message
    assert "\n" not in message


def test_error_line_skips_rust_backtraces() -> None:
    out = "Error: Failed to find python version\n\nStack backtrace:\n  0: anyhow::msg\n"
    assert preflight.error_line(out) == "Failed to find python version"


@pytest.mark.skipif(sys.platform == "win32", reason="the fake py-spy is a shell script")
def test_a_transient_stack_read_failure_is_retried_and_a_lasting_one_is_reported(
    tmp_path, monkeypatch
) -> None:
    # py-spy's nonblocking read races a target that is starting up: "Failed to get stack
    # traces" once must not refuse the attach, the same error every time must
    counter = tmp_path / "calls"
    fake = tmp_path / "py-spy"
    fake.write_text(
        "#!/bin/sh\n"
        f"echo x >> {counter}\n"
        f"[ $(wc -l < {counter}) -ge $FAILS_UNTIL ] && exit 0\n"
        "echo 'Error: Failed to get stack traces' >&2; exit 1\n"
    )
    fake.chmod(0o755)
    monkeypatch.setattr(preflight, "find_py_spy", lambda: fake)
    monkeypatch.setattr(preflight, "_TRANSIENT_PAUSE_S", 0.0)
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        monkeypatch.setenv("FAILS_UNTIL", "3")
        preflight.check(sleeper.pid)
        assert counter.read_text().count("x") == 3
        counter.unlink()
        monkeypatch.setenv("FAILS_UNTIL", "99")
        with pytest.raises(SamplingError, match="Failed to get stack traces"):
            preflight.check(sleeper.pid)
        assert counter.read_text().count("x") == preflight._TRANSIENT_TRIES
    finally:
        sleeper.kill()
        sleeper.wait()


@pytest.mark.skipif(sys.platform != "linux", reason="native unwinding is checked on Linux")
def test_native_unwinding_falls_back_with_a_reason_and_works_on_a_python_target(
    tmp_path,
) -> None:
    try:
        preflight.find_py_spy()
    except SamplingError:
        pytest.skip("py-spy is not installed")
    sleeper = subprocess.Popen(["sleep", "30"])
    target = subprocess.Popen(
        [sys.executable, "-c", "import time\nprint('up', flush=True)\nwhile 1: time.sleep(0.01)"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert target.stdout is not None and target.stdout.readline() == "up\n"
        reason = preflight.native_unwinding(sleeper.pid)
        assert reason.startswith("py-spy dump --native failed: ")
        session = Session.create(tmp_path / "s.db")
        recorder = PySpyRecorder(target.pid, session, native=True)
        recorder.start()
        recorder.stop()
        command = recorder._command(tmp_path / "x.json")
        if recorder.native_error:  # a build py-spy cannot unwind: Python frames, not blocking
            assert "--native" not in command and "--nonblocking" in command
        else:  # native frames need the target paused per sample
            assert "--native" in command and "--nonblocking" not in command
        meta = session.meta["sampling"]
        assert (meta["native"], meta["native_error"]) == (
            recorder.native,
            recorder.native_error,
        )
        session.close()
    finally:
        for proc in (sleeper, target):
            proc.kill()
            proc.wait()

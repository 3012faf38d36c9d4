"""Commands under damage and abuse: nothing lost, one-line errors, clean stops on signals."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from inspector.attach import ptrace_call
from inspector.core.session import Session

ROOT = Path(__file__).resolve().parents[2]
needs_attach = pytest.mark.skipif(not ptrace_call.supported(), reason="attach needs Linux x86-64")
SLEEPER = "import asyncio, sys\nprint('ready', flush=True)\nasyncio.run(asyncio.sleep(60))\n"


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inspector", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=_env(),
    )


def _victim(path: Path, n: int = 417) -> bytes:
    with Session.create(path, profile="generic") as s:
        s.append([{"t": float(i), "kind": "bus"} for i in range(n)])
    return path.read_bytes()


def test_record_that_cannot_attach_leaves_an_existing_session_untouched(tmp_path):
    before = _victim(tmp_path / "victim.session")
    out = _cli(
        "record",
        "--pid",
        "99999999",
        "--duration",
        "3",
        "--session",
        str(tmp_path / "victim.session"),
    )
    assert out.returncode == 3
    assert out.stderr.strip() == "casare-inspector: no such process: 99999999"
    assert (tmp_path / "victim.session").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["victim.session"]


def test_report_on_bad_rows_says_what_was_unreadable_and_writes_nothing_beside_it(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    _victim(src / "bad.session", 5)
    conn = sqlite3.connect(src / "bad.session")
    conn.execute("UPDATE records SET data = '{broken' WHERE id IN (2, 3)")
    conn.execute("UPDATE meta SET value = 'not json' WHERE key = 'profile'")
    conn.commit()
    conn.close()
    before = sorted(p.name for p in src.iterdir())
    out = _cli(
        "report",
        str(src / "bad.session"),
        "--format",
        "md",
        "--out",
        str(tmp_path / "r.md"),
        "--source-root",
        str(tmp_path),
    )
    assert out.returncode == 1, out.stderr
    assert out.stderr.splitlines() == [
        f"casare-inspector: {src / 'bad.session'}: skipped unreadable rows: 1 meta, 2 records"
    ]
    assert sorted(p.name for p in src.iterdir()) == before
    assert "could not be read (skipped unreadable rows: 1 meta, 2 records)" in (
        tmp_path / "r.md"
    ).read_text(encoding="utf-8")


def test_report_on_a_malformed_database_fails_in_one_line(tmp_path):
    path = tmp_path / "m.session"
    _victim(path, 0)
    with Session.open(path) as s:
        s.append([{"t": float(i), "kind": "bus", "pad": "x" * 400} for i in range(2000)])
    with path.open("r+b") as fh:
        fh.seek(path.stat().st_size // 2)
        fh.write(b"\xff" * 4096 * 8)
    out = _cli(
        "report",
        str(path),
        "--format",
        "md",
        "--out",
        str(tmp_path / "r.md"),
        "--source-root",
        str(tmp_path),
    )
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "damaged" in out.stderr


def test_record_exits_non_zero_and_says_why_when_the_target_aborts(tmp_path):
    out = _cli(
        "record",
        "--duration",
        "20",
        "--no-sample",
        "--session",
        str(tmp_path / "a.session"),
        "--",
        sys.executable,
        "-c",
        "import sys, time; time.sleep(1.5); sys.exit(3)",
    )
    assert out.returncode == 3, out.stderr
    assert (
        "casare-inspector: the recording ended early: target exited (code 3); "
        "what was recorded is kept" in out.stderr
    )


def _start_ignoring_sigint(*args: str) -> subprocess.Popen[str]:
    # what a shell does to `cmd &` in a script: SIGINT inherited as ignored
    return subprocess.Popen(
        [sys.executable, "-m", "inspector", *args],
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=_env(),
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )


def _wait_for(proc: subprocess.Popen[str], text: str, timeout: float = 60) -> list[str]:
    assert proc.stderr is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        if text in line:
            return seen
    raise AssertionError(f"{text!r} never came: {seen}")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_launch_stops_cleanly_on_signals_even_with_sigint_ignored(tmp_path, sig):
    (tmp_path / "t.py").write_text(SLEEPER)
    session = tmp_path / "s.session"
    proc = _start_ignoring_sigint(
        "launch",
        "--no-sample",
        "--session",
        str(session),
        "--",
        sys.executable,
        str(tmp_path / "t.py"),
    )
    try:
        _wait_for(proc, "recording into")
        proc.send_signal(sig)
        assert proc.wait(30) == 0
        assert proc.stderr is not None
        assert f"interrupted ({sig.name})" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
    with Session.open(session, read_only=True) as s:
        assert s.meta["end_reason"] == f"interrupted ({sig.name})"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.session", "t.py"]


@needs_attach
def test_attach_started_with_sigint_ignored_stops_on_ctrl_c(tmp_path):
    (tmp_path / "t.py").write_text(SLEEPER)
    target = subprocess.Popen(
        [sys.executable, str(tmp_path / "t.py")], stdout=subprocess.PIPE, text=True
    )
    proc = None
    try:
        assert target.stdout is not None and target.stdout.readline().strip() == "ready"
        proc = _start_ignoring_sigint(
            "attach", str(target.pid), "--no-sample", "--session", str(tmp_path / "a.session")
        )
        _wait_for(proc, "Ctrl-C to stop")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
        assert target.poll() is None
    finally:
        for p in (proc, target):
            if p is not None and p.poll() is None:
                p.kill()


@needs_attach
def test_record_says_so_when_a_second_attach_replaces_its_agent(tmp_path):
    (tmp_path / "t.py").write_text(SLEEPER)
    target = subprocess.Popen(
        [sys.executable, str(tmp_path / "t.py")], stdout=subprocess.PIPE, text=True
    )
    first = None
    try:
        assert target.stdout is not None and target.stdout.readline().strip() == "ready"
        first = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "inspector",
                "record",
                "--pid",
                str(target.pid),
                "--duration",
                "40",
                "--no-sample",
                "--session",
                str(tmp_path / "1.session"),
            ],
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=_env(),
        )
        _wait_for(first, "recording pid")
        second = _cli(
            "attach",
            str(target.pid),
            "--duration",
            "2",
            "--no-sample",
            "--session",
            str(tmp_path / "2.session"),
        )
        assert second.returncode == 0, second.stderr
        assert first.wait(60) == 3
        assert first.stderr is not None
        assert (
            "the recording ended early: the agent disconnected (replaced by a new "
            "attachment)" in first.stderr.read()
        )
    finally:
        for p in (first, target):
            if p is not None and p.poll() is None:
                p.kill()


NO_PY_SPY = """
import sys
import inspector.sampling.preflight as preflight
import inspector.sampling.recorder as recorder
from inspector.sampling.errors import SamplingError


def missing():
    raise SamplingError("py-spy not found next to python or on PATH")


preflight.find_py_spy = recorder.find_py_spy = missing
from inspector.cli import main

sys.exit(main(sys.argv[1:]))
"""


def test_a_missing_py_spy_is_said_once(tmp_path):
    (tmp_path / "t.py").write_text("import time\ntime.sleep(30)\n")
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            NO_PY_SPY,
            "record",
            "--duration",
            "2",
            "--session",
            str(tmp_path / "n.session"),
            "--",
            sys.executable,
            str(tmp_path / "t.py"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=_env(),
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr.count("py-spy not found") == 1, out.stderr


def test_ptrace_advice_as_root_does_not_mention_ptrace_scope(monkeypatch):
    from inspector.attach import inject

    monkeypatch.setattr(inject, "_read_text", lambda path: None)  # no Yama on this kernel
    monkeypatch.setattr(inject.os, "geteuid", lambda: 0, raising=False)
    hint = inject.ptrace_hint(1)
    assert "ptrace_scope" not in hint
    assert hint.startswith("ptrace was refused even with root: a container runtime")
    assert "process 1 is the init of this (container) system" in hint


def test_ptrace_advice_for_a_user_under_yama_names_the_setting(monkeypatch):
    from inspector.attach import inject

    monkeypatch.setattr(inject, "_read_text", lambda path: "1" if "yama" in path else "")
    monkeypatch.setattr(inject.os, "geteuid", lambda: 1000, raising=False)
    assert inject.ptrace_hint(4242).startswith(
        "ptrace was refused (kernel.yama.ptrace_scope = 1): set it to 0"
    )


def test_record_over_an_existing_session_replaces_it_only_at_the_end(tmp_path):
    _victim(tmp_path / "victim.session")
    (tmp_path / "t.py").write_text(SLEEPER)
    out = _cli(
        "record",
        "--duration",
        "2",
        "--no-sample",
        "--session",
        str(tmp_path / "victim.session"),
        "--",
        sys.executable,
        str(tmp_path / "t.py"),
    )
    assert out.returncode == 0, out.stderr
    assert "victim.session exists: it is replaced when the recording ends" in out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.py", "victim.session"]
    with Session.open(tmp_path / "victim.session", read_only=True) as s:
        assert "bus" not in s.record_counts() and s.record_counts().get("agent", 0) >= 1

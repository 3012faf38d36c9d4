"""Faults: bad peers, a vanished inspector, raising handlers, and what the agent listens on."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from inspector.attach import ptrace_call
from inspector.core.agent_link import AgentLink
from inspector.core.session import Session
from inspector.live.engine import LiveEngine
from tests.agent.helpers import (
    FIXTURE,
    ROOT,
    child_env,
    fixture_profile,
    start_fixture,
    stop,
)

needs_attach = pytest.mark.skipif(not ptrace_call.supported(), reason="attach needs Linux x86-64")


def _send_raw(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(payload)
        sock.settimeout(6)
        try:
            return sock.recv(100)
        except (TimeoutError, ConnectionResetError):
            return b""


def test_wrong_token_and_garbage_are_rejected_without_harm(tmp_path: Path) -> None:
    session = Session.create(tmp_path / "s.session")
    link = AgentLink(session)
    _, port = link.start()
    wrong = json.dumps({"v": 1, "type": "hello", "token": "not-the-token"}).encode() + b"\n"
    assert _send_raw(port, wrong) == b""
    assert _send_raw(port, b"\x00\xffGET / HTTP/1.1\r\n\r\n\n") == b""
    assert _send_raw(port, b'{"type": "records", "records": [{"t": 1, "kind": "bus"}]}\n') == b""
    assert link.rejected == 3 and not link.connected
    assert session.record_counts() == {}
    # the real agent still gets in afterwards
    recording = LiveEngine(session, fixture_profile(tmp_path))
    recording.link = link
    proc = recording_launch(recording)
    try:
        assert link.connected and link.hello["pid"] == proc.pid
        deadline = time.monotonic() + 10
        while not session.records("bus") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert session.records("bus")
    finally:
        recording.finish("test over")
    link.close()


def recording_launch(recording: LiveEngine) -> subprocess.Popen[bytes]:
    from inspector.attach.launch import launch_target

    proc = launch_target(
        [sys.executable, str(FIXTURE), "20"],
        recording.profile,
        recording.link,
        cwd=ROOT,
        env=child_env(),
        stdout=subprocess.DEVNULL,
    )
    recording.process, recording.pid = proc, proc.pid
    assert recording.link.wait_connected(15)
    return proc


@needs_attach
def test_killed_inspector_leaves_target_running_and_unhooked(tmp_path: Path) -> None:
    proc, lines = start_fixture(duration=40)
    inspector = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "inspector",
            "attach",
            str(proc.pid),
            "--profile",
            fixture_profile(tmp_path),
            "--session",
            str(tmp_path / "k.session"),
        ],
        cwd=ROOT,
        env=child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        lines.wait_for("hooked=True", timeout=20)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # let a few batches land before the kill
            with Session.open(tmp_path / "k.session") as live:
                if len(live.records("bus")) >= 3:
                    break
            time.sleep(0.1)
        os.kill(inspector.pid, signal.SIGKILL)
        inspector.wait(5)
        killed_at = time.monotonic()
        lines.wait_for("hooked=False", timeout=5)
        assert time.monotonic() - killed_at < 5
        assert proc.poll() is None
        session = Session.open(tmp_path / "k.session")
        assert session.records("bus")  # what arrived before the kill is kept
    finally:
        stop(proc)
        if inspector.poll() is None:
            inspector.kill()


@needs_attach
def test_raising_handler_is_counted_and_still_reaches_the_bus_plain_asyncio(tmp_path: Path) -> None:
    proc, lines = start_fixture(duration=30)
    try:
        session = Session.create(tmp_path / "h.session")
        recording = LiveEngine(session, fixture_profile(tmp_path))
        recording.attach(proc.pid)
        recording.tracemalloc("start")
        lines.wait_for("target-errors=")
        before = int((lines.last("target-errors=") or "=0").split("=")[1])
        recording.wait(2.5)
        recording.finish("test over", terminate_launched=False)
        time.sleep(1.0)  # the target prints its own count about twice a second
        after = int((lines.last("target-errors=") or "=0").split("=")[1])
        handlers = session.records("handler")
        raising = [r for r in handlers if r["handler"].endswith("on_tick_raising")]
        counted = sum(r["errors"] for r in raising)
        assert counted > 0  # the agent counted the failures ...
        # ... and the bus itself still caught every one of them (it prints in steps of ~10)
        assert abs((after - before) - counted) <= 25, (before, after, counted)
        assert all(r["file"] == str(FIXTURE) and r["line"] > 0 for r in raising)
        # the same plain-asyncio target also yields loop lag and the wrong-thread hazard
        lag = session.records("loop_lag")
        assert lag and all(r["loop"] == "asyncio" for r in lag)
        hazards = session.records("hazard")
        assert any(h["hazard"] == "wrong_thread" and "call_soon" in h["detail"] for h in hazards)
        snapshots = session.records("tracemalloc")  # taken when the recording finished
        top = snapshots[0]["top"] if snapshots else []
        assert top and all({"file", "line", "size_diff"} <= set(site) for site in top)
        nested = [h for h in hazards if h["hazard"] == "nested_loop"]
        assert nested and "run_until_complete" in nested[0]["detail"] and nested[0]["stack"]
    finally:
        stop(proc)


@needs_attach
def test_agent_only_connects_out_to_loopback(tmp_path: Path) -> None:
    proc, _ = start_fixture(duration=30)
    try:
        before = {c.laddr for c in psutil.Process(proc.pid).net_connections("inet")}
        session = Session.create(tmp_path / "l.session")
        recording = LiveEngine(session, fixture_profile(tmp_path))
        recording.attach(proc.pid)
        conns = psutil.Process(proc.pid).net_connections("inet")
        new = [c for c in conns if c.laddr not in before]
        assert new, "the agent's connection is missing"
        assert not [c for c in new if c.status == psutil.CONN_LISTEN]
        assert all(c.raddr and c.raddr.ip == "127.0.0.1" for c in new)
        assert all(c.raddr.port == recording.link.port for c in new)
        recording.finish("test over", terminate_launched=False)
    finally:
        stop(proc)


def test_record_cli_ends_cleanly_when_the_target_exits_mid_session(tmp_path: Path) -> None:
    session_path = tmp_path / "exit.session"
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "inspector",
            "record",
            "--duration",
            "60",
            "--session",
            str(session_path),
            "--no-sample",
            "--profile",
            fixture_profile(tmp_path),
            "--",
            sys.executable,
            str(FIXTURE),
            "3",
        ],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 30
    assert "target exited" in result.stderr
    with Session.open(session_path) as session:
        meta = session.meta
        assert meta["end_reason"] == "target exited" and meta["target_exit_code"] == 0
        assert sum(sum(r["events"].values()) for r in session.records("bus")) > 100
        assert session.records("memory") and session.records("loop_lag")

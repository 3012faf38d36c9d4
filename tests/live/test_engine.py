"""The live-session engine on the demo target, as the window and the command line use it."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from inspector.attach import ptrace_call
from inspector.core.session import Session
from inspector.live import Ended, EngineEvent, LiveEngine, demo_command
from inspector.sampling.store import load_samples
from tests.agent.helpers import ROOT, LineWatcher, child_env, fixture_profile, stop


def _launch(tmp_path: Path, name: str = "engine") -> tuple[LiveEngine, Session, list[EngineEvent]]:
    session = Session.create(tmp_path / f"{name}.session")
    engine = LiveEngine(session, "demo")
    events: list[EngineEvent] = []
    engine.subscribe(events.append)
    engine.launch(
        demo_command(["--duration", "120", "--no-workload"]),
        cwd=ROOT,
        env=child_env(),
        log_path=tmp_path / f"{name}.log",
    )
    return engine, session, events


def test_a_launched_target_that_exits_is_noticed_within_a_second_and_reaped(tmp_path) -> None:
    engine, session, events = _launch(tmp_path)
    ended = threading.Event()
    engine.subscribe(lambda e: ended.set() if isinstance(e, Ended) else None)
    pid = engine.pid
    assert pid is not None and engine.connected
    killed = time.monotonic()
    engine.process.kill()  # type: ignore[union-attr]
    assert ended.wait(5.0)
    assert time.monotonic() - killed < 1.0
    [end] = [e for e in events if isinstance(e, Ended)]
    code = -9 if os.name != "nt" else 1
    assert (end.reason, end.exit_code) == (f"target exited (code {code})", code)
    assert not engine.connected and engine.ended
    if os.name != "nt":
        with pytest.raises(ChildProcessError):  # already reaped: no zombie left behind
            os.waitpid(pid, os.WNOHANG)
    assert engine.wait(None) == f"target exited (code {code})"
    deadline = time.monotonic() + 5
    while session.meta.get("ended") is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert session.meta["end_reason"] == f"target exited (code {code})"
    assert session.meta["target_exit_code"] == code
    session.close()


def test_record_runs_its_workloads_one_after_another_until_they_finish(tmp_path) -> None:
    """The command line's session outlasts a --duration shorter than its workloads."""
    session_path = tmp_path / "record.session"
    proc = subprocess.run(
        [
            sys.executable, "-m", "inspector", "record", "--demo", "--no-sample",
            "--duration", "1", "--session", str(session_path),
            "--workload", "event_bus:seconds=1.5,repetitions=2",
            "--workload", "pools:sweep=1,2,seconds=0.3,repetitions=2",
        ],
        cwd=ROOT, env=child_env(), capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    err = proc.stderr
    assert proc.returncode == 0, err[-3000:]
    # event_bus 2 + 2 x (1.5 + 0.5) = 6 s; pools 2 + 1 pool x 4 points x 0.65 = 4.6 s
    assert "~6 s, pools:sweep=1,2,seconds=0.3,repetitions=2 ~5 s; about 11 s in all" in err
    assert "--duration 1 is shorter than the workloads need" in err
    assert "workload event_bus:seconds=1.5,repetitions=2: completed" in err
    assert "workload pools:sweep=1,2,seconds=0.3,repetitions=2: completed" in err
    session = Session.open(session_path)
    finals = session.records("workload")
    assert [r["name"] for r in finals] == ["event_bus", "pools"]
    assert [r["status"] for r in finals] == ["ok", "ok"]
    # one after another: the pools run started after the bus run's final record
    pools_progress = [r for r in session.records("workload_progress") if r["name"] == "pools"]
    assert pools_progress and min(r["t"] for r in pools_progress) >= finals[0]["t"]
    assert session.meta["ended"] >= finals[-1]["t"]
    session.close()


def test_record_exits_3_when_a_workload_does_not_complete(tmp_path) -> None:
    profile = tmp_path / "broken.toml"
    text = (ROOT / "resources" / "profiles" / "demo.toml").read_text(encoding="utf-8")
    profile.write_text(
        text.replace("inspector.demo.pool:ConnectionPool", "inspector.demo.pool:Moved"),
        encoding="utf-8",
    )
    proc = subprocess.run(
        [
            sys.executable, "-m", "inspector", "record", "--demo", "--no-sample",
            "--profile", str(profile), "--duration", "1",
            "--session", str(tmp_path / "broken.session"),
            "--workload", "pools:sweep=1,seconds=0.2,repetitions=1",
        ],
        cwd=ROOT, env=child_env(), capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert proc.returncode == 3, proc.stderr[-3000:]
    summary = "workload pools:sweep=1,seconds=0.2,repetitions=1: failed in "
    line = next(x for x in proc.stderr.splitlines() if summary in x)
    assert "inspector.demo.pool:Moved" in line
    assert "1 of 1 workloads did not complete" in proc.stderr


def test_cli_launch_records_loop_lag_and_samples_and_says_how_it_stops_the_target(
    tmp_path,
) -> None:
    session_path = tmp_path / "launch.session"
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "inspector", "launch", "--profile", "demo",
            "--duration", "4", "--session", str(session_path), "--",
            *demo_command(["--duration", "120", "--no-workload"]),
        ],
        cwd=ROOT, env=child_env(), stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-3000:]
    how = "TerminateProcess" if os.name == "nt" else "SIGTERM"
    assert "stopping the launched target (pid " in err and how in err
    session = Session.open(session_path)
    assert sum(len(r["lag_ms"]) for r in session.records("loop_lag")) > 10
    assert len(load_samples(session)) > 0
    assert session.meta["mode"] == "launch" and session.meta["end_reason"] == "duration reached"
    session.close()
    # the agent's config folder and py-spy's chunk folder went with the session
    left = [
        p.name
        for p in Path(tempfile.gettempdir()).iterdir()
        if p.name.startswith((f"casare-inspector-{proc.pid}-", f"casare-pyspy-{proc.pid}-"))
    ]
    assert left == []


IDLE_LOOP_APP = """
import asyncio, time
time.sleep(3)  # importing and building a Qt app takes seconds; the agent is ready by then
asyncio.run(asyncio.sleep(0))  # a start-up loop that runs callbacks, then closes
loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)  # the app's real loop: idle, no callback of its own for 30 s
loop.call_later(30, loop.stop)
loop.run_forever()
"""


def test_launch_mode_finds_an_idle_loop_made_current_after_a_closed_start_up_loop(
    tmp_path,
) -> None:
    """CasareRPA's canvas in launch mode: the agent starts before the loop exists."""
    script = tmp_path / "idle_loop_app.py"
    script.write_text(IDLE_LOOP_APP, encoding="utf-8")
    session = Session.create(tmp_path / "idle.session")
    engine = LiveEngine(session, fixture_profile(tmp_path))  # loop probe every 50 ms
    try:
        engine.launch([sys.executable, str(script)], env=child_env())
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if sum(len(r["lag_ms"]) for r in session.records("loop_lag")) > 10:
                break
            time.sleep(0.1)
        lag = session.records("loop_lag")
        assert sum(len(r["lag_ms"]) for r in lag) > 10, session.record_counts()
    finally:
        engine.finish("test over")
        session.close()


def test_record_says_how_far_a_long_workload_is_every_15_s(capsys) -> None:
    from inspector.commands import record
    from inspector.live import WorkloadProgress

    for elapsed, step in ((1.0, 10), (14.0, 100), (15.5, 120), (20.0, 150), (31.0, 300)):
        record._print_event(
            WorkloadProgress("w77", "canvas", step, 600, "repetition 1/3: dragging", elapsed, 42.0)
        )
    record._print_event(WorkloadProgress("w78", "event_bus", 0, 0, "running", 16.0, None))
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "casare-inspector: workload canvas: repetition 1/3: dragging (20%, about 42 s left)",
        "casare-inspector: workload canvas: repetition 1/3: dragging (50%, about 42 s left)",
        "casare-inspector: workload event_bus: running (16 s, longer than its estimate)",
    ]


@pytest.mark.skipif(not ptrace_call.supported(), reason="attach by PID needs Linux x86-64 here")
def test_an_attached_target_that_exits_is_noticed_within_a_second(tmp_path) -> None:
    proc = subprocess.Popen(
        [*demo_command(["--duration", "60", "--no-workload"])],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=child_env(), cwd=ROOT,
    )  # fmt: skip
    session = Session.create(tmp_path / "attached.session")
    engine = LiveEngine(session, "demo")
    ended = threading.Event()
    engine.subscribe(lambda e: ended.set() if isinstance(e, Ended) else None)
    try:
        LineWatcher(proc).wait_for("demo pid=")
        engine.attach(proc.pid)
        killed = time.monotonic()
        proc.kill()  # our child, not the engine's: a zombie until we reap it, still "exited"
        assert ended.wait(5.0)
        assert time.monotonic() - killed < 1.0
        assert engine.end_reason == "target exited"  # no exit code known for another's child
    finally:
        stop(proc)
        engine.finish("test over", stop_launched=False)
        session.close()

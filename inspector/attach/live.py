"""One live recording: a target (launched or attached), its agent link, optional py-spy.

Shared by the `launch`, `attach` and `record` commands (and usable by the GUI): it owns the
AgentLink that writes the agent's records into the Session, keeps the session's meta up to
date (target, profile, python, started/ended, source_root) and ends cleanly whichever side
goes first: the duration, the target exiting, the agent disconnecting, or an interrupt.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from inspector.attach.agent_config import AttachError
from inspector.attach.inject import attach_pid, inspect_target
from inspector.attach.launch import launch_target
from inspector.core.agent_link import AgentLink, AgentLinkError
from inspector.core.session import Session

CONNECT_TIMEOUT_S = 20.0


class LiveRecording:
    """Records one target's agent into `session`. Use launch() or attach(), then wait()."""

    def __init__(
        self,
        session: Session,
        profile: str = "generic",
        on_records: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> None:
        self.session = session
        self.profile = profile
        self.link = AgentLink(session, on_records=self._records_arrived)
        self._forward = on_records
        self.process: subprocess.Popen[bytes] | None = None
        self.pid: int | None = None
        self.sampler: Any = None
        self.notices: list[str] = []
        self._source_root_set = False
        self._tracemalloc = False

    # -- getting in --------------------------------------------------------------------------
    def launch(
        self,
        cmd: Sequence[str],
        cwd: str | Path | None = None,
        env: Mapping[str, str] | None = None,
        connect_timeout: float = CONNECT_TIMEOUT_S,
        **popen_kwargs: Any,
    ) -> int:
        self.link.start()
        self.process = launch_target(cmd, self.profile, self.link, cwd=cwd, env=env, **popen_kwargs)
        self.pid = self.process.pid
        self._started({"pid": self.pid, "command": list(cmd)}, mode="launch")
        deadline = time.monotonic() + connect_timeout
        while not self.link.wait_connected(0.2):
            if self.process.poll() is not None:
                raise AttachError(
                    f"the target exited (code {self.process.returncode}) before its agent connected"
                )
            if time.monotonic() > deadline:
                raise AttachError(f"the agent did not connect within {connect_timeout:.0f} s")
        self._connected()
        return self.pid

    def attach(self, pid: int, connect_timeout: float = CONNECT_TIMEOUT_S) -> None:
        info = inspect_target(pid)
        self.pid = pid
        self.link.start()
        self._started(
            {
                "pid": pid,
                "command": None,
                "executable": info.executable,
                "python": f"{info.version[0]}.{info.version[1]}",
            },
            mode="attach",
        )
        attach_pid(pid, self.profile, self.link, timeout=connect_timeout)
        self._connected()

    def _started(self, target: dict[str, Any], mode: str) -> None:
        self.session.set_meta(
            target=target,
            target_pid=target["pid"],
            command=target.get("command"),
            profile=self.profile,
            started=time.time(),
            mode=mode,
            ended=None,
        )

    def _connected(self) -> None:
        hello = self.link.hello or {}
        target = dict(self.session.meta.get("target") or {})
        target.update(
            {
                "pid": hello.get("pid", self.pid),
                "python": hello.get("python"),
                "executable": hello.get("executable"),
                "argv": hello.get("argv"),
                "cwd": hello.get("cwd"),
            }
        )
        if not target.get("command"):
            target["command"] = [hello.get("executable") or "python", *(hello.get("argv") or [])]
        self.session.set_meta(
            target=target, python_version=hello.get("python"), target_platform=hello.get("platform")
        )

    def _records_arrived(self, records: list[dict[str, Any]]) -> None:
        if not self._source_root_set:
            for record in records:
                if record.get("kind") == "agent" and record.get("source_root"):
                    self.session.set_meta(source_root=record["source_root"])
                    self._source_root_set = True
                    break
        if self._forward is not None:
            self._forward(records)

    # -- during ------------------------------------------------------------------------------
    def start_sampling(self, rate: int = 100) -> str | None:
        """Start py-spy for the same PID if the sampling package exists; a notice otherwise."""
        try:
            from inspector.sampling.recorder import PySpyRecorder
        except ImportError:
            notice = "py-spy sampling is not available in this build; recording without samples"
            self.notices.append(notice)
            return notice
        assert self.pid is not None
        try:
            self.sampler = PySpyRecorder(self.pid, self.session, rate=rate)
            self.sampler.start()
        except Exception as exc:
            self.sampler = None
            notice = f"py-spy sampling not started: {exc}"
            self.notices.append(notice)
            return notice
        return None

    def run_workload(self, name: str, params: dict[str, Any]) -> int:
        return self.link.send_command(
            {"type": "command", "cmd": "workload", "name": name, "params": params}
        )

    def tracemalloc(self, action: str) -> None:
        """ "start" a baseline (tracemalloc slows the target) or take a diffed "snapshot"."""
        try:
            self.link.send_command({"type": "tracemalloc", "action": action})
        except AgentLinkError:
            return
        if action == "start":
            self._tracemalloc = True

    def target_alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        if self.pid is None:
            return False
        try:
            import psutil

            return bool(psutil.pid_exists(self.pid)) and (
                psutil.Process(self.pid).status() != psutil.STATUS_ZOMBIE
            )
        except Exception:
            return False

    def wait(self, duration: float | None, stop: threading.Event | None = None) -> str:
        """Block until the duration passes, the target exits, the agent leaves, or `stop`."""
        deadline = None if duration is None else time.monotonic() + duration
        while True:
            if stop is not None and stop.is_set():
                return "stopped"
            if deadline is not None and time.monotonic() >= deadline:
                return "duration reached"
            if not self.target_alive():
                return "target exited"
            if self.link.disconnected:
                return "agent disconnected"
            time.sleep(0.1)

    # -- the end -----------------------------------------------------------------------------
    def finish(self, reason: str, terminate_launched: bool = True) -> None:
        """Detach, stop sampling, end a launched target, and close the session's books."""
        if self.link.connected and self.target_alive():
            if self._tracemalloc:
                self.tracemalloc("snapshot")
            self.link.detach()
            self.link.wait_disconnected(5.0)
        if self.sampler is not None:
            try:
                self.sampler.stop()
            except Exception as exc:
                self.notices.append(f"py-spy stop failed: {exc}")
        self.link.close()
        if terminate_launched and self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        exit_code = self.process.returncode if self.process is not None else None
        self.session.set_meta(
            ended=time.time(),
            end_reason=reason,
            target_exit_code=exit_code,
            agent_records=self.link.received,
            agent_dropped=self.link.dropped_by_agent,
            agent_rejected_connections=self.link.rejected,
        )


def demo_command(extra: Sequence[str] = ()) -> list[str]:
    return [sys.executable, "-m", "inspector.demo", *extra]

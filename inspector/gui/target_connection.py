"""The window's handle on a live target: a thin Qt adapter over the shared `LiveEngine`.

Everything live (launch, attach, py-spy, workloads one at a time, cancel, the target's exit)
is done by `inspector.live.LiveEngine`, exactly as for `casare-inspector record`; this class
only turns the engine's events into Qt signals, which Qt delivers on the GUI thread because
the connection object lives there. Blocking calls (`launch`, `attach`, `start_sampling`,
`close`) belong on a worker thread, never on the GUI thread.

Signals (all on the GUI thread):
    event(object)                every `inspector.live.events` event, for anything not below
    workload_queued(object)      WorkloadQueued(run_id, name, params, estimate_s, position)
    workload_started(object)     WorkloadStarted(run_id, name, params, estimate_s)
    workload_progress(object)    WorkloadProgress(run_id, name, step, total, label,
                                 elapsed_s, eta_s; .fraction is None without steps)
    workload_finished(object)    WorkloadFinished(run_id, name, status, reason, elapsed_s)
    notice(str)                  one line for the message area
    ended(str)                   the session is over (target exited, agent left, detached)

Workloads: `workloads()` lists the profile's workloads with their parameters (WorkloadInfo /
WorkloadParam: name, type, default, minimum, maximum, description); `start_workload(name,
params)` queues one (raises TargetError with one line for bad input) and returns its ticket;
`cancel_workload(run_id)` stops it at its next step and undoes what it created.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from inspector.attach.agent_config import AttachError
from inspector.core.session import Session
from inspector.core.workload_specs import WorkloadSpecError
from inspector.live import (
    EngineEvent,
    LiveEngine,
    Notice,
    WorkloadFinished,
    WorkloadInfo,
    WorkloadProgress,
    WorkloadQueued,
    WorkloadStarted,
    WorkloadTicket,
)
from inspector.live.events import Ended


class TargetError(Exception):
    """Attach, launch, sampling or a workload failed; the message is one actionable line."""


class TargetConnection(QObject):
    """One live target feeding one session, seen from the window (a view of a LiveEngine)."""

    event = Signal(object)
    workload_queued = Signal(object)
    workload_started = Signal(object)
    workload_progress = Signal(object)
    workload_finished = Signal(object)
    notice = Signal(str)
    ended = Signal(str)

    def __init__(self, session: Session, profile: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.profile = profile
        self.engine = LiveEngine(session, profile)
        self._unsubscribe = self.engine.subscribe(self._forward)

    def _forward(self, event: EngineEvent) -> None:
        """Runs on engine threads; signals queue the event to the GUI thread."""
        try:
            self.event.emit(event)
            if isinstance(event, WorkloadProgress):
                self.workload_progress.emit(event)
            elif isinstance(event, WorkloadFinished):
                self.workload_finished.emit(event)
            elif isinstance(event, WorkloadStarted):
                self.workload_started.emit(event)
            elif isinstance(event, WorkloadQueued):
                self.workload_queued.emit(event)
            elif isinstance(event, Notice):
                self.notice.emit(event.text)
            elif isinstance(event, Ended):
                self.ended.emit(event.reason)
        except RuntimeError:  # the Qt object is already gone (window closed)
            pass

    # -- getting in (worker thread) ----------------------------------------------------------
    def launch(
        self,
        command: Sequence[str],
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> int:
        """Start `command` with the agent inside and wait for it; returns its PID.

        `env` holds variables to set on top of the inspector's own environment (e.g. HOME,
        PYTHONPATH); the target's output goes to a log beside the session, named in errors.
        """
        child_env = {**os.environ, **dict(env)} if env else None
        try:
            return self.engine.launch(
                list(command),
                cwd=cwd or None,
                env=child_env,
                log_path=self.session.path.with_suffix(".target.log"),
            )
        except AttachError as exc:
            self.close(terminate=True)
            raise TargetError(_one_line(exc)) from exc
        except Exception as exc:
            self.close(terminate=True)
            raise TargetError(f"launch failed: {_one_line(exc)}") from exc

    def attach(self, pid: int) -> None:
        try:
            self.engine.attach(pid)
        except Exception as exc:
            self.close()
            raise TargetError(f"attach to PID {pid} failed: {_one_line(exc)}") from exc

    def wait_connected(self, timeout: float = 20.0) -> bool:
        """Kept for callers of the old API: launch and attach now return once connected."""
        return self.engine.link.wait_connected(timeout)

    def start_sampling(self) -> str | None:
        """Start py-spy on the target; returns why not when it cannot (the CPU panel says it)."""
        return self.engine.start_sampling()

    # -- workloads ---------------------------------------------------------------------------
    def workloads(self) -> list[WorkloadInfo]:
        return self.engine.workloads()

    def start_workload(self, name: str, params: dict[str, Any] | None = None) -> WorkloadTicket:
        if not self.connected:
            raise TargetError("no agent connected: attach to or launch a target first")
        try:
            return self.engine.start_workload(name, params or {})
        except WorkloadSpecError as exc:
            raise TargetError(str(exc)) from exc

    def cancel_workload(self, run_id: str | None = None) -> bool:
        return self.engine.cancel_workload(run_id)

    def send_command(self, command: dict[str, Any]) -> None:
        """Old API: a {"cmd": "workload"} command goes through the queue like any other."""
        if command.get("cmd") == "workload":
            self.start_workload(str(command.get("name", "")), dict(command.get("params") or {}))
            return
        if not self.connected:
            raise TargetError("no agent connected: attach to or launch a target first")
        self.engine.send_command(command)

    # -- state -------------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        return self.engine.pid

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        return self.engine.process

    @property
    def log_path(self) -> Path | None:
        return self.engine.log_path

    @property
    def sampling_error(self) -> str | None:
        return self.engine.sampling_error

    @property
    def recorder(self) -> Any:
        return self.engine.sampler

    @property
    def link(self) -> Any:
        return self.engine.link

    @property
    def connected(self) -> bool:
        return self.engine.connected

    @property
    def ended_reason(self) -> str | None:
        return self.engine.end_reason

    def close(self, terminate: bool = False) -> None:
        """Detach (worker thread): stop workloads, py-spy, and a launched target if asked."""
        self.engine.finish("detached by the user", stop_launched=terminate)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

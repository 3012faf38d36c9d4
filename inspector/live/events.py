"""What a live session tells its owner: plain frozen events, delivered to subscribers.

`LiveEngine.subscribe(callback)` calls `callback(event)` on the engine's own threads (the agent
link's reader, the target watcher); a Qt view re-emits them as a signal so its slots run on the
GUI thread (`inspector.gui.target_connection`), a command prints them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class EngineEvent:
    """Base of every event a `LiveEngine` emits."""


@dataclass(frozen=True)
class Connected(EngineEvent):
    """The agent inside the target has connected back."""

    pid: int
    mode: str  # "launch" or "attach"


@dataclass(frozen=True)
class Notice(EngineEvent):
    """One line the user should read (sampling not started, stopping the launched target...)."""

    text: str


@dataclass(frozen=True)
class WorkloadQueued(EngineEvent):
    """A workload was accepted; it starts when the ones before it have finished."""

    run_id: str
    name: str
    params: dict[str, Any] = field(hash=False)
    estimate_s: float
    position: int  # 0: starts now; n: n workloads run before it


@dataclass(frozen=True)
class WorkloadStarted(EngineEvent):
    """The workload was sent to the agent and is running in the target."""

    run_id: str
    name: str
    params: dict[str, Any] = field(hash=False)
    estimate_s: float


@dataclass(frozen=True)
class WorkloadProgress(EngineEvent):
    """How far the running workload is; `total` 0 means the workload reports no steps."""

    run_id: str
    name: str
    step: int
    total: int
    label: str
    elapsed_s: float
    eta_s: float | None  # estimated seconds left, None when unknown

    @property
    def fraction(self) -> float | None:
        return min(1.0, self.step / self.total) if self.total > 0 else None


@dataclass(frozen=True)
class WorkloadFinished(EngineEvent):
    """A workload ended: status "ok", "failed", "unsupported" or "cancelled"; `reason` is one
    line saying why it did not complete (or what to note when it did)."""

    run_id: str
    name: str
    status: str
    reason: str
    elapsed_s: float

    @property
    def completed(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class Ended(EngineEvent):
    """The live session is over: the target exited, the agent left, or the owner finished it."""

    reason: str
    exit_code: int | None

"""Workloads run one after another, never together: a queue on the inspector's side.

Two workloads at once measure each other (a pool sweep on a loop blocked by canvas repaints),
so the queue sends the next workload to the agent only when the previous one's final record
has arrived. Each run carries a `run_id`; the agent tags its progress and final records with
it (`inspector.agent.workloads.run`). Qt-free; the engine feeds it records and a clock.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from inspector.agent.workloads import canonical_name
from inspector.core.workload_specs import (
    WorkloadParam,
    WorkloadSpecError,
    check_params,
    estimate_s,
    workload_params,
)
from inspector.live.events import (
    EngineEvent,
    WorkloadFinished,
    WorkloadProgress,
    WorkloadQueued,
    WorkloadStarted,
)

HEARTBEAT_S = 1.0  # a workload without step reports still gets a time-based progress event
MIN_TIMEOUT_S = 300.0  # the agent's own watchdog; longer when the estimate says so


@dataclass(frozen=True)
class WorkloadInfo:
    """One workload a profile offers, with its parameters, for a form or a listing."""

    name: str
    description: str
    params: tuple[WorkloadParam, ...]
    available: bool
    reason: str  # why not available; "" when it is


@dataclass
class WorkloadTicket:
    """One accepted workload run and, once it ended, how."""

    run_id: str
    name: str
    params: dict[str, Any]
    estimate_s: float
    started: float | None = None  # monotonic
    last_progress: float | None = None
    step: int = 0  # the agent's last report: step of total, and what it was doing
    total: int = 0
    label: str = ""
    status: str = "queued"  # queued, running, ok, failed, unsupported, cancelled
    reason: str = ""
    elapsed_s: float = 0.0
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def spec(self) -> str:
        from inspector.core.workload_specs import format_workload_spec

        return format_workload_spec(self.name, self.params)


def profile_workloads(table: dict[str, Any]) -> list[WorkloadInfo]:
    """Every known workload with its parameters and whether the profile's table defines it."""
    from inspector.agent.workloads import WORKLOADS, _definition, describe

    out = []
    for name in WORKLOADS:
        definition = _definition(name, table)
        if definition is None:
            available, reason = False, "not defined in this profile"
        elif definition.get("supported", True) is False:
            available = False
            reason = str(definition.get("reason", "not supported by this target"))
        else:
            available, reason = True, ""
        out.append(
            WorkloadInfo(
                name, describe(name)["description"], workload_params(name), available, reason
            )
        )
    return out


def pools_driven(table: dict[str, Any], pool: str = "") -> int:
    """How many pools a pools workload drives with this profile (for the estimate)."""
    from inspector.agent.workloads import _definition

    specs = (_definition("pools", table) or {}).get("pools") or []
    specs = [s for s in specs if s.get("supported", True) is not False]
    if pool:
        specs = [s for s in specs if s.get("name") == pool]
    return max(1, len(specs))


class WorkloadQueue:
    """Sends workloads to the agent one at a time and turns its records into events."""

    def __init__(
        self,
        send: Callable[[dict[str, Any]], Any],
        emit: Callable[[EngineEvent], None],
        table: dict[str, Any],
        clock: Callable[[], float] = time.monotonic,
        ready: bool = True,
    ) -> None:
        self._send = send
        # Not ready until the agent streams: a command sent while a just-launched agent is
        # still setting up may reach it before it reads commands.
        self._ready = ready
        self._emit = emit
        self.table = table
        self._clock = clock
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self.pending: list[WorkloadTicket] = []
        self.current: WorkloadTicket | None = None
        self.finished: list[WorkloadTicket] = []
        self.closed_reason: str | None = None

    # -- asking ------------------------------------------------------------------------------
    def estimate(self, name: str, params: dict[str, Any]) -> float:
        canonical = canonical_name(name) or name
        pools = pools_driven(self.table, str(params.get("pool", ""))) if canonical == "pools" else 1
        return estimate_s(canonical, params, pools=pools)

    def submit(self, name: str, params: dict[str, Any] | None = None) -> WorkloadTicket:
        """Queue a workload; WorkloadSpecError (one line) when its name or parameters are bad."""
        params = dict(params or {})
        check_params(name, params)  # raises for an unknown name too
        canonical = canonical_name(name) or name
        info = next(w for w in profile_workloads(self.table) if w.name == canonical)
        if not info.available:
            raise WorkloadSpecError(f"{canonical}: {info.reason}")
        with self._lock:
            if self.closed_reason is not None:
                raise WorkloadSpecError(f"{canonical} not started: {self.closed_reason}")
            ticket = WorkloadTicket(
                f"w{next(self._ids)}", canonical, params, self.estimate(canonical, params)
            )
            position = len(self.pending) + (self.current is not None)
            self.pending.append(ticket)
        self._emit(
            WorkloadQueued(ticket.run_id, canonical, dict(params), ticket.estimate_s, position)
        )
        self._start_next()
        return ticket

    def cancel(self, run_id: str | None = None) -> bool:
        """Cancel `run_id` (or the running one and everything queued, for None)."""
        with self._lock:
            current = self.current
            drop = [t for t in self.pending if run_id is None or t.run_id == run_id]
            self.pending = [t for t in self.pending if t not in drop]
        for ticket in drop:
            self._end(ticket, "cancelled", "cancelled before it started")
        if current is not None and (run_id is None or current.run_id == run_id):
            try:
                self._send({"type": "command", "cmd": "workload_cancel", "run_id": current.run_id})
            except Exception as exc:  # the agent is gone: nothing left running to undo
                self._finish_current("cancelled", f"cancelled (the agent could not be told: {exc})")
            return True
        return bool(drop)

    def mark_ready(self) -> None:
        """The agent is streaming records: queued workloads may be sent."""
        with self._lock:
            if self._ready:
                return
            self._ready = True
        self._start_next()

    @property
    def busy(self) -> bool:
        with self._lock:
            return self.current is not None or bool(self.pending)

    def progressing(self, within_s: float) -> bool:
        """Whether the running workload reported a step in the last `within_s` seconds."""
        with self._lock:
            ticket = self.current
        return (
            ticket is not None
            and ticket.last_progress is not None
            and self._clock() - ticket.last_progress < within_s
        )

    def remaining_estimate_s(self) -> float:
        """Seconds the running and queued workloads still need, by their estimates."""
        with self._lock:
            left = sum(t.estimate_s for t in self.pending)
            if self.current is not None and self.current.started is not None:
                left += max(0.0, self.current.estimate_s - (self._clock() - self.current.started))
            return left

    def wait(self, timeout: float | None = None) -> bool:
        """Block until nothing is running or queued; False on time-out."""
        deadline = None if timeout is None else self._clock() + timeout
        while True:
            with self._lock:
                ticket = self.current or (self.pending[0] if self.pending else None)
            if ticket is None:
                return True
            left = None if deadline is None else deadline - self._clock()
            if left is not None and left <= 0:
                return False
            ticket.done.wait(0.2 if left is None else min(0.2, left))

    # -- hearing -----------------------------------------------------------------------------
    def on_records(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            kind = record.get("kind")
            if kind == "workload_progress":
                self._on_progress(record)
            elif kind == "workload":
                self._on_final(record)

    def _matches(self, record: dict[str, Any]) -> WorkloadTicket | None:
        with self._lock:
            current = self.current
        if current is None:
            return None
        run_id = record.get("run_id")
        if run_id:
            return current if run_id == current.run_id else None
        # an agent that does not echo run ids: the only running workload of that name
        return current if canonical_name(str(record.get("name", ""))) == current.name else None

    def _on_progress(self, record: dict[str, Any]) -> None:
        ticket = self._matches(record)
        if ticket is None or ticket.started is None:
            return
        ticket.last_progress = self._clock()
        ticket.step, ticket.total = int(record.get("step") or 0), int(record.get("total") or 0)
        ticket.label = str(record.get("label") or "")
        self._emit(self._progress_event(ticket))

    def _progress_event(self, ticket: WorkloadTicket) -> WorkloadProgress:
        """Where the run is: the agent's last step, the time left from the rate of steps
        (or from the estimate before any step); None once past the estimate without steps."""
        assert ticket.started is not None
        elapsed = self._clock() - ticket.started
        eta: float | None
        if ticket.total > 0 and ticket.step > 0 and elapsed >= 1.0:
            eta = elapsed / ticket.step * max(0, ticket.total - ticket.step)
        elif elapsed < ticket.estimate_s:
            eta = ticket.estimate_s - elapsed
        else:
            eta = None  # longer than its estimate and no step to go by: unknown
        return WorkloadProgress(
            ticket.run_id,
            ticket.name,
            ticket.step,
            ticket.total,
            ticket.label or "running",
            round(elapsed, 1),
            None if eta is None else round(eta, 1),
        )

    def _on_final(self, record: dict[str, Any]) -> None:
        if self._matches(record) is None:
            return
        status = str(record.get("status") or "failed")
        self._finish_current(status, one_line(str(record.get("reason") or "")))

    def heartbeat(self) -> None:
        """Called about once a second: a progress event when the agent has been quiet."""
        with self._lock:
            ticket = self.current
        if ticket is None or ticket.started is None:
            return
        if ticket.last_progress is not None and self._clock() - ticket.last_progress < HEARTBEAT_S:
            return
        self._emit(self._progress_event(ticket))

    def close(self, reason: str) -> None:
        """The session is ending: whatever runs or waits ends as failed with `reason`."""
        with self._lock:
            self.closed_reason = reason
            pending, self.pending = self.pending, []
        if self.current is not None:
            self._finish_current("failed", f"stopped: {reason}")
        for ticket in pending:
            self._end(ticket, "failed", f"not started: {reason}")

    # -- moving on ---------------------------------------------------------------------------
    def _start_next(self) -> None:
        with self._lock:
            if self.current is not None or not self.pending or self.closed_reason is not None:
                return
            if not self._ready:
                return
            ticket = self.current = self.pending.pop(0)
            ticket.status, ticket.started = "running", self._clock()
        params = dict(ticket.params)
        params["run_id"] = ticket.run_id
        params["timeout_s"] = max(MIN_TIMEOUT_S, 3 * ticket.estimate_s)
        self._emit(
            WorkloadStarted(ticket.run_id, ticket.name, dict(ticket.params), ticket.estimate_s)
        )
        try:
            self._send(
                {"type": "command", "cmd": "workload", "name": ticket.name, "params": params}
            )
        except Exception as exc:
            self._finish_current("failed", f"not started: {one_line(str(exc))}")

    def _finish_current(self, status: str, reason: str) -> None:
        with self._lock:
            ticket, self.current = self.current, None
        if ticket is not None:
            self._end(ticket, status, reason)
        self._start_next()

    def _end(self, ticket: WorkloadTicket, status: str, reason: str) -> None:
        ticket.status, ticket.reason = status, reason
        ticket.elapsed_s = round(self._clock() - ticket.started, 1) if ticket.started else 0.0
        with self._lock:
            self.finished.append(ticket)
        ticket.done.set()
        self._emit(WorkloadFinished(ticket.run_id, ticket.name, status, reason, ticket.elapsed_s))


def one_line(text: str) -> str:
    text = text.strip()
    return text.splitlines()[0] if text else ""

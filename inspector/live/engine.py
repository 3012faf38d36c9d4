"""The live-session engine: one target, its agent, py-spy and workloads, for window and CLI.

Engine API (Qt-free; the window wraps it in `inspector.gui.target_connection`, the commands
`launch`, `attach` and `record` call it directly, so both record the same kinds of data):

    engine = LiveEngine(session, profile)             # profile name or TOML path
    unsubscribe = engine.subscribe(callback)          # callback(event) on engine threads
    engine.launch(cmd, cwd=None, env=None, log_path=None)   # agent preloaded; -> pid
    engine.attach(pid)                                 # agent injected; AttachError (one line)
    engine.start_sampling()                            # py-spy; None, or why not (one line)
    engine.workloads()           # [WorkloadInfo(name, description, params, available, reason)]
                                 # params: WorkloadParam(name, type, default, minimum, maximum,
                                 # description)
    ticket = engine.start_workload("canvas", {"nodes": 50})   # queued; runs after the others
        # WorkloadSpecError (one line) for a bad name/parameter/value; the ticket has run_id,
        # name, params, estimate_s, status (queued/running/ok/failed/unsupported/cancelled),
        # reason, elapsed_s and a `done` threading.Event
    engine.cancel_workload(ticket.run_id)   # stops at its next step, undoes what it created,
        # then reports "cancelled" (a queued one is dropped at once)
    engine.workloads_busy / engine.wait_workloads(timeout) / engine.remaining_estimate_s()
    engine.wait(duration)        # until duration AND workloads are done, or the target ends
    engine.finish(reason)        # detach, stop py-spy, stop a launched target (says how)

Workloads run one at a time: the next is sent when the previous one's final record arrived
(and not before the agent streams). A workload still reporting steps is never cut off by a
time limit while it makes progress (the agent's watchdog and `wait(limit=)` both extend).

Events (`inspector.live.events`): Connected, Notice, WorkloadQueued, WorkloadStarted,
WorkloadProgress(step, total, label, elapsed_s, eta_s), WorkloadFinished(status, reason),
Ended(reason, exit_code). A watcher thread polls the target every WATCH_EVERY_S: a launched
child is reaped with `Popen.poll()` (no zombie), an attached PID is checked with psutil; its
exit is noticed within a second and ends the session (Ended, then `finish`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from inspector.attach.agent_config import AttachError, load_profile_tables
from inspector.attach.inject import attach_pid, inspect_target
from inspector.attach.launch import launch_target
from inspector.core.agent_link import AgentLink, AgentLinkError
from inspector.core.session import Session
from inspector.live.events import Connected, Ended, EngineEvent, Notice
from inspector.live.workload_queue import (
    WorkloadInfo,
    WorkloadQueue,
    WorkloadTicket,
    profile_workloads,
)

CONNECT_TIMEOUT_S = 20.0
WATCH_EVERY_S = 0.2  # target exit is noticed within this (the promise is 1 s)
EXIT_FLUSH_S = 1.0  # after the target exits, how long its agent's last batch may take
STOP_GRACE_S = 10.0
FINISH_WAIT_S = 60.0  # a second finish() waits this long for the first to close the books
PROGRESS_GRACE_S = 30.0  # past `wait`'s limit, a workload that reported a step this recently


class LiveEngine:
    """One live session: a target (launched or attached) feeding one Session."""

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
        self.mode: str | None = None
        self.sampler: Any = None
        self.sampling_error: str | None = None
        self.notices: list[str] = []
        self.log_path: Path | None = None
        self._log: IO[bytes] | None = None
        self._subscribers: list[Callable[[EngineEvent], None]] = []
        self._source_root_set = False
        self._tracemalloc = False
        self._finish_lock = threading.Lock()
        self._finished = False
        self._finish_done = threading.Event()
        self._ended = threading.Event()
        self.end_reason: str | None = None
        self.exit_code: int | None = None
        self._watcher: threading.Thread | None = None
        table: dict[str, Any] = {}
        try:
            _name, _probes, table = load_profile_tables(profile)
        except Exception as exc:  # a profile without workloads still records
            self.notices.append(f"profile {profile}: no workloads ({_one_line(exc)})")
        self.queue = WorkloadQueue(self._send, self._emit, table, ready=False)

    # -- events ------------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[EngineEvent], None]) -> Callable[[], None]:
        """Call `callback(event)` for every event from now on; returns the unsubscriber."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def _emit(self, event: EngineEvent) -> None:
        if isinstance(event, Notice):
            self.notices.append(event.text)
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:  # a broken view must not stop the recording
                pass

    def _notice(self, text: str) -> None:
        self._emit(Notice(text))

    # -- getting in --------------------------------------------------------------------------
    def launch(
        self,
        cmd: Sequence[str],
        cwd: str | Path | None = None,
        env: Mapping[str, str] | None = None,
        connect_timeout: float = CONNECT_TIMEOUT_S,
        log_path: str | Path | None = None,
        **popen_kwargs: Any,
    ) -> int:
        """Start `cmd` with the agent preloaded and wait for it; AttachError (one line)."""
        if not cmd:
            raise AttachError("no command to launch: give e.g. `python -m inspector.demo`")
        if cwd and not Path(cwd).is_dir():
            raise AttachError(f"working directory {cwd} does not exist")
        if log_path is not None:
            self.log_path = Path(log_path)
            try:
                self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed by finish()
            except OSError as exc:
                raise AttachError(f"cannot write the target's log {self.log_path}: {exc}") from exc
            popen_kwargs.setdefault("stdout", self._log)
            popen_kwargs.setdefault("stderr", subprocess.STDOUT)
        try:
            self.link.start()
            self.process = launch_target(
                cmd, self.profile, self.link, cwd=cwd, env=env, **popen_kwargs
            )
        except FileNotFoundError as exc:
            raise AttachError(f"cannot launch {cmd[0]}: no such program") from exc
        except AgentLinkError as exc:
            raise AttachError(str(exc)) from exc
        self.pid = self.process.pid
        self.mode = "launch"
        self._started({"pid": self.pid, "command": list(cmd), "cwd": str(cwd or "")})
        deadline = time.monotonic() + connect_timeout
        while not self.link.wait_connected(0.1):
            if self.process.poll() is not None:
                where = f"; see its output in {self.log_path}" if self.log_path else ""
                raise AttachError(
                    f"the target exited (code {self.process.returncode}) before its agent "
                    f"connected{where}"
                )
            if time.monotonic() > deadline:
                raise AttachError(f"the agent did not connect within {connect_timeout:.0f} s")
        self._connected()
        return self.pid

    def attach(self, pid: int, connect_timeout: float = CONNECT_TIMEOUT_S) -> None:
        """Inject the agent into running process `pid`; AttachError (one line)."""
        info = inspect_target(pid)
        self.pid = pid
        self.mode = "attach"
        try:
            self.link.start()
        except AgentLinkError as exc:
            raise AttachError(str(exc)) from exc
        self._started(
            {
                "pid": pid,
                "command": None,
                "executable": info.executable,
                "python": f"{info.version[0]}.{info.version[1]}",
            }
        )
        attach_pid(pid, self.profile, self.link, timeout=connect_timeout)
        self._connected()

    def _started(self, target: dict[str, Any]) -> None:
        self.session.set_meta(
            target=target,
            target_pid=target["pid"],
            command=target.get("command"),
            profile=self.profile,
            started=time.time(),
            mode=self.mode,
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
                "cwd": hello.get("cwd") or target.get("cwd"),
            }
        )
        if not target.get("command"):
            target["command"] = [hello.get("executable") or "python", *(hello.get("argv") or [])]
        self.session.set_meta(
            target=target, python_version=hello.get("python"), target_platform=hello.get("platform")
        )
        self._watcher = threading.Thread(
            target=self._watch, name="inspector-target-watch", daemon=True
        )
        self._watcher.start()
        self._emit(Connected(int(self.pid or 0), str(self.mode)))

    def _records_arrived(self, records: list[dict[str, Any]]) -> None:
        if not self._source_root_set and self.session.meta.get("source_root"):
            self._source_root_set = True  # the owner named the source (the window's Launch)
        if not self._source_root_set:
            for record in records:
                if record.get("kind") == "agent" and record.get("source_root"):
                    self.session.set_meta(source_root=record["source_root"])
                    self._source_root_set = True
                    break
        self.queue.mark_ready()
        self.queue.on_records(records)
        if self._forward is not None:
            self._forward(records)

    # -- during ------------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self.link.connected and not self._ended.is_set()

    @property
    def ended(self) -> bool:
        return self._ended.is_set()

    def start_sampling(self, rate: int = 100) -> str | None:
        """Start py-spy on the same PID; returns why not (one line) when it cannot."""
        if self.pid is None:
            self.sampling_error = "no target process"
            return self.sampling_error
        try:
            from inspector.sampling.recorder import PySpyRecorder
        except ImportError as exc:
            self.sampling_error = f"sampling not available in this build ({exc.name} missing)"
        else:
            try:
                self.sampler = PySpyRecorder(self.pid, self.session, rate=rate)
                self.sampler.start()
                return None
            except Exception as exc:  # SamplingError and friends
                self.sampler = None
                self.sampling_error = f"py-spy sampling not started: {_one_line(exc)}"
        self._notice(self.sampling_error)
        return self.sampling_error

    def workloads(self) -> list[WorkloadInfo]:
        """The profile's workloads with their parameters (for a form or a listing)."""
        return profile_workloads(self.queue.table)

    def start_workload(self, name: str, params: dict[str, Any] | None = None) -> WorkloadTicket:
        """Queue workload `name`; it runs when the earlier ones have finished.
        Raises WorkloadSpecError (one line) for a bad name, parameter or value."""
        return self.queue.submit(name, params or {})

    def cancel_workload(self, run_id: str | None = None) -> bool:
        """Cancel one run (or the running one and all queued, for None)."""
        return self.queue.cancel(run_id)

    @property
    def workloads_busy(self) -> bool:
        return self.queue.busy

    def wait_workloads(self, timeout: float | None = None) -> bool:
        return self.queue.wait(timeout)

    def remaining_estimate_s(self) -> float:
        return self.queue.remaining_estimate_s()

    def send_command(self, command: dict[str, Any]) -> int:
        return self._send(command)

    def _send(self, command: dict[str, Any]) -> int:
        if not self.link.connected:
            raise AgentLinkError("no agent connected")
        return self.link.send_command(command)

    def tracemalloc(self, action: str) -> None:
        """ "start" a baseline (tracemalloc slows the target) or take a diffed "snapshot"."""
        try:
            self.link.send_command({"type": "tracemalloc", "action": action})
        except AgentLinkError:
            return
        if action == "start":
            self._tracemalloc = True

    def target_alive(self) -> bool:
        """Whether the target still runs; reaps a launched child that exited (no zombie)."""
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

    def wait(
        self,
        duration: float | None,
        stop: threading.Event | None = None,
        workloads: bool = True,
        limit: float | None = None,
    ) -> str:
        """Block until `duration` has passed and (with `workloads`) every workload is done, the
        target ends, or `stop`; `limit` caps the whole wait. Returns why it returned."""
        began = time.monotonic()
        deadline = None if duration is None else began + duration
        while True:
            if stop is not None and stop.is_set():
                return "stopped"
            if self._ended.is_set():
                return self.end_reason or "ended"
            now = time.monotonic()
            # past the limit, a workload still reporting steps is slow, not stuck: up to 3x
            slow = self.queue.progressing(PROGRESS_GRACE_S) and now - began < 3 * (limit or 0)
            if limit is not None and now - began >= limit and not slow:
                return "time limit reached"
            if deadline is not None and now >= deadline and not (workloads and self.queue.busy):
                return "workloads done" if workloads and self.queue.finished else "duration reached"
            self._ended.wait(0.1)

    def _watch(self) -> None:
        last_beat = time.monotonic()
        while not self._finished:
            if not self.target_alive():
                code = self.process.returncode if self.process is not None else None
                # an ordinary exit is just "target exited"; a failure names its code
                self._end(f"target exited (code {code})" if code else "target exited")
                # the agent's at-exit flush may still be on its way: give it a moment
                self.link.wait_disconnected(EXIT_FLUSH_S)
                self.finish(self.end_reason or "target exited")
                return
            if self.link.disconnected:
                self._end(f"the agent disconnected ({self.link.bye_reason or 'no reason given'})")
                self.finish(self.end_reason or "agent disconnected")
                return
            now = time.monotonic()
            if now - last_beat >= 1.0:
                last_beat = now
                self.queue.heartbeat()
            time.sleep(WATCH_EVERY_S)

    def _end(self, reason: str) -> None:
        if self._ended.is_set():
            return
        self.end_reason = reason
        if self.process is not None:
            self.exit_code = self.process.returncode
        self._ended.set()
        self.queue.close(reason)
        self._emit(Ended(reason, self.exit_code))

    # -- the end -----------------------------------------------------------------------------
    def finish(
        self, reason: str, stop_launched: bool = True, terminate_launched: bool | None = None
    ) -> None:
        """Detach, stop sampling, stop a launched target (saying how), close the books.

        Safe to call twice and from any thread; the session itself stays open for its owner.
        `terminate_launched` is the old name of `stop_launched`.
        """
        if terminate_launched is not None:
            stop_launched = terminate_launched
        with self._finish_lock:
            first = not self._finished
            self._finished = True
        if not first:  # e.g. the watcher is finishing after the target exited: let it end
            self._finish_done.wait(FINISH_WAIT_S)
            return
        try:
            self._finish(reason, stop_launched)
        finally:
            self._finish_done.set()

    def _finish(self, reason: str, stop_launched: bool) -> None:
        self.queue.close(reason)
        if self.link.connected and self.target_alive():
            if self._tracemalloc:
                self.tracemalloc("snapshot")
            try:
                self.link.detach()
            except Exception:
                pass
            self.link.wait_disconnected(5.0)
        if self.sampler is not None:
            try:
                self.sampler.stop(timeout=10)
            except Exception as exc:
                self._notice(f"py-spy stop failed: {_one_line(exc)}")
        self.link.close()
        if stop_launched and self.process is not None and self.process.poll() is None:
            self._stop_launched()
        if self.process is not None:
            self.process.poll()  # reap
        if self._log is not None:
            self._log.close()
            self._log = None
        self._end(reason)
        exit_code = self.process.returncode if self.process is not None else None
        self.exit_code = exit_code
        self.session.set_meta(
            ended=time.time(),
            end_reason=self.end_reason or reason,
            target_exit_code=exit_code,
            agent_records=self.link.received,
            agent_dropped=self.link.dropped_by_agent,
            agent_rejected_connections=self.link.rejected,
        )

    def _stop_launched(self) -> None:
        assert self.process is not None
        pid = self.process.pid
        if os.name == "nt":
            how = "TerminateProcess (Popen.terminate)"
        else:
            how = f"SIGTERM, then SIGKILL if it is still running after {STOP_GRACE_S:.0f} s"
        self._notice(f"stopping the launched target (pid {pid}) with {how}")
        self.process.terminate()
        try:
            self.process.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            self._notice(f"the launched target (pid {pid}) ignored the stop; killing it")
            self.process.kill()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self._notice(f"the launched target (pid {pid}) is still running after kill")


def demo_command(extra: Sequence[str] = ()) -> list[str]:
    """The command that starts the demo target: `python -m inspector.demo`, or in a frozen
    bundle (which cannot run `-m`) its hidden `_demo` argument (packaging/entry.py)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "_demo", *extra]
    return [sys.executable, "-m", "inspector.demo", *extra]


def _one_line(exc: BaseException | str) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

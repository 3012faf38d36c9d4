"""One workload run: its parameters, its profile definition and its single final record.

A run ends exactly once, whichever comes first: the workload finishing, an exception, the
watchdog's time limit, or a cancel from the inspector. The drivers below put the work on the
right thread and turn any exception into a "failed" record, so a workload can never crash or
stall the target.

Records a run emits (each carries the run's `run_id`, given by the inspector):
- `{"kind": "workload_progress", "run_id", "name", "step", "total", "label"}` at most every
  PROGRESS_EVERY_S (plus the first step), from `progress()`;
- exactly one final `{"kind": "workload", "run_id", "name", "params", "status", "reason",
  "results"}`; status "cancelled" after `cancel()`. A workload notices `done` at its next step
  and undoes what it created (its `finally` blocks), so cancel leaves the target clean.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Coroutine, Generator
from typing import Any

from inspector.agent import provenance, target

# A Qt-thread workload is a generator that yields the delay (ms) before its next step; the
# event loop runs in between, so the app keeps painting and answering while it works.
QtSteps = Generator[float, None, None]
PROGRESS_EVERY_S = 0.25  # progress records are for a progress bar: a few per second is plenty
PROGRESS_GRACE_S = 30.0  # at its time limit, a run that reported progress this recently...
STOP_GRACE_S = 10.0  # a workload asked to stop has this long to clean up before it is reported
MAX_EXTENSIONS = 3  # ...gets its limit again, this many times at most


class WorkloadRun:
    """The state of one run; `finish` emits the final kind="workload" record once."""

    def __init__(
        self,
        name: str,
        params: dict[str, Any],
        definition: dict[str, Any],
        emit: Callable[[dict[str, Any]], None],
        timeout_s: float,
        run_id: str = "",
    ) -> None:
        self.name = name
        self.run_id = run_id
        self.label = provenance.new_label(name, run_id)  # stamped on what it drives
        self.params = params
        self.definition = definition
        self._emit = emit
        self._lock = threading.Lock()
        self._done = threading.Event()
        self.started = time.perf_counter()
        self.timeout_s = timeout_s
        self._watchdog = threading.Timer(timeout_s, self._time_out)
        self._watchdog.daemon = True
        self._last_progress = 0.0
        self._progress_sent = False
        self._extensions = 0
        # A cancel or time-out asks the workload to stop; its final record is sent once it has
        # cleaned up (the driver calls finish_stopped), so the next workload starts on a clean
        # target. STOP_GRACE_S later it is sent anyway, for a workload stuck in one step.
        self._stop: tuple[str, str] | None = None
        self._stop_timer: threading.Timer | None = None

    @property
    def done(self) -> bool:
        """True once the run has ended or was asked to stop: the workload stops working."""
        return self._done.is_set() or self._stop is not None

    @property
    def finished(self) -> bool:
        """True once the final record was sent."""
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def start_watchdog(self) -> None:
        provenance.run_started(self.label)
        self._watchdog.start()

    def finish(self, status: str, reason: str = "", results: dict[str, Any] | None = None) -> bool:
        """Emit the final record; later calls are ignored. True if this call emitted it.

        After a stop request a workload's own "ok" (it finished its loop early) becomes the
        requested status, keeping the results it gathered."""
        with self._lock:
            if self._done.is_set():
                return False
            self._done.set()
            if self._stop is not None and status == "ok":
                status, reason = self._stop
        self._watchdog.cancel()
        if self._stop_timer is not None:
            self._stop_timer.cancel()
        provenance.run_finished(self.label)
        record = {
            "t": time.time(),
            "kind": "workload",
            "run_id": self.run_id,
            "name": self.name,
            "params": dict(self.params),
            "status": status,
            "reason": reason,
            "results": results or {},
        }
        record["results"].setdefault("elapsed_s", round(time.perf_counter() - self.started, 3))
        try:
            self._emit(record)
        except Exception:
            traceback.print_exc()  # the emitter is the agent's; nothing else we can do
        return True

    def progress(self, step: int, total: int, label: str = "") -> None:
        """Say how far the run is (step of total); rate-limited, never raises."""
        if self.done:
            return
        now = time.monotonic()
        if self._progress_sent and now - self._last_progress < PROGRESS_EVERY_S:
            return
        self._progress_sent, self._last_progress = True, now
        try:
            self._emit(
                {
                    "t": time.time(),
                    "kind": "workload_progress",
                    "run_id": self.run_id,
                    "name": self.name,
                    "step": int(step),
                    "total": int(total),
                    "label": label,
                }
            )
        except Exception:
            pass  # progress is a courtesy; the final record is what counts

    def emit_record(self, record: dict[str, Any]) -> None:
        """Send a measurement record of this run (e.g. allocation phases); never raises."""
        if self._done.is_set():
            return
        record.setdefault("source", self.label)
        try:
            self._emit(record)
        except Exception:
            pass

    def cancel(self, reason: str = "cancelled by the user") -> bool:
        """Ask the run to stop as "cancelled"; it cleans up at its next step, then reports."""
        return self.request_stop("cancelled", reason)

    def request_stop(self, status: str, reason: str) -> bool:
        """Ask the workload to stop; the final record (`status`, `reason`) follows its
        clean-up. False if the run had already ended or was already asked."""
        with self._lock:
            if self._done.is_set() or self._stop is not None:
                return False
            self._stop = (status, reason)
        self._stop_timer = threading.Timer(STOP_GRACE_S, self.finish_stopped)
        self._stop_timer.daemon = True
        self._stop_timer.start()
        return True

    def finish_stopped(self) -> bool:
        """Send the requested stop's final record (drivers call it after the clean-up)."""
        stop = self._stop
        if stop is None:
            return False
        return self.finish(*stop)

    def fail(self, exc: BaseException | str) -> bool:
        if isinstance(exc, BaseException):
            where = ""
            tb = traceback.extract_tb(exc.__traceback__)
            if tb:
                frame = tb[-1]
                where = f" (at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} in {frame.name})"
            reason = f"{type(exc).__name__}: {exc}{where}"
        else:
            reason = exc
        return self.finish("failed", reason)

    def _time_out(self) -> None:
        # A run that still reports progress is slow, not stuck (a busy 2-core machine can
        # triple a canvas run): it gets more time, up to MAX_EXTENSIONS times its limit.
        recent = self._progress_sent and time.monotonic() - self._last_progress < PROGRESS_GRACE_S
        if recent and self._extensions < MAX_EXTENSIONS and not self.done:
            self._extensions += 1
            self._watchdog = threading.Timer(self.timeout_s, self._time_out)
            self._watchdog.daemon = True
            self._watchdog.start()
            return
        waited = self.timeout_s * (1 + self._extensions)
        self.request_stop("failed", f"timed out after {waited:.0f} s")


STARTUP_WAIT_S = 20.0  # a workload sent right after launch waits this long for the app


def when_ready(
    run: WorkloadRun, ready: Callable[[], bool], what: str, go: Callable[[], None]
) -> None:
    """Call `go` now if `ready()`, else from a helper thread once it is (or end "unsupported").

    A workload sent right after a launch can arrive before the app has built its QApplication
    or its event loop; it waits for them instead of failing.
    """
    if ready():
        go()
        return

    def poll() -> None:
        deadline = time.monotonic() + min(STARTUP_WAIT_S, run.timeout_s)
        while time.monotonic() < deadline and not run.done:
            if ready():
                try:
                    go()
                except Exception as exc:
                    run.fail(exc)
                return
            time.sleep(0.1)
        if not run.finish_stopped():
            run.finish("unsupported", f"the target has no {what} (waited {STARTUP_WAIT_S:.0f} s)")

    threading.Thread(target=poll, name=f"inspector-workload-wait-{run.name}", daemon=True).start()


def drive_on_qt_thread(run: WorkloadRun, make_steps: Callable[[], QtSteps]) -> None:
    """Run a step generator on the Qt GUI thread, one step per event-loop turn (or delay)."""
    state: dict[str, QtSteps] = {}

    def step() -> None:
        core = target.qt_core()
        app = target.qt_app()
        steps = state.get("steps")
        try:
            if steps is None:
                with provenance.as_workload(run.label):
                    steps = state["steps"] = make_steps()
            if run.done:
                steps.close()  # runs the generator's clean-up on this (the Qt) thread
                run.finish_stopped()
                return
            with provenance.as_workload(run.label):  # what the step calls is ours
                delay_ms = next(steps)
        except StopIteration:
            if not run.finish_stopped() and not run.finished:
                run.finish("failed", "the workload ended without a result")
            return
        except BaseException as exc:
            run.fail(exc)
            return
        core.QTimer.singleShot(max(0, int(delay_ms)), app, step)

    def go() -> None:
        if not target.post_to_qt_thread(step):
            run.finish("unsupported", "the target has no Qt application")

    when_ready(run, lambda: target.qt_app() is not None, "Qt application", go)


def drive_on_loop(run: WorkloadRun, make_coro: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a coroutine as a task on the target's own asyncio (qasync) loop."""

    async def guarded() -> None:
        try:
            with provenance.as_workload(run.label):  # and every task it starts
                await make_coro()
        except BaseException as exc:
            run.fail(exc)
            if not isinstance(exc, Exception):
                raise
        else:
            if not run.finish_stopped() and not run.finished:
                run.finish("failed", "the workload ended without a result")

    def go() -> None:
        loop = target.target_loop()
        if loop is None:
            run.finish("unsupported", "the target has no running asyncio event loop")
            return
        target.run_coroutine(guarded, loop)

    def loop_running() -> bool:
        loop = target.target_loop()
        return loop is not None and loop.is_running()

    when_ready(run, loop_running, "running asyncio event loop", go)


def drive_on_thread(run: WorkloadRun, work: Callable[[], None]) -> None:
    """Run plain thread-safe work (e.g. a lock-based job queue) on a daemon thread."""

    def body() -> None:
        try:
            with provenance.as_workload(run.label):
                work()
        except BaseException as exc:
            run.fail(exc)
        else:
            if not run.finish_stopped() and not run.finished:
                run.finish("failed", "the workload ended without a result")

    threading.Thread(target=body, name=f"inspector-workload-{run.name}", daemon=True).start()

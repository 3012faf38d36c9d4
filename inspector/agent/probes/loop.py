"""Event-loop probe: loop lag, slow callbacks, task counts and runtime hazards.

Lag is the delay between when a periodic probe callback was due and when it ran. Slow
callbacks come from timing `asyncio.Handle._run`, which both plain asyncio and qasync use for
every callback and task step. Hazards: a nested event loop entered while a task runs
(`processEvents`, `QEventLoop.exec`, `QDialog.exec`, `run_until_complete`), and the loop or a
QObject touched from another thread (the loop's non-threadsafe methods are checked; Qt's own
"different thread" warnings are caught through its message handler, which is chained).
"""

from __future__ import annotations

import asyncio
import functools
import sys
import threading
import time
import traceback
from typing import Any

from inspector.agent import target
from inspector.agent.hooks import describe_callable
from inspector.agent.probes import Probe
from inspector.agent.stats import MAX_DURATIONS

_perf = time.perf_counter
MAX_SLOW_PER_FLUSH = 50
MAX_HAZARDS_PER_FLUSH = 20
MAX_STACK_FRAMES = 25
STACK_LOOKS = 3  # stacks looked at per stall (the deepest is kept)
MAX_STALL_STACKS = 20  # stacks taken per flush interval; more stalls are counted without one
HAZARD_REPEAT_S = 5.0  # the same hazard from the same place is reported at most this often
_THREAD_MARKERS = ("different thread", "another thread", "in a different thread")


class LoopProbe(Probe):
    """Measures the target's asyncio/qasync loop from inside it."""

    name = "loop"

    def __init__(self, agent: Any, config: dict[str, Any]) -> None:
        super().__init__(agent, config)
        self.period_s = float(config.get("loop_probe_ms", 100)) / 1000.0
        self.slow_ms = float(config.get("slow_callback_ms", 50))
        self.loop: asyncio.AbstractEventLoop | None = None
        self.loop_thread: int | None = None
        self.lags: list[float] = []
        self.tasks = 0
        self.slow: list[dict[str, Any]] = []
        self.hazards: list[dict[str, Any]] = []
        self._hazard_seen: dict[tuple[str, str], float] = {}
        self._expected = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._active = True
        self._qt_hooked = False
        self._previous_handler: Any = None
        self._message_handler_installed = False
        self._scans = 0
        # Stall watcher: the start of the asyncio callback running now (0.0 when none) and
        # the stack taken while it was still running past slow_ms.
        self._running_since = 0.0
        self._stall_stack: tuple[float, list[str], float] | None = None
        self._stall_stacks = 0
        self._look_for, self._looks, self._deepest = 0.0, 0, 0

    # -- installation ----------------------------------------------------------------------
    def install(self) -> None:
        patcher = self.agent.patcher
        original_run = asyncio.events.Handle._run
        probe = self

        @functools.wraps(original_run)
        def _run(handle: asyncio.Handle) -> None:
            start = _perf()
            outer, probe._running_since = probe._running_since, start
            try:
                original_run(handle)
            finally:
                probe._running_since = outer
                elapsed_ms = (_perf() - start) * 1000.0
                if elapsed_ms >= probe.slow_ms and probe._active:
                    probe._note_slow(handle, elapsed_ms, start)
                if probe.loop is None or probe.loop.is_closed():
                    probe._found_loop(getattr(handle, "_loop", None))

        patcher.patch(asyncio.events.Handle, "_run", _run)
        # Launch mode starts before the app's loop exists, and an idle Qt app may run no
        # asyncio callback for a long time: learn the loop when the app makes it current.
        policy_cls = getattr(asyncio.events, "BaseDefaultEventLoopPolicy", None) or getattr(
            asyncio.events, "_BaseDefaultEventLoopPolicy", None
        )
        if policy_cls is not None and "set_event_loop" in policy_cls.__dict__:
            original_set = policy_cls.__dict__["set_event_loop"]

            @functools.wraps(original_set)
            def set_event_loop(policy: Any, loop: Any) -> None:
                original_set(policy, loop)
                try:
                    if isinstance(loop, asyncio.AbstractEventLoop):
                        probe._found_loop(loop)
                except Exception:
                    pass

            patcher.patch(policy_cls, "set_event_loop", set_event_loop)
        patcher.patch(
            asyncio.BaseEventLoop,
            "run_until_complete",
            self._nested_wrapper(asyncio.BaseEventLoop.run_until_complete, "run_until_complete"),
        )
        self.agent.note_hook("loop: asyncio.Handle._run, run_until_complete")
        self.poll()

    def poll(self) -> None:
        if self.loop is None and self.agent.attached_late and self._scans < 3:
            self._scans += 1  # a gc scan is costly: a few tries, then rely on Handle._run
            self._found_loop(target.target_loop())
        if not self._qt_hooked and target.qt_app() is not None:
            self._qt_hooked = True
            self._hook_qt()

    def _found_loop(self, loop: asyncio.AbstractEventLoop | None) -> None:
        # A loop that closed (an app's start-up `asyncio.run`, seen first in launch mode)
        # gives way to the next one that runs a callback: the app's real loop.
        if self.loop is not None and self.loop.is_closed():
            self.loop = None
        if loop is None or self.loop is not None or not self._active or loop.is_closed():
            return
        self.loop = loop
        try:
            loop.call_soon_threadsafe(self._first_tick)
        except Exception:
            self.loop = None
            return
        cls = type(loop)
        if "run_until_complete" in cls.__dict__:  # qasync defines its own
            self.agent.patcher.patch(
                cls,
                "run_until_complete",
                self._nested_wrapper(cls.__dict__["run_until_complete"], "run_until_complete"),
            )

    def _first_tick(self) -> None:
        loop = self.loop
        if loop is None:
            return
        self.loop_thread = threading.get_ident()
        self._wrap_thread_checks(loop)
        self._expected = loop.time()
        self._tick()

    def _tick(self) -> None:
        loop = self.loop
        if loop is None or not self._active:
            return
        try:
            now = loop.time()
            lag_ms = max(0.0, (now - self._expected) * 1000.0)
            if len(self.lags) < MAX_DURATIONS:
                self.lags.append(lag_ms)
            self.tasks = len(asyncio.all_tasks(loop))
            self._expected = now + self.period_s
            self._timer = loop.call_later(self.period_s, self._tick)
        except Exception:
            pass

    # -- hazards -----------------------------------------------------------------------------
    def _hook_qt(self) -> None:
        core = target.qt_core()
        widgets = target.qt_module("QtWidgets")
        if core is None:
            return
        patcher = self.agent.patcher
        owners = [(core.QCoreApplication, "processEvents", True), (core.QEventLoop, "exec", False)]
        if widgets is not None:
            owners += [(widgets.QDialog, "exec", False), (widgets.QDialog, "exec_", False)]
        for owner, name, static in owners:
            if name not in owner.__dict__ or patcher.is_patched(owner, name):
                continue
            original = getattr(owner, name)
            label = f"{owner.__name__}.{name}"
            wrapper = self._nested_wrapper(original, label)
            patcher.patch(owner, name, staticmethod(wrapper) if static else wrapper)
        try:
            self._previous_handler = core.qInstallMessageHandler(self._qt_message)
            self._message_handler_installed = True
        except Exception:
            pass
        self.agent.note_hook("loop: Qt processEvents/exec, Qt message handler")

    def _qt_message(self, mode: Any, context: Any, message: str) -> None:
        try:
            if any(marker in message for marker in _THREAD_MARKERS):
                self._hazard("wrong_thread", f"Qt: {message}")
        except Exception:
            pass
        previous = self._previous_handler
        if previous is not None:
            previous(mode, context, message)
        else:  # Qt's default handler writes the message to stderr
            print(message, file=sys.stderr)

    def _nested_wrapper(self, original: Any, label: str) -> Any:
        probe = self

        @functools.wraps(original)
        def nested(*args: Any, **kwargs: Any) -> Any:
            try:
                if probe._active:
                    running = asyncio.events._get_running_loop()
                    task = asyncio.current_task(running) if running is not None else None
                    if task is not None:
                        probe._hazard(
                            "nested_loop", f"{label} entered while task {task.get_name()} runs"
                        )
            except Exception:
                pass
            return original(*args, **kwargs)

        return nested

    def _wrap_thread_checks(self, loop: asyncio.AbstractEventLoop) -> None:
        probe = self
        patcher = self.agent.patcher
        for name in ("call_soon", "call_later", "call_at", "create_task"):
            original = getattr(loop, name, None)
            if original is None:
                continue

            def checked(*args: Any, _original: Any = original, _name: str = name, **kw: Any) -> Any:
                if probe.loop_thread is not None and threading.get_ident() != probe.loop_thread:
                    try:
                        if probe._active:
                            probe._hazard(
                                "wrong_thread",
                                f"loop.{_name} called from thread "
                                f"{threading.current_thread().name}",
                            )
                    except Exception:
                        pass
                return _original(*args, **kw)

            try:
                patcher.patch(loop, name, checked)
            except Exception:
                pass  # a loop class with __slots__: no thread check, nothing else lost

    def _hazard(self, hazard: str, detail: str) -> None:
        key = (hazard, detail)
        now = time.monotonic()
        if now - self._hazard_seen.get(key, -1e9) < HAZARD_REPEAT_S:
            return
        if len(self._hazard_seen) > 500:
            self._hazard_seen.clear()
        self._hazard_seen[key] = now
        if len(self.hazards) >= MAX_HAZARDS_PER_FLUSH:
            return
        stack = [s.rstrip() for s in traceback.format_stack(limit=14)[:-3]]
        self.hazards.append({"kind": "hazard", "hazard": hazard, "detail": detail, "stack": stack})

    # -- stalls: the stack while a callback or a paint is still running --------------------
    def look_for_stall(self) -> None:
        """If the loop's callback (or a measured paint) has run past slow_ms, take the GUI
        thread's stack now, while it is still in the stall (the deepest of a few looks).

        Called at every flush from the agent's own thread: a separate watcher waking every
        few ms took the GIL from the busy GUI thread each time (a forced switch, and on a
        loaded machine a wait until the watcher got a CPU), which cost the canvas frames.
        py-spy, when it runs, gives the inspector exact stacks; this is the fallback.
        """
        try:
            start, what = self._running_since, "callback"
            if not start:
                repaint = self.agent.probe("repaint")
                pending = repaint.pending_paint() if repaint is not None else None
                if pending is not None:
                    start, what = pending[0], pending[1]
            if not start:
                return
            if start != self._look_for:
                self._look_for, self._looks, self._deepest = start, 0, 0
            running_ms = (_perf() - start) * 1000.0
            if running_ms < self.slow_ms or self._looks >= STACK_LOOKS:
                return
            if not self._looks and self._stall_stacks >= MAX_STALL_STACKS:
                self._looks = STACK_LOOKS  # counted without a stack
                return
            self._looks += 1
            if self._looks == 1:
                self._stall_stacks += 1
            stack = self._stack_of(self.loop_thread or threading.main_thread().ident)
            # A shallow stack means native code (e.g. Qt painting) was running.
            if stack is None or len(stack) <= self._deepest:
                return
            self._deepest = len(stack)
            if what == "callback":
                self._stall_stack = (start, stack, round(running_ms, 1))
            else:
                what.slow_stack = stack  # the repaint probe attaches it when the paint ends
        except Exception:
            pass

    @staticmethod
    def _stack_of(ident: int | None) -> list[str] | None:
        if ident is None:
            return None
        frame = sys._current_frames().get(ident)
        if frame is None:
            return None
        summary = traceback.extract_stack(frame, limit=MAX_STACK_FRAMES)
        return [f"{fs.filename}:{fs.lineno} in {fs.name}" for fs in summary]

    def _take_stall_stack(self, start: float) -> tuple[list[str] | None, float | None]:
        taken = self._stall_stack
        if taken is not None and taken[0] == start:
            self._stall_stack = None
            return taken[1], taken[2]
        return None, None

    # -- slow callbacks ----------------------------------------------------------------------
    def _note_slow(self, handle: asyncio.Handle, elapsed_ms: float, start: float = 0.0) -> None:
        try:
            if len(self.slow) >= MAX_SLOW_PER_FLUSH:
                return
            stack, stack_at_ms = self._take_stall_stack(start)
            callback = getattr(handle, "_callback", None)
            owner = getattr(callback, "__self__", None)
            task_name = None
            suspended = None
            if isinstance(owner, asyncio.Task):
                task_name = owner.get_name()
                coro = owner.get_coro()
                code = getattr(coro, "cr_code", None) or getattr(coro, "gi_code", None)
                frame = getattr(coro, "cr_frame", None)
                suspended = frame.f_lineno if frame is not None else None
                name = getattr(coro, "__qualname__", repr(coro))
                module = getattr(code, "co_filename", "")
                where = (name, module, getattr(code, "co_firstlineno", 0))
            else:
                where = describe_callable(callback)
            self.slow.append(
                {
                    "kind": "slow_callback",
                    "duration_ms": round(elapsed_ms, 3),
                    "callable": where[0],
                    "file": where[1],
                    "line": where[2],
                    "suspended_at": suspended,
                    "task": task_name,
                    "origin": "asyncio",
                    "stack": stack,
                    "stack_at_ms": stack_at_ms,
                    "stack_reason": None if stack else _no_stack_reason(self),
                }
            )
        except Exception:
            pass

    def note_slow_qt(
        self,
        elapsed_ms: float,
        what: str,
        file: str = "",
        line: int = 0,
        stack: list[str] | None = None,
    ) -> None:
        """A slow Qt event dispatch measured by the repaint probe."""
        if len(self.slow) < MAX_SLOW_PER_FLUSH:
            self.slow.append(
                {
                    "kind": "slow_callback",
                    "duration_ms": round(elapsed_ms, 3),
                    "callable": what,
                    "file": file,
                    "line": line,
                    "task": None,
                    "origin": "qt-event",
                    "stack": stack,
                    "stack_reason": None if stack else _no_stack_reason(self),
                }
            )

    # -- collecting ----------------------------------------------------------------------------
    def collect(self, now: float, interval_s: float) -> list[dict[str, Any]]:
        self.look_for_stall()
        out: list[dict[str, Any]] = []
        lags, self.lags = self.lags, []
        if lags and self.loop is not None:
            out.append(
                {
                    "t": now,
                    "kind": "loop_lag",
                    "lag_ms": [round(v, 3) for v in lags],
                    "max_ms": round(max(lags), 3),
                    "tasks": self.tasks,
                    "loop": target.loop_kind(self.loop),
                }
            )
        slow, self.slow = self.slow, []
        self._stall_stacks = 0
        hazards, self.hazards = self.hazards, []
        out.extend({"t": now, **rec} for rec in slow)
        out.extend({"t": now, **rec} for rec in hazards)
        return out

    def uninstall(self) -> None:
        self._active = False
        timer, self._timer = self._timer, None
        loop = self.loop
        if timer is not None and loop is not None:
            try:
                loop.call_soon_threadsafe(timer.cancel)
            except Exception:
                pass
        if self._message_handler_installed:
            core = target.qt_core()
            try:
                if core is not None:
                    core.qInstallMessageHandler(self._previous_handler)
            except Exception:
                pass


def _no_stack_reason(probe: LoopProbe) -> str:
    if probe._stall_stacks >= MAX_STALL_STACKS:
        return f"stack limit of {MAX_STALL_STACKS} per interval reached"
    return "over before the agent looked (it looks once per flush, every 250 ms or less)"

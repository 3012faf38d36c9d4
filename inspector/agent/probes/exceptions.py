"""Exceptions probe: exceptions escaping the app's Qt slots and its asyncio callbacks.

A Qt slot (or any Python code Qt calls) that raises ends in `sys.excepthook` (PySide prints
it through PyErr_Print); an asyncio callback or task that raises ends in the loop's exception
handler. Both are chained: the app's own hook or handler still runs exactly as before, and
both are put back on detach (only if they are still ours). Aggregated per interval by where
they came from; the first traceback of each place is sent once. Bus handlers are counted by
the bus probe, which sees them before the bus swallows them.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from types import TracebackType
from typing import Any

from inspector.agent.probes import Probe
from inspector.agent.probes.bus import describe_error

MAX_KEYS = 200  # distinct (origin, type, place) per interval; more are counted as dropped
# Frames of the machinery that called the app (asyncio's Handle._run, our own wrappers) are
# skipped: the place reported is the app's outermost frame in the traceback.
_SKIP_DIRS = (
    os.path.dirname(asyncio.__file__) + os.sep,
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep,
)


class _Seen:
    __slots__ = ("count", "file", "first_error", "handler", "line", "raised")

    def __init__(self, handler: str, file: str, line: int, raised: tuple[str, int]) -> None:
        self.count = 0
        self.handler = handler
        self.file = file
        self.line = line
        self.raised = raised
        self.first_error: dict[str, Any] | None = None


def _places(tb: TracebackType | None) -> tuple[str, str, int, tuple[str, int]]:
    """(qualified name, file, first line) of the outermost Python frame Qt or the loop
    called, and (file, line) where the exception was raised."""
    if tb is None:
        return "?", "", 0, ("", 0)
    outer = tb
    while outer.tb_next is not None and outer.tb_frame.f_code.co_filename.startswith(_SKIP_DIRS):
        outer = outer.tb_next
    inner = outer
    while inner.tb_next is not None:
        inner = inner.tb_next
    code = outer.tb_frame.f_code
    name = getattr(code, "co_qualname", code.co_name)
    module = outer.tb_frame.f_globals.get("__name__", "?")
    raised = (inner.tb_frame.f_code.co_filename, inner.tb_lineno)
    return f"{module}.{name}", code.co_filename, code.co_firstlineno, raised


class ExceptionProbe(Probe):
    """Counts exceptions that reach sys.excepthook (Qt slots) or the loop's handler."""

    name = "exceptions"

    def __init__(self, agent: Any, config: dict[str, Any]) -> None:
        super().__init__(agent, config)
        self.seen: dict[tuple[str, str, str, int, str, int], _Seen] = {}
        self.sent_first: set[tuple[str, str, str, int]] = set()
        self.dropped = 0
        self._lock = threading.Lock()
        self._active = True
        self._previous_hook: Any = None
        self._loop: Any = None
        self._previous_handler: Any = None

    def install(self) -> None:
        self._previous_hook = sys.excepthook
        sys.excepthook = self._excepthook
        self.agent.note_hook("exceptions: sys.excepthook (Qt slots)")

    def poll(self) -> None:
        loop_probe = self.agent.probe("loop")
        loop = getattr(loop_probe, "loop", None)
        if loop is None or self._loop is not None or not self._active:
            return
        self._loop = loop
        self._previous_handler = loop.get_exception_handler()
        loop.set_exception_handler(self._loop_handler)
        self.agent.note_hook("exceptions: the event loop's exception handler")

    # -- hooks (the target's threads) ---------------------------------------------------
    def _excepthook(
        self, etype: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        try:
            if self._active:
                self._note("slot", value, tb)
        except Exception:
            pass
        previous = self._previous_hook or sys.__excepthook__
        previous(etype, value, tb)

    def _loop_handler(self, loop: Any, context: dict[str, Any]) -> None:
        try:
            exc = context.get("exception")
            if self._active and isinstance(exc, BaseException):
                self._note("loop", exc, exc.__traceback__)
        except Exception:
            pass
        previous = self._previous_handler
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    def _note(self, origin: str, exc: BaseException, tb: TracebackType | None) -> None:
        handler, file, line, raised = _places(tb)
        key = (origin, type(exc).__qualname__, file, line, raised[0], raised[1])
        with self._lock:
            seen = self.seen.get(key)
            if seen is None:
                if len(self.seen) >= MAX_KEYS:
                    self.dropped += 1
                    return
                seen = self.seen[key] = _Seen(handler, file, line, raised)
            seen.count += 1
            first_key = key[:4]
            if seen.first_error is None and first_key not in self.sent_first:
                self.sent_first.add(first_key)
                seen.first_error = describe_error(exc)

    # -- agent thread -------------------------------------------------------------------
    def collect(self, now: float, interval_s: float) -> list[dict[str, Any]]:
        with self._lock:
            seen, self.seen = self.seen, {}
        out = []
        for (origin, type_name, _file, _line, _rf, _rl), s in seen.items():
            record: dict[str, Any] = {
                "t": now,
                "kind": "exception",
                "origin": origin,
                "type": type_name,
                "handler": s.handler,
                "file": s.file,
                "line": s.line,
                "raised_file": s.raised[0],
                "raised_line": s.raised[1],
                "count": s.count,
            }
            if s.first_error is not None:
                record["first_error"] = s.first_error
            out.append(record)
        return out

    def uninstall(self) -> None:
        self._active = False
        if sys.excepthook == self._excepthook:
            sys.excepthook = self._previous_hook or sys.__excepthook__
        loop = self._loop
        if loop is not None:
            try:
                if loop.get_exception_handler() == self._loop_handler:
                    loop.set_exception_handler(self._previous_handler)
            except Exception:
                pass
        self._loop = None

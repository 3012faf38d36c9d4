"""Long-running commands stop cleanly on SIGINT and SIGTERM, wherever they were started from.

A command started as a background job of a script inherits SIGINT *ignored* (POSIX shells
do that for `cmd &`), and Python then leaves it ignored: "Ctrl-C to stop" would do nothing.
`StopSignals` installs its own handlers for SIGINT and SIGTERM (and SIGBREAK, i.e.
Ctrl-Break, on Windows, where Ctrl-C arrives as SIGINT) whatever they were before, and
restores them on exit. The first signal only sets `event`: the command notices it at a safe
point (never in the middle of an injection), then detaches and writes everything it has.
A second signal raises KeyboardInterrupt, for a user who insists.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any


def _stop_signals() -> list[signal.Signals]:
    names = ("SIGINT", "SIGTERM", "SIGBREAK")  # SIGBREAK exists on Windows only
    return [getattr(signal, n) for n in names if hasattr(signal, n)]


class StopSignals:
    """Context manager: `event` is set when the user (or a supervisor) asks to stop."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.received: str | None = None
        self._previous: dict[signal.Signals, Any] = {}

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is not threading.main_thread():
            return self  # only the main thread may set handlers; a caller's own stop then
        for sig in _stop_signals():
            try:
                self._previous[sig] = signal.signal(sig, self._handle)
            except (OSError, ValueError):
                continue
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, previous in self._previous.items():
            try:
                signal.signal(sig, previous if previous is not None else signal.SIG_DFL)
            except (OSError, ValueError, TypeError):
                pass
        self._previous.clear()

    @property
    def requested(self) -> bool:
        return self.event.is_set()

    def reason(self) -> str:
        """What to record as the end reason, e.g. "interrupted (SIGTERM)"."""
        return f"interrupted ({self.received})" if self.received else "interrupted"

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt  # the second request: stop waiting for a clean end
        self.received = signal.Signals(signum).name
        self.event.set()

"""Build sessions with known samples, so views and detectors are checked against hand figures."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from inspector.core.session import Session
from inspector.sampling.chrometrace import Frame, StackRun
from inspector.sampling.store import SampleWriter

STDLIB = "/stdlib"
ROOT = "/project"


def f(function: str, file: str, line: int) -> Frame:
    return Frame(function, file, line)


# The frames of an asyncio loop running a callback (Python 3.11 names).
LOOP = (
    f("<module>", f"{ROOT}/app.py", 40),
    f("run", f"{STDLIB}/asyncio/runners.py", 190),
    f("BaseEventLoop.run_forever", f"{STDLIB}/asyncio/base_events.py", 607),
    f("BaseEventLoop._run_once", f"{STDLIB}/asyncio/base_events.py", 1922),
    f("Handle._run", f"{STDLIB}/asyncio/events.py", 80),
)
LOOP_WAIT = (
    *LOOP[:4],
    f("EpollSelector.select", f"{STDLIB}/selectors.py", 468),
)


class SessionBuilder:
    """Appends runs thread by thread; times are milliseconds from t0, stacks root first."""

    def __init__(self, path: Path, t0: float = 1_700_000_000.0, rate: int = 100) -> None:
        self.session = Session.create(path)
        self.session.set_meta(sampling={"rate": rate, "weight_unit": "us"})
        self.t0 = t0
        self.writer = SampleWriter(self.session)
        self.cursor: dict[tuple[int, str], float] = {}

    def run(
        self,
        frames: Sequence[Frame],
        ms: float,
        thread: str = "MainThread",
        tid: int = 100,
        pid: int = 1,
    ) -> SessionBuilder:
        """The thread shows `frames` for the next `ms` milliseconds."""
        start = self.cursor.get((tid, thread), 0.0)
        run = StackRun(
            pid, tid, thread, round(start * 1000), round((start + ms) * 1000), tuple(frames)
        )
        self.writer.write([run], self.t0)
        self.cursor[(tid, thread)] = start + ms
        return self

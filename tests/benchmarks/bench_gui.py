"""The window under a 20,000 records/s stream: GUI frame-time p99 and the inspector's RSS.

One run, same window: first idle (live panels shown, nothing streaming), then with a writer
thread appending 20,000 records/s into the session the window follows. A 16 ms QTimer's
actual intervals measure how late the GUI thread gets to run (frame time); the panels cycle
so every view redraws. RSS is sampled during the stream; the growth slope is extrapolated to
10 minutes. `python -m tests.benchmarks gui --long` streams for the full 10 minutes.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from tests.benchmarks.harness import Report

RATE = 20_000  # records per second
BATCH_S = 0.05  # the writer commits every 50 ms, like an agent link flushing often
SHORT_S = 60.0
LONG_S = 600.0
IDLE_S = 8.0


def _template(t0: float) -> list[dict]:
    from tests.gui.session_factory import make_records

    recs = [r for r in make_records(t0, 30.0) if r["kind"] != "agent"]
    return recs


class _Writer(threading.Thread):
    """Appends RATE records/s (cycling realistic records, fresh timestamps) into the session."""

    def __init__(self, session, template: list[dict]) -> None:
        super().__init__(name="bench-writer", daemon=True)
        self.session = session
        self.template = template
        self.stop_event = threading.Event()
        self.written = 0
        self.behind_s = 0.0

    def run(self) -> None:
        per_batch = int(RATE * BATCH_S)
        i = 0
        start = time.perf_counter()
        n_batches = 0
        while not self.stop_event.is_set():
            now = time.time()
            batch = []
            for k in range(per_batch):
                rec = dict(self.template[(i + k) % len(self.template)])
                rec["t"] = now - BATCH_S + k * (BATCH_S / per_batch)
                batch.append(rec)
            i += per_batch
            self.written += self.session.append(batch)
            n_batches += 1
            due = start + n_batches * BATCH_S
            delay = due - time.perf_counter()
            if delay > 0:
                self.stop_event.wait(delay)
            else:
                self.behind_s = -delay


def _measure_frames(app, seconds: float, window, rotate: bool) -> list[float]:
    from PySide6.QtCore import QEventLoop, QTimer

    intervals: list[float] = []
    last = [time.perf_counter()]
    timer = QTimer()
    timer.setInterval(16)

    def tick() -> None:
        now = time.perf_counter()
        intervals.append((now - last[0]) * 1000.0)
        last[0] = now

    timer.timeout.connect(tick)
    rotator = QTimer()
    rotator.setInterval(2000)
    panels = list(range(len(window.panels)))
    state = {"i": 0}

    def rotate_panel() -> None:
        state["i"] = (state["i"] + 1) % len(panels)
        window.tabs.setCurrentIndex(panels[state["i"]])

    if rotate:
        rotator.timeout.connect(rotate_panel)
        rotator.start()
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    last[0] = time.perf_counter()
    timer.start()
    loop.exec()
    timer.stop()
    rotator.stop()
    return intervals[1:]


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def _slope_mb_per_s(points: list[tuple[float, float]]) -> float:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    if len(xs) < 2:
        return 0.0
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / max(
        sum((x - mx) ** 2 for x in xs), 1e-9
    )


def run(report: Report) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    long_run = "--long" in sys.argv or os.environ.get("BENCH_GUI_LONG") == "1"
    stream_s = LONG_S if long_run else SHORT_S
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CASARE_INSPECTOR_CONFIG_DIR"] = str(Path(tmp) / "config")
        from inspector.core.session import Session
        from inspector.core.settings import Settings
        from inspector.gui.app import make_app, settle_gc
        from inspector.gui.main_window import InspectorWindow

        app = make_app()
        session = Session.create(Path(tmp) / "bench.session", profile="generic")
        template = _template(time.time())
        session.append(template[:200])  # the panels have something to draw while idle
        window = InspectorWindow(Settings())
        window.resize(1400, 900)
        window.show()
        window.set_session(session, live=True)
        window.tabs.setCurrentIndex(0)  # the event-bus panel: the most series and rows
        settle_gc()  # as run_window does once the window is up
        proc = psutil.Process()

        _measure_frames(app, 2.0, window, rotate=False)  # first paint and layout
        idle = _measure_frames(app, IDLE_S, window, rotate=False)
        idle_rot = _measure_frames(app, IDLE_S, window, rotate=True)
        window.tabs.setCurrentIndex(0)
        writer = _Writer(session, template)
        rss: list[tuple[float, float]] = []
        t_start = time.perf_counter()
        writer.start()
        frames: list[float] = []
        slice_s = 5.0  # measure in slices so RSS is sampled between them
        while time.perf_counter() - t_start < stream_s:
            frames += _measure_frames(app, slice_s, window, rotate=False)
            rss.append((time.perf_counter() - t_start, proc.memory_info().rss / 1e6))
        stream_rot = _measure_frames(app, IDLE_S, window, rotate=True)
        writer.stop_event.set()
        writer.join()
        elapsed = time.perf_counter() - t_start
        followed = sum(window.metrics.counts.values())
        window.shutdown()
        session.close()

    achieved = writer.written / elapsed
    report.figure(
        "records streamed",
        achieved,
        "records/s",
        detail=f"{writer.written:,} in {elapsed:.0f} s; window ingested {followed:,}",
    )
    report.figure(
        "idle window frame p99",
        _p(idle, 99),
        "ms",
        detail=f"median {statistics.median(idle):.1f} ms, {len(idle)} frames",
    )
    p99 = _p(frames, 99)
    report.figure(
        "streaming window frame p99",
        p99,
        "ms",
        target=50.0,
        detail=f"median {statistics.median(frames):.1f} ms, p95 {_p(frames, 95):.1f} ms,"
        f" max {max(frames):.1f} ms, {len(frames)} frames",
    )
    report.figure("frame p99 ratio streaming/idle", p99 / max(_p(idle, 99), 1e-9), "x")
    report.figure(
        "frame p99 while switching panels every 2 s, idle",
        _p(idle_rot, 99),
        "ms",
        detail="includes the first paint of each panel",
    )
    report.figure(
        "frame p99 while switching panels every 2 s, streaming",
        _p(stream_rot, 99),
        "ms",
        detail=f"max {max(stream_rot):.1f} ms",
    )
    # growth slope over the last half (the bounded buffers fill during the first part)
    slope = _slope_mb_per_s([p for p in rss if p[0] >= rss[-1][0] / 2] or rss)
    final = rss[-1][1]
    at_10min = final + max(slope, 0.0) * max(LONG_S - rss[-1][0], 0.0)
    report.figure(
        "RSS at end of stream",
        final,
        "MB",
        detail=f"after {rss[-1][0]:.0f} s; peak {max(r for _, r in rss):.0f} MB; slope "
        f"{slope * 60:.1f} MB/min over the last half",
    )
    report.figure(
        "RSS after 10 minutes" + ("" if long_run else " (extrapolated from the slope)"),
        at_10min,
        "MB",
        target=300.0,
    )

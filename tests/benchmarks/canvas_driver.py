"""Scripted canvas interaction inside the benchmark's target, started by a sitecustomize hook.

The same fixed script runs in every block, with and without the agent: once the app's canvas
exists, BENCH_CANVAS_NODES nodes are created (and, for the demo canvas, BENCH_CANVAS_PROXIES
embedded proxy widgets per node, as CasareRPA's nodes carry), then each "go-N" file in
BENCH_CANVAS_CTL runs block N: PANS pans and ZOOMS zoom steps, one every STEP_MS, and writes
"done-N" with the viewport paints counted and the block's wall time. The benchmark reads the
main thread's CPU time from outside. Standard library and the target's own Qt only.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import threading
import time
from pathlib import Path
from typing import Any

PANS = 40
ZOOMS = 100
STEP_MS = 8  # faster than a frame: the canvas paints as often as it can keep up
POLL_MS = 100


class _Driver:
    def __init__(self) -> None:
        self.ctl = Path(os.environ["BENCH_CANVAS_CTL"])
        self.definition: dict[str, Any] = json.loads(os.environ["BENCH_CANVAS_DEF"])
        self.nodes = int(os.environ.get("BENCH_CANVAS_NODES", "60"))
        self.proxies = int(os.environ.get("BENCH_CANVAS_PROXIES", "0"))
        self.adapter: Any = None
        self.frames = 0
        self.block = 0
        self.timer: Any = None

    def wait_then_set_up(self) -> None:
        from inspector.agent import target

        while target.qt_app() is None:
            time.sleep(0.2)
        time.sleep(float(os.environ.get("BENCH_CANVAS_SETTLE_S", "3")))
        target.post_to_qt_thread(self.set_up)

    def set_up(self) -> None:
        from inspector.agent import target
        from inspector.agent.workloads.canvas_adapters import make_adapter

        try:
            core = target.qt_core()
            widgets = target.qt_module("QtWidgets")
            self.adapter = make_adapter(self.definition)
            identifiers = self.adapter.identifiers()
            created = []
            for i in range(self.nodes):
                x, y = (i % 10) * 220.0, (i // 10) * 120.0
                node = self.adapter.create(identifiers[i % len(identifiers)], x, y)
                created.append(node)
                for k in range(self.proxies):  # embedded widgets, painted with every frame
                    proxy = widgets.QGraphicsProxyWidget(node)
                    proxy.setWidget(widgets.QLabel(f"field {k}"))
                    proxy.setPos(8.0 + 30.0 * k, 30.0)
            for a, b in itertools.pairwise(created):
                self.adapter.connect(a, b)
            driver = self

            class FrameCounter(core.QObject):  # type: ignore[name-defined,misc]
                def eventFilter(self, obj: Any, event: Any) -> bool:
                    if event.type() == 12:  # QEvent::Paint
                        driver.frames += 1
                    return False

            self.counter = FrameCounter()
            self.adapter.viewport().installEventFilter(self.counter)
            self.timer = core.QTimer()
            self.timer.timeout.connect(self.poll)
            self.timer.start(POLL_MS)
            (self.ctl / "ready").write_text(json.dumps({"nodes": len(created)}))
        except Exception as exc:
            (self.ctl / "ready").write_text(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))

    def poll(self) -> None:
        go = self.ctl / f"go-{self.block + 1}"
        if not go.exists():
            return
        self.block += 1
        self.timer.stop()
        self.run_block()

    def run_block(self) -> None:
        from inspector.agent import target

        core = target.qt_core()
        steps = [("pan", i) for i in range(PANS // 2)] + [("zoom", i) for i in range(ZOOMS // 2)]
        steps += [("pan", i) for i in range(PANS // 2, PANS)]
        steps += [("zoom", i) for i in range(ZOOMS // 2, ZOOMS)]
        steps *= int(os.environ.get("BENCH_CANVAS_REPEAT", "1"))  # a longer block, same script
        self.frames = 0
        started = time.perf_counter()

        def step(index: int = 0) -> None:
            if index >= len(steps):
                wall = time.perf_counter() - started
                (self.ctl / f"done-{self.block}").write_text(
                    json.dumps({"frames": self.frames, "wall_s": wall})
                )
                self.timer.start(POLL_MS)
                return
            kind, i = steps[index]
            if kind == "pan":
                angle = 2 * math.pi * i / PANS
                self.adapter.pan(40 * math.cos(angle), 40 * math.sin(angle))
            else:
                self.adapter.zoom(1.03 if (i // 10) % 2 == 0 else 1 / 1.03)
            core.QTimer.singleShot(STEP_MS, lambda: step(index + 1))

        step()


def start() -> None:
    if os.environ.get("BENCH_CANVAS_CTL"):
        driver = _Driver()
        threading.Thread(target=driver.wait_then_set_up, name="bench-canvas", daemon=True).start()

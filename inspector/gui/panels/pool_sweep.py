"""The pools workload's sweep as one picture: pool size against throughput and wait p95.

A sweep builds one pool per size, so drawn over time it looked like a dozen short-lived pools;
here each swept pool is one line over the sizes tried, with its knee marked. The sweep is our
own load on loopback services, so it sits apart from the app's pools (which the time plots
above show).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from inspector.gui.panels.base import PALETTE, distinct_labels


class SweepPlotView(pg.PlotWidget):
    """One measure (throughput or wait) against pool size, one line per swept pool."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.setMinimumHeight(190)
        self.setLabel("left", unit)
        self.setLabel("bottom", "pool max size")
        self.getAxis("left").setWidth(62)
        self.getAxis("bottom").setHeight(40)
        for side in ("left", "bottom"):
            self.getAxis(side).enableAutoSIPrefix(False)
        self.getViewBox().setLimits(yMin=0)
        self.showGrid(x=True, y=True, alpha=0.18)
        self.knee_lines: list[pg.InfiniteLine] = []

    def show_sweeps(self, sweeps: Sequence[dict[str, Any]], key: str) -> None:
        self.clear()
        self.knee_lines = []
        for i, sweep in enumerate(sweeps):
            color = PALETTE[i % len(PALETTE)]
            self.plot(
                list(sweep["size"]),
                list(sweep[key]),
                pen=pg.mkPen(color, width=1.5),
                symbol="o",
                symbolSize=6,
                symbolBrush=color,
                symbolPen=None,
            )
            knee = sweep.get("knee")
            if knee is not None:
                line = pg.InfiniteLine(
                    pos=float(knee),
                    angle=90,
                    pen=pg.mkPen(color, width=1, style=Qt.PenStyle.DashLine),
                    label=f"knee {knee}",
                    labelOpts={"position": 0.9, "color": color},
                )
                self.addItem(line)
                self.knee_lines.append(line)


class PoolSweepView(QWidget):
    """Throughput and acquire wait p95 against pool size for the last pools workload."""

    def __init__(self) -> None:
        super().__init__()
        self.header = QLabel()
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)
        self.header.setStyleSheet("padding:2px 4px; font-size:12px;")
        self.throughput = SweepPlotView("requests/s")
        self.wait = SweepPlotView("wait p95 (ms)")
        plots = QHBoxLayout()
        plots.setContentsMargins(0, 0, 0, 0)
        plots.addWidget(self.throughput)
        plots.addWidget(self.wait)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header)
        layout.addLayout(plots, 1)
        self.sweeps: list[dict[str, Any]] = []
        self.hide()

    def set_sweeps(self, sweeps: Sequence[dict[str, Any]]) -> None:
        sweeps = list(sweeps)
        if sweeps == self.sweeps:
            return
        self.sweeps = sweeps
        self.setVisible(bool(sweeps))
        if not sweeps:
            return
        labels = distinct_labels([str(s["pool"]) for s in sweeps])
        entries = " &nbsp; ".join(
            f"<span style='color:{PALETTE[i % len(PALETTE)]}'>&#9632;</span>&nbsp;"
            f"{html.escape(labels[str(s['pool'])])}"
            + (f" (knee {s['knee']})" if s.get("knee") is not None else " (no knee)")
            for i, s in enumerate(sweeps)
        )
        self.header.setText(
            "<b>Pool sweep (pools workload, our loopback load)</b> "
            "<span style='color:#666'>throughput and acquire wait p95 by max size</span>"
            f" &nbsp;&nbsp; {entries}"
        )
        self.throughput.show_sweeps(sweeps, "throughput_rps")
        self.wait.show_sweeps(sweeps, "wait_ms_p95")

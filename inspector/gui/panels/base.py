"""What every live panel shares: stacked time plots, a time-range region, tables, and an
explanation in place of the plots when there is no data.

Panels draw only what the window hands them (`apply_series`, `apply_summary`); the window's
single refresh timer decides when. Plots clip to view and downsample ('peak'), x is seconds
since the session started.
"""

from __future__ import annotations

import html
import itertools
import math
from collections.abc import Sequence
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from inspector.core.live_metrics import PANEL_SERIES, SeriesSpec
from inspector.gui.panels.rows_table import ROW_ROLE, RowsTableView, TableSpec

PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f7f",
    "#bcbd22",
)


# discrete events (a stretch, a pause), not a signal sampled over time: points, no lines
SCATTER_FAMILIES = frozenset({"loop.blocked_ms", "memory.gc_pause_ms"})
FEW_POINTS = 30  # a line of this many points or fewer gets a marker on each point
LEGEND_CHARS = 36


def distinct_labels(keys: Sequence[str], limit: int = LEGEND_CHARS) -> dict[str, str]:
    """Short legend labels that still tell the keys apart.

    Dotted names keep only as many trailing parts as needed to be unique (`...Panel.refresh`
    vs `...Canvas.refresh`), then long labels lose their middle, not their distinguishing end.
    """
    tails = {k: k.split(".") for k in keys}
    # two parts at least: "Class.method" says more than "method" in a handler legend
    depth = {k: min(2, len(tails[k])) for k in keys}
    while True:
        labels = {k: ".".join(tails[k][-depth[k] :]) for k in keys}
        seen: dict[str, list[str]] = {}
        for k, label in labels.items():
            seen.setdefault(label, []).append(k)
        grow = [k for group in seen.values() if len(group) > 1 for k in group]
        grow = [k for k in grow if depth[k] < len(tails[k])]
        if not grow:
            break
        for k in grow:
            depth[k] += 1
    out = {}
    for k, label in labels.items():
        if len(label) > limit:
            head = (limit - 1) // 3
            label = label[:head] + "…" + label[-(limit - 1 - head) :]
        out[k] = label
    used: dict[str, int] = {}
    for k in keys:  # still equal after shortening: number them, never show two the same
        n = used.get(out[k], 0)
        used[out[k]] = n + 1
        if n:
            out[k] = f"{out[k]} ({n + 1})"
    return out


def with_gaps(xs: Sequence[float], ys: Sequence[float]) -> tuple[list[float], list[float]]:
    """Points with a NaN between two samples far apart, so a stretch with no data stays a
    gap (drawn with connect='finite') instead of a straight ramp across it."""
    if len(xs) < 3:
        return list(xs), list(ys)
    steps = sorted(b - a for a, b in itertools.pairwise(xs))
    limit = max(3.0 * steps[len(steps) // 2], 2.5)
    out_x: list[float] = [xs[0]]
    out_y: list[float] = [ys[0]]
    for i in range(1, len(xs)):
        if xs[i] - xs[i - 1] > limit:
            out_x.append((xs[i] + xs[i - 1]) / 2.0)
            out_y.append(math.nan)
        out_x.append(xs[i])
        out_y.append(ys[i])
    return out_x, out_y


class EmptyStateView(QLabel):
    """Big, centred, plain-words reason for a panel having nothing to show."""

    def __init__(self) -> None:
        super().__init__()
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setStyleSheet("color:#555; font-size:14px; padding:40px;")


class TimePlotView(pg.PlotWidget):
    """One family of series over time, with the shared range region."""

    region_moved = Signal(float, float)  # relative seconds

    def __init__(self, spec: SeriesSpec) -> None:
        super().__init__()
        self.spec = spec
        self.setMinimumHeight(140)
        # Title and legend live in a plain QLabel above the plot, not in pyqtgraph items:
        # every Python-implemented graphics item costs GIL round trips on each repaint,
        # which is what made frames slow while the follower threads were busy.
        self.header = QLabel()
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)
        self.header.setStyleSheet("padding:2px 4px; font-size:12px;")
        self.setLabel("left", spec.unit or "value")
        self.setLabel("bottom", "time since session start (s)")
        # room for the tick labels and the rotated unit, so neither is clipped
        self.getAxis("left").setWidth(62)
        self.getAxis("bottom").setHeight(40)
        # every plotted family is a count, rate, size or duration: never below zero
        self.getViewBox().setLimits(yMin=0)
        # Grid lines at major and first minor ticks only: the full pyqtgraph grid made one
        # plot's paint 15x slower in software rendering (28 ms vs 2 ms, measured offscreen).
        self.showGrid(x=True, y=True, alpha=0.18)
        for side in ("left", "bottom"):
            self.getAxis(side).setStyle(maxTickLevel=0)
            self.getAxis(side).enableAutoSIPrefix(False)  # "ms", never "(x0.001) ms"
        self.setClipToView(True)
        self.setDownsampling(auto=True, mode="peak")
        self._legend_keys: list[tuple[str, str]] = []
        self._update_header()
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.region = pg.LinearRegionItem(brush=pg.mkBrush(80, 140, 230, 40))
        self.region.setZValue(10)
        self.region.hide()
        self.addItem(self.region, ignoreBounds=True)
        self._echo = False
        self.region.sigRegionChangeFinished.connect(self._on_region)

    def set_points(
        self, data: dict[str, tuple[Sequence[float], Sequence[float]]], t0: float
    ) -> None:
        for i, (key, (xs, ys)) in enumerate(data.items()):
            curve = self.curves.get(key)
            if curve is None:
                color = PALETTE[len(self.curves) % len(PALETTE)]
                if self.spec.family in SCATTER_FAMILIES:  # discrete events, not a signal
                    curve = self.plot(
                        [],
                        [],
                        pen=None,
                        symbol="o",
                        symbolSize=7,
                        symbolBrush=color,
                        symbolPen=None,
                    )
                else:
                    curve = self.plot([], [], pen=pg.mkPen(color, width=1.5))
                self._legend_keys.append((key, color))
                self._update_header()
                curve.setClipToView(True)
                curve.setDownsampling(auto=True, method="peak")
                self.curves[key] = curve
            rel, vals = [x - t0 for x in xs], list(ys)
            if self.spec.family not in SCATTER_FAMILIES:  # points need no gap markers
                rel, vals = with_gaps(rel, vals)
                few = len(xs) <= FEW_POINTS  # two points joined by a line read as a trend
                color = dict(self._legend_keys).get(key, PALETTE[0])
                curve.setSymbol("o" if few else None)
                if few:
                    curve.setSymbolSize(5)
                    curve.setSymbolBrush(color)
                    curve.setSymbolPen(None)
            curve.setData(rel, vals, connect="finite")
            del i
        for key, curve in self.curves.items():
            if key not in data:
                curve.setData([], [])

    def _update_header(self) -> None:
        labels = distinct_labels([key for key, _c in self._legend_keys])
        entries = " &nbsp; ".join(
            f"<span style='color:{color}' title='{html.escape(key)}'>&#9632;</span>&nbsp;"
            f"{html.escape(labels[key])}"
            for key, color in self._legend_keys
        )
        self.header.setToolTip("\n".join(key for key, _c in self._legend_keys))
        unit = (
            f" <span style='color:#666'>({html.escape(self.spec.unit)})</span>"
            if (self.spec.unit)
            else ""
        )
        self.header.setText(
            f"<b>{html.escape(self.spec.title)}</b>{unit}"
            + (f" &nbsp;&nbsp; {entries}" if entries else "")
        )

    def show_region(self, lo: float, hi: float) -> None:
        self._echo = True
        self.region.setRegion((lo, hi))
        self.region.show()
        self._echo = False

    def hide_region(self) -> None:
        self.region.hide()

    def _on_region(self) -> None:
        if self._echo or not self.region.isVisible():
            return
        lo, hi = self.region.getRegion()
        self.region_moved.emit(float(lo), float(hi))


class LivePanelView(QWidget):
    """Base of the live panels. Subclasses set `name`, `title`, `tables` and `headline()`."""

    name = ""
    title = ""
    tables: Sequence[TableSpec] = ()
    range_selected = Signal(float, float)  # absolute epoch seconds

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.t0 = 0.0
        self.summary: dict[str, Any] = {}
        self.series_version = -1
        self.summary_version = -1
        self.stack = QStackedWidget()
        self.empty = EmptyStateView()
        self.headline_label = QLabel()
        self.headline_label.setStyleSheet("font-size:12px; padding:2px 4px;")
        self.headline_label.setTextFormat(Qt.TextFormat.RichText)
        self.plots: list[TimePlotView] = []
        content = QSplitter(Qt.Orientation.Vertical)
        plots_box = QWidget()
        plots_layout = QVBoxLayout(plots_box)
        plots_layout.setContentsMargins(0, 0, 0, 0)
        plots_layout.addWidget(self.headline_label)
        for spec in PANEL_SERIES.get(self.name, ()):
            plot = TimePlotView(spec)
            plot.region_moved.connect(self._on_region_moved)
            if self.plots:
                plot.setXLink(self.plots[0])
            self.plots.append(plot)
            plots_layout.addWidget(plot.header)
            plots_layout.addWidget(plot, 1)
        self.extra_top(plots_layout)
        content.addWidget(plots_box)
        self.table_views: list[RowsTableView] = []
        self.captions: list[QLabel] = []
        self.details: dict[RowsTableView, QPlainTextEdit] = {}
        tables_row = QSplitter(Qt.Orientation.Horizontal)
        for spec in self.tables:
            box = QWidget()
            lay = QVBoxLayout(box)
            lay.setContentsMargins(0, 0, 0, 0)
            caption = QLabel(f"<b>{spec.title}</b>")
            self.captions.append(caption)
            lay.addWidget(caption)
            view = RowsTableView(spec)
            lay.addWidget(view, 3)
            if spec.detail_key:
                detail = QPlainTextEdit()
                detail.setReadOnly(True)
                detail.setPlaceholderText("Select a row to see its stack.")
                detail.setMaximumHeight(130)
                lay.addWidget(detail, 1)
                self.details[view] = detail
                view.selectionModel().currentRowChanged.connect(
                    lambda cur, _prev, v=view: self._show_detail(v, cur)
                )
            self.table_views.append(view)
            tables_row.addWidget(box)
        self.tables_row = tables_row
        self._equalized = False
        if self.tables:
            content.addWidget(tables_row)
            content.setStretchFactor(0, 3)
            content.setStretchFactor(1, 2)
            content.setSizes([560, 340])
        self.stack.addWidget(self.empty)
        self.stack.addWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.stack)
        self.set_empty("no records yet: attach to a target or open a session")

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._equalized and len(self.tables) > 1 and self.width() > 0:
            # equal shares for side-by-side tables, whatever their size hints ask for
            self._equalized = True
            share = max(self.width() // len(self.tables), 100)
            self.tables_row.setSizes([share] * len(self.tables))

    def extra_top(self, layout: QVBoxLayout) -> None:
        """Hook for panels that add widgets under their plots."""

    # -- fed by the window --------------------------------------------------------------------
    def set_empty(self, reason: str) -> None:
        if reason:
            self.empty.setText(f"<b>{self.title}</b><br><br>{reason}")
            self.stack.setCurrentIndex(0)
        else:
            self.stack.setCurrentIndex(1)

    @property
    def empty_reason(self) -> str:
        return self.empty.text() if self.stack.currentIndex() == 0 else ""

    def apply_series(self, series: Sequence[tuple[SeriesSpec, dict[str, Any]]], t0: float) -> None:
        self.t0 = t0
        by_family = {spec.family: data for spec, data in series}
        for plot in self.plots:
            plot.set_points(by_family.get(plot.spec.family, {}), t0)

    def apply_summary(self, summary: dict[str, Any]) -> None:
        self.summary = summary
        for view, caption in zip(self.table_views, self.captions, strict=True):
            rows = summary.get(view.spec.rows_key, [])
            view.set_rows(rows)
            # an empty table says why, next to its title, instead of a blank grey box
            note = "" if rows else f" <span style='color:#777'>— {view.spec.empty_text}</span>"
            caption.setText(f"<b>{view.spec.title}</b>{note}")
        self.headline_label.setText(self.headline(summary))

    def headline(self, summary: dict[str, Any]) -> str:
        return ""

    def show_range(self, since: float | None, until: float | None) -> None:
        if since is None and until is None:
            for plot in self.plots:
                plot.hide_region()
            return
        lo = (since if since is not None else self.t0) - self.t0
        hi = (until if until is not None else since or self.t0) - self.t0
        for plot in self.plots:
            plot.show_region(lo, hi)

    def _on_region_moved(self, lo: float, hi: float) -> None:
        self.range_selected.emit(self.t0 + lo, self.t0 + hi)

    def _show_detail(self, view: RowsTableView, current: Any) -> None:
        row = current.data(ROW_ROLE) if current.isValid() else None
        detail = self.details[view]
        if not row:
            detail.clear()
            return
        stack = row.get(view.spec.detail_key) or []
        if stack:
            detail.setPlainText("\n".join(stack))
        else:  # say why there is none: the record's own reason, else that none was recorded
            reason = row.get("stack_reason") or "the agent recorded none for this row"
            detail.setPlainText(f"(no stack: {reason})")

"""The CPU panel: hot functions and lines from py-spy samples, and their flame graph."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from inspector.gui.cpu_snapshot import ALL_THREADS, LOOP_THREAD
from inspector.gui.panels.base import LivePanelView
from inspector.gui.panels.flame_graph import FlameGraphView
from inspector.gui.panels.rows_table import ROW_ROLE, Column, TableSpec, fmt_int, fmt_ms


def _pct(v: Any) -> str:
    return f"{float(v) * 100:.1f}%" if v not in (None, "") else ""


def _short(path: Any) -> str:
    text = str(path or "")
    parts = text.replace("\\", "/").split("/")
    return "/".join(parts[-3:])


class CpuPanelView(LivePanelView):
    """Hot functions and lines (self time first) and the icicle graph of the range."""

    name = "cpu"
    title = "CPU (py-spy samples)"
    tables = (
        TableSpec(
            "Hot functions (self time)",
            "functions",
            (
                Column("Function", "function", width=240),
                Column("Self", "self_share", _pct, 60),
                Column("Total", "total_share", _pct, 60),
                Column("Self s", "self_s", fmt_ms, 60),
                Column("Samples", "self_samples", fmt_int, 65),
                Column("File", lambda r: _short(r.get("file")), width=220),
            ),
        ),
        TableSpec(
            "Hot lines",
            "lines",
            (
                Column("Line", lambda r: f"{_short(r.get('file'))}:{r.get('line')}", width=260),
                Column("Function", "function", width=180),
                Column("Self", "self_share", _pct, 60),
                Column("Total", "total_share", _pct, 60),
            ),
        ),
    )
    frame_clicked = Signal(str, int, str)

    thread_changed = Signal()

    def extra_top(self, layout: QVBoxLayout) -> None:
        row = QHBoxLayout()
        row.addWidget(QLabel("Thread:"))
        self.thread_box = QComboBox()
        self.thread_box.addItem("Event-loop thread", LOOP_THREAD)
        self.thread_box.addItem("All threads", ALL_THREADS)
        self.thread_box.setMinimumWidth(320)
        self.thread_box.activated.connect(lambda _i: self.thread_changed.emit())
        row.addWidget(self.thread_box)
        row.addStretch(1)
        layout.addLayout(row)
        self.flame = FlameGraphView()
        self.flame.frame_clicked.connect(self.frame_clicked)
        caption = QLabel(
            "<b>Flame graph</b> (icicle: callers above callees; click a frame to "
            "open its source, double-click to zoom)"
        )
        layout.addWidget(caption)
        layout.addWidget(self.flame, 1)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        for view in self.table_views:
            view.doubleClicked.connect(lambda index, v=view: self._row_clicked(v, index))

    def _row_clicked(self, view: Any, index: Any) -> None:
        row = index.data(ROW_ROLE)
        if row:
            self.frame_clicked.emit(
                str(row.get("file", "")), int(row.get("line") or 0), str(row.get("function", ""))
            )

    @property
    def thread_choice(self) -> str | int:
        return self.thread_box.currentData()

    def _set_thread_choices(self, choices: list[tuple[str, int]]) -> None:
        known = {self.thread_box.itemData(i) for i in range(self.thread_box.count())}
        for label, tid in choices:
            if tid not in known:
                self.thread_box.addItem(label, tid)

    def apply_summary(self, summary: dict[str, Any]) -> None:
        self._set_thread_choices(summary.get("threads", []))
        super().apply_summary(summary)
        tree = summary.get("tree")
        if tree is not None:
            self.flame.set_tree(tree)

    def headline(self, summary: dict[str, Any]) -> str:
        total = summary.get("active_s", 0.0)
        top = (summary.get("functions") or [{}])[0]
        text = f"<b>{total:.1f} s</b> of active thread time sampled in range"
        if top:
            share = top.get("self_share", 0) * 100
            text += f" · hottest: <b>{top.get('function', '')}</b> {share:.1f}% self"
        if summary.get("thread"):
            text += f" · thread {summary['thread']}"
        return text

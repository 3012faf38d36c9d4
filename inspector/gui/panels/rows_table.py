"""A small read-only table of dict rows, for the panels' tables (sortable, copyable)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

ROW_ROLE = Qt.ItemDataRole.UserRole + 10
SORT_ROLE = Qt.ItemDataRole.UserRole + 11


def fmt_ms(v: Any) -> str:
    return f"{float(v):.1f}" if v not in (None, "") else ""


def duration_text(ms: float) -> str:
    """A duration in the unit that shows it: 12 us, 3.4 ms, 1.25 s (never "0.0 ms")."""
    if ms == 0:
        return "0"
    if abs(ms) < 1.0:
        us = ms * 1000.0
        return f"{us:.1f} us" if abs(us) < 10 else f"{us:.0f} us"
    if abs(ms) < 1000.0:
        return f"{ms:.2f} ms" if abs(ms) < 10 else f"{ms:.1f} ms"
    return f"{ms / 1000.0:.2f} s"


def fmt_duration(v: Any) -> str:
    """A duration given in ms, in adaptive units; "-" when it was not measured (None)."""
    if v in (None, ""):
        return "-"
    return duration_text(float(v))


def fmt_rate(v: Any) -> str:
    return f"{float(v):.1f}" if v not in (None, "") else ""


def fmt_int(v: Any) -> str:
    return f"{int(v):,}" if v not in (None, "") else ""


def fmt_text(v: Any) -> str:
    return "" if v is None else str(v)


@dataclass(frozen=True)
class Column:
    """One column: header, the row key (or a function of the row), and its text format."""

    header: str
    key: str | Callable[[dict[str, Any]], Any]
    fmt: Callable[[Any], str] = fmt_text
    width: int = 0

    def value(self, row: dict[str, Any]) -> Any:
        return self.key(row) if callable(self.key) else row.get(self.key)


@dataclass(frozen=True)
class TableSpec:
    """A panel table: its title, the summary key holding its rows, columns, and the row key
    whose list (a stack) is shown below the table when a row is selected."""

    title: str
    rows_key: str
    columns: Sequence[Column]
    detail_key: str = ""
    empty_text: str = "nothing in this time range"
    limit: int = 300
    extra: dict[str, Any] = field(default_factory=dict)


class RowsTableModel(QStandardItemModel):
    """Rows held by Qt itself (QStandardItem), so painting a table never calls into Python.

    A Python `data()` is called per cell and role on every repaint; under a heavy record
    stream each call waits for the GIL, which made table repaints the slowest frames.
    """

    def __init__(self, columns: Sequence[Column]) -> None:
        super().__init__()
        self.columns = list(columns)
        self.rows: list[dict[str, Any]] = []
        self.setHorizontalHeaderLabels([c.header for c in self.columns])

    def set_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        self.rows = list(rows)
        self.setRowCount(0)
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for row in self.rows:
            items = []
            for col in self.columns:
                value = col.value(row)
                text = col.fmt(value)
                item = QStandardItem(text)
                item.setEditable(False)
                if value is None and col.fmt is not fmt_text:
                    value = -1.0  # "not measured" sorts below every measured figure
                item.setData(value if isinstance(value, int | float | str) else text, SORT_ROLE)
                item.setData(row, ROW_ROLE)
                if len(text) > 30:
                    item.setToolTip(text)
                if col.fmt is not fmt_text:
                    item.setTextAlignment(right)
                items.append(item)
            self.appendRow(items)


class RowsTableView(QTableView):
    """The view every panel table uses."""

    def __init__(self, spec: TableSpec) -> None:
        super().__init__()
        self.spec = spec
        self.rows_model = RowsTableModel(spec.columns)
        self.proxy = QSortFilterProxyModel()
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setSourceModel(self.rows_model)
        self.setModel(self.proxy)
        self.setSortingEnabled(True)
        self.proxy.sort(-1)  # keep the summary's own order (worst first) until a header click
        self.horizontalHeader().setSortIndicatorShown(False)
        self.horizontalHeader().sectionClicked.connect(
            lambda _i: self.horizontalHeader().setSortIndicatorShown(True)
        )
        self.setAlternatingRowColors(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(20)
        self.setWordWrap(False)
        self.horizontalHeader().setStretchLastSection(True)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for i, col in enumerate(spec.columns):
            if col.width:
                self.setColumnWidth(i, col.width)

    def set_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        current = self.currentIndex()
        keep = current.data(ROW_ROLE) if current.isValid() else None
        self.rows_model.set_rows(rows[: self.spec.limit])
        if keep is not None:
            # keep the user's selection across refreshes when the same row is still there
            for r in range(self.proxy.rowCount()):
                row = self.proxy.index(r, 0).data(ROW_ROLE)
                if all(row.get(k) == keep.get(k) for k in list(keep)[:3]):
                    self.selectRow(r)
                    break

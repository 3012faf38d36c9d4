"""The findings table: static and dynamic findings together, sortable and filterable."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from analyzers.findings import AREAS, Finding, rank
from inspector.gui.source_viewer import SEVERITY_COLORS


def begin_filter_change(proxy: QSortFilterProxyModel) -> None:
    """Qt >= 6.10 wants begin/endFilterChange; invalidateFilter is deprecated there."""
    if hasattr(proxy, "beginFilterChange"):
        proxy.beginFilterChange()


def end_filter_change(proxy: QSortFilterProxyModel) -> None:
    if hasattr(proxy, "endFilterChange"):
        proxy.endFilterChange()
    else:
        proxy.invalidateFilter()


COLUMNS = ("Area", "Severity", "Score", "Rule", "File:line", "Message", "Evidence")
_SEVERITY_RANK = {"CRITICAL": 4, "HIGH": 3, "MEDIUM": 2, "LOW": 1}
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
FINDING_ROLE = Qt.ItemDataRole.UserRole + 2

_Index = QModelIndex | QPersistentModelIndex


class FindingsTableModel(QAbstractTableModel):
    """Findings as rows, ranked (score, area, location) when set."""

    def __init__(self) -> None:
        super().__init__()
        self.findings: list[Finding] = []

    def set_findings(self, findings: Sequence[Finding]) -> None:
        self.beginResetModel()
        self.findings = rank(findings)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.findings)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        f = self.findings[index.row()]
        col = index.column()
        if role == FINDING_ROLE:
            return f
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                str(f.area),
                f.severity.value,
                str(f.score),
                f.rule,
                f.location,
                f.message,
                "; ".join(e.summary for e in f.evidence) or ("—" if f.kind == "static" else ""),
            )[col]
        if role == SORT_ROLE:
            if col == 0:
                return f.area
            if col == 1:
                return _SEVERITY_RANK[f.severity.value] * 1000 + f.score
            if col == 2:
                return f.score
            if col == 4:
                return (f.path, f.line)
            if col == 6:
                return len(f.evidence)
            return self.data(index, Qt.ItemDataRole.DisplayRole)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == 0:
                return AREAS[f.area]
            if col in (5, 6):
                return self.data(index, Qt.ItemDataRole.DisplayRole)
        if role == Qt.ItemDataRole.ForegroundRole and col == 1:
            return QBrush(QColor(SEVERITY_COLORS.get(f.severity.value, "#000")))
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (0, 2):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class FindingsFilterProxy(QSortFilterProxyModel):
    """Filters by area, severity and free text (rule, path, message, evidence)."""

    def __init__(self) -> None:
        super().__init__()
        self.area: int | None = None
        self.severity: str | None = None
        self.text = ""
        self.setSortRole(SORT_ROLE)

    def set_filter(self, area: int | None, severity: str | None, text: str) -> None:
        begin_filter_change(self)
        self.area, self.severity, self.text = area, severity, text.strip().lower()
        end_filter_change(self)

    def filterAcceptsRow(self, row: int, parent: _Index) -> bool:
        model = self.sourceModel()
        f: Finding = model.findings[row]  # type: ignore[attr-defined]
        if self.area is not None and f.area != self.area:
            return False
        if self.severity is not None and f.severity.value != self.severity:
            return False
        if self.text:
            hay = " ".join(
                (
                    f.rule,
                    f.location,
                    f.message,
                    f.title,
                    f.symbol,
                    f.kind,
                    *(e.summary for e in f.evidence),
                )
            ).lower()
            return all(part in hay for part in self.text.split())
        return True

    def lessThan(self, left: _Index, right: _Index) -> bool:
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        try:
            return a < b
        except TypeError:
            return str(a) < str(b)


class FindingsTableView(QWidget):
    """Filter bar over a sortable table; emits `finding_selected` as the selection moves
    (mouse or keyboard), so the source viewer follows arrow keys too."""

    finding_selected = Signal(object)
    refresh_evidence_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = FindingsTableModel()
        self.proxy = FindingsFilterProxy()
        self.proxy.setSourceModel(self.model)

        self.area_box = QComboBox()
        self.area_box.addItem("All areas", None)
        for number, name in AREAS.items():
            self.area_box.addItem(f"{number}. {name}", number)
        self.severity_box = QComboBox()
        self.severity_box.addItem("All severities", None)
        for sev in ("CRITICAL", "HIGH", "MEDIUM", "LOW"):
            self.severity_box.addItem(sev.title(), sev)
        self.text_edit = QLineEdit()
        self.text_edit.setPlaceholderText("Filter: rule, file, message, evidence…")
        self.text_edit.setClearButtonEnabled(True)
        self.count_label = QLabel()
        # measured evidence follows the samples without re-auditing: the window refreshes it
        # on its own while live; the button does it now, and the label says when it last did
        self.evidence_label = QLabel("evidence: not correlated yet")
        self.evidence_label.setStyleSheet("color:#555")
        self.evidence_button = QPushButton("Refresh evidence")
        self.evidence_button.setToolTip(
            "Correlate the samples recorded so far with the findings (no re-audit); Shift+F5"
        )
        self.evidence_button.clicked.connect(self.refresh_evidence_requested)
        for box in (self.area_box, self.severity_box):
            box.currentIndexChanged.connect(self._apply_filter)
        self.text_edit.textChanged.connect(self._apply_filter)

        bar = QHBoxLayout()
        bar.setContentsMargins(4, 4, 4, 0)
        bar.addWidget(self.area_box)
        bar.addWidget(self.severity_box)
        bar.addWidget(self.text_edit, 1)
        bar.addWidget(self.count_label)
        bar.addWidget(self.evidence_label)
        bar.addWidget(self.evidence_button)

        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for col, width in enumerate((44, 76, 50, 190, 260, 380, 200)):
            self.table.setColumnWidth(col, width)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.sortByColumn(2, Qt.SortOrder.DescendingOrder)
        self.table.selectionModel().currentRowChanged.connect(self._on_current)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        self._update_count()

    def set_findings(self, findings: Sequence[Finding]) -> None:
        """New findings (a refresh re-ranks them); the selected finding stays selected."""
        current = self.table.currentIndex()
        keep = current.data(FINDING_ROLE) if current.isValid() else None
        self.model.set_findings(findings)
        self._update_count()
        if keep is None:
            return
        same = (keep.rule, keep.path, keep.line, keep.symbol)
        for row in range(self.proxy.rowCount()):
            f = self.proxy.index(row, 0).data(FINDING_ROLE)
            if (f.rule, f.path, f.line, f.symbol) == same:
                self.table.setCurrentIndex(self.proxy.index(row, 0))
                self.table.selectRow(row)
                break

    def _apply_filter(self) -> None:
        self.proxy.set_filter(
            self.area_box.currentData(), self.severity_box.currentData(), self.text_edit.text()
        )
        self._update_count()

    def _update_count(self) -> None:
        total = self.model.rowCount()
        shown = self.proxy.rowCount()
        static = sum(1 for f in self.model.findings if f.kind == "static")
        self.count_label.setText(
            f"{shown} of {total} findings ({static} static, {total - static} dynamic)"
            if total
            else "no findings yet: run the static audit (Analysis > Run static audit) or record"
        )

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.finding_selected.emit(current.data(FINDING_ROLE))

    def select_row(self, row: int) -> None:
        """Select the `row`-th visible finding (as a click would)."""
        index = self.proxy.index(row, 0)
        self.table.setCurrentIndex(index)
        self.table.selectRow(row)

    def visible_findings(self) -> list[Finding]:
        return [self.proxy.index(r, 0).data(FINDING_ROLE) for r in range(self.proxy.rowCount())]

"""The start page: pick a running Python process to attach to, launch one, or open a session."""

from __future__ import annotations

import shlex
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
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from inspector.core.process_list import PythonProcess, list_python_processes, suggest_profile
from inspector.core.settings import RecentTarget
from inspector.gui.background_task import run_in_background
from inspector.gui.findings_table import begin_filter_change, end_filter_change

_Index = QModelIndex | QPersistentModelIndex
PROCESS_ROLE = Qt.ItemDataRole.UserRole + 1
PROFILES = ("generic", "casare_rpa", "demo")


class ProcessTableModel(QAbstractTableModel):
    HEADERS = ("PID", "Python", "Qt", "Target", "RSS MB", "Command")

    def __init__(self) -> None:
        super().__init__()
        self.processes: list[PythonProcess] = []

    def set_processes(self, processes: Sequence[PythonProcess]) -> None:
        self.beginResetModel()
        self.processes = list(processes)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.processes)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        p = self.processes[index.row()]
        col = index.column()
        if role == PROCESS_ROLE:
            return p
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                str(p.pid),
                p.python or "?",
                p.qt_label,
                "CasareRPA" if p.looks_like_casare else ("inspector" if p.is_inspector else ""),
                f"{p.rss_mb:.0f}",
                p.short_command or p.command,
            )[col]
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{p.command}\ncwd: {p.cwd}"
        if role == Qt.ItemDataRole.ForegroundRole and col == 3 and p.looks_like_casare:
            return QBrush(QColor("#1565c0"))
        if role == Qt.ItemDataRole.UserRole:  # sort key
            return (p.pid, p.python, p.qt_label, p.looks_like_casare, p.rss_mb, p.command)[col]
        return None


class _ProcessFilter(QSortFilterProxyModel):
    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self.setSortRole(Qt.ItemDataRole.UserRole)

    def set_text(self, text: str) -> None:
        begin_filter_change(self)
        self.text = text
        end_filter_change(self)

    def filterAcceptsRow(self, row: int, parent: _Index) -> bool:
        return self.sourceModel().processes[row].matches(self.text)  # type: ignore[attr-defined]


def parse_env(text: str) -> dict[str, str]:
    """`KEY=VALUE` per line (blank lines and `#` comments skipped); ValueError names the line."""
    env: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key or any(c.isspace() for c in key):
            raise ValueError(f"line {number} is not KEY=VALUE: {line[:40]}")
        env[key] = value.strip()
    return env


def format_env(env: dict[str, str]) -> str:
    return "\n".join(f"{k}={v}" for k, v in env.items())


class LaunchDialog(QDialog):
    """Command, working directory, profile and extra environment for launching a target.

    The profile follows the command (`-m inspector.demo` -> demo, CasareRPA's `run.py` ->
    casare_rpa) until the user picks one; the environment is remembered per target by the
    window (`Settings.launch_env`).
    """

    def __init__(
        self,
        parent: QWidget | None = None,
        command: str = "",
        cwd: str = "",
        profile: str = "",
        env: dict[str, str] | None = None,
        env_for: Any = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Launch a target with the agent")
        self.env_for = env_for  # (argv, cwd) -> remembered env, to refill when the target changes
        self.command_edit = QLineEdit(command)
        self.command_edit.setPlaceholderText("python -m inspector.demo")
        self.cwd_edit = QLineEdit(cwd)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        cwd_row = QHBoxLayout()
        cwd_row.addWidget(self.cwd_edit, 1)
        cwd_row.addWidget(browse)
        self.profile_box = QComboBox()
        self.profile_box.setEditable(True)
        self.profile_box.addItems(PROFILES)
        self.profile_box.setCurrentText(profile or suggest_profile(command, cwd))
        self._profile_chosen = bool(profile)
        self.profile_box.activated.connect(self._profile_picked)
        self.env_edit = QPlainTextEdit(format_env(env or {}))
        self.env_edit.setPlaceholderText("KEY=VALUE, one per line (e.g. PYTHONPATH=src)")
        self.env_edit.setMaximumHeight(90)
        self.env_edit.setToolTip(
            "Added to the inspector's own environment for this target; remembered per "
            "command and working directory."
        )
        self.error_label = QLabel()
        self.error_label.setStyleSheet("color:#b71c1c")
        form = QFormLayout()
        form.addRow("Command", self.command_edit)
        form.addRow("Working directory", cwd_row)
        form.addRow("Profile", self.profile_box)
        form.addRow("Environment", self.env_edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Launch")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.command_edit.textChanged.connect(self._target_changed)
        self.cwd_edit.textChanged.connect(self._target_changed)
        self.resize(620, 260)

    def _profile_picked(self, _index: int) -> None:
        self._profile_chosen = True

    def _target_changed(self, _text: str) -> None:
        command, cwd = self.command_edit.text(), self.cwd_edit.text().strip()
        if not self._profile_chosen:
            self.profile_box.setCurrentText(suggest_profile(command, cwd))
        if self.env_for is not None:
            try:
                argv = shlex.split(command)
            except ValueError:
                return
            remembered = self.env_for(argv, cwd)
            if remembered:
                self.env_edit.setPlainText(format_env(remembered))

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Working directory", self.cwd_edit.text())
        if folder:
            self.cwd_edit.setText(folder)

    def argv(self) -> list[str]:
        return shlex.split(self.command_edit.text())

    def env(self) -> dict[str, str]:
        return parse_env(self.env_edit.toPlainText())

    def _accept(self) -> None:
        try:
            argv = self.argv()
        except ValueError as exc:
            self.error_label.setText(f"The command does not parse: {exc}")
            return
        if not argv:
            self.error_label.setText("Enter a command, e.g. python -m inspector.demo")
            return
        try:
            self.env()
        except ValueError as exc:
            self.error_label.setText(f"Environment: {exc}")
            return
        self.accept()


class StartPageView(QWidget):
    """Process list with filter, Attach / Launch / Open session, and recent targets."""

    attach_requested = Signal(int, str)  # pid, profile
    launch_requested = Signal()
    open_session_requested = Signal()
    recent_requested = Signal(object)  # RecentTarget

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel(
            "<h2 style='margin:0'>CasareRPA Audit Inspector</h2>"
            "<p style='color:#555;margin-top:4px'>Attach to a running Python + Qt "
            "process, launch one with the agent, or open a recorded session.</p>"
        )
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText(
            "Filter processes: pid, command, 'pyside6', 'casarerpa'…"
        )
        self.filter_edit.setClearButtonEnabled(True)
        self.refresh_button = QPushButton("Refresh")
        self.profile_box = QComboBox()
        self.profile_box.setEditable(True)
        self.profile_box.addItems(PROFILES)
        self.profile_box.setToolTip(
            "Profile: what the agent probes and how the audit reads the target"
        )
        self.profile_box.setMinimumWidth(140)
        top = QHBoxLayout()
        top.addWidget(self.filter_edit, 1)
        top.addWidget(QLabel("Profile"))
        top.addWidget(self.profile_box)
        top.addWidget(self.refresh_button)

        self.model = ProcessTableModel()
        self.proxy = _ProcessFilter()
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.proxy.sort(-1)  # likeliest targets first, as listed
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setStretchLastSection(True)
        for col, width in enumerate((70, 60, 70, 90, 70)):
            self.table.setColumnWidth(col, width)
        self.table.doubleClicked.connect(lambda _i: self._attach())
        # the Profile box follows the selected row, so what Attach uses is on screen first
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.status = QLabel("Scanning processes…")
        self.status.setStyleSheet("color:#555")

        self.attach_button = QPushButton("Attach")
        self.attach_button.setDefault(True)
        self.launch_button = QPushButton("Launch…")
        self.open_button = QPushButton("Open session…")
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.attach_button)
        buttons.addWidget(self.launch_button)
        buttons.addWidget(self.open_button)

        self.recent_list = QListWidget()
        self.recent_list.setMaximumHeight(110)
        self.recent_list.itemActivated.connect(self._recent_activated)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(title)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(QLabel("<b>Recent</b> (double-click to reopen)"))
        layout.addWidget(self.recent_list)

        self.filter_edit.textChanged.connect(self._filter)
        self.refresh_button.clicked.connect(self.refresh)
        self.attach_button.clicked.connect(self._attach)
        self.launch_button.clicked.connect(self.launch_requested)
        self.open_button.clicked.connect(self.open_session_requested)
        self.scanning = False

    def refresh(self) -> None:
        """Rescan processes on a worker thread (reading every process's maps takes a while)."""
        if self.scanning:
            return
        self.scanning = True
        self.status.setText("Scanning processes…")
        run_in_background(lambda _p: list_python_processes(), self._scanned, self._scan_failed)

    def _scanned(self, processes: list[PythonProcess]) -> None:
        self.scanning = False
        self.model.set_processes(processes)
        self._filter(self.filter_edit.text())

    def _scan_failed(self, message: str, _details: str) -> None:
        self.scanning = False
        self.status.setText(f"Cannot list processes: {message}")

    def _filter(self, text: str) -> None:
        self.proxy.set_text(text)
        qt = sum(1 for p in self.model.processes if p.uses_qt)
        self.status.setText(
            f"{self.proxy.rowCount()} of {len(self.model.processes)} Python processes shown "
            f"({qt} with PySide6 loaded)"
        )

    def selected_process(self) -> PythonProcess | None:
        index = self.table.currentIndex()
        return index.data(PROCESS_ROLE) if index.isValid() else None

    def select_pid(self, pid: int) -> bool:
        for row in range(self.proxy.rowCount()):
            if self.proxy.index(row, 0).data(PROCESS_ROLE).pid == pid:
                self.table.selectRow(row)
                return True
        return False

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        proc = current.data(PROCESS_ROLE) if current.isValid() else None
        if proc is not None:
            self.profile_box.setCurrentText(proc.suggested_profile)

    def _attach(self) -> None:
        proc = self.selected_process()
        if proc is None:
            self.status.setText("Select a process to attach to (or Launch one).")
            return
        if proc.is_inspector:
            self.status.setText(f"PID {proc.pid} is this inspector's own process; pick a target.")
            return
        # exactly what the box shows: it was set from the row when the row was selected
        profile = self.profile_box.currentText().strip() or "generic"
        self.attach_requested.emit(proc.pid, profile)

    def set_recent(self, recent: Sequence[RecentTarget]) -> None:
        self.recent_list.clear()
        for target in recent:
            item = QListWidgetItem(f"{target.kind}: {target.label}")
            item.setData(Qt.ItemDataRole.UserRole, target)
            self.recent_list.addItem(item)
        if not recent:
            self.recent_list.addItem("(nothing yet)")

    def _recent_activated(self, item: QListWidgetItem) -> None:
        target = item.data(Qt.ItemDataRole.UserRole)
        if target is not None:
            self.recent_requested.emit(target)

"""Workloads in the window: a small parameter form per workload, and its progress with Cancel.

The form is built from the profile's parameters as the live engine lists them (`WorkloadInfo`
/ `WorkloadParam`: type, default, range, help); the progress strip shows the engine's
`WorkloadProgress` events (step of total, what it is doing, time left) and cancels through it,
so the target is cleaned up by the workload itself.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

INT_LIMIT = 2_000_000_000


def time_left_text(seconds: float | None) -> str:
    if seconds is None:
        return "time left unknown"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s left"
    return f"{int(seconds // 60)} min {int(seconds % 60):02d} s left"


class WorkloadDialog(QDialog):
    """The parameters of one workload, with their defaults, ranges and help."""

    def __init__(self, info: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info = info
        self.setWindowTitle(f"Run workload {info.name}")
        self.editors: dict[str, QWidget] = {}
        form = QFormLayout()
        for param in info.params:
            editor = self._editor(param)
            editor.setToolTip(param.description)
            self.editors[param.name] = editor
            label = QLabel(param.name)
            label.setToolTip(param.description)
            form.addRow(label, editor)
        about = QLabel(info.description)
        about.setWordWrap(True)
        about.setStyleSheet("color:#555")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Run")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addLayout(form)
        layout.addWidget(buttons)

    @staticmethod
    def _editor(param: Any) -> QWidget:
        lo = param.minimum
        hi = param.maximum
        if param.type == "bool":
            box = QCheckBox()
            box.setChecked(bool(param.default))
            return box
        if param.type == "int":
            spin = QSpinBox()
            spin.setRange(int(lo or 0), int(hi) if hi is not None else INT_LIMIT)
            spin.setValue(int(param.default))
            return spin
        if param.type == "float":
            dspin = QDoubleSpinBox()
            dspin.setDecimals(2)
            dspin.setRange(float(lo or 0.0), float(hi) if hi is not None else 1e9)
            dspin.setValue(float(param.default))
            return dspin
        return QLineEdit("" if param.default is None else str(param.default))

    def set_value(self, name: str, value: Any) -> None:
        editor = self.editors[name]
        if isinstance(editor, QCheckBox):
            editor.setChecked(bool(value))
        elif isinstance(editor, QSpinBox | QDoubleSpinBox):
            editor.setValue(value)
        elif isinstance(editor, QLineEdit):
            editor.setText(str(value))

    def params(self) -> dict[str, Any]:
        """Only the parameters changed from their defaults (the agent fills in the rest)."""
        out: dict[str, Any] = {}
        for param in self.info.params:
            editor = self.editors[param.name]
            value: Any
            if isinstance(editor, QCheckBox):
                value = editor.isChecked()
            elif isinstance(editor, QSpinBox | QDoubleSpinBox):
                value = editor.value()
            else:
                value = editor.text().strip()  # type: ignore[attr-defined]
            if value != param.default:
                out[param.name] = value
        return out


class WorkloadProgressView(QWidget):
    """Status-bar strip: which workload, step of total, what it does, time left, Cancel."""

    cancel_requested = Signal(str)  # run_id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run_id = ""
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(180)
        self.bar.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the workload at its next step; it undoes what it made")
        self.cancel_button.clicked.connect(self._cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.hide()

    def started(self, run_id: str, name: str, estimate_s: float) -> None:
        self.run_id = run_id
        self.name = name
        self.bar.setRange(0, 0)  # busy until the first progress record
        self.label.setText(f"Workload {name}: starting · {time_left_text(estimate_s)}")
        self.cancel_button.setEnabled(True)
        self.show()

    def progress(self, event: Any) -> None:
        if event.run_id != self.run_id:
            self.started(event.run_id, event.name, event.eta_s or 0.0)
        if event.total > 0:
            self.bar.setRange(0, event.total)
            self.bar.setValue(min(event.step, event.total))
            self.bar.setFormat(f"{event.step}/{event.total}")
        else:
            self.bar.setRange(0, 0)
        what = f" {event.label}" if event.label else ""
        step = f"step {event.step} of {event.total}" if event.total > 0 else "running"
        self.label.setText(f"Workload {event.name}: {step}{what} · {time_left_text(event.eta_s)}")

    def finished(self, run_id: str) -> None:
        if run_id == self.run_id:
            self.run_id = ""
            self.hide()

    def _cancel(self) -> None:
        if self.run_id:
            self.cancel_button.setEnabled(False)
            self.label.setText(f"Workload {self.name}: cancelling…")
            self.cancel_requested.emit(self.run_id)

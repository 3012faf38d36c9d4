"""The window's message bar: one actionable line, with the details behind a button."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

_STYLES = {
    "error": "background:#fdecea; border:1px solid #f5c2c0; color:#611a15;",
    "warning": "background:#fff4e5; border:1px solid #ffd8a8; color:#663c00;",
    "info": "background:#e8f4fd; border:1px solid #b6dcfb; color:#0d3c61;",
}


class MessageBarView(QFrame):
    """Shows one message at a time; errors never reach the user as a traceback."""

    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 6, 4)
        self.label = QLabel()
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setWordWrap(True)
        self.details_button = QPushButton("Details…")
        self.details_button.clicked.connect(self._show_details)
        close = QPushButton("✕")
        close.setFlat(True)
        close.setFixedWidth(28)
        close.clicked.connect(self.clear)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.details_button)
        layout.addWidget(close)
        self.level = ""
        self.details = ""
        self.hide_timer = QTimer(self)
        self.hide_timer.setSingleShot(True)
        self.hide_timer.timeout.connect(self.clear)
        self.hide()

    def show_message(self, level: str, message: str, details: str = "") -> None:
        self.level = level
        self.details = details
        self.label.setText(message)
        self.setStyleSheet(f"#messageBar {{{_STYLES.get(level, _STYLES['info'])}}}")
        self.details_button.setVisible(bool(details))
        self.show()
        # information fades after a while; errors and warnings stay until dismissed
        if level == "info":
            self.hide_timer.start(10_000)
        else:
            self.hide_timer.stop()

    def error(self, message: str, details: str = "") -> None:
        self.show_message("error", message, details)

    def info(self, message: str, details: str = "") -> None:
        self.show_message("info", message, details)

    def warning(self, message: str, details: str = "") -> None:
        self.show_message("warning", message, details)

    @property
    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""

    def clear(self) -> None:
        self.hide()
        self.dismissed.emit()

    def _show_details(self) -> None:
        box = QMessageBox(self)
        box.setWindowTitle("Details")
        box.setText(self.label.text())
        box.setDetailedText(self.details)
        box.open()

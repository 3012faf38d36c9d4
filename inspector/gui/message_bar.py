"""The window's message bar: one actionable line, with the details behind a button.

It is a fixed-height strip that is always in the layout: a message appearing or fading only
changes what the strip shows, so the tabs and tables below never move under the user's mouse.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

BAR_HEIGHT = 30

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
        self.setFixedHeight(BAR_HEIGHT)  # the same height with or without a message
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 1, 6, 1)
        self.label = QLabel()
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setWordWrap(False)
        self.details_button = QPushButton("Details…")
        self.details_button.clicked.connect(self._show_details)
        close = QPushButton("✕")
        close.setFlat(True)
        close.setFixedWidth(28)
        close.clicked.connect(self.clear)
        self.close_button = close
        layout.addWidget(self.label, 1)
        layout.addWidget(self.details_button)
        layout.addWidget(close)
        self.level = ""
        self.details = ""
        self.full_text = ""
        self.has_message = False
        self.hide_timer = QTimer(self)
        self.hide_timer.setSingleShot(True)
        self.hide_timer.timeout.connect(self.clear)
        self._set_shown(False)

    def _set_shown(self, shown: bool) -> None:
        self.has_message = shown
        self.label.setVisible(shown)
        self.close_button.setVisible(shown)
        if not shown:
            self.details_button.setVisible(False)
            self.setStyleSheet("#messageBar { border:none; }")

    def show_message(self, level: str, message: str, details: str = "") -> None:
        self.level = level
        self.details = details
        line = message.replace("\n", " ")
        self.full_text = line
        self._elide()
        self.label.setToolTip(line)
        self._set_shown(True)
        self.setStyleSheet(f"#messageBar {{{_STYLES.get(level, _STYLES['info'])}}}")
        # a message cut short keeps its whole text behind Details
        self.details_button.setVisible(bool(details) or self.label.text() != line)
        # information fades after a while; errors and warnings stay until dismissed
        if level == "info":
            self.hide_timer.start(10_000)
        else:
            self.hide_timer.stop()

    def _elide(self) -> None:
        width = max(self.width() - 160, 200)
        metrics = self.label.fontMetrics()
        self.label.setText(metrics.elidedText(self.full_text, Qt.TextElideMode.ElideMiddle, width))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.has_message:
            self._elide()  # one line at every width: the strip never grows
            self.details_button.setVisible(
                bool(self.details) or self.label.text() != self.full_text
            )

    def error(self, message: str, details: str = "") -> None:
        self.show_message("error", message, details)

    def info(self, message: str, details: str = "") -> None:
        self.show_message("info", message, details)

    def warning(self, message: str, details: str = "") -> None:
        self.show_message("warning", message, details)

    @property
    def text(self) -> str:
        """The whole message shown now; "" when the strip is empty."""
        return self.full_text if self.has_message else ""

    def clear(self) -> None:
        self._set_shown(False)
        self.dismissed.emit()

    def _show_details(self) -> None:
        box = QMessageBox(self)
        box.setWindowTitle("Details")
        box.setText(self.full_text)
        box.setDetailedText(self.details)
        box.open()

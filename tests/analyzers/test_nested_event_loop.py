"""CIA004: nested event loops, ranked by what they break."""

from __future__ import annotations

import textwrap

from analyzers.context import FileContext
from analyzers.engine import analyze_source
from analyzers.rules.x_nested_event_loop import NestedEventLoop


def _found(code: str) -> list[tuple[int, str, int]]:
    findings = analyze_source(
        textwrap.dedent(code), FileContext(relpath="view.py"), [NestedEventLoop]
    )
    return [(f.line, f.severity.value, f.priority.score) for f in findings]


def test_process_events_once_in_a_handler_is_medium_in_a_loop_high() -> None:
    assert _found(
        """\
        from PySide6.QtWidgets import QApplication, QWidget
        class View(QWidget):
            def mousePressEvent(self, e):
                self.scene().update()
                QApplication.processEvents()
            def mouseMoveEvent(self, e):
                for item in self.items():
                    item.refresh()
                    QApplication.processEvents()
        """
    ) == [(5, "MEDIUM", 35), (9, "HIGH", 55)]

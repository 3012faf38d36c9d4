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


def test_process_events_once_in_a_handler_is_low_per_item_under_qasync_high() -> None:
    assert _found(
        """\
        import qasync
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
    ) == [(6, "LOW", 25), (10, "HIGH", 55)]


_HANDLERS = """\
from PySide6.QtWidgets import QApplication, QWidget
class View(QWidget):
    def mouseMoveEvent(self, e):
        for item in self.items():
            item.refresh()
            QApplication.processEvents()
"""


def test_without_asyncio_on_the_qt_loop_process_events_is_low_and_says_why() -> None:
    findings = analyze_source(_HANDLERS, FileContext(relpath="view.py"), [NestedEventLoop])
    assert [(f.line, f.severity.value, f.priority.score) for f in findings] == [(6, "LOW", 25)]
    assert "qasync" not in findings[0].message
    assert "a re-entrancy hazard, not a stall" in findings[0].message


def test_a_bridge_imported_anywhere_keeps_the_qasync_hazard() -> None:
    for bridge in ("import qasync\n", "from PySide6 import QtAsyncio\n", "import quamash\n"):
        findings = analyze_source(
            bridge + _HANDLERS, FileContext(relpath="view.py"), [NestedEventLoop]
        )
        assert [(f.severity.value, f.priority.score) for f in findings] == [("HIGH", 55)]
        assert "(under qasync) other tasks" in findings[0].message

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


_DIALOGS = """\
from PySide6.QtWidgets import QApplication, QMessageBox
class GuiApi:
    async def exec(self, func):
        return await func(self.window)
class Page:
    def __init__(self):
        self.gui = GuiApi()
    async def confirm(self):
        box = QMessageBox(self)
        if box.exec() == QMessageBox.Yes:
            await self.gui.exec(self.apply)
        self.gui.exec(self.apply)
    async def load(self):
        QApplication.processEvents()
        await self.model.load()
    async def load_all(self, models):
        for model in models:
            QApplication.processEvents()
            await model.load()
"""


def test_under_a_bridge_a_modal_in_a_task_is_high_a_flush_once_per_call_low() -> None:
    findings = analyze_source(
        "import qasync\n" + _DIALOGS, FileContext(relpath="view.py"), [NestedEventLoop]
    )
    assert [(f.line, f.severity.value, f.priority.score) for f in findings] == [
        (11, "HIGH", 55),
        (15, "LOW", 25),
        (19, "HIGH", 55),
    ]
    assert "'Cannot enter into task'" in findings[0].message
    assert "It runs once per call" in findings[1].message


def test_without_a_bridge_a_modal_in_a_coroutine_only_pauses_asyncio_low() -> None:
    findings = analyze_source(_DIALOGS, FileContext(relpath="view.py"), [NestedEventLoop])
    assert [(f.line, f.severity.value, f.priority.score) for f in findings] == [
        (10, "LOW", 25),
        (14, "LOW", 25),
        (18, "LOW", 25),
    ]
    assert "no task re-enters here" in findings[0].message
    assert "Cannot enter into task" not in findings[0].message
    assert "qasync) other tasks" not in findings[2].message

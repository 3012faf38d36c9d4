"""CIA003: a blocking call behind one user command ranks below one on every event.

Unit scores before the audit's calibration (which caps unmeasured static findings)."""

from __future__ import annotations

import textwrap

from analyzers.context import FileContext
from analyzers.engine import analyze_source
from analyzers.rules.x_blocking_chain_from_gui import BlockingChainFromGui

_PANE = """\
import subprocess
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
class Pane(QWidget):
    def __init__(self):
        {connects}
    def on_reveal(self):
        subprocess.call(['xdg-open', self.folder])
"""


def _found(code: str) -> list[tuple[int, str, int]]:
    findings = analyze_source(
        textwrap.dedent(code), FileContext(relpath="pane.py"), [BlockingChainFromGui]
    )
    return [(f.line, f.severity.value, f.priority.score) for f in findings]


def test_a_slot_connected_only_to_a_button_is_one_user_command() -> None:
    code = _PANE.format(connects="self.button.clicked.connect(self.on_reveal)")
    assert _found(code) == [(8, "MEDIUM", 47)]


def test_the_same_slot_on_a_timer_keeps_its_rank() -> None:
    code = _PANE.format(connects="self.timer.timeout.connect(self.on_reveal)")
    assert _found(code) == [(8, "CRITICAL", 72)]


def test_a_slot_on_a_button_and_a_timer_runs_on_the_timer_too() -> None:
    connects = (
        "self.button.clicked.connect(self.on_reveal)\n"
        "        self.timer.timeout.connect(self.on_reveal)"
    )
    assert _found(_PANE.format(connects=connects)) == [(9, "CRITICAL", 72)]


def test_one_keys_branch_is_a_command_every_keystroke_is_not() -> None:
    code = """\
    import subprocess
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QTreeView
    class Files(QTreeView):
        def keyPressEvent(self, event):
            if event.key() == Qt.Key_Return:
                subprocess.call(['open', self.path])
            subprocess.run(['notify-send', 'key'])
    """
    assert _found(code) == [(7, "MEDIUM", 47), (8, "CRITICAL", 72)]


def test_a_double_click_is_one_command_a_click_is_every_click() -> None:
    code = """\
    import subprocess
    from PySide6.QtWidgets import QTreeView
    class Files(QTreeView):
        def mouseDoubleClickEvent(self, event):
            subprocess.call(['open', self.path])
        def mouseReleaseEvent(self, event):
            subprocess.call(['open', self.path])
    """
    assert _found(code) == [(5, "MEDIUM", 47), (7, "CRITICAL", 72)]

"""CIA005: a function started in a worker thread touches Qt widgets directly."""

from __future__ import annotations

from analyzers.project_rule import ProjectRule
from analyzers.rule import Invalid, Valid

# Method names that only Qt widgets/items have (not `update`/`clear`: dicts have those too).
QT_MUTATORS = frozenset(
    {
        "setText",
        "setPlainText",
        "setHtml",
        "appendPlainText",
        "setPixmap",
        "setIcon",
        "setValue",
        "setEnabled",
        "setVisible",
        "setStyleSheet",
        "setToolTip",
        "addItem",
        "addItems",
        "addWidget",
        "setCurrentIndex",
        "setWindowTitle",
        "repaint",
        "showMessage",
        "setRowCount",
        "setItem",
        "setModel",
        "setPos",
        "setGeometry",
        "resize",
        "show",
        "hide",
    }
)


class QtObjectFromWorkerThread(ProjectRule):
    """Widgets are not thread-safe; only the GUI thread may call their methods."""

    ID = "CIA005"
    AREA = 4
    TITLE = "Qt widget touched from a worker thread"
    RATIONALE = (
        "QWidget and QGraphicsItem methods are not thread-safe. Calling them from a "
        "`threading.Thread`, executor or `QThread.run` races the GUI thread's painting: "
        "random crashes, 'QObject::setParent: Cannot set parent, new parent is in a "
        "different thread', lost repaints."
    )
    IMPACT = 5
    FREQUENCY = 3
    DIFFICULTY = 3
    RECOMMENDATION = (
        "Emit a signal from the worker (delivered to the GUI thread by a queued connection) "
        "or use `QMetaObject.invokeMethod(..., Qt.QueuedConnection)`, and update the widget "
        "in the slot."
    )
    EXAMPLE_BEFORE = (
        "def _work(self):\n    result = compute()\n    self.status.setText(result)\n\n"
        "threading.Thread(target=self._work).start()"
    )
    EXAMPLE_AFTER = (
        "done = Signal(str)\n\ndef _work(self):\n    self.done.emit(compute())\n\n"
        "self.done.connect(self.status.setText)"
    )
    TAGS = ("gui", "threading")
    TRIGGERS = ("Thread", "submit", "run_in_executor", "to_thread")
    VALID = (
        Valid(
            "import threading\nclass W:\n    def start(self):\n"
            "        threading.Thread(target=self._work).start()\n"
            "    def _work(self):\n        self.done.emit(1)\n"
        ),
        Valid("class W:\n    def refresh(self):\n        self.label.setText('x')\n"),
    )
    INVALID = (
        Invalid(
            "import threading\n"
            "class Recorder:\n"
            "    def start(self):\n"
            "        threading.Thread(target=self._capture, daemon=True).start()\n"
            "    def _capture(self):\n"
            "        self.status_label.setText('recording')\n",
            line=6,
            message_contains="status_label",
        ),
    )

    def check_project(self) -> None:
        project = self.project
        for fn in self.functions():
            where = project.thread_targets.get(fn.qualname)
            if where is None:
                continue
            for call in fn.calls:
                last = call.target.rsplit(".", 1)[-1]
                receiver = call.target.rsplit(".", 1)[0]
                if last not in QT_MUTATORS or not receiver.startswith("self.") or call.awaited:
                    continue
                self.report_at(
                    call.line,
                    f"`{fn.name}` runs in a worker thread ({where}) and calls "
                    f"`{call.target}()`; Qt objects may only be touched from the GUI thread - "
                    "emit a signal and update the widget in its slot.",
                    end_line=call.end_line,
                    col=call.col,
                )

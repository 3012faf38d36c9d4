"""CIA903: a bounded history kept in a list trimmed with pop(0) or slicing."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import arg, body_nodes, call_name, call_receiver, dotted, source_of


def _length_guarded(ancestors: tuple[cst.CSTNode, ...]) -> bool:
    for anc in ancestors:
        if isinstance(anc, (cst.If, cst.While)) and any(
            isinstance(n, cst.Call) and call_name(n) == "len" for n, _ in body_nodes(anc.test)
        ):
            return True
    return False


class HistoryListPopFront(Rule):
    """Every append past the cap shifts the whole history."""

    ID = "CIA903"
    AREA = 9
    TITLE = "Bounded event/log history kept in a list trimmed from the front"
    RATIONALE = (
        "Once the history is full, each new event does `list.pop(0)` (or re-slices the "
        "list), which moves every remaining element: O(max_size) work on every publish, "
        "log line or metric sample, on the hot path of the bus or collector."
    )
    IMPACT = 2
    FREQUENCY = 6
    DIFFICULTY = 1
    RECOMMENDATION = (
        "Use `collections.deque(maxlen=max_size)`: `append()` drops the oldest entry in "
        "O(1) with no length check; convert with `list(history)[-n:]` only when reading."
    )
    EXAMPLE_BEFORE = """\
self._event_history.append(event)
if len(self._event_history) > self._max_history_size:
    self._event_history.pop(0)
"""
    EXAMPLE_AFTER = """\
self._event_history = deque(maxlen=self._max_history_size)  # in __init__
self._event_history.append(event)
"""
    TAGS = ("events", "algorithmic")
    TRIGGERS = ("pop(0)", ":]", "del ")
    VALID = (
        Valid(
            """\
            def add(self, event):
                self._history.append(event)
            """
        ),
        Valid(
            """\
            def first(self):
                return self._pending.pop(0)
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            def publish(self, event):
                self._event_history.append(event)
                if len(self._event_history) > self._max_history_size:
                    self._event_history.pop(0)
            """,
            line=4,
            message_contains="self._event_history",
        ),
        Invalid(
            """\
            def log(self, line):
                self._lines.append(line)
                if len(self._lines) > 500:
                    self._lines = self._lines[-500:]
            """,
            line=4,
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        return (
            super().wants(source)
            and re.search(r"pop\(0\)|\[-[\w.]+\s*:\]|del [\w.]+\[0\]", source) is not None
        )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        for sub, ancestors in body_nodes(node):
            name: str | None = None
            if (
                isinstance(sub, cst.Call)
                and call_name(sub) == "pop"
                and isinstance(arg(sub, 0), cst.Integer)
                and arg(sub, 0).value == "0"
            ):
                name = call_receiver(sub)
            elif (
                isinstance(sub, cst.Assign)
                and len(sub.targets) == 1
                and isinstance(sub.value, cst.Subscript)
                and dotted(sub.value.value) == dotted(sub.targets[0].target)
            ):
                name = dotted(sub.targets[0].target)
            elif isinstance(sub, cst.Del) and isinstance(sub.target, cst.Subscript):
                index = sub.target.slice[0].slice if sub.target.slice else None
                if isinstance(index, cst.Index) and isinstance(index.value, cst.Integer):
                    name = dotted(sub.target.value) if index.value.value == "0" else None
            if not name or not _length_guarded(ancestors):
                continue
            self.report(
                sub,
                f"`{name}` is a list trimmed from the front (`{source_of(sub, 40)}`), O(n) "
                f"per entry once full: make it `collections.deque(maxlen=...)`.",
            )
            return

"""CIA904: a Qt signal or bus event emitted once per item inside a loop."""

from __future__ import annotations

import re
from dataclasses import replace

import libcst as cst
from libcst.metadata import PositionProvider

from analyzers.findings import Finding
from analyzers.project import ProjectModel
from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import body_nodes, call_name, call_receiver, enclosing_loop

_BULK_WORDS = (
    "nodes",
    "items",
    "rows",
    "results",
    "events",
    "jobs",
    "robots",
    "selected",
    "connections",
    "pipes",
    "entries",
    "records",
    "logs",
    "files",
    "variables",
)


def _inside_match_branch(loop: cst.For, ancestors: tuple[cst.CSTNode, ...]) -> bool:
    """Under `if x == wanted:` inside the loop: a find-by-key loop emits once, not per item."""
    inside = False
    for anc in ancestors:
        if anc is loop:
            inside = True
        elif inside and isinstance(anc, cst.If):
            test = anc.test
            if isinstance(test, cst.Comparison) and any(
                isinstance(c.operator, (cst.Equal, cst.Is)) for c in test.comparisons
            ):
                return True
    return False


# Qt handlers that run once per user gesture (a drop, a context menu, a double click): the
# loop covers what the user dropped or picked, once.
_GESTURE_HANDLERS = frozenset({"dropEvent", "contextMenuEvent", "mouseDoubleClickEvent"})


def _first_seen_branch(loop: cst.For, ancestors: tuple[cst.CSTNode, ...]) -> bool:
    """Under `if key not in seen:` inside the loop: it emits once per new key, not per item."""
    inside = False
    for anc in ancestors:
        if anc is loop:
            inside = True
        elif inside and isinstance(anc, cst.If):
            test = anc.test
            if isinstance(test, cst.Comparison) and any(
                isinstance(c.operator, cst.NotIn) for c in test.comparisons
            ):
                return True
    return False


_EMITTED = re.compile(r"^`self\.(\w+)\.emit\(")


def _connected_signals(project: ProjectModel) -> frozenset[str]:
    """Names connected as signals anywhere (`x.<name>.connect(...)`), or named in a string
    (Designer and QML connect by name)."""
    names: set[str] = set()
    for fn in project.functions.values():
        for call in fn.calls:
            head, _, verb = call.target.rpartition(".")
            if verb == "connect" and head:
                names.add(head.rsplit(".", 1)[-1])
    for summary in project.modules.values():
        if summary.references is not None:
            names |= summary.references.strings
    return frozenset(names)


class EmitInLoop(Rule):
    """N emits mean N slot invocations, N repaints and, across threads, N queued events."""

    ID = "CIA904"
    AREA = 9
    TITLE = "Signal emitted or event published once per item in a loop"
    RATIONALE = (
        "Each `emit()`/`publish()` runs (or, across threads, queues) every connected slot: "
        "a loop over 500 nodes that emits per node triggers 500 panel refreshes and "
        "repaints instead of one, and cross-thread emits flood the GUI event queue."
    )
    # How many items the loop holds and what the slots cost, the code does not say: blind
    # judges called no HIGH one worth it. MEDIUM until measured; LOW where it runs once per
    # user gesture or finds no receiver.
    IMPACT = 3
    FREQUENCY = 5
    DIFFICULTY = 3
    RECOMMENDATION = (
        "Collect the changes and emit once after the loop with the whole batch (a "
        "`nodes_changed(list)` signal or one bus event carrying ids), or route per-item "
        "events through the project's EventBatcher so subscribers get one call per frame."
    )
    EXAMPLE_BEFORE = """\
for node in nodes:
    node.set_status("idle")
    self.node_status_changed.emit(node.id, "idle")
"""
    EXAMPLE_AFTER = """\
for node in nodes:
    node.set_status("idle")
self.nodes_status_changed.emit([n.id for n in nodes], "idle")
"""
    TAGS = ("qt", "events", "signals", "per-call")
    TRIGGERS = (".emit(", ".publish(")
    VALID = (
        Valid(
            """\
            def reset(self, nodes):
                for node in nodes:
                    node.reset()
                self.nodes_reset.emit([n.id for n in nodes])
            """
        ),
        # A retry/poll loop emitting progress is not a per-item fan-out.
        Valid(
            """\
            def wait(self):
                while not self._done:
                    self.progress.emit(self._pct)
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            def reset_all(self, nodes):
                for node in nodes:
                    node.reset()
                    self.node_status_changed.emit(node.id, "idle")

            def bind(panel, graph):
                graph.node_status_changed.connect(panel.refresh)
            """,
            line=4,
            message_contains="self.node_status_changed",
        ),
        # Files dropped on the widget: once per drop, LOW, saying so.
        Invalid(
            """\
            class Stack:
                def dropEvent(self, event):
                    for fname in dropped_files(event.mimeData()):
                        self.open_requested.emit(fname)

            def bind(stack, editor):
                stack.open_requested.connect(editor.load)
            """,
            line=4,
            message_contains="once per user gesture",
        ),
        # Only for keys not seen before (one per new file, lines batched elsewhere).
        Invalid(
            """\
            class Search:
                def process_results(self):
                    for filename, line in self.partial_results:
                        if filename not in self.files:
                            self.files.append(filename)
                            self.file_match.emit(filename)
            """,
            line=6,
            message_contains="once per new item",
        ),
        # A signal nothing connects to: reported LOW, saying each emit finds no receiver.
        Invalid(
            """\
            def layout(self, nodes):
                for node in nodes:
                    node.setPos(0, 0)
                    self.node_moved.emit(node.id)
            """,
            line=4,
            message_contains="Nothing in the audited tree connects to `node_moved` today",
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        # Cheap line scan: an emit/publish indented under a `for` seen shortly before it.
        if not super().wants(source):
            return False
        loops: list[tuple[int, int]] = []  # (indent, line number) of recent `for` lines
        for number, line in enumerate(source.splitlines()):
            stripped = line.lstrip()
            indent = len(line) - len(stripped)
            if stripped.startswith(("for ", "async for ")):
                loops.append((indent, number))
            elif (".emit(" in stripped or ".publish(" in stripped) and any(
                loop_indent < indent and number - loop_line < 20 for loop_indent, loop_line in loops
            ):
                return True
        return False

    @classmethod
    def confirm(cls, finding: Finding, project: ProjectModel) -> Finding | None:
        """LOW, saying so, when the emitted Qt signal is connected nowhere in the project
        (no `.<signal>.connect(` call and its name in no string, e.g. a `.ui` connection):
        an emit with no receiver costs next to nothing today, however often it fires; the
        loop still is one the first receiver will pay for."""
        found = super().confirm(finding, project)
        match = _EMITTED.search(finding.message)
        if found is None or match is None:
            return found
        connected = project.memo("CIA904.connected_signals", lambda: _connected_signals(project))
        if match.group(1) in connected:
            return found
        return replace(
            found,
            message=f"{found.message} Nothing in the audited tree connects to "
            f"`{match.group(1)}` today, so each emit finds no receiver and costs little.",
            priority=replace(found.priority, impact=1, frequency=2),
            tags=(*found.tags, "no-receiver"),
        )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        # A batcher's flush delivers what it batched: that loop is the fix, not the defect.
        if "flush" in node.name.value.lower():
            return
        for sub, ancestors in body_nodes(node):
            if not isinstance(sub, cst.Call) or call_name(sub) not in ("emit", "publish"):
                continue
            receiver = call_receiver(sub) or ""
            # `self.sig.emit` (a Qt signal) or `bus.publish`; `self.emit()` is a method.
            if call_name(sub) == "emit" and not receiver.startswith("self."):
                continue
            loop = enclosing_loop(sub, ancestors)
            if not isinstance(loop, cst.For):
                continue
            if _inside_match_branch(loop, ancestors):
                continue
            iterable = cst.Module(body=[]).code_for_node(loop.iter).lower()
            if not any(w in iterable for w in _BULK_WORDS):
                continue
            line = self.get_metadata(PositionProvider, loop).start.line
            gesture = node.name.value in _GESTURE_HANDLERS
            per = (
                "once per new item of its loop"
                if _first_seen_branch(loop, ancestors)
                else ("once per item of its loop")
            )
            self.report(
                sub,
                f"`{receiver}.{call_name(sub)}(...)` fires {per}: emit one batched "
                "signal/event after the loop."
                + (
                    f" It runs in {node.name.value}(), once per user gesture over what the "
                    "user dropped or picked, so it costs little."
                    if gesture
                    else ""
                ),
                related=(self._loop_step(line),),
                impact=1 if gesture else None,
                frequency=3 if gesture else None,
            )
            return

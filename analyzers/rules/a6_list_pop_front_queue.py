"""CIA601: a list used as a FIFO queue (`pop(0)`) inside a traversal loop."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import PositionProvider

from analyzers.matching import is_loader
from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import (
    arg,
    body_nodes,
    call_name,
    call_receiver,
    dotted,
    enclosing_loop,
)


def _is_pop_front(call: cst.Call) -> bool:
    if call_name(call) != "pop" or not isinstance(call.func, cst.Attribute):
        return False
    index = arg(call, 0)
    return isinstance(index, cst.Integer) and index.value == "0"


def _trims_by_length(call: cst.Call, ancestors: tuple[cst.CSTNode, ...]) -> bool:
    """`while len(x) > n: x.pop(0)` trims a bounded history: CIA903 reports that shape."""
    for anc in ancestors:
        test = getattr(anc, "test", None) if isinstance(anc, (cst.If, cst.While)) else None
        if test is not None and any(
            isinstance(n, cst.Call) and call_name(n) == "len" for n, _ in body_nodes(test)
        ):
            return True
    return False


def _pushed_in(loop: cst.CSTNode, name: str) -> bool:
    """Something is added to `name` inside the loop (`append`, `extend`, `+=`, or a rebuilt
    `queue = children + queue`): a work-list that grows with the data it walks."""
    for sub, _ in body_nodes(loop):
        if isinstance(sub, cst.Call) and call_name(sub) in ("append", "extend", "insert"):
            targets = [call_receiver(sub)]
        elif isinstance(sub, cst.AugAssign):
            targets = [dotted(sub.target)]
        elif isinstance(sub, cst.Assign):
            targets = [dotted(t.target) for t in sub.targets]
        else:
            continue
        if name in targets:
            return True
    return False


def _returned(loop: cst.CSTNode, ancestors: tuple[cst.CSTNode, ...]) -> bool:
    """The pop is in a `return` inside the loop: the loop ends with the first item popped."""
    return any(isinstance(a, cst.Return) for a in ancestors[ancestors.index(loop) :])


class ListPopFrontQueue(Rule):
    """`list.pop(0)` shifts every remaining element: BFS becomes quadratic."""

    ID = "CIA601"
    AREA = 6
    TITLE = "list.pop(0) used as a queue in a loop"
    RATIONALE = (
        "`list.pop(0)` moves every remaining element one slot left, so a BFS, Kahn "
        "topological sort or work queue that pops from the front costs O(n) per step and "
        "O(n^2) overall; on large workflows this dominates dependency analysis and "
        "scheduling time."
    )
    IMPACT = 3
    FREQUENCY = 4
    DIFFICULTY = 1
    RECOMMENDATION = (
        "Use `collections.deque`: build it with `deque(start_nodes)`, pop with "
        "`popleft()` and push with `append()`; both are O(1)."
    )
    EXAMPLE_BEFORE = """\
queue = list(starting_nodes)
while queue:
    node_id = queue.pop(0)
"""
    EXAMPLE_AFTER = """\
queue = deque(starting_nodes)
while queue:
    node_id = queue.popleft()
"""
    TAGS = ("algorithmic", "per-call")
    TRIGGERS = (".pop(0)",)
    VALID = (
        Valid(
            """\
            def walk(start):
                queue = deque([start])
                while queue:
                    node = queue.popleft()
            """
        ),
        # Bounded history trimming is CIA903's shape, not a queue.
        Valid(
            """\
            def add(self, event):
                self._history.append(event)
                if len(self._history) > 100:
                    self._history.pop(0)
            """
        ),
        Valid("first = items.pop(0)\n"),
        Valid(
            """\
            def trim(self):
                while len(self._order) > self._max:
                    self._order.pop(0)
            """
        ),
    )
    INVALID = (
        # One pop per call, the loop only picks which list: LOW, it says why.
        Invalid(
            """\
            class PriorityQueue:
                def dequeue(self):
                    for priority in range(3, -1, -1):
                        if self._queues[priority]:
                            return self._queues[priority].pop(0)
            """,
            line=5,
            message_contains="one O(n) pop per call",
        ),
        # Draining pending registrations built before the loop: LOW, it says why.
        Invalid(
            """\
            class Runner:
                def on_menu_ready(self, menu):
                    while self.pending_actions:
                        action = self.pending_actions.pop(0)
                        menu.add(action)
            """,
            line=4,
            message_contains="nothing is added to it inside the loop",
        ),
        # A frontier popped from the front, each pass awaiting the node's execution: LOW.
        Invalid(
            """\
            async def run(self, start):
                frontier = [start]
                while frontier:
                    node_id = frontier.pop(0)
                    await self._execute(node_id)
                    frontier.extend(self._next[node_id])
            """,
            line=4,
            message_contains="also awaits",
        ),
        # Ordering a saved graph's nodes while importing it: once per file, LOW.
        Invalid(
            """\
            def import_nodes(saved):
                ready, order = set(), []
                pending = list(saved)
                while pending:
                    key = pending.pop(0)
                    if all(dep in ready for dep in saved[key]):
                        ready.add(key)
                        order.append(key)
                    else:
                        pending.append(key)
                return order
            """,
            line=5,
            message_contains="once per document load",
        ),
        Invalid(
            """\
            def reachable(self, starting_nodes):
                queue = list(starting_nodes)
                seen = set()
                while queue:
                    node_id = queue.pop(0)
                    seen.add(node_id)
                    queue.extend(self._adjacency[node_id])
            """,
            line=5,
            message_contains="queue.pop(0)",
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        for sub, ancestors in body_nodes(node):
            if not (isinstance(sub, cst.Call) and _is_pop_front(sub)):
                continue
            loop = enclosing_loop(sub, ancestors)
            if loop is None or _trims_by_length(sub, ancestors):
                continue
            name = call_receiver(sub) or "the list"
            line = self.get_metadata(PositionProvider, loop).start.line
            if _returned(loop, ancestors):
                # `for p in priorities: if q[p]: return q[p].pop(0)`: one pop per call.
                self.report(
                    sub,
                    f"`{name}.pop(0)` shifts the rest of the list, but the loop returns with "
                    "the first item it pops: one O(n) pop per call, not a quadratic loop; a "
                    "collections.deque with popleft() makes it O(1).",
                    related=(self._loop_step(line),),
                    impact=1,
                    frequency=3,
                )
                continue
            if _pushed_in(loop, name) and any(
                isinstance(n, cst.Await) for n, _ in body_nodes(loop)
            ):
                # Each pass awaits a unit of work (a node's execution, a request): the
                # shift of a frontier list is a negligible share of it.
                self.report(
                    sub,
                    f"`{name}.pop(0)` in a loop is O(n) per step, but each pass also awaits "
                    "the item's own work, so the shift is a negligible share of the loop: "
                    f"LOW; a collections.deque with popleft() still reads better.",
                    related=(self._loop_step(line),),
                    impact=1,
                    frequency=3,
                )
                continue
            if _pushed_in(loop, name) and is_loader(node.name.value):
                # Ordering the nodes of a document while importing it: once per file opened.
                self.report(
                    sub,
                    f"`{name}.pop(0)` in a loop is O(n) per step, but `{node.name.value}` runs "
                    "once per document load on that document's items (tens to hundreds): "
                    "microseconds to milliseconds per file, LOW; a collections.deque with "
                    "popleft() still reads better.",
                    related=(self._loop_step(line),),
                    impact=1,
                    frequency=2,
                )
                continue
            if _pushed_in(loop, name):
                self.report(
                    sub,
                    f"`{name}.pop(0)` in a loop is O(n) per step (O(n^2) "
                    f"overall): make `{name}` a collections.deque and use popleft().",
                    related=(self._loop_step(line),),
                )
                continue
            # Draining a list filled elsewhere (pending registrations, buffered key events,
            # leading blank lines): quadratic only in that list's length, usually a handful.
            self.report(
                sub,
                f"`{name}.pop(0)` in a loop shifts the rest of `{name}` on every step, but "
                "nothing is added to it inside the loop: it drains a list filled elsewhere, "
                f"so the cost is quadratic only in that list's length (usually a handful of "
                f"items); a collections.deque with popleft() avoids it.",
                related=(self._loop_step(line),),
                impact=1,
                frequency=3,
            )

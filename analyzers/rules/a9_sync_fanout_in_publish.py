"""CIA901: publish() calls every subscriber synchronously, in the publisher's thread."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import body_nodes, call_name, dotted, enclosing_loop, source_of

# Bus-style entry points. Not `notify`/`fire`: a listener list of one or two callbacks
# notified inline is ordinary observer code, not event-bus fan-out.
_PUBLISH = re.compile(r"^_?(publish|emit|dispatch|broadcast)\w*$")


def _loop_targets(loop: cst.CSTNode) -> set[str]:
    if isinstance(loop, cst.For):
        if isinstance(loop.target, cst.Name):
            return {loop.target.value}
        return {n.value for n, _ in body_nodes(loop.target) if isinstance(n, cst.Name)}
    return set()


class SyncFanoutInPublish(Rule):
    """One slow subscriber delays the publisher and every later subscriber."""

    ID = "CIA901"
    AREA = 9
    TITLE = "Event bus publish runs every handler synchronously"
    RATIONALE = (
        "`publish()` calls each subscriber inline, one after another, in the publisher's "
        "thread (for the canvas bus, the GUI thread). The publish costs the sum of all "
        "handler times: one handler that refreshes a panel or touches disk stalls the UI "
        "for every event of that type, and handlers that publish again recurse. When the "
        "loop runs under the bus lock, every other publisher waits too."
    )
    # How often a bus publishes is the question; the code does not say (a profile hot path
    # or a measured event rate does).
    IMPACT = 4
    FREQUENCY = 3
    DIFFICULTY = 5
    RECOMMENDATION = (
        "Copy the handler list under the lock and call handlers after releasing it; queue "
        "events and deliver them from the event loop (`QTimer.singleShot(0, ...)` / "
        "`loop.call_soon`) so publishers return at once; batch high-rate event types "
        "(the project already has an EventBatcher) and time handlers to find slow ones."
    )
    EXAMPLE_BEFORE = """\
def publish(self, event):
    with self._lock:
        for handler in self._subscribers[event.type]:
            handler(event)
"""
    EXAMPLE_AFTER = """\
def publish(self, event):
    with self._lock:
        handlers = tuple(self._subscribers[event.type])
    self._queue.append((event, handlers))
    if not self._drain_scheduled:
        self._drain_scheduled = True
        QTimer.singleShot(0, self._drain)
"""
    TAGS = ("events", "gui-thread", "latency")
    TRIGGERS = (
        "def publish",
        "def _publish",
        "def emit",
        "def _emit",
        "def dispatch",
        "def _dispatch",
        "def fire",
        "def _fire",
        "def notify",
        "def _notify",
        "def broadcast",
        "def _broadcast",
    )
    VALID = (
        Valid(
            """\
            def publish(self, event):
                self._queue.put_nowait(event)
            """
        ),
        Valid(
            """\
            def rebuild(self, items):
                for item in items:
                    item(1)
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            class Bus:
                def publish(self, event):
                    with self._lock:
                        for handler in self._subscribers.get(event.type, []):
                            self._call_handler(handler, event)
            """,
            line=5,
            message_contains="self._lock",
        ),
        Invalid(
            """\
            def publish(self, event):
                for handler in self._handlers[event.type]:
                    handler(event)
            """,
            line=3,
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not _PUBLISH.match(node.name.value):
            return
        for sub, ancestors in body_nodes(node):
            if not isinstance(sub, cst.Call):
                continue
            loop = enclosing_loop(sub, ancestors)
            if loop is None:
                continue
            handlers = _loop_targets(loop)
            direct = isinstance(sub.func, cst.Name) and sub.func.value in handlers
            via_helper = call_name(sub).startswith(("_call", "_invoke", "_dispatch")) and any(
                isinstance(a.value, cst.Name) and a.value.value in handlers for a in sub.args
            )
            if not (direct or via_helper):
                continue
            locks = [
                name
                for anc in ancestors
                if isinstance(anc, cst.With)
                for item in anc.items
                if (name := dotted(item.item)) and "lock" in name.lower()
            ]
            under = f" while holding `{locks[0]}`" if locks else ""
            self.report(
                sub,
                f"{node.name.value}() calls every handler inline (`{source_of(sub, 40)}`)"
                f"{under}: the publisher waits for the sum of all handlers. "
                + (
                    "Snapshot the handlers, release the lock, and deliver via the event "
                    "loop or a batcher."
                    if locks
                    else "Deliver via the event loop (queued) or a batcher."
                ),
            )
            return

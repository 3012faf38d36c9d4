"""CIA901: publish() calls every subscriber synchronously, in the publisher's thread."""

from __future__ import annotations

import re
from collections.abc import Sequence

import libcst as cst

from analyzers.context import FileContext
from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import (
    body_nodes,
    call_name,
    calls_in,
    dotted,
    enclosing_loop,
    source_of,
)

# Bus-style entry points. Not `notify`/`fire`: a listener list of one or two callbacks
# notified inline is ordinary observer code, not event-bus fan-out.
_PUBLISH = re.compile(r"^_?(publish|emit|dispatch|broadcast)\w*$")
# Handing a handler's call to one of these runs it later or concurrently, not inline: a task,
# a gather, a queue, the event loop's ready queue, a worker pool.
_HANDOFF = frozenset(
    {
        "create_task",
        "ensure_future",
        "gather",
        "wait",
        "put",
        "put_nowait",
        "call_soon",
        "call_soon_threadsafe",
        "run_coroutine_threadsafe",
        "run_in_executor",
        "submit",
        "spawn",
        "start_soon",
        "singleShot",
    }
)
# Collected coroutines run together afterwards when the function gathers or spawns them.
_COLLECT = frozenset({"append", "extend", "add"})
# A signal object's emit() calling its receivers is the primitive itself (Qt's direct
# connections, blinker, a project's own Signal class); the cost belongs to its receivers.
_SIGNAL_CLASS = re.compile(r"signal$", re.I)
# Classes that carry other objects' events: everything published in the app goes through them.
_BUS_CLASS = re.compile(r"bus|broker|dispatch|hub|mediator|pubsub|emitter|notifier", re.I)


def _loop_targets(loop: cst.CSTNode) -> set[str]:
    if isinstance(loop, cst.For):
        if isinstance(loop.target, cst.Name):
            return {loop.target.value}
        return {n.value for n, _ in body_nodes(loop.target) if isinstance(n, cst.Name)}
    return set()


def _handed_off(ancestors: Sequence[cst.CSTNode], loop: cst.CSTNode, spawns: bool) -> bool:
    """Whether the handler's call is handed to a task, a gather or a queue (inside the loop),
    or collected there for a function that gathers or spawns what it collected."""
    start = next((i for i, anc in enumerate(ancestors) if anc is loop), -1)
    for anc in ancestors[start + 1 :]:
        if isinstance(anc, cst.Call):
            name = call_name(anc)
            if name in _HANDOFF or (spawns and name in _COLLECT):
                return True
    return False


def _collected_into(call: cst.Call, ancestors: Sequence[cst.CSTNode]) -> str | None:
    """`results` when the handler's result is stored there: `results[key] = handler(...)`,
    `results.append(handler(...))`."""
    parent = ancestors[-1] if ancestors else None
    if isinstance(parent, cst.Assign) and parent.value is call and len(parent.targets) == 1:
        target = parent.targets[0].target
        if isinstance(target, cst.Subscript):
            return dotted(target.value)
    if isinstance(parent, cst.Arg) and len(ancestors) > 1:
        outer = ancestors[-2]
        if (
            isinstance(outer, cst.Call)
            and call_name(outer) in ("append", "add")
            and isinstance(outer.func, cst.Attribute)
        ):
            return dotted(outer.func.value)
    return None


# Loop variables that hold classes: `for cls in REGISTRY:`, `for plugin_class in ...`.
_CLASS_VAR = re.compile(r"^(?:cls|klass|class_|[a-z_]*_(?:cls|class|type|factory))$|^[A-Z]")


def _constructs(call: cst.Call, ancestors: Sequence[cst.CSTNode], loop: cst.CSTNode) -> bool:
    """The loop variable is called as a constructor: it names a class (`cls`, `plugin_class`,
    `Widget`), or the call's result is kept in a name whose methods the loop then calls
    (`egg = factory()` ... `egg.run()`): the loop makes objects from a registry of classes,
    it does not call event handlers."""
    assert isinstance(call.func, cst.Name)
    if _CLASS_VAR.match(call.func.value):
        return True
    parent = ancestors[-1] if ancestors else None
    if not (isinstance(parent, cst.Assign) and parent.value is call and len(parent.targets) == 1):
        return False
    kept = parent.targets[0].target
    if not isinstance(kept, cst.Name):
        return False
    return any(
        isinstance(sub, cst.Attribute)
        and isinstance(sub.value, cst.Name)
        and sub.value.value == kept.value
        for sub, _ in body_nodes(loop)
    )


def _returns(node: cst.FunctionDef, name: str) -> bool:
    """Whether the function returns `name` (as is, or wrapped: `dict(name)`, `list(name)`)."""
    for sub, _ in body_nodes(node):
        if isinstance(sub, cst.Return) and sub.value is not None:
            value = sub.value
            while isinstance(value, cst.Call) and len(value.args) == 1:
                value = value.args[0].value
            if dotted(value) == name:
                return True
    return False


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
    # Inline dispatch is the usual design of a same-thread bus; it costs only when a handler
    # is slow, which the handler's own findings say. Judges never found one worth CRITICAL:
    # below the hot-path boost, MEDIUM at most until the handlers are measured.
    IMPACT = 3
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
        # Handlers run concurrently: their coroutines are collected and gathered.
        Valid(
            """\
            import asyncio
            class AlertBus:
                async def publish(self, event):
                    pending = []
                    for handler in self._handlers.get(event.kind, []):
                        pending.append(handler(event))
                    await asyncio.gather(*pending, return_exceptions=True)
            """
        ),
        # Each handler becomes its own task, or is queued onto the loop: none runs inline.
        Valid(
            """\
            import asyncio
            class StatusBus:
                def publish(self, event):
                    for handler in self._handlers[event.kind]:
                        task = asyncio.create_task(handler(event))
                        self._tasks.add(task)
                def emit(self, event):
                    for handler in self._handlers[event.kind]:
                        self._loop.call_soon(handler, event)
            """
        ),
        # A dispatch that returns what every handler answered is a query: the caller needs
        # the answers now, so calling the handlers inline is its contract.
        Valid(
            """\
            class Registry:
                def dispatch(self, *args):
                    answers = {}
                    with self._lock:
                        for key, handler in self._handlers.items():
                            answers[key] = handler(*args)
                    return answers
            """
        ),
        # A signal primitive calling its receivers is the primitive itself.
        Valid(
            """\
            class Signal:
                def emit(self, *args):
                    for receiver in list(self.receivers):
                        receiver(*args)
            """
        ),
        # A loop over registered classes makes one object of each: no handler is called.
        Valid(
            """\
            async def emit_startup_greetings(emit_log):
                for cls in GREETERS:
                    greeter = cls()
                    if await greeter.greet(emit_log):
                        return True
                return False
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
        # Collected but never gathered: the handlers were already called inline.
        Invalid(
            """\
            class ResultBus:
                def publish(self, event):
                    results = []
                    for handler in self._handlers[event.type]:
                        results.append(handler(event))
                    self._log.debug("%d handlers ran", len(results))
            """,
            line=5,
        ),
    )

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._classes: list[str] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not _PUBLISH.match(node.name.value):
            return
        if self._classes and _SIGNAL_CLASS.search(self._classes[-1]):
            return
        spawns = {call_name(c) for c, _ in calls_in(node)} & _HANDOFF
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
            if not (direct or via_helper) or _handed_off(ancestors, loop, bool(spawns)):
                continue
            if direct and _constructs(sub, ancestors, loop):
                continue  # `egg = cls()`: a loop over classes makes objects, no handlers
            collected = _collected_into(sub, ancestors)
            if collected is not None and _returns(node, collected):
                continue  # returns the handlers' answers: a query, not a publish
            locks = [
                name
                for anc in ancestors
                if isinstance(anc, cst.With)
                for item in anc.items
                if (name := dotted(item.item)) and "lock" in name.lower()
            ]
            under = f" while holding `{locks[0]}`" if locks else ""
            owner = self._classes[-1] if self._classes else ""
            # An object notifying its own few listeners (a recorder, a model) is ordinary
            # observer code whose rate nobody knows; a bus carries every event of the app.
            own = bool(owner) and not _BUS_CLASS.search(owner)
            self.report(
                sub,
                f"{node.name.value}() calls every handler inline (`{source_of(sub, 40)}`)"
                f"{under}{' (its own listeners)' if own else ''}: the publisher waits for "
                "the sum of all handlers. "
                + (
                    "Snapshot the handlers, release the lock, and deliver via the event "
                    "loop or a batcher."
                    if locks
                    else "Deliver via the event loop (queued) or a batcher."
                ),
                impact=2 if own else None,
                frequency=2 if own else None,
            )
            return

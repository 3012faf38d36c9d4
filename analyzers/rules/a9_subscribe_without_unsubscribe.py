"""CIA902: bound methods subscribed to a long-lived bus, never unsubscribed."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import arg, body_nodes, call_name, call_receiver, dotted, methods_of

_SUBSCRIBE = frozenset(
    {"subscribe", "subscribe_all", "subscribe_filtered", "add_listener", "add_handler", "on"}
)
_UNSUBSCRIBE = frozenset(
    {
        "unsubscribe",
        "unsubscribe_all",
        "unsubscribe_filtered",
        "remove_listener",
        "remove_handler",
        "off",
        "clear_subscribers",
    }
)


class SubscribeWithoutUnsubscribe(Rule):
    """The bus keeps every subscriber (and its widget tree) alive forever."""

    ID = "CIA902"
    AREA = 9
    TITLE = "Subscriber registered on an event bus and never unsubscribed"
    RATIONALE = (
        "An event bus holds strong references to the bound methods it is given, and a "
        "bound method holds its object. A controller, panel or dialog that subscribes and "
        "never unsubscribes stays alive after it is closed and keeps handling every event: "
        "memory grows with each reopened window and publish fan-out grows with it."
    )
    IMPACT = 4
    FREQUENCY = 4
    DIFFICULTY = 2
    RECOMMENDATION = (
        "Unsubscribe in the object's cleanup/close path (keep the (event, handler) pairs "
        "you subscribed and undo them in `cleanup()`), or make the bus hold "
        "`weakref.WeakMethod` references so dead subscribers drop out."
    )
    EXAMPLE_BEFORE = """\
def initialize(self):
    self._bus.subscribe(EventType.NODE_ADDED, self._on_node_added)
"""
    EXAMPLE_AFTER = """\
def initialize(self):
    self._bus.subscribe(EventType.NODE_ADDED, self._on_node_added)

def cleanup(self):
    self._bus.unsubscribe(EventType.NODE_ADDED, self._on_node_added)
"""
    TAGS = ("events", "leak", "memory")
    TRIGGERS = ("subscribe", "add_listener", "add_handler", ".on(")
    VALID = (
        Valid(
            """\
            class Panel:
                def setup(self):
                    self._bus.subscribe(EventType.SAVED, self._on_saved)

                def cleanup(self):
                    self._bus.unsubscribe(EventType.SAVED, self._on_saved)
            """
        ),
        Valid(
            """\
            class Panel:
                def setup(self):
                    self._bus.subscribe(EventType.SAVED, lambda e: None)
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            class AutosaveController:
                def initialize(self):
                    bus = get_event_bus()
                    bus.subscribe(EventType.WORKFLOW_MODIFIED, self._on_modified)
                    bus.subscribe(EventType.WORKFLOW_SAVED, self._on_saved)
            """,
            line=4,
            message_contains="2 subscriptions",
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        return (
            super().wants(source)
            and re.search(r"\.(subscribe\w*|add_listener|add_handler|on)\([^)]*self\.", source)
            is not None
        )

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        methods = methods_of(node)
        subs: list[cst.Call] = []
        for method in methods.values():
            for sub, _ in body_nodes(method):
                if not isinstance(sub, cst.Call):
                    continue
                name = call_name(sub)
                if name in _UNSUBSCRIBE:
                    return
                if name not in _SUBSCRIBE or call_receiver(sub) in (None, "self", "super()"):
                    continue
                handler = arg(sub, 1) or arg(sub, 0)
                target = dotted(handler) or ""
                if target.startswith("self.") and target.count(".") == 1:
                    subs.append(sub)
        if not subs:
            return
        count = f"{len(subs)} subscriptions" if len(subs) > 1 else "1 subscription"
        cleanup = next(
            (m for m in ("cleanup", "close", "shutdown", "dispose", "closeEvent") if m in methods),
            None,
        )
        where = f"in {cleanup}()" if cleanup else "in its cleanup/close path"
        self.report(
            subs[0],
            f"{node.name.value} makes {count} with bound methods (first: "
            f"`{dotted(arg(subs[0], 1) or arg(subs[0], 0))}`) and never unsubscribes: the "
            f"bus keeps the object alive; unsubscribe {where}.",
        )

"""CIA907: a bus-to-signal bridge emits every event on a generic and a category signal."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import (
    Ancestors,
    arg,
    body_nodes,
    call_name,
    call_receiver,
    dotted,
    methods_of,
)

_SUBSCRIBES_SELF = re.compile(r"\.subscribe\w*\([^)]*self\.")


def _emits(method: cst.FunctionDef, params: set[str]) -> list[tuple[cst.Call, str, str, bool]]:
    """(call, signal, payload, conditional) for each `self.<signal>.emit(<param>)`."""
    out = []
    for sub, ancestors in body_nodes(method):
        if not isinstance(sub, cst.Call) or call_name(sub) != "emit" or not sub.args:
            continue
        receiver = call_receiver(sub) or ""
        payload = sub.args[0].value
        if not (receiver.startswith("self.") and receiver.count(".") == 1):
            continue
        if not (isinstance(payload, cst.Name) and payload.value in params):
            continue
        out.append((sub, receiver, payload.value, _conditional(ancestors)))
    return out


def _conditional(ancestors: Ancestors) -> bool:
    return any(isinstance(a, (cst.If, cst.Match, cst.For, cst.While, cst.Try)) for a in ancestors)


class BridgeEmitsEventTwice(Rule):
    """`event_emitted.emit(e)` and then `node_event.emit(e)`: each bus event crosses twice."""

    ID = "CIA907"
    AREA = 9
    TITLE = "Every bus event emitted twice through the bridge"
    RATIONALE = (
        "The bridge is subscribed to the event bus and, for each event, emits it on a generic "
        "signal and again on a per-category signal. Every event pays two signal dispatches "
        "(two queued copies across threads), and a view connected to both - or connected to "
        "the generic one while a child listens to the category one - handles it twice."
    )
    IMPACT = 3
    FREQUENCY = 7
    DIFFICULTY = 2
    RECOMMENDATION = (
        "Emit once: either only category signals (listeners that want everything connect to "
        "each), or only the generic signal with the category as an argument for listeners to "
        "filter on; and subscribe the bridge only to the categories someone listens to."
    )
    EXAMPLE_BEFORE = (
        "def _on_bus_event(self, event):\n    self.event_emitted.emit(event)\n"
        "    if event.category == NODE:\n        self.node_event.emit(event)"
    )
    EXAMPLE_AFTER = (
        "def _on_bus_event(self, event):\n    self._signals_by_category[event.category].emit(event)"
    )
    TAGS = ("events", "qt", "fan-out")
    TRIGGERS = ("subscribe",)
    VALID = (
        Valid(
            """\
            class Bridge:
                def __init__(self, bus):
                    bus.subscribe_all(self._on_event)

                def _on_event(self, event):
                    self._by_category[event.category].emit(event)
            """
        ),
        # Two signals with different payloads are two facts, not one event twice.
        Valid(
            """\
            class Bridge:
                def __init__(self, bus):
                    bus.subscribe_all(self._on_event)

                def _on_event(self, event):
                    self.event_emitted.emit(event)
                    if event.is_error:
                        self.error_count_changed.emit(self._errors)
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            class SignalBridge:
                def __init__(self, bus):
                    bus.subscribe_all(self._on_bus_event)

                def _on_bus_event(self, event):
                    self.event_emitted.emit(event)
                    if event.category == "node":
                        self.node_event.emit(event)
                    elif event.category == "execution":
                        self.execution_event.emit(event)
            """,
            line=6,
            message_contains="self.event_emitted",
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        return (
            super().wants(source)
            and ".emit(" in source
            and _SUBSCRIBES_SELF.search(source) is not None
        )

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        methods = methods_of(node)
        callbacks: set[str] = set()
        for method in methods.values():
            for sub, _ancestors in body_nodes(method):
                if isinstance(sub, cst.Call) and call_name(sub).startswith("subscribe"):
                    for index in (0, 1):
                        target = dotted(arg(sub, index)) or ""
                        if target.startswith("self.") and target.count(".") == 1:
                            callbacks.add(target[5:])
        for name in sorted(callbacks & set(methods)):
            method = methods[name]
            params = {p.name.value for p in method.params.params} - {"self"}
            emits = _emits(method, params)
            for call, signal, payload, conditional in emits:
                if conditional:
                    continue
                others = [s for _c, s, p, _cond in emits if p == payload and s != signal]
                if others:
                    self.report(
                        call,
                        f"`{name}` emits every bus event on `{signal}` and again on "
                        f"`{others[0]}` (one per category): each event is dispatched twice; "
                        "emit it once.",
                    )
                    break

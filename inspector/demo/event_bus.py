"""A synchronous event bus shaped like CasareRPA's domain bus (`domain/events.py EventBus`).

Handlers run synchronously inside `publish`, in subscription order; an exception in one
handler is logged and the next handler still runs. The history is a plain list capped with
`pop(0)`, which is O(n) per publish once the cap is reached: a deliberate defect the
inspector should find (CasareRPA's bus does the same).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

Handler = Callable[["Event"], Any]

# The event types the demo publishes; shaped like CasareRPA's EventType values.
NODE_ADDED = "node_added"
NODE_REMOVED = "node_removed"
NODE_MOVED = "node_moved"
SELECTION_CHANGED = "selection_changed"
WORKFLOW_STARTED = "workflow_started"
NODE_STARTED = "node_started"
NODE_COMPLETED = "node_completed"
WORKFLOW_COMPLETED = "workflow_completed"
VARIABLE_SET = "variable_set"
STATUS_REFRESHED = "status_refreshed"
EVENT_TYPES = (
    NODE_ADDED,
    NODE_REMOVED,
    NODE_MOVED,
    SELECTION_CHANGED,
    WORKFLOW_STARTED,
    NODE_STARTED,
    NODE_COMPLETED,
    WORKFLOW_COMPLETED,
    VARIABLE_SET,
    STATUS_REFRESHED,
)


@dataclass
class Event:
    """One published event: its type, an optional payload and node, and when it happened."""

    event_type: str
    data: dict[str, Any] | None = None
    node_id: str | None = None
    timestamp: float = field(default_factory=time.time)


class EventBus:
    """Publish/subscribe by event type; handlers run synchronously in `publish`."""

    def __init__(self, max_history: int = 1000) -> None:
        self._handlers: dict[str, list[Handler]] = {}
        self._history: list[Event] = []
        self._max_history = max_history

    def subscribe(self, event_type: str, handler: Handler) -> None:
        self._handlers.setdefault(event_type, []).append(handler)

    def unsubscribe(self, event_type: str, handler: Handler) -> None:
        handlers = self._handlers.get(event_type, [])
        if handler in handlers:
            handlers.remove(handler)

    def publish(self, event: Event) -> None:
        self._history.append(event)
        if len(self._history) > self._max_history:
            # Deliberate defect: O(n) list shift per publish; a deque(maxlen=...) is O(1).
            self._history.pop(0)
        for handler in list(self._handlers.get(event.event_type, ())):
            try:
                handler(event)
            except Exception as exc:
                # Like CasareRPA: log and carry on, so one bad handler cannot stop the others.
                # One line, not a traceback: the demo's raising handler is deliberate and
                # frequent, and tracebacks would bury the recorder's own output.
                logger.error(
                    "event handler %s failed for %s: %r",
                    getattr(handler, "__qualname__", handler),
                    event.event_type,
                    exc,
                )

    def emit(
        self, event_type: str, data: dict[str, Any] | None = None, node_id: str | None = None
    ) -> None:
        self.publish(Event(event_type=event_type, data=data, node_id=node_id))

    def get_history(self, event_type: str | None = None, limit: int | None = None) -> list[Event]:
        events = [e for e in self._history if event_type is None or e.event_type == event_type]
        return events[-limit:] if limit else events

    def get_handler_count(self, event_type: str) -> int:
        return len(self._handlers.get(event_type, ()))

    def clear_history(self) -> None:
        self._history.clear()

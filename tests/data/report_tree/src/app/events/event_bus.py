"""Event bus (report fixture)."""

import time


class EventBus:
    def __init__(self) -> None:
        self._subscribers: dict[str, list] = {}
        self._history: list = []

    def publish(self, event_type: str, payload: dict) -> None:
        self._history.append((event_type, payload))  # MARK:unbounded-history
        for handler in self._subscribers.get(event_type, []):
            handler(payload)


class WorkflowController:
    def on_node_executed(self, payload: dict) -> None:
        time.sleep(0.2)  # MARK:blocking-handler
        self.refresh(payload)

    def refresh(self, payload: dict) -> None:
        pass

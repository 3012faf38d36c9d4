"""A synchronous event bus with a history (fixture)."""


class EventBus:
    def __init__(self):
        self._handlers = {}
        self._history = []

    def subscribe(self, event_type, handler):
        self._handlers.setdefault(event_type, []).append(handler)

    def publish(self, event):
        self._history.append(event)
        if len(self._history) > 1000:
            self._history.pop(0)
        for handler in self._handlers.get(event.event_type, []):
            handler(event)

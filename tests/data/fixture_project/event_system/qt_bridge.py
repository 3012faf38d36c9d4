"""A bus-to-Qt bridge that emits each event on two signals (fixture)."""


class EventSignalBridge:
    def __init__(self, bus):
        self._bus = bus
        self._bus.subscribe_all(self._on_bus_event)

    def _on_bus_event(self, event):
        self.event_emitted.emit(event)  # expect: CIA907
        if event.category == "node":
            self.node_event.emit(event)
        elif event.category == "execution":
            self.execution_event.emit(event)

    def cleanup(self):
        self._bus.unsubscribe_all(self._on_bus_event)

"""A canvas event bus and a controller shaped like presentation/canvas/events."""

import threading


class CanvasEventBus:
    def __init__(self):
        self._lock = threading.RLock()
        self._subscribers = {}
        self._history = []

    def subscribe(self, event_type, handler):
        self._subscribers.setdefault(event_type, []).append(handler)

    def unsubscribe(self, event_type, handler):
        self._subscribers[event_type].remove(handler)

    def publish(self, event):
        with self._lock:
            self._history.append(event)
            if len(self._history) > 1000:
                self._history.pop(0)  # expect: CIA903
            for handler in self._subscribers.get(event.type, []):
                self._call_handler(handler, event)  # expect: CIA901

    def _call_handler(self, handler, event):
        handler(event)


class ExecutionPanelController:
    def __init__(self, bus, signals):
        self._bus = bus
        self._signals = signals

    def initialize(self):
        self._bus.subscribe("node_started", self._on_node_started)  # expect: CIA902
        self._bus.subscribe("node_finished", self._on_node_finished)

    def _on_node_started(self, event):
        self._signals.status.emit(event.node_id, "running")

    def _on_node_finished(self, event):
        self._signals.status.emit(event.node_id, "done")

    def reset_all(self, nodes):
        for node in nodes:
            node.reset()
            self.node_status_changed.emit(node.id, "idle")  # expect: CIA904


def bind_status_panel(panel, controller):
    controller.node_status_changed.connect(panel.refresh)

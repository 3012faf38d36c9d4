"""A bus-to-Qt bridge that unsubscribes only when collected (fixture)."""

from loguru import logger


class SignalBridge:
    def __init__(self, bus):
        self._bus = bus
        self._bus.subscribe_all(self._on_event)  # expect: CIA902

    def _on_event(self, event):
        self.forward(event)

    def cleanup(self):
        self._bus.unsubscribe_all(self._on_event)

    def __del__(self):
        self.cleanup()


class Notifier:
    def __init__(self, queue):
        self._queue = queue

    def publish(self, event):
        logger.debug(f"Publishing event: {event}")  # expect: CIA906
        self._queue.put_nowait(event)

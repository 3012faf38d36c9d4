"""CIA204: which loops of awaits are peers awaited in turn, and how severe each is."""

from __future__ import annotations

import textwrap

from analyzers.context import FileContext
from analyzers.engine import analyze_source
from analyzers.rules.a2_sequential_await_over_peers import SequentialAwaitOverPeers


def _found(code: str) -> list[tuple[int, str, int]]:
    findings = analyze_source(
        textwrap.dedent(code), FileContext(relpath="peers.py"), [SequentialAwaitOverPeers]
    )
    return [(f.line, f.severity.value, f.priority.score) for f in findings]


def test_per_event_sends_to_remote_peers_are_high_and_shutdown_closes_medium():
    assert _found(
        """\
        class Hub:
            async def broadcast(self, msg):
                for conn in self._connections.values():
                    await conn.send(msg)
            async def stop(self):
                for conn in list(self._connections.values()):
                    await conn.websocket.close(1001, "bye")
            async def alert(self, record):
                for handler in self._notification_handlers:
                    await handler(record)
        """
    ) == [(4, "HIGH", 56), (7, "MEDIUM", 46), (10, "HIGH", 56)]


def test_triggers_start_and_stop_are_low():
    # In-process triggers: a start usually only creates the trigger's own task (a judge found
    # no slow start among CasareRPA's triggers), so neither is worth MEDIUM.
    assert _found(
        """\
        class Triggers:
            async def start(self):
                for trigger in self._triggers.values():
                    await trigger.start()
            async def stop(self):
                for trigger in self._triggers.values():
                    await trigger.stop()
        """
    ) == [(4, "LOW", 26), (7, "LOW", 26)]


def test_local_callbacks_and_handlers_are_not_peers():
    assert (
        _found(
            """\
            class Watcher:
                async def trigger_callbacks(self):
                    for address, callback in list(self.callbacks.items()):
                        await callback()
                async def publish(self, event):
                    for handler in self._handlers[type(event)]:
                        await handler(event)
                    for listener in self._listeners:
                        await listener.on_event(event)
            """
        )
        == []
    )


def test_sinks_filled_only_through_another_object_still_count():
    code = """\
        class Alarms:
            def __init__(self):
                self._sinks = []

            async def raise_alarm(self, alarm):
                for sink in self._sinks:
                    await sink.send(alarm)

        def wire(alarms, mailer):
            alarms._sinks.append(mailer)
        """
    assert _found(code) == [(7, "HIGH", 56)]
    assert _found(code.replace("alarms._sinks.append(mailer)", "pass")) == []


def test_sinks_only_an_uncalled_method_adds_are_low():
    code = """\
        class Alarms:
            def __init__(self):
                self._sinks = []

            def add_sink(self, sink):
                self._sinks.append(sink)

            async def raise_alarm(self, alarm):
                for sink in self._sinks:
                    await sink.send(alarm)
        """
    assert _found(code) == [(10, "LOW", 11)]
    wired = code + "\n        def wire(alarms, m):\n            alarms.add_sink(m)\n"
    assert _found(wired) == [(10, "HIGH", 56)]

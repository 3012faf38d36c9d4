"""CIA901: which publish loops call handlers inline, and how severe each is."""

from __future__ import annotations

import textwrap

from analyzers.context import FileContext
from analyzers.engine import analyze_source
from analyzers.rules.a9_sync_fanout_in_publish import SyncFanoutInPublish


def _found(code: str) -> list[tuple[int, str, int]]:
    findings = analyze_source(
        textwrap.dedent(code), FileContext(relpath="bus.py"), [SyncFanoutInPublish]
    )
    return [(f.line, f.severity.value, f.priority.score) for f in findings]


def test_a_bus_calling_handlers_inline_is_medium_an_objects_own_listeners_low():
    assert _found(
        """\
        class EventBus:
            def publish(self, event):
                for handler in self._handlers.get(event.kind, []):
                    handler(event)
        class Recorder:
            def _emit(self, name, *args):
                for callback in self._callbacks.get(name, []):
                    callback(*args)
        """
    ) == [(4, "MEDIUM", 35), (8, "LOW", 20)]


def test_handlers_handed_to_tasks_gathers_queues_or_the_loop_are_not_inline():
    assert (
        _found(
            """\
            import asyncio
            class EventBus:
                async def publish(self, event):
                    coros = []
                    for handler in self._handlers[event.kind]:
                        coros.append(handler(event))
                    await asyncio.gather(*coros)
                def emit(self, event):
                    for handler in self._handlers[event.kind]:
                        self._queue.put_nowait(handler(event))
                def dispatch(self, event):
                    for handler in self._handlers[event.kind]:
                        asyncio.ensure_future(handler(event))
            """
        )
        == []
    )

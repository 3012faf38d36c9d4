"""CIA604: which gathers start everything at once, and how severe each is."""

from __future__ import annotations

import textwrap

from analyzers.context import FileContext
from analyzers.engine import analyze_source
from analyzers.rules.a6_gather_unbounded import GatherUnbounded


def _found(code: str) -> list[tuple[int, str, int]]:
    findings = analyze_source(
        textwrap.dedent(code), FileContext(relpath="fan.py"), [GatherUnbounded]
    )
    return [(f.line, f.severity.value, f.priority.score) for f in findings]


def test_per_item_tasks_are_medium_and_a_shutdown_send_low():
    assert _found(
        """\
        import asyncio
        class Hub:
            async def cancel(self, ids):
                tasks = [asyncio.create_task(self._cancel_one(i)) for i in ids]
                await asyncio.gather(*tasks)

            async def _notify_peers_of_shutdown(self):
                await asyncio.gather(*(p.send(b"bye") for p in self._peers))
        """
    ) == [(5, "MEDIUM", 49), (8, "LOW", 19)]


def test_tasks_started_as_batches_arrive_and_pooled_calls_are_not_reported():
    assert (
        _found(
            """\
            import asyncio
            from anyio import Path
            async def drain(self):
                running = []
                while not self._stopped:
                    batch = await self._batches.get()
                    running.append(asyncio.create_task(self._handle(batch)))
                await asyncio.gather(*running)

            async def sizes(loop, pool, paths):
                await asyncio.gather(*[Path(p).stat() for p in paths])
                await asyncio.gather(*[loop.run_in_executor(pool, len, p) for p in paths])
            """
        )
        == []
    )

"""CIA503: how long the nap is decides the rank."""

from __future__ import annotations

import textwrap

from analyzers.context import FileContext
from analyzers.engine import analyze_source
from analyzers.rules.a5_pool_wait_by_polling import PoolWaitByPolling

_POOL = """\
class Pool:
    async def acquire(self):
        while True:
            if self._idle:
                return self._idle.pop()
            await asyncio.sleep({nap})

    def release(self, conn):
        self._idle.append(conn)
"""


def _found(nap: str) -> set[tuple[int, str, int]]:
    findings = analyze_source(
        textwrap.dedent(_POOL.format(nap=nap)), FileContext(relpath="pool.py"), [PoolWaitByPolling]
    )
    return {(f.line, f.severity.value, f.priority.score) for f in findings}


def test_a_short_nap_is_a_latency_cost_medium():
    assert _found("0.1") == {(6, "MEDIUM", 42)}


def test_a_long_or_unknown_nap_keeps_the_rule_rank():
    assert _found("1.0") == {(6, "HIGH", 67)}
    assert _found("self._poll_interval") == {(6, "HIGH", 67)}

"""CIA503: a pool's acquire waits for a free slot by sleeping in a loop."""

from __future__ import annotations

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import (
    POOL_ACQUIRE_NAME,
    POOL_ACQUIRE_TRIGGERS,
    body_nodes,
    call_name,
    enclosing_loop,
    source_of,
)


class PoolWaitByPolling(Rule):
    """Waiters wake on a fixed clock instead of when a slot is released."""

    ID = "CIA503"
    AREA = 5
    TITLE = "Pool acquire polls with sleep instead of waiting for a release"
    RATIONALE = (
        "When the pool is exhausted, `while True: ... await asyncio.sleep(0.1)` wakes every "
        "waiter ten times a second, each re-taking the pool lock, and still adds up to "
        "100 ms of latency after a release. Waiters are served in no particular order, so "
        "under load some starve until their timeout."
    )
    IMPACT = 5
    FREQUENCY = 5
    DIFFICULTY = 4
    RECOMMENDATION = (
        "Wait on a primitive that release() signals: an `asyncio.Condition` (`await "
        "cond.wait_for(lambda: self._available or self.total < self._max_size)` with "
        "`asyncio.timeout`), an `asyncio.Queue` of idle entries, or an "
        "`asyncio.Semaphore(max_size)` around acquire/release."
    )
    EXAMPLE_BEFORE = """\
while True:
    async with self._lock:
        if self._available:
            return self._available.popleft()
    await asyncio.sleep(0.1)
"""
    EXAMPLE_AFTER = """\
async with asyncio.timeout(timeout):
    async with self._cond:
        await self._cond.wait_for(lambda: self._available)
        return self._available.popleft()
# release(): async with self._cond: self._available.append(c); self._cond.notify()
"""
    TAGS = ("async", "pooling", "latency")
    TRIGGERS = POOL_ACQUIRE_TRIGGERS
    VALID = (
        Valid(
            """\
            async def acquire(self):
                async with self._cond:
                    await self._cond.wait_for(lambda: self._available)
                    return self._available.popleft()
            """
        ),
        Valid(
            """\
            async def poll_status(self):
                while True:
                    await self.refresh()
                    await asyncio.sleep(1)
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            async def acquire(self, timeout=30.0):
                while True:
                    async with self._lock:
                        if self._available:
                            return self._available.popleft()
                    await asyncio.sleep(0.1)
            """,
            line=6,
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.asynchronous is None or not POOL_ACQUIRE_NAME.match(node.name.value):
            return
        for sub, ancestors in body_nodes(node):
            if isinstance(sub, cst.Call) and call_name(sub) == "sleep":
                if enclosing_loop(sub, ancestors) is None:
                    continue
                self.report(
                    sub,
                    f"{node.name.value}() waits for a free slot with "
                    f"`{source_of(sub)}` in a loop: wait on an asyncio.Condition/Queue/"
                    f"Semaphore that release() signals.",
                )
                return

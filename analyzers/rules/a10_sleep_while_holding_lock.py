"""CIA1005: sleeping (rate limiting, backoff) while holding a lock."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import body_nodes, dotted, import_map, indented_under, source_of

_SLEEPS = frozenset({"time.sleep", "asyncio.sleep"})
_WITH_LOCK = re.compile(r"^\s*(?:async\s+)?with\b[^\n]*(?i:lock)")
_SLEEP_CALL = re.compile(r"sleep\(")
# Functions that stop or tear something down: a rare action (a user's stop, shutdown), not the
# path every caller takes (`stop_device_processing`, `closeAll`, `_shutdown_workers`).
_STOP_ACTION = re.compile(
    r"^_*(?:stop|close|shutdown|shut_down|teardown|tear_down|cleanup|clean_up|exit|quit"
    r"|terminate|dispose|unload|disconnect)(?:_|[A-Z]|$)",
    re.I,
)
# A stop action's delay under the lock: 4*10 + 2*5 - 2*2 = 46, MEDIUM.
_STOP_IMPACT, _STOP_FREQUENCY = 4, 2


class SleepWhileHoldingLock(Rule):
    """Every other caller waits out this caller's delay too."""

    ID = "CIA1005"
    AREA = 10
    TITLE = "Sleep while holding a lock"
    RATIONALE = (
        "A rate limiter or retry helper that sleeps inside `with lock:` makes every other "
        "caller queue behind the sleep, so N callers wait N delays in sequence instead of "
        "concurrently; with `time.sleep` under a threading lock on the event loop thread, "
        "the whole loop freezes."
    )
    IMPACT = 6
    FREQUENCY = 4
    DIFFICULTY = 2
    RECOMMENDATION = (
        "Compute the wait under the lock (reserve the token / timestamp), release the lock, "
        "then sleep; re-acquire only to record the result."
    )
    EXAMPLE_BEFORE = """\
async with self._lock:
    wait = self._next_slot - time.monotonic()
    await asyncio.sleep(wait)
    self._next_slot = time.monotonic() + self._interval
"""
    EXAMPLE_AFTER = """\
async with self._lock:
    now = time.monotonic()
    wait = max(0.0, self._next_slot - now)
    self._next_slot = max(now, self._next_slot) + self._interval
await asyncio.sleep(wait)
"""
    TAGS = ("concurrency", "contention")
    TRIGGERS = ("sleep(",)
    VALID = (
        Valid(
            """\
            import asyncio
            async def acquire(self):
                async with self._lock:
                    wait = self._reserve()
                await asyncio.sleep(wait)
            """
        ),
        # A zero sleep only lets other tasks run; it adds no delay to anyone.
        Valid(
            """\
            import asyncio
            async def add(self, item):
                async with self._lock:
                    self._items.append(item)
                    await asyncio.sleep(0)
            """
        ),
    )
    INVALID = (
        # Stopping each worker under the lock with a short settle delay: others wait only
        # while a user stops them (MEDIUM), and the message says so.
        Invalid(
            """\
            import asyncio
            async def stop_workers(self, ids):
                async with self._lock:
                    for wid in ids:
                        self._workers.pop(wid).cancel()
                        await asyncio.sleep(0.1)
            """,
            line=6,
            message_contains="only while something is being stopped",
        ),
        Invalid(
            """\
            import time
            def acquire(self):
                with self._lock:
                    while self._tokens < 1:
                        time.sleep(0.05)
                        self._refill()
            """,
            line=5,
            message_contains="self._lock",
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        return super().wants(source) and indented_under(source, _WITH_LOCK, _SLEEP_CALL)

    def visit_Module(self, node: cst.Module) -> None:
        self._imports = import_map(node)
        self._functions: list[str] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node.name.value)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._functions.pop()

    def visit_With(self, node: cst.With) -> None:
        locks = [n for item in node.items if (n := dotted(item.item)) and "lock" in n.lower()]
        if not locks:
            return
        for sub, _ in body_nodes(node.body):
            if isinstance(sub, cst.Call) and self._imports.qualify(sub.func) in _SLEEPS:
                delay = sub.args[0].value if sub.args else None
                if (
                    isinstance(delay, (cst.Integer, cst.Float))
                    and float(delay.evaluated_value) == 0
                ):
                    continue  # `sleep(0)` yields to the loop; nobody waits out a delay
                name = self._functions[-1] if self._functions else ""
                stop = bool(_STOP_ACTION.match(name))
                when = (
                    f" (in `{name}`: only while something is being stopped, a rare action)"
                    if stop
                    else ""
                )
                self.report(
                    sub,
                    f"`{source_of(sub)}` runs while `{locks[0]}` is held: every other caller "
                    f"waits out this delay too{when}; compute the wait under the lock, sleep "
                    "after.",
                    impact=_STOP_IMPACT if stop else None,
                    frequency=_STOP_FREQUENCY if stop else None,
                )
                return

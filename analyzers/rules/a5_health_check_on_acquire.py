"""CIA502: a pool runs a health-check query each time a connection is handed out."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import (
    POOL_ACQUIRE_NAME,
    POOL_ACQUIRE_TRIGGERS,
    body_nodes,
    call_name,
    names_text,
    source_of,
)

_CHECK = re.compile(r"(health|ping|is_alive|is_healthy|validate|check_connection)", re.I)


class HealthCheckOnAcquire(Rule):
    """A round trip to the server before every use of a pooled connection."""

    ID = "CIA502"
    AREA = 5
    TITLE = "Health check on every pool acquire"
    RATIONALE = (
        "Running `SELECT 1` (or a ping) each time a connection leaves the pool adds a full "
        "network round trip to every query, usually while the pool lock is held, so it "
        "doubles the latency of short queries and serializes acquirers."
    )
    IMPACT = 4
    FREQUENCY = 6
    DIFFICULTY = 3
    RECOMMENDATION = (
        "Check health only for connections idle longer than a threshold (e.g. 30 s, kept as "
        "`last_used`), or in a periodic background sweep; otherwise hand the connection out "
        "and treat a failure on first use as the health signal (discard and retry once)."
    )
    EXAMPLE_BEFORE = """\
pooled = self._available.popleft()
if await self._health_check(pooled):
    return pooled.connection
"""
    EXAMPLE_AFTER = """\
pooled = self._available.popleft()
if pooled.idle_seconds() < HEALTH_CHECK_AFTER_S or await self._health_check(pooled):
    return pooled.connection
"""
    TAGS = ("async", "pooling", "latency")
    TRIGGERS = POOL_ACQUIRE_TRIGGERS
    VALID = (
        Valid(
            """\
            async def acquire(self):
                pooled = self._available.popleft()
                if pooled.idle_seconds() > 30 and not await self._health_check(pooled):
                    return None
                return pooled
            """
        ),
        Valid(
            """\
            async def _sweep(self):
                for pooled in self._available:
                    await self._health_check(pooled)
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            async def acquire(self, timeout=30.0):
                while self._available:
                    pooled = self._available.popleft()
                    if await self._health_check(pooled):
                        return pooled.connection
            """,
            line=4,
            message_contains="self._health_check",
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not POOL_ACQUIRE_NAME.match(node.name.value):
            return
        for sub, ancestors in body_nodes(node):
            if not (isinstance(sub, cst.Call) and _CHECK.search(call_name(sub))):
                continue
            # An idle-time or age condition guarding the check is the recommended fix.
            guarded = any(
                isinstance(anc, (cst.If, cst.BooleanOperation))
                and re.search(r"idle|age|last_used|elapsed", names_text(getattr(anc, "test", anc)))
                for anc in ancestors
            )
            if guarded:
                continue
            self.report(
                sub,
                f"`{source_of(sub.func)}()` runs on every {node.name.value}(): check only "
                f"connections idle past a threshold, or sweep in the background.",
            )
            return

"""An asyncio connection pool shaped like CasareRPA's pools (`utils/pooling/*_pool.py`).

`acquire` hands out an idle connection, opens a new one while below `max_size`, or waits for
a release until `timeout`. Connections come from a `connect` coroutine factory; the default
makes in-process `FakeConnection` objects (no network). Deliberate defect the inspector should
find: a health check (an await on the loop) on *every* acquire, not only on connections that
have been idle for a while.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from typing import Any


class PoolExhaustedError(TimeoutError):
    """No connection became free within the acquire timeout."""


class FakeConnection:
    """An in-process stand-in for a database or HTTP connection."""

    _ids = itertools.count(1)

    def __init__(self, latency_s: float = 0.002) -> None:
        self.connection_id = next(self._ids)
        self.latency_s = latency_s
        self.closed = False
        self.queries = 0

    async def execute(self, query: str) -> str:
        await asyncio.sleep(self.latency_s)
        self.queries += 1
        return f"{query}: ok"

    async def ping(self) -> bool:
        await asyncio.sleep(0)
        return not self.closed

    async def close(self) -> None:
        self.closed = True


async def _fake_connect() -> FakeConnection:
    return FakeConnection()


class ConnectionPool:
    """A bounded pool of connections with async acquire/release and usage statistics."""

    def __init__(
        self,
        max_size: int = 4,
        connect: Callable[[], Awaitable[Any]] | None = None,
        health_check_s: float = 0.002,
    ) -> None:
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        self.max_size = max_size
        self._connect = connect or _fake_connect
        self._health_check_s = health_check_s
        self._idle: list[Any] = []
        self._in_use: set[int] = set()
        self._all: dict[int, Any] = {}
        self._waiters = 0
        self._opening = 0
        self._released = asyncio.Condition()
        self.created = 0
        self.closed_count = 0
        self.acquires = 0
        self.total_wait_s = 0.0

    async def acquire(self, timeout: float = 5.0) -> Any:  # noqa: ASYNC109  (the API CasareRPA pools have)
        """Return a connection, waiting up to `timeout` s; raises PoolExhaustedError."""
        started = time.perf_counter()
        deadline = started + timeout
        async with self._released:
            while not self._idle and len(self._all) + self._opening >= self.max_size:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    raise PoolExhaustedError(f"no connection free within {timeout} s")
                self._waiters += 1
                try:
                    await asyncio.wait_for(self._released.wait(), remaining)
                except TimeoutError:
                    raise PoolExhaustedError(f"no connection free within {timeout} s") from None
                finally:
                    self._waiters -= 1
            conn = self._idle.pop() if self._idle else None
            if conn is None:
                self._opening += 1
        if conn is None:
            try:
                conn = await self._connect()
            finally:
                self._opening -= 1
            self._all[id(conn)] = conn
            self.created += 1
        # Deliberate defect: a health-check round trip on every acquire, even for a
        # connection released a millisecond ago.
        await asyncio.sleep(self._health_check_s)
        self._in_use.add(id(conn))
        self.acquires += 1
        self.total_wait_s += time.perf_counter() - started
        return conn

    async def release(self, conn: Any) -> None:
        """Give a connection back; unknown connections are ignored."""
        if id(conn) not in self._in_use:
            return
        self._in_use.discard(id(conn))
        async with self._released:
            self._idle.append(conn)
            self._released.notify()

    async def close(self) -> None:
        """Close every connection (in use or idle) and empty the pool."""
        for conn in list(self._all.values()):
            closer = getattr(conn, "close", None)
            if closer is not None:
                result = closer()
                if asyncio.iscoroutine(result):
                    await result
            self.closed_count += 1
        self._all.clear()
        self._idle.clear()
        self._in_use.clear()

    def get_stats(self) -> dict[str, Any]:
        return {
            "size": len(self._all),
            "max_size": self.max_size,
            "in_use": len(self._in_use),
            "idle": len(self._idle),
            "waiters": self._waiters,
            "created": self.created,
            "closed": self.closed_count,
            "acquires": self.acquires,
            "avg_wait_ms": 1000 * self.total_wait_s / self.acquires if self.acquires else 0.0,
        }

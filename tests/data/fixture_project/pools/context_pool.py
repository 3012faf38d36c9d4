"""A browser-context pool and a DB pool shaped like CasareRPA's utils/pooling."""

import asyncio
from collections import deque


class ContextPool:
    def __init__(self, browser, max_size=10):
        self._browser = browser
        self._max_size = max_size
        self._available = deque()
        self._in_use = set()
        self._lock = asyncio.Lock()

    async def acquire(self):
        while True:
            async with self._lock:  # expect: CIA501
                if self._available:
                    ctx = self._available.popleft()
                    self._in_use.add(ctx)
                    return ctx
                if len(self._in_use) < self._max_size:
                    ctx = await self._browser.new_context()
                    self._in_use.add(ctx)
                    return ctx
            await asyncio.sleep(0.1)  # expect: CIA503

    async def release(self, ctx):
        async with self._lock:
            self._in_use.discard(ctx)
            self._available.append(ctx)

    async def close(self):
        async with self._lock:
            for ctx in self._available:
                await ctx.close()


class ConnectionPool:
    def __init__(self, connect):
        self._connect = connect
        self._idle = deque()

    async def get_connection(self):
        while self._idle:
            conn = self._idle.popleft()
            if await self._ping(conn):  # expect: CIA502
                return conn
        return await self._connect()

    async def _ping(self, conn):
        try:
            await conn.execute("SELECT 1")
            return True
        except OSError:
            return False

    async def cleanup_idle(self):  # expect: CIA504
        while self._idle:
            conn = self._idle.pop()
            await conn.close()


class SessionPool:
    """Creates before it looks at its parked sessions: grows past max_size."""

    def __init__(self, factory, max_size=4):
        self._factory = factory
        self._max_size = max_size
        self._idle = []
        self._busy = set()
        self._released = asyncio.Event()

    async def acquire(self):
        if len(self._busy) < self._max_size:  # expect: CIA505
            session = await self._factory()
            self._busy.add(session)
            return session
        while not self._idle:
            await self._released.wait()
        return self._idle.pop()

    def release(self, session):
        self._busy.discard(session)
        self._idle.append(session)
        self._released.set()

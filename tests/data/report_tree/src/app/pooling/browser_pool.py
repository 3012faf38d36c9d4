"""Browser pool (report fixture)."""

import asyncio


class BrowserPool:
    def __init__(self, max_size: int = 10) -> None:  # MARK:pool-oversized
        self.max_size = max_size
        self._lock = asyncio.Lock()
        self._idle: list = []

    async def acquire(self):
        async with self._lock:  # MARK:lock-held-across-await
            await asyncio.sleep(0.01)
            return self._idle.pop() if self._idle else object()

"""Parallel executor (report fixture)."""

import asyncio


class ParallelExecutor:
    def __init__(self) -> None:
        self.semaphore = asyncio.Semaphore(4)  # MARK:hardcoded-concurrency

    async def run_all(self, coros: list) -> list:
        return await asyncio.gather(*coros)  # MARK:unbounded-gather

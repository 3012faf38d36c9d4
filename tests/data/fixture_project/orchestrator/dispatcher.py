"""Dispatcher and server shaped like an orchestrator's (fixture): recall-rule defects."""

import asyncio


class JobDispatcher:
    def __init__(self, queue):
        self._queue = queue
        self._running = True
        self._interval = 5

    async def _dispatch_loop(self):
        while self._running:
            await self._dispatch_pending_jobs()
            await asyncio.sleep(self._interval)

    async def _dispatch_pending_jobs(self):
        for job in self._queue.pending():
            await job.run()


class RobotServer:
    def __init__(self):
        self._connections = {}
        self._request_counts = {}

    async def broadcast(self, message):
        for conn in self._connections.values():
            await conn.send(message)

    def check_rate_limit(self, client_id, now):
        self._request_counts[client_id] = now
        return True

    def accept(self, client_id, conn):
        self._connections[client_id] = conn

    def drop(self, client_id):
        self._connections.pop(client_id, None)

"""The orchestrator engine: async loops around the thread-locked queue (fixture)."""

import asyncio

from .job_queue import JobQueue


class OrchestratorEngine:
    def __init__(self, store):
        self._store = store
        self._job_queue = JobQueue()
        self._connections = set()
        self._running = False

    async def dispatch(self, robot):
        job = self._job_queue.dequeue(robot)
        if job is not None:
            await self._send(robot, job)

    async def _send(self, robot, job):
        await robot.websocket.send(job.to_json())

    async def on_robot_connected(self, websocket):
        self._connections.add(websocket)

    def on_status_change(self, job):
        asyncio.create_task(self._persist_job(job))

    async def _persist_loop(self):
        while self._running:
            await asyncio.sleep(10)
            for job in self._store.running_jobs():
                await self._persist_job(job)

    async def _persist_job(self, job):
        await self._store.upsert(job.to_dict())

"""Job engine (report fixture)."""

import asyncio
import threading


class JobEngine:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, dict] = {}

    async def submit(self, job_id: str, job: dict) -> None:
        with self._lock:  # MARK:thread-lock-in-async
            self._jobs[job_id] = job
        await asyncio.sleep(0)

    def dequeue(self, robot: str) -> dict | None:
        for job in self._jobs.values():  # MARK:linear-dequeue
            if job.get("robot") == robot:
                return job
        return None

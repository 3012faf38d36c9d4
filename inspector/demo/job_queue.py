"""A robot job queue shaped like CasareRPA's orchestrator `JobQueue`.

`dequeue(robot)` scans every pending job linearly under a `threading.Lock` for the first one
the robot may run (same environment, highest priority first), so dequeue time grows with the
backlog. Deliberate defect the inspector should find: `_jobs` keeps every job ever enqueued;
`complete` marks a job done but never removes it, so the dict only grows.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Job:
    """A unit of work for a robot."""

    workflow: str
    environment: str = "default"
    priority: int = 0
    job_id: str = ""
    status: str = "pending"
    created: float = field(default_factory=time.time)
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Job:
        return cls(
            workflow=str(data.get("workflow", "")),
            environment=str(data.get("environment", "default")),
            priority=int(data.get("priority", 0)),
            job_id=str(data.get("job_id", "")),
        )


@dataclass
class Robot:
    """A worker that takes jobs from one environment."""

    robot_id: str
    environment: str = "default"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Robot:
        return cls(str(data["robot_id"]), str(data.get("environment", "default")))


class JobQueue:
    """Pending jobs by priority; robots take the first job of their environment."""

    _ids = itertools.count(1)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._pending: list[Job] = []

    def enqueue(self, job: Job) -> str:
        with self._lock:
            if not job.job_id:
                job.job_id = f"job-{next(self._ids)}"
            job.status = "pending"
            self._jobs[job.job_id] = job
            self._pending.append(job)
            return job.job_id

    def dequeue(self, robot: Robot) -> Job | None:
        """The highest-priority pending job for the robot's environment, or None."""
        with self._lock:
            best: Job | None = None
            for job in self._pending:  # linear scan: O(backlog) per dequeue
                if job.environment != robot.environment:
                    continue
                if best is None or job.priority > best.priority:
                    best = job
            if best is None:
                return None
            self._pending.remove(best)
            best.status = "running"
            best.params["robot"] = robot.robot_id
            return best

    def complete(self, job_id: str) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                # Deliberate defect: the finished job stays in _jobs forever.
                job.status = "completed"

    def get_queue_depth(self) -> int:
        with self._lock:
            return len(self._pending)

    def get_queue_stats(self) -> dict[str, int]:
        with self._lock:
            return {"pending": len(self._pending), "known": len(self._jobs)}

"""A priority job queue guarded by a thread lock (fixture)."""

import heapq
import threading

from loguru import logger


class QueuedItem:
    def __init__(self, priority, job_id):
        self.priority = priority
        self.job_id = job_id

    def __lt__(self, other):
        return self.priority < other.priority


class JobQueue:
    def __init__(self):
        self._lock = threading.Lock()
        self._queue = []
        self._jobs = {}
        self._running = {}

    def enqueue(self, job):
        with self._lock:
            self._jobs[job.id] = job
            heapq.heappush(self._queue, QueuedItem(job.priority, job.id))

    def dequeue(self, robot):
        with self._lock:
            skipped = []
            selected = None
            while self._queue:
                item = heapq.heappop(self._queue)
                job = self._jobs.get(item.job_id)
                if job.robot_id and job.robot_id != robot.id:
                    logger.debug(f"job {job.id} is for robot {job.robot_id}: {job.payload}")
                    skipped.append(item)
                    continue
                selected = item
                break
            for item in skipped:
                heapq.heappush(self._queue, item)
            if selected is None:
                return None
            self._running[selected.job_id] = robot.id
            return self._jobs[selected.job_id]

    def complete(self, job_id):
        with self._lock:
            self._running.pop(job_id, None)

    def start_reaper(self, pool):
        pool.submit(self.reap_finished)

    def reap_finished(self):
        with self._lock:
            self._running.clear()

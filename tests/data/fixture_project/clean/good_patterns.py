"""The same shapes as the rest of the fixture, written the way the rules recommend."""

import asyncio
import copy
import time
from collections import defaultdict, deque

from loguru import logger


class JobQueue:
    def __init__(self):
        self._lock = asyncio.Lock()
        self._by_robot = defaultdict(deque)
        self._jobs = {}

    async def enqueue(self, job):
        async with self._lock:
            self._jobs[job.id] = job
            self._by_robot[job.robot_id].append(job.id)

    async def dequeue(self, robot):
        async with self._lock:
            queue = self._by_robot.get(robot.id)
            return self._jobs.pop(queue.popleft()) if queue else None


class Engine:
    def __init__(self, queue):
        self._queue = queue
        self._tasks = set()
        self._history = deque(maxlen=1000)
        self._dirty = set()
        self._running = False

    def on_status_change(self, job):
        task = asyncio.create_task(self._save(job))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _persist_loop(self):
        while self._running:
            await asyncio.sleep(10)
            dirty, self._dirty = self._dirty, set()
            if dirty:
                await self._save_many(dirty)

    async def _save(self, job):
        self._history.append(job.id)

    async def _save_many(self, jobs):
        return len(jobs)

    async def pause(self, seconds):
        await asyncio.sleep(seconds)
        await asyncio.to_thread(time.sleep, 0)


def blocking_helper():
    time.sleep(1)


async def uses_helper_off_loop():
    await asyncio.to_thread(blocking_helper)


def route(connections):
    outgoing = defaultdict(list)
    for c in connections:
        outgoing[c.source].append(c)
        logger.debug("edge {} -> {}", c.source, c.target)
    return outgoing


def clone_once(config):
    return copy.deepcopy(config)


class TriggerManager:
    def __init__(self, start_limit):
        self._start_limit = start_limit
        self._triggers = {}
        self._work = asyncio.Event()
        self._seen_ids = deque(maxlen=10_000)

    async def start_all(self):
        limit = asyncio.Semaphore(self._start_limit)

        async def start(trigger):
            async with limit:
                await asyncio.wait_for(trigger.start(), timeout=10)

        await asyncio.gather(*(start(t) for t in self._triggers.values()), return_exceptions=True)

    async def _dispatch_loop(self):
        while self._triggers:
            await self._work.wait()
            self._work.clear()

    def _check_mailbox(self, uid):
        self._seen_ids.append(uid)


class PageRegistry:
    def __init__(self):
        self.pages = {}

    async def close_page(self, name):
        page = self.pages.pop(name, None)
        if page is not None:
            await page.close()

    async def title_of(self, browser, url):
        page = await browser.new_page()
        try:
            await page.goto(url)
            return await page.title()
        finally:
            await page.close()

    def publish(self, event):
        logger.debug("Publishing {}", event.event_type)


class NodeIndex:
    def __init__(self, names):
        self._entries = [(name.lower(), name) for name in names]

    def search(self, query):
        return [name for lowered, name in self._entries if query in lowered]


class NodeSearchBox:
    def set_names(self, names):
        self._index = NodeIndex(names)

    def on_text_changed(self, text):
        return self._index.search(text.lower())


class HistoryPanel:
    def __init__(self, label):
        self._label = label
        self._entries = deque(maxlen=1000)
        self._total = 0.0

    def append_entry(self, entry):
        self._entries.append(entry)
        self._total += entry["seconds"]
        self._label.setText(f"Total: {self._total:.1f}s")

"""CIA107: a dispatch/claim loop that wakes on a fixed interval to look for pending work."""

from __future__ import annotations

import re

from analyzers.findings import ChainStep
from analyzers.project import FunctionInfo, ProjectModel
from analyzers.project_rule import ProjectRule
from analyzers.rule import Invalid, Valid

# Calls that look for work someone else queued: the enqueue side could wake the loop instead.
_LOOKS_FOR_WORK = re.compile(
    r"(dispatch|pending|ready_jobs|new_jobs|check_for_jobs|next_job|claim_job|claim_next|"
    r"process_queue|queued)",
    re.I,
)


# Awaiting one of these in the loop means the loop is woken by work (a queue's get, an
# event's wait): a sleep elsewhere in it is a back-off for work not yet due, not a poll.
_WAKERS = frozenset({"get", "wait", "recv", "receive"})


# A blocking wait on a thread-safe queue or event returns as soon as an item is put or the
# event set: with a timeout it is an event wait with a safety net, not a fixed-interval poll.
_BLOCKING_WAKERS = re.compile(
    r"^(queue\.\w*Queue\.get|multiprocessing\.\w*Queue\.get|threading\.(Event|Condition)\.wait)$"
)


def _waits_for_work(project: ProjectModel, fn: FunctionInfo, first: int, last: int) -> bool:
    for c in fn.calls:
        if not first <= c.line <= last or c.target.rsplit(".", 1)[-1] not in _WAKERS:
            continue
        if c.awaited or _BLOCKING_WAKERS.match(project.typed_target(fn, c.target)):
            return True
    return False


# The same loop keeps a connection to a server alive (heartbeats, reconnects): the queue it
# polls lives in another process or machine, so no in-process event can wake it. A small
# query per tick and a pickup latency of one interval is that design's price, not a defect
# of this code: LOW, and the finding says what would remove the latency (a push channel).
_REMOTE_CLIENT = re.compile(r"heartbeat|reconnect|^_?connect$|^_?ping$|keep_?alive", re.I)
_REMOTE_IMPACT = 2
_REMOTE_FREQUENCY = 2


def _remote_client(fn: FunctionInfo, first: int, last: int) -> str:
    """The heartbeat/reconnect call in the loop's lines that marks a remote queue, or ""."""
    for c in fn.calls:
        if first <= c.line <= last and _REMOTE_CLIENT.search(c.target.rsplit(".", 1)[-1]):
            return c.target
    return ""


class DispatchByPolling(ProjectRule):
    """`while running: dispatch_pending(); await asyncio.sleep(5)`: work waits for the tick."""

    ID = "CIA107"
    AREA = 1
    TITLE = "Pending work dispatched by fixed-interval polling"
    RATIONALE = (
        "The loop sleeps a fixed interval and then looks for pending jobs. A job submitted "
        "just after a tick waits for the whole interval before it is dispatched (latency), "
        "and every idle tick still pays for the scan of queue and robots (waste). The side "
        "that enqueues the job knows exactly when there is work."
    )
    IMPACT = 4
    FREQUENCY = 6
    DIFFICULTY = 3
    RECOMMENDATION = (
        "Wake the loop from the enqueue side: `await self._work_available.wait()` (an "
        "asyncio.Event set by enqueue and by robot-became-free), an asyncio.Queue, or a "
        "database LISTEN/NOTIFY or realtime subscription; keep a long timeout as a safety net."
    )
    EXAMPLE_BEFORE = (
        "while self._running:\n    await self._dispatch_pending_jobs()\n"
        "    await asyncio.sleep(self._dispatch_interval)"
    )
    EXAMPLE_AFTER = (
        "while self._running:\n    with contextlib.suppress(asyncio.TimeoutError):\n"
        "        await asyncio.wait_for(self._work_available.wait(), timeout=60)\n"
        "    self._work_available.clear()\n    await self._dispatch_pending_jobs()"
    )
    TAGS = ("async", "latency", "polling")
    TRIGGERS = ("sleep", "wait_for")
    VALID = (
        Valid(
            "import asyncio\nclass D:\n    async def _loop(self):\n        while self._running:\n"
            "            job = await self._queue.get()\n            await self._dispatch(job)\n"
        ),
        # Woken by its queue; the sleep only backs off when the first item is not due yet.
        Valid(
            "import asyncio\nclass Sender:\n    async def process_send_queue(self):\n"
            "        while True:\n            due, key = await self.send_queue.get()\n"
            "            if due > now():\n                self.send_queue.put_nowait((due, key))\n"
            "                await asyncio.sleep(1)\n                continue\n"
            "            self._send_pending_message(key)\n"
        ),
        # Woken by a thread-safe queue: `get(timeout=...)` returns as soon as an item is put,
        # and `sleep(0)` only yields to the loop's other tasks.
        Valid(
            "import asyncio, queue\nclass Relay:\n    def __init__(self):\n"
            "        self.inbox = queue.Queue()\n    async def _pump(self):\n"
            "        while self.running:\n            try:\n"
            "                item = self.inbox.get(timeout=0.1)\n"
            "            except queue.Empty:\n                await asyncio.sleep(0)\n"
            "                continue\n            await self.dispatch_event(item)\n"
        ),
        # Periodic maintenance (health checks, heartbeats) has no event to wait for.
        Valid(
            "import asyncio\nclass S:\n    async def _health_loop(self):\n"
            "        while self._running:\n            await self._check_robot_health()\n"
            "            await asyncio.sleep(30)\n"
        ),
    )
    INVALID = (
        # A robot polling its server's job table next to its heartbeat: reported, but LOW
        # and saying that the queue is remote.
        Invalid(
            "import asyncio\n"
            "class Worker:\n"
            "    async def _run(self):\n"
            "        while self.running:\n"
            "            await self._send_heartbeat()\n"
            "            await self._claim_next()\n"
            "            await asyncio.sleep(self.poll_interval)\n",
            line=4,
            message_contains="polls a remote queue",
        ),
        Invalid(
            "import asyncio\n"
            "class JobDispatcher:\n"
            "    async def _dispatch_loop(self, queue):\n"
            "        while self._running:\n"
            "            await self._dispatch_pending_jobs(queue)\n"
            "            await asyncio.sleep(self._dispatch_interval)\n",
            line=4,
            message_contains="_dispatch_pending_jobs",
        ),
    )

    def check_project(self) -> None:
        for fn in self.functions():
            for loop in fn.loops:
                hits = [
                    c
                    for c in fn.calls
                    if loop.line <= c.line <= loop.end_line
                    and _LOOKS_FOR_WORK.search(c.target.rsplit(".", 1)[-1])
                ]
                if not hits or _waits_for_work(self.project, fn, loop.line, loop.end_line):
                    continue
                first = hits[0]
                remote = _remote_client(fn, loop.line, loop.end_line)
                if remote:
                    message = (
                        f"`{fn.name}` polls a remote queue (`{first.target}()`) every tick of "
                        f"the loop that also keeps its server connection (`{remote}()`): the "
                        "enqueue side is another process, so a job waits up to one interval; "
                        "only a push channel (LISTEN/NOTIFY, a realtime subscription) would "
                        "remove that latency, a small query per tick is the intended design."
                    )
                else:
                    message = (
                        f"`{fn.name}` sleeps a fixed interval between looks for pending work "
                        f"(`{first.target}()`): work submitted after a tick waits for the next "
                        "one and idle ticks still scan; wake the loop from the enqueue side."
                    )
                self.report_at(
                    loop.line,
                    message,
                    impact=_REMOTE_IMPACT if remote else None,
                    frequency=_REMOTE_FREQUENCY if remote else None,
                    end_line=loop.line,
                    related=(
                        ChainStep(fn.relpath, first.line, fn.qualname, first.target),
                        ChainStep(
                            fn.relpath, loop.sleep_line, fn.qualname, f"sleep({loop.interval})"
                        ),
                    ),
                )
                break

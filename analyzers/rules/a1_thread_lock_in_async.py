"""CIA101: a `threading.Lock` taken on the event loop (in a coroutine or a sync method it calls)."""

from __future__ import annotations

from analyzers.findings import ChainStep
from analyzers.matching import short_name
from analyzers.project import FunctionInfo, ProjectModel
from analyzers.project_rule import ProjectRule
from analyzers.rule import Invalid, Valid

# Per lock, report at most this many coroutine call sites (the fix is the same for all).
_MAX_SITES_PER_LOCK = 2


def _thread_locks(project: ProjectModel, fn: FunctionInfo) -> list[tuple[int, str, str, int]]:
    """(line, `self._lock`, lock type, await line) for each thread lock `fn` takes itself."""
    out = []
    if not fn.cls:
        return out
    for use in fn.lock_uses:
        kind = project.lock_kind(fn.cls, use.lock.removeprefix("self."))
        if kind is not None:
            out.append((use.line, use.lock, kind, use.await_line))
    return out


class ThreadLockInAsync(ProjectRule):
    """Thread locks block the whole event loop when contended, and deadlock across `await`."""

    ID = "CIA101"
    AREA = 1
    TITLE = "threading.Lock used on the event loop"
    RATIONALE = (
        "A `threading.Lock` blocks the thread that waits for it. On the event loop thread "
        "that is every coroutine at once; held across an `await`, another coroutine that "
        "takes the same lock blocks the loop forever (a deadlock), and a worker thread "
        "holding it stalls the loop for as long as it holds it."
    )
    IMPACT = 5
    FREQUENCY = 4
    DIFFICULTY = 4
    RECOMMENDATION = (
        "State shared only between coroutines needs no thread lock at all (one thread) or "
        "an `asyncio.Lock`; state shared with threads should be handed over through "
        "`loop.call_soon_threadsafe` / a `queue.Queue`, or the critical section kept tiny "
        "and never held across an await."
    )
    EXAMPLE_BEFORE = (
        "async def dispatch(self):\n    with self._lock:            # threading.Lock\n"
        "        job = self._queue.pop()\n        await self._send(job)"
    )
    EXAMPLE_AFTER = (
        "async def dispatch(self):\n    async with self._alock:     # asyncio.Lock\n"
        "        job = self._queue.pop()\n    await self._send(job)"
    )
    TAGS = ("async", "lock", "threading")
    TRIGGERS = ("Lock", "Condition", "Semaphore")
    VALID = (
        Valid(
            "import asyncio\nclass Q:\n    def __init__(self):\n"
            "        self._lock = asyncio.Lock()\n"
            "    async def get(self):\n        async with self._lock:\n            return 1\n"
        ),
        Valid(
            "import threading\nclass Q:\n    def __init__(self):\n"
            "        self._lock = threading.Lock()\n"
            "    def get(self):\n        with self._lock:\n            return 1\n"
        ),
    )
    INVALID = (
        Invalid(
            "import threading\n"
            "class Engine:\n"
            "    def __init__(self):\n"
            "        self._lock = threading.Lock()\n"
            "    async def dispatch(self):\n"
            "        with self._lock:\n"
            "            await self.send()\n",
            line=6,
            message_contains="across `await`",
        ),
        Invalid(
            "import threading\n"
            "class JobQueue:\n"
            "    def __init__(self):\n"
            "        self._lock = threading.Lock()\n"
            "    def dequeue(self):\n"
            "        with self._lock:\n"
            "            return None\n"
            "class Engine:\n"
            "    def __init__(self):\n"
            "        self._queue = JobQueue()\n"
            "    async def loop(self):\n"
            "        job = self._queue.dequeue()\n",
            line=12,
            message_contains="JobQueue.dequeue",
        ),
    )

    def check_project(self) -> None:
        project = self.project
        for fn in self.functions():
            if not fn.is_async:
                continue
            for line, lock, kind, await_line in _thread_locks(project, fn):
                if await_line:
                    message = (
                        f"coroutine `{fn.name}` holds {kind} `{lock}` across `await`: "
                        "another coroutine taking it blocks the event loop forever; use an "
                        "asyncio.Lock or release before awaiting."
                    )
                    awaited = ChainStep(fn.relpath, await_line, fn.qualname, "await")
                    self.report_at(line, message, impact=8, related=(awaited,))
                else:
                    message = (
                        f"coroutine `{fn.name}` takes {kind} `{lock}` on the event loop "
                        "thread: whenever another thread holds it, every task stalls; use an "
                        "asyncio.Lock (coroutines only) or hand work over via a queue."
                    )
                    self.report_at(line, message)
        self._sync_lock_callees(project)

    def _sync_lock_callees(self, project: ProjectModel) -> None:
        sites: dict[tuple[str, str], list[tuple[FunctionInfo, int, FunctionInfo, int]]] = {}
        for fn in self.functions():
            if not fn.is_async:
                continue
            seen: set[str] = set()
            for call in fn.calls:
                if call.awaited:
                    continue
                callee = project.resolve(fn, call.target)
                if callee is None or callee.is_async or callee.qualname in seen:
                    continue
                seen.add(callee.qualname)
                for line, lock, kind, _ in _thread_locks(project, callee):
                    key = (callee.cls, lock)
                    sites.setdefault(key, []).append((fn, call.line, callee, line))
                    del kind
                    break
        for (cls, lock), found in sites.items():
            kind = project.lock_kind(cls, lock.removeprefix("self.")) or "threading.Lock"
            for fn, line, callee, lock_line in found[:_MAX_SITES_PER_LOCK]:
                others = len(found) - 1
                more = " (other coroutine call sites in this file do too)" if others else ""
                self.report_at(
                    line,
                    f"coroutine `{fn.name}` calls `{short_name(callee.qualname)}()`, which "
                    f"takes {kind} `{lock}` on the event loop thread; "
                    f"while a worker thread holds it the whole loop stalls{more}. Use "
                    "asyncio-only state or `await asyncio.to_thread(...)`.",
                    chain=(
                        ChainStep(fn.relpath, line, fn.qualname, callee.qualname),
                        ChainStep(callee.relpath, lock_line, callee.qualname, f"with {lock}"),
                    ),
                )

"""CIA101: a `threading.Lock` taken on the event loop (in a coroutine or a sync method it calls)."""

from __future__ import annotations

import re
from collections import deque

from analyzers.findings import ChainStep
from analyzers.matching import BLOCKING_KINDS_ASYNC, short_name
from analyzers.project import CallSite, FunctionInfo, ProjectModel
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


def private_loop_classes(project: ProjectModel) -> frozenset[str]:
    """Classes whose thread body runs its own event loop (`self.loop.run_until_complete(...)`
    in a QThread.run / thread target): their coroutines run on that worker's private loop,
    not the app's main loop, so a thread lock they take stalls no one else's loop."""

    def build() -> frozenset[str]:
        found = set()
        for fn in project.functions.values():
            if not fn.cls or fn.qualname not in project.thread_targets:
                continue
            if any(
                c.target.rsplit(".", 1)[-1] in ("run_until_complete", "run_forever")
                or c.target == "asyncio.run"
                for c in fn.calls
            ):
                found.add(fn.cls)
        return frozenset(found)

    return project.memo("thread-lock-private-loops", build)


def slow_holders(project: ProjectModel) -> dict[tuple[str, str], ChainStep]:
    """(class that owns the lock, `self._lock`) -> where some holder does slow work inside
    the critical section: blocks (a sleep, I/O, a subprocess..., directly or through project
    calls) or drains/rescans in a `while` loop.

    A thread lock only stalls the event loop while another thread holds it; a critical
    section of dict operations or a short `for` loop is over in microseconds, so only locks
    somebody holds for slow work can stall the loop for long."""

    def build() -> dict[tuple[str, str], ChainStep]:
        out: dict[tuple[str, str], ChainStep] = {}
        for fn in project.functions.values():
            if not fn.cls or not fn.lock_uses:
                continue
            for use in fn.lock_uses:
                owner = project.lock_owner(fn.cls, use.lock.removeprefix("self."))
                if owner is None or (owner, use.lock) in out:
                    continue
                why = _slow_work(project, fn, use.line, use.end_line or use.line)
                if why:
                    out[(owner, use.lock)] = ChainStep(fn.relpath, use.line, fn.qualname, why)
        return out

    return project.memo("CIA101.slow_holders", build)


# How many sync calls deep from a thread's entry point a lock taken there still counts.
_THREAD_DEPTH = 4
# Calls that run a function they are handed in another thread (its arguments go there too).
_HANDS_TO_THREAD = frozenset(
    {"Thread", "Timer", "submit", "run_in_executor", "to_thread", "start_new_thread"}
)


def thread_takers(project: ProjectModel) -> dict[tuple[str, str], ChainStep]:
    """(class that owns the lock, `self._lock`) -> a function that may run off the event loop
    thread and takes it: a thread body (`Thread(target=)`, `run_in_executor`, `to_thread`,
    `QThread.run`, `QRunnable.run`), a slot of an object moved to a worker thread, or a sync
    function they call a few calls deep; or a method that hands the lock itself to a thread.

    A thread lock only stalls the event loop while ANOTHER thread holds it. A lock that
    only loop-thread code takes (a GUI-thread event bus, a queue driven from coroutines) is
    never contended: an uncontended acquire costs about 100 ns."""

    def build() -> dict[tuple[str, str], ChainStep]:
        out: dict[tuple[str, str], ChainStep] = {}
        todo: deque[tuple[FunctionInfo, int, str]] = deque()
        for fn in project.functions.values():
            where = project.thread_targets.get(fn.qualname)
            if where is None and fn.cls and fn.cls in project.worker_classes:
                where = project.worker_classes[fn.cls]
            if where is not None and not fn.is_async:
                todo.append((fn, 0, where))
            for call in fn.calls:
                if fn.cls and call.target.rsplit(".", 1)[-1] in _HANDS_TO_THREAD:
                    for ref in call.callables:
                        attr = ref.removeprefix("self.")
                        owner = project.lock_owner(fn.cls, attr) if "." not in attr else None
                        if owner is not None and ref.startswith("self."):
                            why = "hands it to another thread"
                            step = ChainStep(fn.relpath, call.line, fn.qualname, why)
                            out.setdefault((owner, ref), step)
        seen = {fn.qualname for fn, _, _ in todo}
        while todo:
            fn, depth, where = todo.popleft()
            if fn.cls:
                for use in fn.lock_uses:
                    owner = project.lock_owner(fn.cls, use.lock.removeprefix("self."))
                    if owner is not None and (owner, use.lock) not in out:
                        why = f"may run in another thread ({where})"
                        out[(owner, use.lock)] = ChainStep(fn.relpath, use.line, fn.qualname, why)
            if depth >= _THREAD_DEPTH:
                continue
            for call in fn.calls:
                if call.awaited:
                    continue
                callee = project.resolve(fn, call.target)
                if callee is None or callee.is_async or callee.qualname in seen:
                    continue
                seen.add(callee.qualname)
                todo.append((callee, depth + 1, where))
        return out

    return project.memo("CIA101.thread_takers", build)


# Calls that only take entries out of a container (an eviction loop's whole body).
_REMOVALS = frozenset({"pop", "popitem", "popleft", "remove", "discard", "heappop"})
# Calls an eviction loop may make besides removing: its test, logging, picking the victim.
_BOOKKEEPING = frozenset(
    {"len", "next", "iter", "min", "max", "debug", "info", "warning", "trace", "append"}
)


def _evicts_to_cap(fn: FunctionInfo, start: int, end: int) -> bool:
    """`while len(self._items) >= self._max: self._items.pop(oldest)`: the loop trims a
    container back to its cap, which every add keeps, so it runs about once per add; a
    loop that drains or rescans a queue (`while self._queue:`, a handler per entry) does not
    take this shape."""
    head = [c for c in fn.calls if c.line == start]
    if not any(c.target == "builtins.len" for c in head):
        return False
    body = [c for c in fn.calls if start < c.line <= end]
    removes = [c for c in body if c.target.rsplit(".", 1)[-1] in _REMOVALS]
    return bool(removes) and all(
        c.target.rsplit(".", 1)[-1] in _REMOVALS | _BOOKKEEPING for c in body
    )


# A name called in a loop that says it is somebody else's code (`for handler in handlers:`).
_CALLBACK_NAME = re.compile(r"handler|callback|listener|subscriber|observer|hook|^cb$|_cb$", re.I)


def _runs_callbacks(project: ProjectModel, fn: FunctionInfo, call: CallSite) -> str:
    """The name of a callback `call` runs: a parameter called directly, a handler called in
    a loop over subscribers (`for handler in handlers: handler(event)`), or a name handed to
    a project function that calls its parameter (`self._call_handler(handler, event)`).
    Foreign code of any duration under the lock; a local alias of one of the object's own
    methods (`func = self.can_send if ... else self.can_receive`) is none of these."""
    target = call.target
    if "." not in target and project.resolve(fn, target) is None:
        if target in fn.params or (call.loop_line and _CALLBACK_NAME.search(target)):
            return target
        return ""
    callee = project.resolve(fn, call.target)
    if callee is None or callee.is_async:
        return ""
    passed = {name for name in call.callables if "." not in name}
    for inner in callee.calls:
        if inner.target in callee.params and inner.target in passed:
            return inner.target
    return ""


def _slow_work(project: ProjectModel, fn: FunctionInfo, first: int, last: int) -> str:
    # A `while` loop under the lock drains or rescans a queue: as long as the queue is. A
    # `for` over a few entries is not (`loop_iters` names the for-loops and comprehensions),
    # nor is a `while` that evicts the oldest entry to keep a container at its cap.
    for start, end in fn.loop_spans:
        in_section = first < start <= last and start not in fn.loop_iters
        if in_section and not _evicts_to_cap(fn, start, end):
            return "holds it over a `while` loop"
    for call in fn.calls:
        if not first <= call.line <= last or call.awaited:
            continue
        callback = _runs_callbacks(project, fn, call)
        if callback:
            return f"holds it while running callbacks (`{callback}()`)"
        kind = project.call_blocking_kind(fn, call.target)
        if kind in BLOCKING_KINDS_ASYNC:
            return f"holds it while calling `{call.target}()` ({kind})"
        found = project.chain_from_call(fn, call, BLOCKING_KINDS_ASYNC)
        if found is not None:
            return f"holds it while `{short_name(found[0].qualname)}()` blocks ({found[1].kind})"
    return ""


def _steps(slow: ChainStep, taker: ChainStep) -> tuple[ChainStep, ...]:
    return (slow,) if slow == taker else (slow, taker)


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
        # A short loop under the lock is over in microseconds too.
        Valid(
            "import threading\n"
            "class Network:\n"
            "    def __init__(self):\n"
            "        self.interfaces_lock = threading.Lock()\n"
            "    def fee_estimates(self):\n"
            "        fees = []\n"
            "        with self.interfaces_lock:\n"
            "            for iface in self.interfaces.values():\n"
            "                fees.append(iface.fee)\n"
            "        return fees\n"
            "    async def close_interface(self, server):\n"
            "        with self.interfaces_lock:\n"
            "            self.interfaces.pop(server, None)\n"
        ),
        # A few dict operations under the lock: held for microseconds, no stall to speak of.
        Valid(
            "import threading\n"
            "class Network:\n"
            "    def __init__(self):\n"
            "        self.interfaces_lock = threading.Lock()\n"
            "        self.interfaces = {}\n"
            "    def add(self, server, iface):\n"
            "        with self.interfaces_lock:\n"
            "            self.interfaces[server] = iface\n"
            "    async def switch_lagging(self):\n"
            "        with self.interfaces_lock:\n"
            "            interfaces = list(self.interfaces.values())\n"
            "        return interfaces\n"
        ),
        # A local alias of the object's own method is not a callback.
        Valid(
            "import threading\n"
            "class Wallet:\n"
            "    def __init__(self):\n"
            "        self.lock = threading.RLock()\n"
            "    def suggest(self, sending, amount):\n"
            "        with self.lock:\n"
            "            func = self.can_send if sending else self.can_receive\n"
            "            return [c for c in self.channels if func(c) >= amount]\n"
            "    async def pay(self, amount):\n"
            "        return self.suggest(True, amount)\n"
        ),
        # Evicting the oldest entry to stay at a cap: the `while` runs about once per add,
        # so every critical section on this lock is over in microseconds.
        Valid(
            "import threading\n"
            "class FailedJobs:\n"
            "    def __init__(self, cap=500):\n"
            "        self._guard = threading.Lock()\n"
            "        self._by_id = {}\n"
            "        self._order = []\n"
            "        self._cap = cap\n"
            "    async def park(self, job):\n"
            "        with self._guard:\n"
            "            while len(self._by_id) >= self._cap:\n"
            "                oldest = self._order.pop(0)\n"
            "                self._by_id.pop(oldest, None)\n"
            "                log.debug('dropped %s', oldest)\n"
            "            self._by_id[job.id] = job\n"
            "            self._order.append(job.id)\n"
            "    async def requeue(self, job_id):\n"
            "        with self._guard:\n"
            "            job = self._by_id.get(job_id)\n"
            "        return job\n"
        ),
        # The same bus used only on the GUI/loop thread: no other thread ever takes its
        # lock, so the coroutine never waits for it (an uncontended acquire is ~100 ns).
        Valid(
            "import threading\n"
            "class Bus:\n"
            "    def __init__(self):\n"
            "        self._guard = threading.RLock()\n"
            "        self._handlers = []\n"
            "    def publish(self, event):\n"
            "        with self._guard:\n"
            "            for handler in self._handlers:\n"
            "                handler(event)\n"
            "class Picker:\n"
            "    def __init__(self):\n"
            "        self._bus = Bus()\n"
            "    async def open(self, target):\n"
            "        await self._show(target)\n"
            "        self._bus.publish(target)\n"
        ),
        # A worker thread exists, but it takes another object's lock, not the queue's.
        Valid(
            "import threading, time\n"
            "class Stats:\n"
            "    def __init__(self):\n"
            "        self._lock = threading.Lock()\n"
            "    def flush(self):\n"
            "        with self._lock:\n"
            "            self._counts.clear()\n"
            "class JobQueue:\n"
            "    def __init__(self):\n"
            "        self._lock = threading.Lock()\n"
            "        self._stats = Stats()\n"
            "    def dequeue(self):\n"
            "        with self._lock:\n"
            "            while not self._jobs:\n"
            "                time.sleep(0.05)\n"
            "            return self._jobs.pop()\n"
            "    def start(self):\n"
            "        threading.Thread(target=self._stats.flush).start()\n"
            "class Engine:\n"
            "    def __init__(self):\n"
            "        self._queue = JobQueue()\n"
            "    async def loop(self):\n"
            "        return self._queue.dequeue()\n"
        ),
        Valid(  # the coroutines run on the worker thread's own private loop
            "import asyncio, threading, time\n"
            "from PyQt6.QtCore import QThread\n"
            "class Hub:\n"
            "    def __init__(self):\n"
            "        self._lock = threading.Lock()\n"
            "    def emit(self, name):\n"
            "        with self._lock:\n"
            "            handlers = list(self._handlers)\n"
            "    def drop(self, name):\n"
            "        with self._lock:\n"
            "            while name in self._handlers:\n"
            "                time.sleep(0.1)\n"
            "    def start(self):\n"
            "        threading.Thread(target=self.drop, args=('x',)).start()\n"
            "class Watcher(QThread):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.hub = Hub()\n"
            "        self.loop = asyncio.new_event_loop()\n"
            "    async def watch(self):\n"
            "        while True:\n"
            "            self.hub.emit('count')\n"
            "            await asyncio.sleep(2)\n"
            "    def run(self):\n"
            "        asyncio.set_event_loop(self.loop)\n"
            "        self.loop.run_until_complete(self.watch())\n"
        ),
    )
    INVALID = (
        # Subscribers' handlers run inside the critical section: a worker thread publishing
        # holds the lock for as long as its handlers take, and the loop waits that long.
        Invalid(
            "import threading\n"
            "class Bus:\n"
            "    def __init__(self):\n"
            "        self._guard = threading.RLock()\n"
            "        self._handlers = []\n"
            "    def publish(self, event):\n"
            "        with self._guard:\n"
            "            for handler in self._handlers:\n"
            "                self._deliver(handler, event)\n"
            "    def _deliver(self, handler, event):\n"
            "        try:\n"
            "            handler(event)\n"
            "        except Exception:\n"
            "            pass\n"
            "    def watch(self, source):\n"
            "        threading.Thread(target=self._pump, args=(source,)).start()\n"
            "    def _pump(self, source):\n"
            "        for event in source:\n"
            "            self.publish(event)\n"
            "class Picker:\n"
            "    def __init__(self):\n"
            "        self._bus = Bus()\n"
            "    async def open(self, target):\n"
            "        await self._show(target)\n"
            "        self._bus.publish(target)\n",
            line=25,
            message_contains="Bus.publish",
        ),
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
            "import threading, time\n"
            "class JobQueue:\n"
            "    def __init__(self):\n"
            "        self._lock = threading.Lock()\n"
            "    def dequeue(self, robot):\n"
            "        with self._lock:\n"
            "            while not self._jobs:\n"
            "                time.sleep(0.05)\n"
            "            return self._jobs.pop()\n"
            "    def start_reaper(self, pool):\n"
            "        pool.submit(self.reap)\n"
            "    def reap(self):\n"
            "        with self._lock:\n"
            "            self._jobs.clear()\n"
            "class Engine:\n"
            "    def __init__(self):\n"
            "        self._queue = JobQueue()\n"
            "    async def loop(self):\n"
            "        job = self._queue.dequeue(self.robot)\n",
            line=19,
            message_contains="JobQueue.dequeue",
        ),
        # The lock object itself is handed to a pool thread, which holds it while it drains.
        Invalid(
            "import threading, time\n"
            "def drain(lock, items):\n"
            "    with lock:\n"
            "        items.clear()\n"
            "class Cache:\n"
            "    def __init__(self):\n"
            "        self._lock = threading.Lock()\n"
            "        self._items = []\n"
            "    def start(self, pool):\n"
            "        pool.submit(drain, self._lock, self._items)\n"
            "    def refill(self):\n"
            "        with self._lock:\n"
            "            while not self._items:\n"
            "                time.sleep(0.1)\n"
            "    async def get(self):\n"
            "        with self._lock:\n"
            "            return self._items.pop()\n",
            line=16,
            message_contains="Cache.start",
        ),
    )

    def check_project(self) -> None:
        project = self.project
        private = private_loop_classes(project)
        for fn in self.functions():
            if not fn.is_async or fn.cls in private:
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
                    found = self._slow_holder(project, fn, lock)
                    if found is None:
                        continue
                    slow, taker = found
                    message = (
                        f"coroutine `{fn.name}` takes {kind} `{lock}` on the event loop "
                        f"thread, `{short_name(taker.symbol)}` takes it from another thread "
                        f"and `{short_name(slow.symbol)}` {slow.note}: while it does, every "
                        "task stalls; use an asyncio.Lock (coroutines only) or hand work "
                        "over via a queue."
                    )
                    self.report_at(line, message, related=_steps(slow, taker))
        self._sync_lock_callees(project)

    @staticmethod
    def _slow_holder(
        project: ProjectModel, fn: FunctionInfo, lock: str
    ) -> tuple[ChainStep, ChainStep] | None:
        """(where a holder of the lock does slow work, where code that may run in another
        thread takes it); None when no other thread takes it: the loop never waits for it."""
        owner = project.lock_owner(fn.cls, lock.removeprefix("self.")) if fn.cls else None
        taker = thread_takers(project).get((owner, lock)) if owner else None
        slow = slow_holders(project).get((owner, lock)) if taker else None
        return (slow, taker) if slow is not None and taker is not None else None

    def _sync_lock_callees(self, project: ProjectModel) -> None:
        sites: dict[
            tuple[str, str],
            list[tuple[FunctionInfo, int, FunctionInfo, int, tuple[ChainStep, ChainStep] | None]],
        ] = {}
        private = private_loop_classes(project)
        for fn in self.functions():
            if not fn.is_async or fn.cls in private:
                continue
            seen: set[str] = set()
            for call in fn.calls:
                if call.awaited:
                    continue
                callee = project.resolve(fn, call.target)
                if callee is None or callee.is_async or callee.qualname in seen:
                    continue
                seen.add(callee.qualname)
                for line, lock, _kind, await_line in _thread_locks(project, callee):
                    slow = None if await_line else self._slow_holder(project, callee, lock)
                    if not await_line and slow is None:
                        continue
                    key = (callee.cls, lock)
                    sites.setdefault(key, []).append((fn, call.line, callee, line, slow))
                    break
        for (cls, lock), found in sites.items():
            kind = project.lock_kind(cls, lock.removeprefix("self.")) or "threading.Lock"
            for fn, line, callee, lock_line, slow in found[:_MAX_SITES_PER_LOCK]:
                others = len(found) - 1
                more = " (other coroutine call sites in this file do too)" if others else ""
                why = (
                    f", `{short_name(slow[1].symbol)}` takes it from another thread and "
                    f"`{short_name(slow[0].symbol)}` {slow[0].note}"
                    if slow is not None
                    else " across an await"
                )
                self.report_at(
                    line,
                    f"coroutine `{fn.name}` calls `{short_name(callee.qualname)}()`, which "
                    f"takes {kind} `{lock}` on the event loop thread{why}; "
                    f"while a worker thread holds it the whole loop stalls{more}. Use "
                    "asyncio-only state or `await asyncio.to_thread(...)`.",
                    chain=(
                        ChainStep(fn.relpath, line, fn.qualname, callee.qualname),
                        ChainStep(callee.relpath, lock_line, callee.qualname, f"with {lock}"),
                    ),
                    related=_steps(*slow) if slow is not None else (),
                )

"""CIA508: a lock a decorator or context helper holds for a whole call over slow work."""

from __future__ import annotations

import re

from analyzers.findings import ChainStep
from analyzers.matching import short_name
from analyzers.project import CallSite, FunctionInfo, LockUse, ProjectModel
from analyzers.project_rule import ProjectRule
from analyzers.rule import Invalid, Valid

# Waits that hold up every other caller of the lock for a network round trip, a child process
# or another thread. File and database I/O are left out: a lock wrapped around the methods of
# a file- or database-backed store exists to serialize exactly that I/O.
_SLOW_KINDS = frozenset(
    {"sleep", "network", "subprocess", "thread-wait", "ui-automation", "screen-capture"}
)
# Awaited calls that talk to a browser, a database or the network (as CIA501 reads them).
_AWAITED_IO = re.compile(
    r"(connect|request|fetch|send|recv|execute|query|health|ping|download|upload|goto|"
    r"new_context|new_page|launch|post|get)",
    re.IGNORECASE,
)
_NOT_IO = frozenset({"sleep", "wait", "wait_for", "acquire", "release", "put", "get_nowait"})
# Serializing restarts, reconnects or start-up is what such a lock is for.
_SERIALIZING = re.compile(
    r"restart|reconnect|refresh|startup|lifecycle|init|singleton|instance|shutdown|close|stop",
    re.I,
)


def _slow_call(
    project: ProjectModel, fn: FunctionInfo, use: LockUse
) -> tuple[CallSite, str, tuple[ChainStep, ...]] | None:
    """The first call under the lock that sleeps, blocks on I/O (directly or through project
    calls) or awaits network/resource I/O: (call, what it does, chain)."""
    for call in fn.calls:
        if not use.line <= call.line <= (use.end_line or fn.end_line):
            continue
        if call.awaited:
            name = call.target.rsplit(".", 1)[-1]
            if call.target.endswith("sleep"):
                return call, "sleeps", ()
            if name not in _NOT_IO and _AWAITED_IO.search(name):
                return call, "awaits I/O", ()
            continue
        kind = project.call_blocking_kind(fn, call.target)
        if kind in _SLOW_KINDS:
            return call, "sleeps" if kind == "sleep" else f"blocks ({kind})", ()
        found = project.chain_from_call(fn, call, _SLOW_KINDS)
        if found is not None:
            callee, chain = found
            what = "sleeps" if chain.kind == "sleep" else f"blocks ({chain.kind})"
            return call, f"{what} in `{short_name(callee.qualname)}()`", chain.steps
    return None


class LockHeldByDecorator(ProjectRule):
    """`@with_lock` or `with self._locked():` is a lock held for the whole call."""

    ID = "CIA508"
    AREA = 5
    TITLE = "Lock held for a whole call by a decorator or context helper over slow work"
    RATIONALE = (
        "A `@with_lock`/`@synchronized` decorator whose wrapper runs the call inside `with "
        "self.lock:`, or a `@contextmanager` helper that yields inside it, holds the lock for "
        "everything the method does. When that includes a sleep, a network round trip, a "
        "child process or awaited I/O, every other caller of every method sharing the lock "
        "waits it out in sequence: the decorator hides the contention a `with` block shows."
    )
    IMPACT = 6
    FREQUENCY = 4
    DIFFICULTY = 3
    RECOMMENDATION = (
        "Take the lock only around the shared-state bookkeeping: drop the decorator from the "
        "slow method (or split it into a locked part that reads/reserves and an unlocked part "
        "that sleeps or does the I/O), and re-take the lock briefly to record the result."
    )
    EXAMPLE_BEFORE = """\
@with_lock
def fetch_rates(self):
    rates = requests.get(self.url, timeout=10).json()
    self._rates.update(rates)
"""
    EXAMPLE_AFTER = """\
def fetch_rates(self):
    rates = requests.get(self.url, timeout=10).json()
    with self.lock:
        self._rates.update(rates)
"""
    TAGS = ("concurrency", "contention", "lock")
    TRIGGERS = ("lock", "Lock")
    VALID = (
        # The wrapper holds the lock over dict work only.
        Valid(
            """\
            import threading
            def with_lock(func):
                def wrapper(self, *args, **kwargs):
                    with self.lock:
                        return func(self, *args, **kwargs)
                return wrapper

            class History:
                def __init__(self):
                    self.lock = threading.RLock()
                    self._txs = {}

                @with_lock
                def add(self, txid, tx):
                    self._txs[txid] = tx
            """
        ),
        # A file-backed store: the lock exists to serialize the file write.
        Valid(
            """\
            import os, threading
            def locked(func):
                def wrapper(self, *args, **kwargs):
                    with self.lock:
                        return func(self, *args, **kwargs)
                return wrapper

            class HeaderStore:
                def __init__(self):
                    self.lock = threading.RLock()

                @locked
                def write(self, data):
                    with open(self.path, "r+b") as f:
                        f.write(data)
                        os.fsync(f.fileno())
            """
        ),
        # A sync wrapper around a coroutine holds the lock only while the coroutine object
        # is created, not while it runs.
        Valid(
            """\
            import asyncio, threading
            def with_lock(func):
                def wrapper(self, *args, **kwargs):
                    with self.lock:
                        return func(self, *args, **kwargs)
                return wrapper

            class Poller:
                def __init__(self):
                    self.lock = threading.Lock()

                @with_lock
                async def poll(self):
                    await asyncio.sleep(5)
            """
        ),
        # Waiting on the held condition releases it.
        Valid(
            """\
            import threading
            def synchronized(func):
                def wrapper(self, *args, **kwargs):
                    with self._cond:
                        return func(self, *args, **kwargs)
                return wrapper

            class WorkQueue:
                def __init__(self):
                    self._cond = threading.Condition()

                @synchronized
                def take(self):
                    while not self._items:
                        self._cond.wait(timeout=1.0)
                    return self._items.pop()
            """
        ),
        # The helper is a plain context manager, no lock inside.
        Valid(
            """\
            import contextlib, time
            class Recorder:
                @contextlib.contextmanager
                def _timed(self):
                    start = time.monotonic()
                    yield
                    self.elapsed = time.monotonic() - start

                def step(self):
                    with self._timed():
                        time.sleep(0.1)
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            import threading, time
            def synchronized(func):
                def wrapper(self, *args, **kwargs):
                    with self._lock:
                        return func(self, *args, **kwargs)
                return wrapper

            class RateLimiter:
                def __init__(self):
                    self._lock = threading.Lock()

                @synchronized
                def acquire(self):
                    while self._tokens < 1:
                        time.sleep(0.05)
                        self._refill()
                    self._tokens -= 1
            """,
            line=15,
            message_contains="@synchronized",
        ),
        Invalid(
            """\
            import asyncio, contextlib
            class Pool:
                def __init__(self):
                    self._lock = asyncio.Lock()

                @contextlib.asynccontextmanager
                async def _locked(self):
                    async with self._lock:
                        yield

                async def acquire(self):
                    async with self._locked():
                        if self._idle:
                            return self._idle.pop()
                        return await self._browser.new_context()
            """,
            line=15,
            message_contains="self._locked()",
        ),
        # A module-level lock taken with acquire()/release() around a plain function.
        Invalid(
            """\
            import subprocess, threading
            _render_lock = threading.Lock()

            def serialized(func):
                def wrapper(*args, **kwargs):
                    _render_lock.acquire()
                    try:
                        return func(*args, **kwargs)
                    finally:
                        _render_lock.release()
                return wrapper

            @serialized
            def render_preview(path):
                return subprocess.run(["convert", path, "preview.png"], check=True)
            """,
            line=15,
            message_contains="_render_lock",
        ),
        Invalid(
            """\
            import threading, requests
            def with_lock(func):
                def wrapper(self, *args, **kwargs):
                    with self.lock:
                        return func(self, *args, **kwargs)
                return wrapper

            class Rates:
                def __init__(self):
                    self.lock = threading.RLock()

                @with_lock
                def load_rates(self):
                    self._rates = self._download()

                def _download(self):
                    return requests.get(self.url, timeout=10).json()
            """,
            line=14,
            message_contains="Rates._download",
        ),
    )

    def check_project(self) -> None:
        project = self.project
        for fn in self.functions():
            for use in fn.lock_uses:
                if not use.via or _SERIALIZING.search(use.lock) or _SERIALIZING.search(fn.name):
                    continue
                # A coroutine holding a thread lock across an await is CIA101's finding.
                if (
                    fn.is_async
                    and use.await_line
                    and fn.cls
                    and use.lock.startswith("self.")
                    and project.lock_kind(fn.cls, use.lock[5:])
                ):
                    continue
                found = _slow_call(project, fn, use)
                if found is None:
                    continue
                call, what, chain = found
                taken = ChainStep(fn.relpath, use.line, fn.qualname, f"{use.via} takes {use.lock}")
                self.report_at(
                    call.line,
                    f"`{use.via}` holds `{use.lock}` for all of `{fn.name}`, which {what} at "
                    f"`{call.target}()`: every other caller of the lock waits it out; take the "
                    f"lock only around the shared state.",
                    end_line=call.end_line,
                    chain=chain,
                    related=(taken,),
                )
                break

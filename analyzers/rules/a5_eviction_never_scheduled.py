"""CIA504: a pool's idle/stale eviction method exists but nothing ever calls it."""

from __future__ import annotations

import re

from analyzers.project import ProjectModel
from analyzers.project_rule import ProjectRule
from analyzers.rule import Invalid, Valid

_EVICTORS = re.compile(
    r"^_?(cleanup_idle|cleanup_stale|evict\w*|prune\w*|purge\w*|expire\w*|reap\w*|"
    r"remove_stale\w*|close_idle\w*|trim_idle\w*)$"
)

# Parameters of a retention API: an operator (or a maintenance job) chooses how much history
# to drop. That is data retention, not a pool's idle eviction that nothing schedules.
_RETENTION_PARAM = re.compile(r"older|days|age|before|retention|cutoff|keep|since", re.I)
# Parameters a sweep of idle entries may take (a clock, a bound, a flag).
_SWEEP_PARAM = re.compile(r"now|time|ts|limit|max|min|count|force|idle|timeout|dry", re.I)

# Keywords with which a library pool evicts its own idle entries (asyncpg, aiohttp,
# SQLAlchemy, motor): a class that builds one hands the sweep to the library.
_LIBRARY_EVICTION = frozenset(
    {
        "max_inactive_connection_lifetime",
        "keepalive_timeout",
        "pool_recycle",
        "max_idle_time",
        "maxIdleTimeMS",
        "idle_timeout",
    }
)

_INDEX_CACHE: dict[int, tuple[ProjectModel, set[str], dict[str, set[str]]]] = {}


def _call_index(project: ProjectModel) -> tuple[set[str], dict[str, set[str]]]:
    """Resolved call targets, and unresolved call names -> calling modules (cached per model)."""
    cached = _INDEX_CACHE.get(id(project))
    if cached is not None and cached[0] is project:
        return cached[1], cached[2]
    resolved: set[str] = set()
    by_name: dict[str, set[str]] = {}
    for fn in project.functions.values():
        for site in fn.calls:
            for target in (site.target, *site.callables):
                if target in project.functions:
                    resolved.add(target)
                else:
                    by_name.setdefault(target.rsplit(".", 1)[-1], set()).add(fn.module)
    _INDEX_CACHE.clear()
    _INDEX_CACHE[id(project)] = (project, resolved, by_name)
    return resolved, by_name


# Decorators that turn a method into an attribute read.
_ACCESSORS = frozenset({"property", "cached_property", "getter", "setter"})


class EvictionNeverScheduled(ProjectRule):
    """Idle connections and contexts are kept until the process exits."""

    ID = "CIA504"
    AREA = 5
    TITLE = "Pool eviction method is never called"
    RATIONALE = (
        "The pool implements idle/stale eviction, but no code in the project calls it (no "
        "timer, no background task, no call from acquire/release). Entries that are not "
        "re-acquired are never closed: database connections, HTTP sessions and browser "
        "contexts stay open on both ends, the server's connection limit fills up, and "
        "memory grows with every burst of concurrency."
    )
    IMPACT = 4
    FREQUENCY = 4
    DIFFICULTY = 2
    RECOMMENDATION = (
        "Schedule the eviction: start a background task in `initialize()` that calls it "
        "every `idle_timeout / 2` seconds (keep the task and cancel it in `close()`), or "
        "call it cheaply from `release()` when the last sweep is older than the interval."
    )
    EXAMPLE_BEFORE = """\
async def cleanup_idle(self) -> int:
    ...  # closes connections idle past the timeout, but nothing calls it
"""
    EXAMPLE_AFTER = """\
async def initialize(self):
    ...
    self._sweeper = asyncio.create_task(self._sweep_forever())

async def _sweep_forever(self):
    while True:
        await asyncio.sleep(self._idle_timeout / 2)
        await self.cleanup_idle()
"""
    TAGS = ("pooling", "leak")
    VALID = (
        Valid(
            "import asyncio\n"
            "class Pool:\n"
            "    async def cleanup_idle(self):\n"
            "        return 0\n"
            "    async def _sweep(self):\n"
            "        while True:\n"
            "            await asyncio.sleep(30)\n"
            "            await self.cleanup_idle()\n"
        ),
        # A retention API: the caller decides how old is too old (admin action, cron job).
        Valid(
            """\
            class DeadLetterQueue:
                async def purge(self, older_than_days=None):
                    cutoff = self._cutoff(older_than_days)
                    await self._db.execute("DELETE FROM dlq WHERE failed_at < $1", cutoff)
            """
        ),
        # Removes the one entry it is handed: a targeted delete, not an idle sweep.
        Valid(
            "class Pins:\n"
            "    def purge(self, object_hash):\n"
            "        self._pins.pop(object_hash, None)\n"
        ),
        # A property read, not a method anyone schedules.
        Valid(
            "class ChatToken:\n    @property\n    def expires(self):\n        return self._expiry\n"
        ),
    )
    INVALID = (
        Invalid(
            "class ConnectionPool:\n"
            "    async def acquire(self):\n"
            "        return self._idle.pop()\n"
            "    async def cleanup_idle(self):\n"
            "        return 0\n",
            line=4,
            message_contains="ConnectionPool.cleanup_idle",
        ),
        # One backend's connections come from a library pool that evicts idle ones itself:
        # the unswept entries are only the other backends'. LOW, saying so.
        Invalid(
            "import asyncpg\n"
            "class DbPool:\n"
            "    async def start(self):\n"
            "        if self._kind == 'pg':\n"
            "            self._pg = await asyncpg.create_pool(\n"
            "                self._dsn, max_inactive_connection_lifetime=self._idle_s\n"
            "            )\n"
            "    async def acquire(self):\n"
            "        return self._idle.pop()\n"
            "    async def cleanup_idle(self):\n"
            "        return 0\n",
            line=10,
            message_contains="drops its own idle connections",
        ),
    )

    def check_project(self) -> None:
        # Runs once per file: return at once unless this file defines an eviction method,
        # and build the project-wide call index only once per model.
        candidates = [
            fn
            for fn in self.functions()
            if fn.cls
            and _EVICTORS.match(fn.name)
            and not any(_RETENTION_PARAM.search(p) for p in fn.params)
            # `purge(self, key)` removes the entry it is given: not a sweep of idle ones.
            and not any(not _SWEEP_PARAM.search(p) for p in fn.params if p not in ("self", "cls"))
            # A property (`token.expires`) is read, not called: not an eviction method.
            and not any(d.rpartition(".")[2] in _ACCESSORS for d in fn.decorators)
        ]
        if not candidates:
            return
        resolved, by_name = _call_index(self.project)
        for fn in candidates:
            if fn.qualname in resolved:
                continue
            if any(self._can_reach(module, fn.module) for module in by_name.get(fn.name, ())):
                continue
            owner = fn.cls.rsplit(".", 1)[-1]
            message = (
                f"`{owner}.{fn.name}()` is never called anywhere in the project, so idle "
                f"entries are only dropped when re-acquired: schedule it from a background "
                f"task started in initialize() (cancel it in close())."
            )
            library = self._library_eviction(fn.cls)
            if library:
                self.report_at(
                    fn.line,
                    f"{message} But the class also builds a library pool with `{library}`, "
                    "which drops its own idle connections: only the entries the class keeps "
                    "itself (its other backends) wait for re-acquisition: LOW.",
                    impact=1,
                    frequency=3,
                )
                continue
            self.report_at(fn.line, message)

    def _library_eviction(self, cls: str) -> str:
        """`asyncpg.create_pool(max_inactive_connection_lifetime=...)` made by a method of
        `cls` (a call that resolves to no function of the project), as source; else ""."""
        for fn in self.project.functions.values():
            if fn.cls != cls:
                continue
            for call in fn.calls:
                keyword = next((k for k in call.keywords if k in _LIBRARY_EVICTION), None)
                if keyword and self.project.resolve(fn, call.target) is None:
                    return f"{call.target}({keyword}=...)"
        return ""

    def _can_reach(self, caller_module: str, owner_module: str) -> bool:
        """An untyped `x.name()` counts if its module is the owner's or imports from it."""
        if caller_module == owner_module:
            return True
        summary = self.project.modules.get(caller_module)
        if summary is None:
            return True  # unknown caller: assume it may be the one
        return any(
            q == owner_module or q.startswith(owner_module + ".") for q in summary.imports.values()
        )

"""CIA105: a periodic loop writes every tracked item to storage on each tick, changed or not."""

from __future__ import annotations

import re

from analyzers.findings import ChainStep
from analyzers.matching import short_name
from analyzers.project_rule import ProjectRule
from analyzers.rule import Invalid, Valid

_PERSIST_NAME = re.compile(r"(persist|save|store|write|flush|dump|upsert|sync|backup|upload)", re.I)
_PERSIST_CALLS = frozenset({"json.dump", "pickle.dump", "yaml.dump", "yaml.safe_dump"})


class PersistEveryTick(ProjectRule):
    """I/O proportional to everything tracked, every interval, even when nothing changed."""

    ID = "CIA105"
    AREA = 1
    TITLE = "Periodic loop persists every item on each tick"
    RATIONALE = (
        "The loop wakes every few seconds and writes each tracked item (every running job, "
        "every trigger...) to disk or the database, whether or not it changed since the last "
        "tick. The I/O grows with the number of items and competes with real work on the "
        "same loop and connection."
    )
    IMPACT = 3
    FREQUENCY = 5
    DIFFICULTY = 3
    RECOMMENDATION = (
        "Mark items dirty when they change and persist only dirty ones, in one batched "
        "write (`executemany` / one upsert) per tick; or persist on the state change itself "
        "and drop the timer."
    )
    EXAMPLE_BEFORE = (
        "while self._running:\n    await asyncio.sleep(10)\n"
        "    for job in self._queue.get_running_jobs():\n        await self._persist_job(job)"
    )
    EXAMPLE_AFTER = (
        "while self._running:\n    await asyncio.sleep(10)\n"
        "    dirty, self._dirty = self._dirty, set()\n"
        "    if dirty:\n        await self._store.upsert_many([j.to_row() for j in dirty])"
    )
    TAGS = ("io", "periodic")
    TRIGGERS = ("while",)
    VALID = (
        Valid(
            "import asyncio\nclass E:\n    async def loop(self):\n"
            "        while self._running:\n            await asyncio.sleep(10)\n"
            "            if self._dirty:\n                await self._flush_dirty()\n"
        ),
        Valid(
            "class E:\n    async def save_all(self):\n"
            "        for job in self._jobs:\n            await self._persist_job(job)\n"
        ),
    )
    INVALID = (
        Invalid(
            "import asyncio\n"
            "class Engine:\n"
            "    async def _persist_loop(self):\n"
            "        while self._running:\n"
            "            await asyncio.sleep(10)\n"
            "            for job in self._queue.get_running_jobs():\n"
            "                await self._persist_job(job)\n"
            "    async def _persist_job(self, job):\n"
            "        await self._db.upsert(job)\n",
            line=7,
            message_contains="every 10",
        ),
    )

    def check_project(self) -> None:
        project = self.project
        for fn in self.functions():
            for loop in fn.loops:
                for call in fn.calls:
                    if not (loop.line < call.line <= loop.end_line):
                        continue
                    inner = call.loop_line
                    if not inner or inner == loop.line:
                        continue  # must be per item: inside a for-loop within the tick
                    items = fn.loop_iters.get(inner, "")
                    if "self." not in items:
                        continue  # a local batch (e.g. the jobs that just timed out) changed
                    name = call.target.rsplit(".", 1)[-1]
                    if not (_PERSIST_NAME.search(name) or call.target in _PERSIST_CALLS):
                        continue
                    callee = project.resolve(fn, call.target)
                    interval = f"every {loop.interval} s" if loop.interval else "every tick"
                    chain = ()
                    if callee is not None:
                        chain = (ChainStep(fn.relpath, call.line, fn.qualname, callee.qualname),)
                    self.report_at(
                        call.line,
                        f"`{fn.name}` wakes {interval} and calls "
                        f"`{short_name(callee.qualname) if callee else call.target}()` for "
                        f"each of `{items}`, changed or not: I/O grows with the number of "
                        "items; persist only dirty items in one batched write.",
                        end_line=call.end_line,
                        chain=chain,
                    )
                    break

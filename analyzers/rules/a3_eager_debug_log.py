"""CIA305: `logger.debug(f"...")` inside a loop on a hot path: formatted even when DEBUG is off.

A short f-string costs well under a microsecond, so the finding is LOW and says so: it adds
up only in loops that run thousands of times a second or when a value has a costly `repr`.
A loop paced by a sleep is not reported at all.
"""

from __future__ import annotations

import re

from analyzers.findings import ChainStep
from analyzers.project import FunctionInfo
from analyzers.project_rule import ProjectRule
from analyzers.rule import Invalid, Valid

_LOGGER_NAMES = ("logger", "log", "_logger", "_log", "LOGGER", "logging")
# Areas whose code runs per node, per job, per event or per frame.
HOT_AREAS = frozenset({1, 3, 4, 6, 8, 9})
# Functions that run per node, per job, per event or per frame by their name.
HOT_NAME = re.compile(
    r"(dequeue|get_next|next_nodes|execute_node|_execute_from_node|run_node|publish|emit|"
    r"dispatch|route|paint|Event$|eventFilter|_loop$|on_node_\w+|handle_event)"
)


def _in_paced_loop(fn: FunctionInfo, line: int) -> bool:
    """Inside a `while running: ... sleep(interval)` loop: each iteration waits for the sleep,
    next to which one formatted string is nothing (a yield, `sleep(0)`, does not pace)."""
    for loop in fn.loops:
        if loop.line <= line <= loop.end_line:
            interval = loop.interval.strip()
            if not interval or "(" in interval:
                return False  # no argument, or a call (`wait_for(queue.get(), ...)`)
            try:
                return float(interval) > 0
            except ValueError:
                return True  # a named interval: `POLL_INTERVAL`, `self._interval`
    return False


class EagerDebugLog(ProjectRule):
    """The f-string is built before the logger can decide the level is off."""

    ID = "CIA305"
    AREA = 3
    TITLE = "Eager formatting of debug logs in a hot loop"
    RATIONALE = (
        "An f-string (or `%`/`.format`) argument is formatted before `debug()` is called, "
        "so every iteration pays for building the string - including `repr` of large "
        "objects - even in production where DEBUG is disabled."
    )
    # Nanoseconds to a microsecond per iteration: LOW (score 28) beside real stalls.
    IMPACT = 1
    FREQUENCY = 4
    DIFFICULTY = 1
    RECOMMENDATION = (
        'Pass arguments for lazy formatting: `logger.debug("Route {} -> {}", a, b)` '
        '(loguru) or `logger.debug("Route %s -> %s", a, b)` (logging); for expensive '
        "values use `logger.opt(lazy=True)` or guard with a level check."
    )
    EXAMPLE_BEFORE = 'for c in conns:\n    logger.debug(f"Route {c.source} -> {c.target}")'
    EXAMPLE_AFTER = 'for c in conns:\n    logger.debug("Route {} -> {}", c.source, c.target)'
    TAGS = ("cpu", "logging", "per-call")
    TRIGGERS = (".debug(",)
    VALID = (
        Valid(
            "from loguru import logger\ndef f(items):\n    for i in items:\n"
            "        logger.debug('item {}', i)\n"
        ),
        Valid("from loguru import logger\ndef f(x):\n    logger.debug(f'once {x}')\n"),
        Valid(
            "from loguru import logger\ndef load_templates(paths):\n    for p in paths:\n"
            "        logger.debug(f'loading {p}')\n"
        ),
        Valid(
            "from loguru import logger\nasync def _check_loop(self):\n    while True:\n"
            "        try:\n            await self.check()\n        except Exception as e:\n"
            "            logger.debug(f'check failed: {e}')\n"
        ),
        # One debug line per minute next to a 60 s sleep is nothing.
        Valid(
            "import asyncio, logging\n"
            "logger = logging.getLogger(__name__)\n"
            "class Monitor:\n"
            "    async def _watch_loop(self):\n"
            "        while self._running:\n"
            "            for robot in self._robots:\n"
            "                logger.debug(f'checking {robot.id}')\n"
            "            await asyncio.sleep(60)\n"
        ),
        # A poll paced by a named interval: one line per poll is nothing next to the wait.
        Valid(
            "import asyncio\nfrom loguru import logger\nPOLL_INTERVAL = 5\n"
            "async def wait_for_dispatch(client, request_id):\n"
            "    while True:\n"
            "        await asyncio.sleep(POLL_INTERVAL)\n"
            "        status = await client.status(request_id)\n"
            "        logger.debug(f'still processing {request_id}: {status}')\n"
        ),
    )
    INVALID = (
        Invalid(
            "from loguru import logger\n"
            "def get_next_nodes(conns):\n"
            "    for c in conns:\n"
            "        logger.debug(f'Route {c.source} -> {c.target}')\n",
            line=4,
            message_contains="a short string is cheap",
        ),
        # logged only when the queue overflows: some iterations, and the message says so
        Invalid(
            "from loguru import logger\nasync def dispatch(self):\n    for item in self.items:\n"
            "        if self.queue.qsize() > self.limit:\n"
            "            logger.debug(f'queue full: {self.queue.qsize()}')\n"
            "        self.handle(item)\n",
            line=5,
            message_contains="iterations of a loop where its condition holds",
        ),
        # Draining a queue: `wait_for` returns as soon as an item is there, it does not pace.
        Invalid(
            "import asyncio\nfrom loguru import logger\n"
            "async def dispatch_loop(self):\n"
            "    while self._running:\n"
            "        job = await asyncio.wait_for(self._queue.get(), 1.0)\n"
            "        logger.debug(f'dispatching {job.id} to {job.robot}')\n",
            line=6,
        ),
    )

    def check_project(self) -> None:
        area = self.context.area
        if area is not None and area not in HOT_AREAS:
            return
        project = self.project
        hot = set(self.context.options.get("entry_points", ()))
        for fn in self.functions():
            if not (
                fn.qualname in hot
                or fn.loops
                or HOT_NAME.search(fn.name)
                or (fn.qualname in project.gui_functions and fn.name.endswith("Event"))
            ):
                continue
            hits = [
                c
                for c in fn.calls
                if c.in_loop
                and not c.in_except
                and c.formats
                and c.target.endswith(".debug")
                and c.target.rsplit(".", 1)[0].rsplit(".", 1)[-1] in _LOGGER_NAMES
                and not _in_paced_loop(fn, c.line)
            ]
            if not hits:
                continue
            first = hits[0]
            more = " (and more in this function)" if len(hits) > 1 else ""
            # under an `if` in the loop it runs on some iterations only (a throttle, a
            # skipped item, a dead receiver): say so rather than "every iteration"
            when = (
                "on the iterations of a loop where its condition holds"
                if f"branch:{first.loop_line}" in first.guards
                else "on every iteration of a loop"
            )
            self.report_at(
                first.line,
                f"`{fn.name}` formats a debug message {when}{more}, "
                "even when DEBUG is off; a short string is cheap, so this matters only if the "
                "loop runs very often or a value has a costly repr: pass the values as "
                "arguments for lazy formatting.",
                end_line=first.end_line,
                related=(
                    ChainStep(fn.relpath, first.loop_line, fn.qualname, "loop"),
                    *(ChainStep(fn.relpath, h.line, fn.qualname, "debug call") for h in hits[1:]),
                ),
            )

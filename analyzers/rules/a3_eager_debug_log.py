"""CIA305: `logger.debug(f"...")` inside a loop on a hot path: formatted even when DEBUG is off.

A short f-string costs well under a microsecond, so the finding is LOW and says so: it adds
up only in loops that run thousands of times a second or when a value has a costly `repr`.
A loop paced by a sleep is not reported at all. Under an `if` inside the loop (a throttle, a
skipped item, a dead receiver) the message is formatted on some iterations only: that is worth
a finding only when a value is costly to format (a payload, a container, a call's result) or
when the branch is how the loop ends (`if found: log; break`) in an event handler or filter,
which takes it on every event.
"""

from __future__ import annotations

import ast
import re

from analyzers.findings import ChainStep
from analyzers.project import CallSite, FunctionInfo
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


# Calls whose result is a short scalar: a size, a name, a coordinate, a flag, a clock.
_CHEAP_CALL = re.compile(
    r"^(len|id|type|hex|int|float|round|abs|bool|min|max|qsize|size|count|x|y|width|height|"
    r"time|monotonic|perf_counter|total_seconds|isoformat|lower|upper|strip|name|objectName|"
    r"rowCount|columnCount|get_(id|name|type|status)|(is|has)_\w+)$"
)
# Names of values whose str/repr is big: a whole payload or a container of them.
_PAYLOAD_NAME = re.compile(
    r"^_*(event|evt|payload|data|message|msg|packet|record|body|request|response|result|"
    r"results|items|nodes|args|kwargs|params|context|ctx|variables|config|headers|rows|"
    r"entries|history|graph|workflow|snapshot|document|content|buffer|frame|values|outputs|"
    r"inputs|connections|jobs|tasks)$",
    re.I,
)
_STRINGIFY = frozenset({"str", "repr", "format", "ascii"})


def _costly_value(sources: tuple[str, ...]) -> str | None:
    """The first formatted value whose formatting costs more than a short string: a
    container display, a payload-named value, or a call's result (the call runs too)."""
    for source in sources:
        try:
            node = ast.parse(source.strip(), mode="eval").body
        except SyntaxError:
            continue
        if _costly_node(node):
            return source
    return None


def _costly_node(node: ast.AST) -> bool:
    if isinstance(node, (ast.List, ast.Dict, ast.Set, ast.Tuple, ast.ListComp, ast.DictComp)):
        return True
    if isinstance(node, (ast.SetComp, ast.GeneratorExp)):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in _STRINGIFY:  # `repr(x)` costs what formatting `x` costs
            return any(_costly_node(a) for a in node.args)
        return not _CHEAP_CALL.match(name)
    if isinstance(node, ast.Name):
        return bool(_PAYLOAD_NAME.match(node.id))
    if isinstance(node, ast.Attribute):
        return bool(_PAYLOAD_NAME.match(node.attr))
    if isinstance(node, ast.Subscript):  # `job.id[:8]` is a short slice
        return not isinstance(node.slice, ast.Slice) and _costly_node(node.value)
    if isinstance(node, ast.Constant):
        return False
    return any(_costly_node(child) for child in ast.iter_child_nodes(node))


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
        # Logged only while throttling (the branch then sleeps), and the values are sizes.
        Valid(
            "import asyncio\n"
            "class Peer:\n"
            "    async def _message_loop(self):\n"
            "        async for msg in self.transport.read_messages():\n"
            "            await self.process(msg)\n"
            "            if self.queue.qsize() > self.SOFT_MAX:\n"
            "                delay = self.queue.qsize() / 1000\n"
            "                self.logger.debug(f'slowing down, qsize={self.queue.qsize()}')\n"
            "                await asyncio.sleep(delay)\n"
        ),
        # The dead-receiver branch is rare, and a weak reference's repr is short.
        Valid(
            "import logging\n"
            "logger = logging.getLogger(__name__)\n"
            "class Signal:\n"
            "    def emit(self, *args):\n"
            "        for receiver in self.receivers:\n"
            "            if self._is_alive(receiver):\n"
            "                receiver()(*args)\n"
            "            else:\n"
            "                logger.debug('receiver:{} is dead'.format(receiver))\n"
        ),
        # A skipped item with short ids: the scan costs, not the string.
        Valid(
            "from loguru import logger\n"
            "def dequeue(self, robot):\n"
            "    for job in self._queue:\n"
            "        if job.environment != robot.environment:\n"
            "            logger.debug(f'job {job.id[:8]} needs {job.environment}')\n"
            "            continue\n"
            "        return job\n"
        ),
        # The branch that ends the loop, in a function that is no event handler: once a call.
        Valid(
            "from loguru import logger\n"
            "def emit_inspector_signal(self, node):\n"
            "    parent = self.view.parent()\n"
            "    while parent:\n"
            "        if hasattr(parent, 'show_inspector'):\n"
            "            logger.debug(f'showing inspector for {node.name}')\n"
            "            return\n"
            "        parent = parent.parent()\n"
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
        # A costly value under a branch: the whole event's repr on every overdue event.
        Invalid(
            "from loguru import logger\n"
            "def dispatch(self):\n"
            "    for event in self._pending:\n"
            "        if event.retries > self.limit:\n"
            "            logger.debug(f'dropping {event}')\n"
            "        self.deliver(event)\n",
            line=5,
            message_contains="`event` into a debug message on the iterations",
        ),
        # `.format` is as eager as an f-string; a call's result is computed first.
        Invalid(
            "from loguru import logger\n"
            "def publish_all(self):\n"
            "    for sub in self.subscribers:\n"
            "        if sub.muted:\n"
            "            logger.debug('skip {} for {}'.format(sub.name, self.snapshot()))\n",
            line=5,
            message_contains="`self.snapshot()`",
        ),
        # The branch that ends the loop runs on every call of an event filter.
        Invalid(
            "from loguru import logger\n"
            "class DropFilter:\n"
            "    def eventFilter(self, obj, event):\n"
            "        for item in self.view.items(event.pos()):\n"
            "            name = type(item).__name__\n"
            "            if 'Port' in name:\n"
            "                logger.debug(f'port {name} under the cursor')\n"
            "                break\n"
            "        return False\n",
            line=7,
            message_contains="once per call, on the branch that ends its loop",
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
            # Qt calls an event handler or filter for every event it sees: what it does
            # once per call, it does per event (a profile hot entry point, likewise).
            handler = (
                fn.qualname in hot
                or fn.name == "eventFilter"
                or (fn.qualname in project.gui_functions and fn.name.endswith("Event"))
            )
            if not (handler or HOT_NAME.search(fn.name) or fn.loops):
                continue
            hits: list[tuple[CallSite, str]] = []
            for c in fn.calls:
                if not (
                    c.in_loop
                    and not c.in_except
                    and c.formats
                    and c.target.endswith(".debug")
                    and c.target.rsplit(".", 1)[0].rsplit(".", 1)[-1] in _LOGGER_NAMES
                    and not _in_paced_loop(fn, c.line)
                ):
                    continue
                costly = _costly_value(c.format_values)
                if f"branch:{c.loop_line}" not in c.guards:
                    when = "on every iteration of a loop"
                elif costly is not None:
                    when = "on the iterations of a loop where its condition holds"
                elif c.leaves_loop and handler:
                    when = "once per call, on the branch that ends its loop"
                else:
                    # a rare branch (a throttle, a skipped item, a dead receiver) formatting
                    # a short string: nothing a user could measure
                    continue
                what = f"`{costly}` into a debug message" if costly else "a debug message"
                hits.append((c, f"{what} {when}"))
            if not hits:
                continue
            first, what = hits[0]
            more = " (and more in this function)" if len(hits) > 1 else ""
            cost = (
                "building that repr costs more than a short string"
                if _costly_value(first.format_values)
                else "a short string is cheap, so this matters only if the loop runs very "
                "often or a value has a costly repr"
            )
            self.report_at(
                first.line,
                f"`{fn.name}` formats {what}{more}, even when DEBUG is off; {cost}: pass the "
                "values as arguments for lazy formatting.",
                end_line=first.end_line,
                related=(
                    ChainStep(fn.relpath, first.loop_line, fn.qualname, "loop"),
                    *(
                        ChainStep(fn.relpath, h.line, fn.qualname, "debug call")
                        for h, _ in hits[1:]
                    ),
                ),
            )

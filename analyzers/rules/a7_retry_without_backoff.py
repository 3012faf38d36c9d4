"""CIA703: a retry loop that waits the same fixed delay between every attempt."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import (
    arg,
    body_nodes,
    call_name,
    dotted,
    import_map,
    indented_under,
    names_text,
    source_of,
)

# "tries" as a word of its own (`max_tries`, `tries`), not inside "entries" or "countries".
_RETRY_WORDS = re.compile(r"retr|attempt|(?<![a-z])tries", re.IGNORECASE)
_BACKOFF_WORDS = re.compile(r"backoff|jitter|exponential|random|uniform", re.IGNORECASE)
_SLEEPS = frozenset({"time.sleep", "asyncio.sleep"})
_RETRY_HEAD = re.compile(r"^\s*(?:async\s+)?(?:for|while)\b.*(?i:retr|attempt|(?<![a-z])tries)")
_SLEEP_CALL = re.compile(r"sleep\(")
_USER_SETTING = re.compile(r"config|get_parameter|get_input_value|resolve_value|options|settings")
# The retried call talks to a server: the case where a fixed rate hammers a service that
# is down, and many clients retrying in lockstep synchronize into bursts.
_SERVER_CALL = re.compile(
    r"request|http|url|session|client|api\b|fetch|download|upload|smtp|imap|mail|vault|"
    r"server|rpc|socket|connect|remote|distribut|dispatch|publish|query|execute_sql|"
    r"secret|token|webhook|robot|(?<![a-z])(?:get|post|put|patch|delete)(?![a-z])",
    re.IGNORECASE,
)
# Other work outside the process: a peer, a UI element, a browser page, a file lock.
_EXTERNAL_CALL = re.compile(
    r"peer|send|recv|element|selector|locator|page|click|window|browser|wait_for|"
    r"find|lock|open|read|write|launch|attach|subprocess",
    re.IGNORECASE,
)
# A predicate or expression evaluated in-process: re-checking it is a schedule.
_LOCAL_CHECK = re.compile(r"condition|predicate|eval|check", re.IGNORECASE)
# Calls that never leave the process: logging, type checks, conversions.
_LOCAL_CALL = re.compile(
    r"^(?:.*\.)?(?:debug|info|warning|warn|error|exception|critical|log|print|isinstance|"
    r"iscoroutine|iscoroutinefunction|len|str|int|float|bool|format|append|sleep)$"
)


def _is_retry_loop(loop: cst.CSTNode) -> bool:
    if isinstance(loop, cst.For):
        head = names_text(loop.target) + " " + names_text(loop.iter)
        return bool(_RETRY_WORDS.search(head))
    if isinstance(loop, cst.While):
        return bool(_RETRY_WORDS.search(names_text(loop.test)))
    return False


def _literal_number(
    node: cst.CSTNode | None, defaults: dict[str, float] | None = None
) -> float | None:
    """A literal number, or a parameter whose default is one (`retries: int = 10`)."""
    if isinstance(node, (cst.Integer, cst.Float)):
        return float(node.evaluated_value)
    if isinstance(node, cst.Name) and defaults:
        return defaults.get(node.value)
    return None


def _literal_defaults(node: cst.FunctionDef) -> dict[str, float]:
    """Parameters with a literal number as default: `def connect(self, retries=10, delay=0.5)`."""
    out: dict[str, float] = {}
    params = node.params
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        value = _literal_number(param.default)
        if value is not None:
            out[param.name.value] = value
    return out


def _literal_attempts(
    loop: cst.For | cst.While, defaults: dict[str, float] | None = None
) -> float | None:
    """N for `for attempt in range(N)` with a literal N (or a parameter whose default is
    one), else None (unknown or configured)."""
    if not isinstance(loop, cst.For) or not isinstance(loop.iter, cst.Call):
        return None
    if call_name(loop.iter) != "range" or len(loop.iter.args) != 1:
        return None
    return _literal_number(loop.iter.args[0].value, defaults)


def _retried_calls(loop: cst.For | cst.While) -> list[str]:
    """Dotted names of what the loop calls, minus logging, conversions and the sleep."""
    out = []
    for sub, _ in body_nodes(loop.body):
        if isinstance(sub, cst.Call):
            name = dotted(sub.func) or names_text(sub.func)
            if name and not _LOCAL_CALL.match(name):
                out.append(name)
    return out


def _names(node: cst.CSTNode) -> set[str]:
    out: set[str] = set()
    for sub, _ in body_nodes(node):
        if isinstance(sub, cst.Name):
            out.add(sub.value)
        elif isinstance(sub, cst.Attribute):
            out.add(sub.attr.value)
    if isinstance(node, cst.Name):
        out.add(node.value)
    return out


class RetryWithoutBackoff(Rule):
    """Retries hammer a failing element, server or selector at a constant rate."""

    ID = "CIA703"
    AREA = 7
    TITLE = "Retry loop with a fixed delay (no backoff or jitter)"
    RATIONALE = (
        "Retrying after the same delay every time keeps hitting a struggling server, a "
        "not-yet-rendered window or a locked file at full rate, and many robots retrying "
        "in lockstep synchronize into bursts. The total wait is also either too short for "
        "slow recoveries or too long for quick ones."
    )
    IMPACT = 3
    FREQUENCY = 3
    DIFFICULTY = 2
    RECOMMENDATION = (
        "Grow the delay per attempt with a cap and jitter: "
        "`delay = min(cap, base * 2 ** attempt) * random.uniform(0.5, 1.5)`, or reuse the "
        "project's retry helper (utils/resilience/retry.py) that already implements it."
    )
    EXAMPLE_BEFORE = """\
for attempt in range(retry_count + 1):
    try:
        return await session.get(url)
    except aiohttp.ClientError:
        await asyncio.sleep(retry_delay)
"""
    EXAMPLE_AFTER = """\
for attempt in range(retry_count + 1):
    try:
        return await session.get(url)
    except aiohttp.ClientError:
        delay = min(30.0, retry_delay * 2 ** attempt)
        await asyncio.sleep(delay * random.uniform(0.5, 1.5))
"""
    TAGS = ("resilience", "retry")
    TRIGGERS = ("sleep(",)
    VALID = (
        # A pause per feed entry paces an import; nothing is retried ("entries" is not
        # "tries").
        Valid(
            """\
            import asyncio
            async def load_entries(self, feed):
                for entry in feed.entries:
                    await asyncio.sleep(0.1)
                    await self.store(entry)
            """
        ),
        Valid(
            """\
            import asyncio
            async def fetch(url, retries):
                for attempt in range(retries):
                    try:
                        return await get(url)
                    except OSError:
                        await asyncio.sleep(0.5 * 2 ** attempt)
            """
        ),
        Valid(
            """\
            import time
            def fetch(url, retries):
                delay = 0.5
                for attempt in range(retries):
                    try:
                        return get(url)
                    except OSError:
                        time.sleep(delay)
                        delay *= 2
            """
        ),
        # A polling loop, not a retry loop.
        Valid(
            """\
            import asyncio
            async def tick(self):
                while self._running:
                    await self.step()
                    await asyncio.sleep(1)
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            import asyncio
            async def fetch(url, retry_count, retry_delay):
                for attempt in range(retry_count + 1):
                    try:
                        return await get(url)
                    except OSError:
                        if attempt < retry_count:
                            await asyncio.sleep(retry_delay)
            """,
            line=8,
            message_contains="retry_delay",
        ),
        # A retransmission to one peer: still a fixed rate, but LOW (no shared server).
        Invalid(
            """\
            import asyncio
            async def resend(self, tries):
                for attempt in range(tries):
                    self.send_message(self.peer, self.packet)
                    await asyncio.sleep(self.interval)
            """,
            line=5,
            message_contains="one peer",
        ),
    )
    VALID = (
        *VALID,
        # A user-configured re-check of a local condition: a schedule, not a retry
        # against a failing service.
        Valid(
            """\
            import asyncio
            async def wait_until(self, rule):
                for attempt in range(rule.max_checks + 1):
                    try:
                        if rule.predicate(self.state):
                            return True
                    except ValueError as e:
                        logger.warning(f"check failed: {e}")
                    await asyncio.sleep(rule.interval)
                return False
            """
        ),
        # A short bounded start-up wait: five tries one second apart, then give up.
        Valid(
            """\
            import time
            def call_local_service(endpoint):
                for attempt in range(5):
                    try:
                        return http_post(endpoint)
                    except ConnectionError:
                        time.sleep(1.0)
                raise NotRunning()
            """
        ),
        # The same bounded wait with its bounds as parameter defaults: ten tries 0.5 s apart
        # for a server the program just started.
        Valid(
            """\
            import asyncio
            async def connect_tcp(self, retries: int = 10, delay: float = 0.5):
                for attempt in range(retries):
                    try:
                        return await self.client.start_tcp(self.host, self.port)
                    except ConnectionRefusedError:
                        await asyncio.sleep(delay)
            """
        ),
        # The node's user-configured retry interval: a deliberate choice, not reported.
        Valid(
            """\
            import asyncio
            async def execute(self, context):
                retry_interval = self.config.get("retry_interval", 1000)
                for attempt in range(3):
                    try:
                        return await self.run()
                    except OSError:
                        await asyncio.sleep(retry_interval / 1000)
            """
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        return super().wants(source) and indented_under(source, _RETRY_HEAD, _SLEEP_CALL, 200)

    def visit_Module(self, node: cst.Module) -> None:
        self._imports = import_map(node)
        self._user_settings: set[str] = set()
        self._defaults: dict[str, float] = {}

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        # Locals read from the node's/user's configuration: a delay the user chose on
        # purpose (a node's "retry interval" property) is not reported.
        self._user_settings = set()
        self._defaults = _literal_defaults(node)
        for sub, _ in body_nodes(node):
            if isinstance(sub, cst.Assign) and isinstance(sub.value, cst.Call):
                text = names_text(sub.value)
                if _USER_SETTING.search(text):
                    for t in sub.targets:
                        if isinstance(t.target, cst.Name):
                            self._user_settings.add(t.target.value)

    def visit_For(self, node: cst.For) -> None:
        self._check(node)

    def visit_While(self, node: cst.While) -> None:
        self._check(node)

    def _check(self, loop: cst.For | cst.While) -> None:
        if not _is_retry_loop(loop):
            return
        loop_vars = _names(loop.target) if isinstance(loop, cst.For) else set()
        # Names re-assigned in the loop (delay *= 2, delay = next_delay(...)) vary per attempt.
        varying = set(loop_vars)
        for sub, _ in body_nodes(loop.body):
            if isinstance(sub, cst.AugAssign) and (name := dotted(sub.target)):
                varying.add(name.split(".")[-1])
            elif isinstance(sub, cst.Assign):
                for t in sub.targets:
                    if (name := dotted(t.target)) is not None:
                        varying.add(name.split(".")[-1])
        for sub, _ in body_nodes(loop.body):
            if not isinstance(sub, cst.Call) or self._imports.qualify(sub.func) not in _SLEEPS:
                continue
            if _names(arg(sub, 0) or sub) & self._user_settings:
                continue
            delay = arg(sub, 0)
            if delay is None:
                return
            used = _names(delay)
            if used & varying or _BACKOFF_WORDS.search(names_text(delay)):
                return
            if any(isinstance(c, cst.Call) and call_name(c) == "pow" for c, _ in body_nodes(delay)):
                return
            if isinstance(delay, cst.BinaryOperation) and isinstance(delay.operator, cst.Power):
                return
            # A short bounded start-up wait (`for _ in range(5): ... sleep(1.0)`) cannot
            # hammer anything: at most a handful of tries, seconds in total.
            # Parameters count by their defaults (`retries: int = 10, delay: float = 0.5`).
            attempts = _literal_attempts(loop, self._defaults)
            seconds = _literal_number(delay, self._defaults)
            if attempts is not None and seconds is not None and attempts * seconds <= 5.0:
                return
            calls = _retried_calls(loop)
            server = any(_SERVER_CALL.search(c) for c in calls)
            # A re-check of a local condition (a predicate, an expression) on a fixed
            # interval is a schedule, not a retry against a failing service.
            external = server or any(_EXTERNAL_CALL.search(c) for c in calls)
            if not external and calls and all(_LOCAL_CHECK.search(c) for c in calls):
                return
            self.report(
                sub,
                f"Retries wait a fixed `{source_of(delay, 40)}` between attempts: grow the "
                f"delay per attempt (base * 2 ** attempt, capped) and add jitter."
                + (
                    " The retried call talks to one peer or UI element, not a shared "
                    "server: no retry storm, LOW."
                    if external and not server
                    else ""
                ),
                impact=2 if external and not server else None,
                frequency=2 if external and not server else None,
            )
            return

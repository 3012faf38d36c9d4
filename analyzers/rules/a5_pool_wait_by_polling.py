"""CIA503: a pool's acquire waits for a free slot by sleeping in a loop."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import (
    POOL_ACQUIRE_NAME,
    POOL_ACQUIRE_TRIGGERS,
    body_nodes,
    call_name,
    dotted,
    enclosing_loop,
    methods_of,
    self_method_calls,
    source_of,
)

if TYPE_CHECKING:
    from analyzers.context import FileContext

# Calls that read a clock: `time.monotonic()`, `loop.time()`, `datetime.now()`, a project's
# `loopTime()` helper. Constructors and converters that merely end in "time" are not clocks.
_CLOCK_EXACT = frozenset({"monotonic", "monotonic_ns", "perf_counter", "now", "utcnow", "time_ns"})
_NOT_CLOCK = frozenset({"datetime", "strftime", "strptime", "mktime", "sleep_time"})
# Identifier words that name a rate or a time window (`self.period`, `requests_per_second`,
# `window_seconds`, `rate_limit`, `refill_rate`).
_RATE_WORDS = frozenset({"period", "window", "rate", "rps", "qps", "refill", "throttle", "burst"})
_PER_UNIT = re.compile(r"per_?(sec|second|min|minute|hour)", re.IGNORECASE)
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
# What gives a slot back. A class whose only such methods do nothing has no release to signal.
_RELEASE_METHODS = frozenset({"release", "_release", "__aexit__", "__exit__"})
_OTHER_RELEASE = re.compile(r"release|put|checkin|check_in|give_back|return_|recycle", re.I)


def _is_clock(call: cst.Call) -> bool:
    name = call_name(call)
    low = name.lower()
    return low in _CLOCK_EXACT or (low.endswith("time") and low not in _NOT_CLOCK)


def _names_rate(name: str) -> bool:
    words = {w.lower() for w in _WORDS.findall(name)}
    return bool(words & _RATE_WORDS) or _PER_UNIT.search(name) is not None


def _clock_locals(func: cst.FunctionDef) -> set[str]:
    """Local names whose value comes from a clock reading (`now = loop.time()`,
    `diff = now - self._log[0]`), followed through assignments in source order."""
    tainted: set[str] = set()
    for _ in range(2):  # a second pass catches a use written above a later assignment
        for sub, _anc in body_nodes(func):
            if isinstance(sub, (cst.Assign, cst.AugAssign, cst.AnnAssign)):
                value = sub.value
                if value is None or not _reads_clock(value, tainted):
                    continue
                targets = (
                    [t.target for t in sub.targets] if isinstance(sub, cst.Assign) else [sub.target]
                )
                for target in targets:
                    if isinstance(target, cst.Name):
                        tainted.add(target.value)
    return tainted


def _reads_clock(expr: cst.CSTNode, tainted: set[str]) -> bool:
    for sub in _self_and_below(expr):
        if isinstance(sub, cst.Call) and _is_clock(sub):
            return True
        if isinstance(sub, cst.Name) and sub.value in tainted:
            return True
    return False


def _self_and_below(expr: cst.CSTNode) -> list[cst.CSTNode]:
    return [expr, *(sub for sub, _anc in body_nodes(expr))]


def _mentions_rate(expr: cst.CSTNode) -> bool:
    for sub in _self_and_below(expr):
        if isinstance(sub, (cst.Name, cst.Attribute)):
            name = dotted(sub)
            if name is not None and _names_rate(name.rsplit(".", 1)[-1]):
                return True
    return False


def _clock_meets_rate(scope: cst.CSTNode, func: cst.FunctionDef) -> bool:
    """A clock reading combined with a rate or a window (`now - t > self.period`,
    `elapsed * self.per_second`): capacity that comes back with time, not with a release."""
    tainted = _clock_locals(func)
    for sub, _anc in body_nodes(scope):
        if (
            isinstance(sub, (cst.BinaryOperation, cst.Comparison))
            and _reads_clock(sub, tainted)
            and _mentions_rate(sub)
        ):
            return True
    return False


# A nap this short costs a waiter at most this much extra latency per acquire.
_SHORT_NAP_S = 0.25


def _seconds(sleep: cst.Call) -> float | None:
    """The constant a `sleep(...)` call naps for, in seconds (None when not a literal)."""
    if not sleep.args:
        return None
    value = sleep.args[0].value
    if isinstance(value, (cst.Float, cst.Integer)):
        try:
            return float(value.value)
        except ValueError:
            return None
    return None


def _is_noop(func: cst.FunctionDef) -> bool:
    body = func.body
    if not isinstance(body, cst.IndentedBlock):
        stmts = list(body.body)
    else:
        stmts = []
        for stmt in body.body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                return False
            stmts.extend(stmt.body)
    for small in stmts:
        if isinstance(small, cst.Pass):
            continue
        if isinstance(small, cst.Expr) and isinstance(
            small.value, (cst.SimpleString, cst.ConcatenatedString, cst.Ellipsis)
        ):
            continue
        if isinstance(small, cst.Return) and (
            small.value is None
            or (isinstance(small.value, cst.Name) and small.value.value == "None")
        ):
            continue
        return False
    return True


def _freed_by_time(acquire: cst.FunctionDef, loop: cst.CSTNode, cls: cst.ClassDef | None) -> bool:
    """The waited-for capacity comes back as time passes (a rate limiter's window moving,
    a token bucket refilling), not when another task releases: no release() could signal."""
    if _clock_meets_rate(loop, acquire):
        return True
    if cls is None:
        return False
    methods = methods_of(cls)
    for name in sorted(self_method_calls(loop) & methods.keys()):
        helper = methods[name]
        if helper is not acquire and _clock_meets_rate(helper, helper):
            return True
    releases = [methods[n] for n in _RELEASE_METHODS if n in methods]
    others = [n for n in methods if n not in _RELEASE_METHODS and _OTHER_RELEASE.search(n)]
    return bool(releases) and not others and all(_is_noop(f) for f in releases)


class PoolWaitByPolling(Rule):
    """Waiters wake on a fixed clock instead of when a slot is released."""

    ID = "CIA503"
    AREA = 5
    TITLE = "Pool acquire polls with sleep instead of waiting for a release"
    RATIONALE = (
        "When the pool is exhausted, `while True: ... await asyncio.sleep(0.1)` wakes every "
        "waiter ten times a second, each re-taking the pool lock, and still adds up to "
        "100 ms of latency after a release. Waiters are served in no particular order, so "
        "under load some starve until their timeout."
    )
    IMPACT = 5
    FREQUENCY = 5
    DIFFICULTY = 4
    RECOMMENDATION = (
        "Wait on a primitive that release() signals: an `asyncio.Condition` (`await "
        "cond.wait_for(lambda: self._available or self.total < self._max_size)` with "
        "`asyncio.timeout`), an `asyncio.Queue` of idle entries, or an "
        "`asyncio.Semaphore(max_size)` around acquire/release."
    )
    EXAMPLE_BEFORE = """\
while True:
    async with self._lock:
        if self._available:
            return self._available.popleft()
    await asyncio.sleep(0.1)
"""
    EXAMPLE_AFTER = """\
async with asyncio.timeout(timeout):
    async with self._cond:
        await self._cond.wait_for(lambda: self._available)
        return self._available.popleft()
# release(): async with self._cond: self._available.append(c); self._cond.notify()
"""
    TAGS = ("async", "pooling", "latency")
    TRIGGERS = POOL_ACQUIRE_TRIGGERS
    VALID = (
        Valid(
            """\
            async def acquire(self):
                async with self._cond:
                    await self._cond.wait_for(lambda: self._available)
                    return self._available.popleft()
            """
        ),
        Valid(
            """\
            async def poll_status(self):
                while True:
                    await self.refresh()
                    await asyncio.sleep(1)
            """
        ),
        # A sliding-window rate limiter: a slot comes back when its timestamp leaves the
        # window, not when someone releases it, so there is nothing a Condition could wait on.
        Valid(
            """\
            class CallGate:
                def _forget_old(self):
                    now = time.monotonic()
                    while self._stamps and now - self._stamps[0] > self.window_s:
                        self._stamps.popleft()

                async def acquire(self):
                    while True:
                        self._forget_old()
                        if len(self._stamps) < self.max_calls:
                            break
                        await asyncio.sleep(0.05)
                    self._stamps.append(time.monotonic())
            """
        ),
        # A token bucket refilled from the elapsed time, inline in the wait loop.
        Valid(
            """\
            class Bucket:
                async def acquire(self):
                    while True:
                        now = loop_clock.time()
                        self._tokens += (now - self._stamp) * self.tokens_per_second
                        self._stamp = now
                        if self._tokens >= 1:
                            self._tokens -= 1
                            return
                        await asyncio.sleep(0.02)
            """
        ),
        # Leaving the `async with` gives nothing back: only time can free a slot.
        Valid(
            """\
            class Cooldown:
                async def acquire(self):
                    while self._busy_until > clock():
                        await asyncio.sleep(0.1)

                async def __aenter__(self):
                    await self.acquire()

                async def __aexit__(self, *exc):
                    pass
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            async def acquire(self, timeout=30.0):
                while True:
                    async with self._lock:
                        if self._available:
                            return self._available.popleft()
                    await asyncio.sleep(0.1)
            """,
            line=6,
        ),
        # Reading the clock for a deadline does not make it a rate limiter: release() frees it.
        Invalid(
            """\
            class Pool:
                async def acquire(self, timeout=30.0):
                    deadline = time.monotonic() + timeout
                    while True:
                        if self._idle:
                            return self._idle.pop()
                        if time.monotonic() > deadline:
                            raise TimeoutError
                        await asyncio.sleep(0.1)

                def release(self, conn):
                    self._idle.append(conn)
            """,
            line=9,
        ),
    )

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._classes: list[cst.ClassDef] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.asynchronous is None or not POOL_ACQUIRE_NAME.match(node.name.value):
            return
        # The method's own class (a function nested in a method belongs to none).
        cls = self._classes[-1] if self._classes else None
        if cls is not None and node not in methods_of(cls).values():
            cls = None
        for sub, ancestors in body_nodes(node):
            if isinstance(sub, cst.Call) and call_name(sub) == "sleep":
                loop = enclosing_loop(sub, ancestors)
                if loop is None:
                    continue
                if _freed_by_time(node, loop, cls):
                    return
                message = (
                    f"{node.name.value}() waits for a free slot with "
                    f"`{source_of(sub)}` in a loop: wait on an asyncio.Condition/Queue/"
                    f"Semaphore that release() signals."
                )
                seconds = _seconds(sub)
                if seconds is not None and seconds <= _SHORT_NAP_S:
                    # The loop sleeps only while the pool is exhausted: each waiter wakes a
                    # few times a second and starts at most one nap late.
                    ms = round(seconds * 1000)
                    self.report(
                        sub,
                        f"{message} It naps only while the pool is exhausted: each waiter "
                        f"wakes every {ms} ms and gets a freed slot up to {ms} ms late, a "
                        "latency cost, not a stall: MEDIUM.",
                        impact=3,
                        frequency=4,
                    )
                    return
                self.report(sub, message)
                return

"""CIA501: an asyncio.Lock held while awaiting network or resource I/O."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import body_nodes, call_name, dotted, source_of

# Awaited calls that talk to a browser, a database or the network.
_IO_NAME = re.compile(
    r"(create|connect|close|launch|new_|open|request|fetch|send|recv|execute|query|"
    r"health|ping|validate|get|post|put|delete|download|upload|login|goto|start|stop)",
    re.IGNORECASE,
)
# One-shot lifecycle methods: serializing them under the lock is intended.
# Refreshing a token, restarting or reconnecting under the lock is the point of the lock:
# concurrent callers must wait for the one refresh instead of starting their own.
_LIFECYCLE = re.compile(
    r"^_?(close\w*|aclose|shutdown\w*|stop\w*|dispose|__aexit__|initiali[sz]e\w*|init\w*"
    r"|start|reset\w*|refresh\w*|restart\w*|reconnect\w*|renew\w*|re_?auth\w*|login"
    r"|authenticate\w*|ensure\w*|get_instance|get_or_create\w*)$"
)
_NOT_IO = frozenset({"sleep", "wait", "wait_for", "acquire", "release", "put", "get_nowait"})


# A lock named for what it serializes (restarts, reconnects, start-up): waiting behind the
# one restart in progress is its purpose, not contention.
_SERIALIZING_LOCK = re.compile(
    r"restart|reconnect|refresh|startup|start_stop|lifecycle|init|singleton|instance|shutdown",
    re.I,
)


def _lock_name(item: cst.WithItem) -> str | None:
    name = dotted(item.item)
    if name and "lock" in name.lower() and not _SERIALIZING_LOCK.search(name):
        return name
    return None


def _creation_subject(test: cst.BaseExpression) -> str | None:
    """`self._client` for `self._client is None` and `not self._client`."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return dotted(test.expression)
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        if (
            isinstance(target.operator, (cst.Is, cst.Equal))
            and isinstance(target.comparator, cst.Name)
            and target.comparator.value == "None"
        ):
            return dotted(test.left)
    return None


def _in_first_creation(ancestors: tuple[cst.CSTNode, ...]) -> bool:
    """Inside `if self._x is None: self._x = await create()`: the lock makes the creation
    happen once (a singleton), later callers pass straight through."""
    for i, node in enumerate(ancestors):
        if not isinstance(node, cst.If) or i + 1 >= len(ancestors):
            continue
        if ancestors[i + 1] is not node.body:
            continue
        subject = _creation_subject(node.test)
        if subject is None:
            continue
        for inner, _ in body_nodes(node.body):
            if isinstance(inner, (cst.Assign, cst.AnnAssign)):
                targets = (
                    [t.target for t in inner.targets]
                    if isinstance(inner, cst.Assign)
                    else [inner.target]
                )
                if any(dotted(t) == subject for t in targets):
                    return True
    return False


class LockHeldAcrossIOAwait(Rule):
    """Every acquirer waits behind one caller's network round trip."""

    ID = "CIA501"
    AREA = 5
    TITLE = "asyncio.Lock held across a network or resource await"
    RATIONALE = (
        "While the coroutine awaits inside `async with self._lock:`, every other acquire and "
        "release of the pool queues behind it. Creating a browser context, opening a "
        "connection or running a health query takes 10-1000 ms, so one slow creation "
        "serializes the whole pool and concurrent nodes stall even when contexts are idle."
    )
    IMPACT = 5
    FREQUENCY = 5
    DIFFICULTY = 5
    RECOMMENDATION = (
        "Keep only bookkeeping under the lock: reserve a slot (increment a pending counter "
        "or pop an idle entry) inside the lock, release it, do the awaited creation/close/"
        "health check outside, then re-take the lock briefly to record the result (undo the "
        "reservation on failure). An `asyncio.Semaphore(max_size)` can bound creation "
        "without a lock."
    )
    EXAMPLE_BEFORE = """\
async with self._lock:
    if self.total < self._max_size:
        ctx = await self._browser.new_context()
        self._in_use.add(ctx)
"""
    EXAMPLE_AFTER = """\
async with self._lock:
    if self.total + self._pending >= self._max_size:
        return None
    self._pending += 1
try:
    ctx = await self._browser.new_context()
finally:
    async with self._lock:
        self._pending -= 1
self._in_use.add(ctx)
"""
    TAGS = ("async", "pooling", "contention")
    TRIGGERS = ("async with",)
    VALID = (
        # Singleton creation: the lock makes sure the client is created once.
        Valid(
            """\
            async def get_client(self):
                async with self._lock:
                    if self._client is None:
                        self._client = await aiohttp_client.connect(self._url)
                    return self._client
            """
        ),
        # A lock that exists to serialize restarts.
        Valid(
            """\
            async def set_parameters(self, params):
                async with self.restart_lock:
                    await self.stop(full_shutdown=False)
                    await self._start()
            """
        ),
        # Token refresh is serialized on purpose: one refresh, everyone else waits for it.
        Valid(
            """\
            async def refresh_token(self):
                async with self._lock:
                    response = await self._http.post(self.TOKEN_URL, data=self._form())
                    self._token = (await response.json())["access_token"]
            """
        ),
        Valid(
            """\
            async def acquire(self):
                async with self._lock:
                    self._pending += 1
                ctx = await self._browser.new_context()
                return ctx
            """
        ),
        # Shutdown serializes on purpose.
        Valid(
            """\
            async def close(self):
                async with self._lock:
                    for ctx in self._contexts:
                        await ctx.close()
            """
        ),
        Valid(
            """\
            async def acquire(self):
                async with self._lock:
                    await asyncio.sleep(0)
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            async def acquire(self):
                async with self._lock:
                    if self._available:
                        return self._available.popleft()
                    ctx = await self._create_context()
                    return ctx
            """,
            line=2,
            message_contains="self._create_context",
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        return (
            super().wants(source) and re.search(r"async with [\w.]*lock", source, re.I) is not None
        )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.asynchronous is None or _LIFECYCLE.match(node.name.value):
            return
        for sub, _ in body_nodes(node):
            if not isinstance(sub, cst.With) or sub.asynchronous is None:
                continue
            locks = [name for item in sub.items if (name := _lock_name(item))]
            if not locks:
                continue
            awaited = [
                inner.expression
                for inner, ancestors in body_nodes(sub.body)
                if isinstance(inner, cst.Await)
                and not _in_first_creation(ancestors)
                and isinstance(inner.expression, cst.Call)
                and call_name(inner.expression) not in _NOT_IO
                and _IO_NAME.search(call_name(inner.expression))
            ]
            if not awaited:
                continue
            names = ", ".join(dict.fromkeys(f"`{source_of(a.func)}()`" for a in awaited[:3]))
            self.report(
                sub,
                f"`{locks[0]}` is held while awaiting {names}: every acquire/release of "
                f"the pool waits for that I/O. Reserve under the lock, await outside it.",
            )

"""CIA501: an asyncio.Lock held while awaiting network or resource I/O."""

from __future__ import annotations

import re
from dataclasses import replace

import libcst as cst

from analyzers.findings import ChainStep, Finding
from analyzers.project import CallSite, FunctionInfo, ProjectModel
from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import body_nodes, dotted

# One-shot lifecycle methods: serializing them under the lock is intended.
# Refreshing a token, restarting or reconnecting under the lock is the point of the lock:
# concurrent callers must wait for the one refresh instead of starting their own.
_LIFECYCLE = re.compile(
    r"^_?(close\w*|aclose|shutdown\w*|stop\w*|dispose|__aexit__|initiali[sz]e\w*|init\w*"
    r"|start|reset\w*|refresh\w*|restart\w*|reconnect\w*|renew\w*|re_?auth\w*|login"
    r"|authenticate\w*|ensure\w*|get_instance|get_or_create\w*)$"
)
_NOT_IO = frozenset({"sleep", "wait", "wait_for", "acquire", "release", "put", "get_nowait"})
# Awaits that only wrap the awaitable they are given (`await asyncio.wait_for(check(), 5)`).
_WRAPPERS = frozenset({"wait_for", "shield", "timeout"})

# What the second look (`confirm`, with the project model) counts as I/O. Creating a
# connection, page or context is a round trip to a server or a browser whatever it is
# called on. Closing is not counted: tearing down a stale or evicted entry is local work on
# a rare path (an aiohttp session's close sends nothing), and a pool's own shutdown is
# already a lifecycle method.
_CREATES = re.compile(
    r"^(new_(context|page|browser_cdp_session)|launch\w*|connect(_over_cdp)?"
    r"|create_(connection|pool|subprocess\w*)|open_connection)$"
)
# Requests, queries and messages. These count on a pooled entry (a local or parameter:
# `conn.fetchval("SELECT 1")` on the connection being handed out), not on `self._conn`: a
# lock around the one connection an object owns serializes its use on purpose (a sqlite
# connection, a transaction of `execute` + `commit`).
_EXCHANGES = frozenset(
    {
        "execute",
        "executemany",
        "executescript",
        "fetch",
        "fetchrow",
        "fetchval",
        "fetchone",
        "fetchall",
        "query",
        "commit",
        "request",
        "post",
        "put",
        "patch",
        "delete",
        "head",
        "send",
        "send_json",
        "send_str",
        "recv",
        "receive",
        "goto",
        "evaluate",
        "ping",
        "download",
        "upload",
    }
)
_MAX_DEPTH = 3
# The claim is about a pool: a class named for one, or a method that hands entries out or
# takes them back. A session manager's lock around its own bookkeeping and database write
# keeps its invariants (one session per user) and is not a pool's lock.
_POOL_METHOD = re.compile(
    r"^_?(acquire|release|lease|checkout|check_out|checkin|check_in|borrow|give_back"
    r"|get_(connection|context|session|page|client|browser)|return_\w+)",
    re.IGNORECASE,
)


def _pool_shaped(fn: FunctionInfo) -> bool:
    owner = fn.cls.rsplit(".", 1)[-1]
    return "pool" in owner.lower() or _POOL_METHOD.match(fn.name) is not None


def _awaited_in(fn: FunctionInfo, first: int, last: int) -> list[CallSite]:
    """Awaited calls in lines first..last, and calls handed to an awaited `wait_for`."""
    wrapped = {
        c.line
        for c in fn.calls
        if c.awaited and first <= c.line <= last and c.target.rsplit(".", 1)[-1] in _WRAPPERS
    }
    return [
        c
        for c in fn.calls
        if first <= c.line <= last
        and "once" not in c.guards
        and (c.awaited or (c.line in wrapped and c.target.rsplit(".", 1)[-1] not in _WRAPPERS))
    ]


def io_of(project: ProjectModel, fn: FunctionInfo, call: CallSite, depth: int = 0) -> str:
    """What I/O the awaited `call` does ("" if none): a round trip itself, or through the
    project coroutine it resolves to (looked into, a few calls deep)."""
    receiver, _, name = call.target.rpartition(".")
    if name in _NOT_IO:
        return ""
    callee = project.resolve(fn, call.target)
    if callee is not None:
        if depth >= _MAX_DEPTH or not callee.is_async:
            return ""
        inner_calls = _awaited_in(callee, callee.line, callee.end_line)
        for inner in inner_calls:
            found = io_of(project, callee, inner, depth + 1)
            if found:
                return found
        return ""
    if _CREATES.match(name):
        return call.target
    own = receiver in ("self", "cls") or receiver.startswith(("self.", "cls."))
    if name in _EXCHANGES and receiver and not own:
        return call.target
    return ""


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
        # Starting a client object that only builds its connection pool: no round trip.
        Valid(
            """\
            class LazyClient:
                async def start(self):
                    self._session = aiohttp.ClientSession(timeout=self._timeout)

            class ClientPool:
                async def lease(self, owner):
                    async with self._lock:
                        client = LazyClient()
                        await client.start()
                        self._leases[owner] = client
                        return client
            """
        ),
        # Closing a stale entry on release: local teardown on a rare path.
        Valid(
            """\
            class SessionPool:
                async def _discard(self, entry):
                    if not entry.session.closed:
                        await entry.session.close()

                async def give_back(self, session):
                    async with self._lock:
                        entry = self._leased.pop(session)
                        if entry.expired():
                            await self._discard(entry)
                        else:
                            self._idle.append(entry)
            """
        ),
        # The lock guards the one connection the object owns: statements and their commit
        # must not interleave, serializing them is the point.
        Valid(
            """\
            class AuditLog:
                async def record(self, row):
                    async with self._write_lock:
                        await self._db.execute("INSERT INTO audit VALUES (?, ?)", row)
                        await self._db.commit()
            """
        ),
        # `get()` on a local queue waits for an entry, it is no round trip.
        Valid(
            """\
            class WorkerPool:
                async def acquire(self, kind):
                    async with self._lock:
                        ready = self._ready[kind]
                        worker = await ready.get()
                        self._busy.add(worker)
                        return worker
            """
        ),
        # Not a pool: a session registry keeps its per-user limit consistent while it
        # records the login.
        Valid(
            """\
            class LoginRegistry:
                async def _store(self, entry):
                    async with self._db.acquire() as conn:
                        await conn.execute("INSERT INTO logins VALUES ($1)", entry.id)

                async def open_login(self, user, entry):
                    async with self._lock:
                        if len(self._by_user[user]) >= self._limit:
                            self._by_user[user].pop(0)
                        self._by_user[user].append(entry)
                        await self._store(entry)
            """
        ),
        # Taking queued entries that are already there: `get()` on a non-empty queue returns
        # at once.
        Valid(
            """\
            class JobBoard:
                async def take(self, kind):
                    async with self._lock:
                        while not self._pending.empty():
                            job = await self._pending.get()
                            if job.kind == kind:
                                return job
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            class ContextPool:
                async def _new_entry(self):
                    ctx = await self._browser.new_context()
                    return ctx

                async def acquire(self):
                    async with self._lock:
                        if self._available:
                            return self._available.popleft()
                        ctx = await self._new_entry()
                        return ctx
            """,
            line=7,
            message_contains="self._new_entry()` (`self._browser.new_context()`)",
        ),
        # A health query on the connection being handed out, through a helper and a timeout.
        Invalid(
            """\
            class ConnectionPool:
                async def _alive(self, conn):
                    try:
                        await conn.fetchval("SELECT 1")
                        return True
                    except OSError:
                        return False

                async def acquire(self):
                    async with self._lock:
                        while self._idle:
                            conn = self._idle.popleft()
                            if await asyncio.wait_for(self._alive(conn), 5):
                                return conn
            """,
            line=10,
            message_contains="conn.fetchval",
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
            ]
            if not awaited:
                continue
            # Which of these awaits does I/O is decided in `confirm`, with the project model
            # (a helper coroutine is looked into); the message is finished there too.
            self.report(sub, f"`{locks[0]}` is held while awaiting")

    @classmethod
    def confirm(cls, finding: Finding, project: ProjectModel) -> Finding | None:
        """Keep the finding only if an await under the lock does I/O: creates a connection
        or context, or talks to a server on a pooled entry, directly or through a project
        coroutine (`self._health_check(conn)` -> `conn.execute("SELECT 1")`)."""
        fn = project.function_at(finding.path, finding.line)
        if fn is None or not _pool_shaped(fn):
            return None
        hits: list[tuple[CallSite, str]] = []
        for call in _awaited_in(fn, finding.line, finding.end_line or finding.line):
            found = io_of(project, fn, call)
            if found and all(call.target != seen.target for seen, _ in hits):
                hits.append((call, found))
        if not hits:
            return None
        names = ", ".join(
            f"`{call.target}()`" + (f" (`{io}()`)" if io != call.target else "")
            for call, io in hits[:3]
        )
        message = (
            f"{finding.message} {names}: every acquire/release of the pool waits for that "
            "I/O. Reserve under the lock, await outside it."
        )
        related = tuple(
            ChainStep(finding.path, call.line, fn.qualname, f"awaits {io}()")
            for call, io in hits[:3]
        )
        return replace(finding, message=message, related=related)

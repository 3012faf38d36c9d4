"""CIA604: asyncio.gather over a list built from unbounded input, with no limit."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.findings import Finding
from analyzers.project import CallSite, FunctionInfo, ProjectModel
from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import (
    ImportMap,
    body_nodes,
    call_name,
    dotted,
    enclosing_loop,
    import_map,
    names_text,
    source_of,
)

_BOUNDS = ("Semaphore", "BoundedSemaphore", "semaphore", "_semaphore", "TaskGroup", "limit")
# Lifecycle methods: they run once per start or stop of the object, not per request.
_LIFECYCLE_METHOD = re.compile(
    r"^_*(?:a?start|startup|stop|shutdown|a?close|cleanup|clean_up|teardown|tear_down|dispose"
    r"|terminate|finali[sz]e|unload|aexit|aenter)(?:_|$)",
    re.I,
)
# What each part is asked to do when the object starts or stops as a whole.
_LIFECYCLE_VERBS = frozenset(
    {"start", "stop", "shutdown", "close", "aclose", "cleanup", "teardown", "dispose", "unload"}
)
# Wrappers that leave the set of items as it is: `self._parts.values()`, `list(self._parts)`.
_VIEWS = frozenset({"values", "items", "keys", "copy", "list", "tuple", "sorted", "reversed"})


def _own_parts(items: cst.BaseExpression | None) -> bool:
    """Whether `items` is a collection the object holds (`self.components.values()`)."""
    while isinstance(items, cst.Call) and call_name(items) in _VIEWS:
        if isinstance(items.func, cst.Attribute):
            items = items.func.value
        elif items.args:
            items = items.args[0].value
        else:
            return False
    name = dotted(items)
    return name is not None and name.split(".", 1)[0] in ("self", "cls") and "." in name


def _fixed_items(items: cst.BaseExpression | None) -> bool:
    """A set of items the code fixes: a literal, or a constant (`self.SERVICES`, `PEERS`)."""
    if isinstance(items, (cst.List, cst.Tuple, cst.Set)):
        return True
    name = dotted(items)
    last = name.rsplit(".", 1)[-1] if name else ""
    return last.isupper() and len(last) > 1


def _lifecycle_of_own_parts(
    func: cst.FunctionDef, items: cst.BaseExpression | None, element: cst.CSTNode | None
) -> bool:
    """A start/stop of every part the object holds: once per lifecycle, over the program's
    own parts (components, children, downloads), not over data that grows per request.
    The parts often wait on each other (a component's start awaits its dependencies, its
    stop awaits its dependants), so a bound there could deadlock."""
    if not _own_parts(items):
        return False
    if _LIFECYCLE_METHOD.match(func.name.value):
        return True
    if element is None:
        return False
    # `part.stop()`, also wrapped: `create_task(part.stop())`, `wait_for(part.stop(), 5)`.
    calls = [element, *(n for n, _ in body_nodes(element))]
    return any(isinstance(n, cst.Call) and call_name(n) in _LIFECYCLE_VERBS for n in calls)


# Run once when the object or the program goes away: what starts at once there starts once.
_SHUTDOWN_NAME = re.compile(
    r"(?:^|_)(?:terminate|shutdown|close|stop|teardown|tear_down|cleanup|dispose|finali[sz]e"
    r"|unload|aexit|exit|quit)(?:_|$)",
    re.I,
)
# Calls that hand their work to a library's bounded worker pool: anyio's worker threads
# (capped by its default CapacityLimiter), the loop's default executor (a bounded
# ThreadPoolExecutor), aiofiles (the same executor). Starting many of them queues the work;
# the pool decides how much runs at once.
_POOLED_CALLS = ("anyio.to_thread.", "trio.to_thread.", "asyncio.to_thread", "aiofiles.")
_POOLED_OBJECTS = ("anyio.Path", "anyio.open_file", "trio.Path")


# What a loop in set-up code walks when it restores what the user configured.
_SETTINGS = re.compile(r"(?i)option|setting|config|pref")
_SLOT_DECORATORS = frozenset({"Slot", "pyqtSlot", "asyncSlot", "asyncClose"})


_OWN_ITEMS = re.compile(r"^(?:\w+\()?self\.(\w+)(?:\.(?:values|items|keys|copy)\(\))?\)?$")


def _gathered_attr(project: ProjectModel, finding: Finding) -> tuple[FunctionInfo, str] | None:
    """The function and the `self.<attr>` a flagged gather walks (`list(self.links)`,
    `self.links.values()`), from what its comprehension iterates (`ProjectModel` loop
    sources), inline or bound to a local just before."""
    fn = project.function_at(finding.path, finding.line)
    if fn is None or not fn.cls:
        return None
    last = finding.end_line or finding.line
    sources = [src for line, src in fn.loop_iters.items() if finding.line <= line <= last]
    local = re.search(r"gather\(\*(\w+)\)", finding.message)
    if local and local.group(1) in fn.local_call_lines:
        sources.append(fn.loop_iters.get(fn.local_call_lines[local.group(1)], ""))
    attrs = {m.group(1) for src in sources if (m := _OWN_ITEMS.match(src.replace(" ", "")))}
    return (fn, attrs.pop()) if len(attrs) == 1 else None


def _by_hand(project: ProjectModel, caller: FunctionInfo, in_loop: bool, loop_line: int) -> bool:
    """The caller adds one item per user action (a Qt slot, a method connected to a signal),
    or once at set-up from what the user configured (`for o in options.connectors:`)."""
    if caller.qualname in project.gui_functions:
        return not in_loop
    if any(d.rsplit(".", 1)[-1] in _SLOT_DECORATORS for d in caller.decorators):
        return not in_loop
    if project.once_reason(caller.qualname) is None:
        return False
    return not in_loop or bool(_SETTINGS.search(caller.loop_iters.get(loop_line, "")))


def _filled_by_user(project: ProjectModel, fn: FunctionInfo, attr: str) -> bool:
    """Every add to `self.<attr>` is in a method called only by hand: from a Qt slot (one
    item per click) or from set-up code that restores the user's configuration. Such a
    list holds the handful of things a user set up, not data that grows per request."""
    klass = project.classes.get(fn.cls)
    use = klass.containers.get(attr) if klass is not None else None
    if klass is None or use is None or not use.adds:
        return False
    by_name = project.memo("CIA604.calls_by_name", lambda: _calls_by_name(project))
    for add_line, _how in use.adds:
        adder = project.function_at(klass.relpath, add_line)
        if adder is None or adder.cls != klass.qualname or adder.in_loop_at(add_line):
            return False
        callers = {
            (c.qualname, call.line): (c, call) for c, call in project.callers(adder.qualname)
        }
        for c, call in by_name.get(adder.name, ()):
            callers.setdefault((c.qualname, call.line), (c, call))
        if not callers or not all(
            _by_hand(project, c, call.in_loop, call.loop_line) for c, call in callers.values()
        ):
            return False
    return True


def _calls_by_name(project: ProjectModel) -> dict[str, list[tuple[FunctionInfo, CallSite]]]:
    index: dict[str, list[tuple[FunctionInfo, CallSite]]] = {}
    for f in project.functions.values():
        for call in f.calls:
            if "." in call.target:
                index.setdefault(call.target.rsplit(".", 1)[1], []).append((f, call))
    return index


def _pooled(element: cst.CSTNode | None, imports: ImportMap) -> bool:
    """Whether the per-item element runs on a library's bounded worker pool:
    `anyio.Path(p).exists()`, `anyio.to_thread.run_sync(f, p)`,
    `loop.run_in_executor(pool, f, p)`, `asyncio.to_thread(f, p)`."""
    if not isinstance(element, cst.Call):
        return False
    if call_name(element) == "run_in_executor":
        return True
    qualified = imports.qualify(element.func) or ""
    if qualified.startswith(_POOLED_CALLS):
        return True
    # A method of an object made by `anyio.Path(...)`: each method is a worker-thread call.
    func = element.func
    while isinstance(func, cst.Attribute):
        inner = func.value
        if isinstance(inner, cst.Call):
            return (imports.qualify(inner.func) or "") in _POOLED_OBJECTS
        func = inner
    return False


def _created_as_they_arrive(loop: cst.CSTNode | None) -> bool:
    """A `while` loop (or an `async for`) that awaits before each append: the tasks it
    collects were started one by one as their work arrived, and the gather after it only
    waits for them to finish; nothing new starts at once."""
    if isinstance(loop, cst.For) and loop.asynchronous is not None:
        return True
    if not isinstance(loop, cst.While):
        return False
    return any(isinstance(n, cst.Await) for n, _ in body_nodes(loop.body))


def _split_argument(func: cst.FunctionDef, items: cst.BaseExpression | None) -> str:
    """The parameter whose text the items are split from (`addrs = arg.split(",")`, or
    `arg.split(",")` in place): a list a user typed, a handful of entries. "" otherwise."""
    params = {p.name.value for p in (*func.params.params, *func.params.kwonly_params)}
    exprs: list[cst.CSTNode] = []
    if isinstance(items, cst.Call):
        exprs.append(items)
    elif isinstance(items, cst.Name):
        exprs += [
            sub.value
            for sub, _ in body_nodes(func)
            if isinstance(sub, cst.Assign)
            and any(dotted(t.target) == items.value for t in sub.targets)
        ]
    for expr in exprs:
        for sub, _ in [(expr, ()), *body_nodes(expr)]:
            if (
                isinstance(sub, cst.Call)
                and call_name(sub) == "split"
                and isinstance(sub.func, cst.Attribute)
                and isinstance(sub.func.value, cst.Name)
                and sub.func.value.value in params
            ):
                return sub.func.value.value
    return ""


# Calls that pick at most N items: `random.sample(peers, 6)`, `islice(it, 10)`,
# `heapq.nlargest(5, xs)`.
_PICK_N = frozenset({"sample", "islice", "nlargest", "nsmallest"})


def _capped(func: cst.FunctionDef, items: cst.BaseExpression | None, depth: int = 0) -> bool:
    """Whether the items are capped at a fixed count: a slice with an end (`peers[:6]`), a
    pick of N (`random.sample(peers, 6)`), either branch of `sample(...) if len(x) > 6 else
    x` (the other branch is then short too), or a local name bound to one of them."""
    if items is None or depth > 2:
        return False
    if isinstance(items, cst.IfExp):
        return _capped(func, items.body, depth + 1) or _capped(func, items.orelse, depth + 1)
    if isinstance(items, cst.Subscript):
        return any(
            isinstance(el.slice, cst.Slice) and el.slice.upper is not None for el in items.slice
        )
    if isinstance(items, cst.Call):
        return call_name(items) in _PICK_N and len(items.args) >= 2
    if isinstance(items, cst.Name):
        values = [
            sub.value
            for sub, _ in body_nodes(func)
            if isinstance(sub, cst.Assign)
            and any(dotted(t.target) == items.value for t in sub.targets)
        ]
        return bool(values) and all(_capped(func, v, depth + 1) for v in values)
    return False


def _cancelled_first(func: cst.FunctionDef, source: cst.BaseExpression) -> bool:
    """`for t in tasks: t.cancel()` before `gather(*tasks)`: the gather only waits for
    tasks that already run to wind down; it starts nothing."""
    name = dotted(source)
    if name is None:
        return False
    for sub, _ in body_nodes(func):
        if (
            isinstance(sub, cst.For)
            and dotted(sub.iter) == name
            and isinstance(sub.target, cst.Name)
            and any(
                isinstance(n, cst.Call)
                and call_name(n) == "cancel"
                and isinstance(n.func, cst.Attribute)
                and dotted(n.func.value) == sub.target.value
                for n, _ in body_nodes(sub.body)
            )
        ):
            return True
    return False


def _over_range(built: cst.CSTNode | None) -> bool:
    if not isinstance(built, (cst.ListComp, cst.GeneratorExp)):
        return False
    loop = built.for_in.iter
    return isinstance(loop, cst.Call) and call_name(loop) == "range"


class GatherUnbounded(Rule):
    """Everything starts at once: N browsers, N connections, N requests."""

    ID = "CIA604"
    AREA = 6
    TITLE = "asyncio.gather over an unbounded list of coroutines"
    RATIONALE = (
        "`gather(*[work(x) for x in items])` starts one coroutine per item immediately. With "
        "hundreds of items that means hundreds of simultaneous browser pages, DB "
        "connections or HTTP requests: pools are exhausted, remote rate limits trip and "
        "memory spikes, and one failure does not stop the rest."
    )
    # How long the list gets the code rarely says; measured pool waits or connection counts
    # raise it. On a profile hot path it gets the per-event frequency.
    IMPACT = 4
    FREQUENCY = 3
    DIFFICULTY = 3
    RECOMMENDATION = (
        "Bound concurrency: wrap each coroutine in `async with semaphore:` (limit from "
        "configuration), or feed a fixed number of worker tasks from an `asyncio.Queue`; "
        "use `asyncio.TaskGroup` so a failure cancels the rest."
    )
    EXAMPLE_BEFORE = """\
results = await asyncio.gather(*[self._run(node) for node in nodes])
"""
    EXAMPLE_AFTER = """\
sem = asyncio.Semaphore(self._max_parallel)

async def bounded(node):
    async with sem:
        return await self._run(node)

results = await asyncio.gather(*[bounded(node) for node in nodes])
"""
    TAGS = ("async", "concurrency")
    TRIGGERS = ("gather(",)
    VALID = (
        # The devices the user added, one per click or per saved setting: a handful.
        Valid(
            """\
            import asyncio
            from PySide6.QtCore import Slot
            class Devices:
                def __init__(self, options):
                    self.links = []
                    for saved in options.saved_links:
                        self.add_link(saved)
                def add_link(self, link):
                    self.links.append(link)
                async def poll(self):
                    await asyncio.gather(*[link.ping() for link in list(self.links)])
            class DevicePanel:
                @Slot()
                def on_add_clicked(self):
                    self.devices.add_link(self.form.link())
            """
        ),
        Valid(
            """\
            import asyncio
            async def run(self, nodes):
                async def one(n):
                    async with self._semaphore:
                        return await self._run(n)
                return await asyncio.gather(*[one(n) for n in nodes])
            """
        ),
        Valid(
            """\
            import asyncio
            async def both(self):
                return await asyncio.gather(self.a(), self.b())
            """
        ),
        # A fixed pool of workers draining a queue is the bounded shape.
        Valid(
            """\
            import asyncio
            async def stats(queue, results):
                tasks = [asyncio.create_task(worker(queue, results)) for _ in range(WORKERS)]
                await asyncio.gather(*tasks)
            """
        ),
        # Starting or stopping every part the object holds happens once per lifecycle, and
        # the parts may wait on each other's start or stop: a bound there could deadlock.
        Valid(
            """\
            import asyncio
            class Host:
                async def boot_plugins(self):
                    await asyncio.gather(*[p.start() for p in self.plugins.values()])

                async def shutdown(self):
                    pending = []
                    for transfer in self._transfers.values():
                        pending.append(transfer.flush())
                    await asyncio.gather(*pending)
            """
        ),
        # A set of items fixed in the code does not grow with the input.
        Valid(
            """\
            import asyncio
            class Health:
                ENDPOINTS = ("db", "cache", "queue")
                async def check_all(self):
                    checks = [self.check(name) for name in self.ENDPOINTS]
                    return await asyncio.gather(*checks)
            """
        ),
        # Tasks started one by one as each batch arrived: the gather only waits for them.
        Valid(
            """\
            import asyncio
            class Reaper:
                async def reap_batches(self):
                    started = []
                    while not self._done.is_set():
                        batch = await self._next_batch()
                        started.append(asyncio.create_task(self._reap(batch)))
                    await asyncio.gather(*started)
            """
        ),
        # At most six peers are picked (a sample of six, or all of them when fewer), and
        # tasks cancelled just before are only waited for: nothing unbounded starts.
        Valid(
            """\
            import asyncio
            import random

            async def broadcast(self, request, peers):
                chosen = random.sample(peers, 6) if len(peers) > 6 else peers
                replies = []
                for peer in chosen:
                    replies.append(asyncio.ensure_future(request(peer)))
                first = await asyncio.gather(*[request(p) for p in peers[:3]])
                return first, await asyncio.gather(*replies, return_exceptions=True)

            async def disconnect(self):
                tasks = [w.task for w in self._workers if w.task]
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            """
        ),
        # Each call runs on anyio's worker threads, which its default limiter caps.
        Valid(
            """\
            import asyncio
            import anyio
            async def all_written(paths):
                return all(await asyncio.gather(*[anyio.Path(p).is_file() for p in paths]))
            """
        ),
    )
    INVALID = (
        # The same list filled once per incoming message: it grows with the traffic.
        Invalid(
            """\
            import asyncio
            class Devices:
                def __init__(self):
                    self.links = []
                def add_link(self, link):
                    self.links.append(link)
                async def poll(self):
                    await asyncio.gather(*[link.ping() for link in list(self.links)])
            class Listener:
                def on_message(self, msg):
                    self.devices.add_link(msg.link)
            """,
            line=8,
        ),
        # One task per item, all created in one pass: they all run at once.
        Invalid(
            """\
            import asyncio
            async def cancel(self, job_ids):
                pending = []
                for job_id in job_ids:
                    pending.append(asyncio.create_task(self._run_cancel_command(job_id)))
                await asyncio.gather(*pending)
            """,
            line=6,
        ),
        # Over the entries of a comma-separated argument: a user-typed list, LOW.
        Invalid(
            """\
            import asyncio
            async def pay(self, to_addresses):
                names = to_addresses.split(",")
                resolved = await asyncio.gather(*[self._resolve(n) for n in names])
                return resolved
            """,
            line=4,
            message_contains="split from the `to_addresses` argument",
        ),
        # Once at shutdown: true, but LOW, and says so.
        Invalid(
            """\
            import asyncio
            class Hub:
                async def _send_goodbye_on_shutdown(self):
                    await asyncio.gather(*(self._sock.send(peer, b"bye") for peer in self._peers))
            """,
            line=4,
            message_contains="once when things shut down",
        ),
        Invalid(
            """\
            import asyncio
            async def run_all(self, nodes):
                tasks = [self._execute(n) for n in nodes]
                return await asyncio.gather(*tasks)
            """,
            line=4,
        ),
        # The object's own list, but fetched per call, not started or stopped once.
        Invalid(
            """\
            import asyncio
            class Crawler:
                async def refresh(self):
                    return await asyncio.gather(*[self._fetch(u) for u in self.urls])
            """,
            line=4,
        ),
    )

    @classmethod
    def confirm(cls, finding: Finding, project: ProjectModel) -> Finding | None:
        """Dropped when the gather walks a list of the object's own that only a user fills:
        one item per click (a Qt slot) or per saved setting at set-up. A handful of
        coroutines at once costs nothing a bound would save."""
        found = super().confirm(finding, project)
        walked = _gathered_attr(project, finding) if found is not None else None
        if walked is not None and _filled_by_user(project, walked[0], walked[1]):
            return None
        return found

    def visit_Module(self, node: cst.Module) -> None:
        self._imports = import_map(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        walk = body_nodes(node)
        comps: dict[str, cst.BaseExpression] = {}
        # name -> (the items it is built over, the per-item element)
        built_over: dict[str, tuple[cst.BaseExpression | None, cst.CSTNode | None]] = {}
        appended_in: dict[str, cst.CSTNode] = {}  # name -> the loop whose body appends to it
        bounded = False
        for sub, _anc in walk:
            if isinstance(sub, cst.Assign) and isinstance(
                sub.value, (cst.ListComp, cst.GeneratorExp)
            ):
                for t in sub.targets:
                    if (name := dotted(t.target)) is not None:
                        comps[name] = sub.value
                        built_over[name] = (sub.value.for_in.iter, sub.value.elt)
            if (
                isinstance(sub, cst.Call)
                and call_name(sub) == "append"
                and isinstance(sub.func, cst.Attribute)
                and (loop := enclosing_loop(sub, _anc)) is not None
                and (name := dotted(sub.func.value)) is not None
            ):
                comps[name] = sub
                appended_in[name] = loop
                built_over[name] = (
                    loop.iter if isinstance(loop, cst.For) else None,
                    sub.args[0].value if sub.args else None,
                )
            if isinstance(sub, (cst.Name, cst.Attribute)):
                ident = sub.value if isinstance(sub, cst.Name) else sub.attr.value
                if ident in _BOUNDS:
                    bounded = True
        # Nested helpers (the usual bounded wrapper) are scope breaks: look inside them too.
        for sub, _ in walk:
            if isinstance(sub, cst.FunctionDef) and any(
                isinstance(n, cst.With) and "semaphore" in names_text(n).lower()
                for n, _ in body_nodes(sub)
            ):
                bounded = True
        if bounded:
            return
        for sub, _ in walk:
            if not isinstance(sub, cst.Call) or call_name(sub) != "gather":
                continue
            if self._imports.qualify(sub.func) not in ("asyncio.gather", None):
                continue
            starred = [a.value for a in sub.args if a.star == "*"]
            if not starred:
                continue
            source = starred[0]
            built = source if isinstance(source, (cst.ListComp, cst.GeneratorExp)) else None
            built = built or comps.get(dotted(source) or "")
            # `[worker() for _ in range(WORKERS)]` is the fixed set of workers the advice
            # asks for, not one coroutine per item.
            if _over_range(built):
                continue
            if isinstance(built, (cst.ListComp, cst.GeneratorExp)):
                items, element = built.for_in.iter, built.elt
            else:
                items, element = built_over.get(dotted(source) or "", (None, None))
            if _fixed_items(items) or _lifecycle_of_own_parts(node, items, element):
                continue
            if _created_as_they_arrive(appended_in.get(dotted(source) or "")):
                continue
            if _pooled(element, self._imports):
                continue
            if _capped(node, items) or _cancelled_first(node, source):
                continue
            if built is None:
                continue
            message = (
                f"`gather(*{source_of(source, 40)})` starts one coroutine per item at "
                f"once: bound it with a semaphore or a fixed set of worker tasks."
            )
            typed = _split_argument(node, items)
            if typed:
                self.report(
                    sub,
                    f"{message} But the items are split from the `{typed}` argument, a list "
                    "someone typed: a handful of coroutines, so starting them all at once "
                    "costs little: LOW.",
                    impact=1,
                    frequency=2,
                )
            elif _SHUTDOWN_NAME.search(node.name.value):
                self.report(
                    sub,
                    f"`gather(*{source_of(source, 40)})` starts one coroutine per item at "
                    f"once, but it runs in {node.name.value}(), once when things shut down: "
                    "starting them all at once costs little there, and a bound buys little.",
                    impact=2,
                    frequency=1,
                )
            else:
                self.report(sub, message)

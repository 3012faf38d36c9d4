"""CIA202: `asyncio.create_task(...)` / `ensure_future(...)` whose task object is thrown away."""

from __future__ import annotations

import re

from analyzers.project import CallSite, FunctionInfo, shutdown_name
from analyzers.project_rule import ProjectRule
from analyzers.rule import Invalid, Valid
from analyzers.rules._containers import unused_fillers

_SPAWNERS = frozenset({"create_task", "ensure_future"})
# Owners that keep a strong reference to what they start and cancel it on exit: asyncio's
# TaskGroup (`tg.create_task`), aiorpcx/OldTaskGroup (`group.spawn`), trio/anyio nurseries.
_GROUP = re.compile(r"(task_?group|^tg$|^group$|nursery)", re.I)
_GROUP_SPAWNS = frozenset({"spawn", "create_task", "start_soon"})
# `@Slot()` marks a method for a Qt signal (a button, a menu action), even on a plain class.
_SLOTS = frozenset({"Slot", "pyqtSlot"})
# A function that runs once per event, message or node: a task started there is one of many.
_PER_EVENT = re.compile(
    r"^_?(on_|handle|notify|dispatch|process|receive|deliver)|"
    r"(_handler|_callback|_cb|_hook|_listener|_event)$"
)


class TaskWithoutReference(ProjectRule):
    """The event loop keeps only a weak reference to tasks: an unreferenced task can vanish."""

    ID = "CIA202"
    AREA = 2
    TITLE = "Task created without keeping a reference"
    RATIONALE = (
        "asyncio keeps only weak references to running tasks. A task nobody references can "
        "be garbage-collected before it finishes (the trigger silently stops firing), its "
        "exception is only logged at collection time, and it cannot be cancelled on stop."
    )
    # A lost task is rare (the loop's weak reference usually survives); its cost is a silent
    # failure, not a slowdown. Reported at this priority only when tasks start per event,
    # per message or per node and the coroutine lets its exceptions escape; a one-off task
    # (start-up, a button, a navigation) or one whose coroutine logs its own errors is LOW.
    IMPACT = 3
    FREQUENCY = 3
    DIFFICULTY = 2
    RECOMMENDATION = (
        "Keep tasks in a set and discard them when done: `task = asyncio.create_task(c)`, "
        "`self._tasks.add(task)`, `task.add_done_callback(self._tasks.discard)`; cancel and "
        "await them in `stop()` (or use an `asyncio.TaskGroup`)."
    )
    EXAMPLE_BEFORE = "asyncio.create_task(self._fire(event))"
    EXAMPLE_AFTER = (
        "task = asyncio.create_task(self._fire(event))\nself._tasks.add(task)\n"
        "task.add_done_callback(self._tasks.discard)"
    )
    TAGS = ("async", "leak", "lifecycle")
    TRIGGERS = tuple(sorted(_SPAWNERS))
    VALID = (
        Valid("import asyncio\nasync def f(c):\n    t = asyncio.create_task(c)\n    await t\n"),
        # The project installs a task factory that holds every task until it is done.
        Valid(
            "import asyncio\n_running = set()\n"
            "def keep_tasks(loop):\n"
            "    def factory(loop_, coro, **kw):\n"
            "        task = asyncio.Task(coro, loop=loop_, **kw)\n"
            "        _running.add(task)\n"
            "        task.add_done_callback(_running.discard)\n"
            "        return task\n"
            "    loop.set_task_factory(factory)\n"
            "class Trigger:\n"
            "    def on_event(self, event):\n"
            "        asyncio.create_task(self._fire(event))\n"
        ),
        Valid(
            "import asyncio\nclass T:\n    def start(self):\n"
            "        self._tasks.add(asyncio.create_task(self._run()))\n"
        ),
        # The coroutine never awaits (nor does any override): its task runs to its end in
        # its first step.
        Valid(
            "import asyncio\n"
            "class Feed:\n"
            "    def on_message(self, msg):\n"
            "        asyncio.create_task(self.store.apply(msg))\n"
            "class Store:\n"
            "    async def apply(self, msg):\n"
            "        self.pool.submit(self.update, msg)\n"
        ),
        # Only `add_waiter` fills `_waiters`, and nothing calls it: the loop starts nothing.
        Valid(
            "import asyncio\n"
            "class Signal:\n"
            "    def __init__(self):\n"
            "        self._waiters = {}\n"
            "    def on_emit(self):\n"
            "        ready = [c for c, ok in self._waiters.items() if ok()]\n"
            "        for coro in ready:\n"
            "            asyncio.create_task(coro)\n"
            "        self._waiters.clear()\n"
            "    def add_waiter(self, key, coro):\n"
            "        self._waiters[key] = coro\n"
        ),
        # A TaskGroup holds its tasks and cancels them when the block exits.
        Valid(
            "import asyncio\n"
            "async def refresh_all(feeds):\n"
            "    async with asyncio.TaskGroup() as tg:\n"
            "        for feed in feeds:\n"
            "            tg.create_task(feed.refresh())\n"
        ),
        # The wrapper task only hands the job to a task group, which keeps and cancels it.
        Valid(
            "import asyncio\n"
            "class Batcher:\n"
            "    def flush(self, key, batch):\n"
            "        asyncio.ensure_future(self.taskgroup.spawn(self.send_batch(key, batch)))\n"
        ),
        # The coroutine logs its own exceptions and runs its work in a group that stop()
        # cancels: nothing is lost and nothing outlives the owner.
        Valid(
            "import asyncio\n"
            "class RelayLink:\n"
            "    async def __aenter__(self):\n"
            "        asyncio.create_task(self.main_loop())\n"
            "        return self\n"
            "    @log_exceptions\n"
            "    async def main_loop(self):\n"
            "        async with self.taskgroup as group:\n"
            "            await group.spawn(self.read_messages())\n"
            "    async def stop(self):\n"
            "        await self.taskgroup.cancel_remaining()\n"
        ),
        # Started after the loop has stopped (Ctrl+C ended `run_forever()`): no loop runs
        # the task, so it is never collected mid-run (`asyncio.create_task` even raises).
        Valid(
            "import asyncio\n"
            "def run(loop):\n"
            "    try:\n"
            "        loop.run_forever()\n"
            "    except KeyboardInterrupt:\n"
            "        asyncio.create_task(cleanup())\n"
        ),
    )
    INVALID = (
        # A handler that restarts itself only when a step failed: one task per failure,
        # not one per event. Unreferenced all the same: LOW.
        Invalid(
            "import asyncio\n"
            "class Wizard:\n"
            "    async def process(self):\n"
            "        try:\n"
            "            await self.step()\n"
            "        except OSError:\n"
            "            asyncio.ensure_future(self.process())\n"
            "            return\n",
            line=7,
            message_contains="discards the task: the loop holds",
        ),
        # The poll loop ends right after starting the error task: one task per poll loop's
        # life, not one per item. Still unreferenced, but a one-off: LOW.
        Invalid(
            "import asyncio\n"
            "class Camera:\n"
            "    async def poll(self):\n"
            "        while self.enabled:\n"
            "            try:\n"
            "                await self.read()\n"
            "            except OSError as exc:\n"
            "                asyncio.ensure_future(self.on_error(exc))\n"
            "                break\n",
            line=8,
            message_contains="discards the task: the loop holds",
        ),
        # A shutdown task from a callback is still unreferenced, but it runs once: LOW.
        Invalid(
            "import asyncio\n"
            "def install(window):\n"
            "    def on_close(event):\n"
            "        asyncio.create_task(perform_graceful_shutdown(window))\n"
            "    window.closeEvent = on_close\n",
            line=4,
        ),
        # Scheduled before the loop runs: the loop starts it, and holds it only weakly.
        Invalid(
            "import asyncio\n"
            "def main(loop):\n"
            "    asyncio.ensure_future(serve())\n"
            "    loop.run_forever()\n",
            line=3,
        ),
        Invalid(
            "import asyncio\n"
            "class Trigger:\n"
            "    def on_event(self, event):\n"
            "        asyncio.create_task(self._fire(event))\n",
            line=4,
            message_contains="per event",
        ),
        Invalid(
            "import asyncio\nasync def f(coro):\n    asyncio.ensure_future(coro)\n",
            line=3,
            message_contains="ensure_future",
        ),
        # One task per completed node, from a hook: a failed save is never seen.
        Invalid(
            "import asyncio\n"
            "class Runner:\n"
            "    def install(self, engine):\n"
            "        def after_node(node_id):\n"
            "            asyncio.create_task(self._save_checkpoint(node_id))\n"
            "        engine.hooks.append(after_node)\n"
            "    async def _save_checkpoint(self, node_id):\n"
            "        await self.store.write(node_id)\n",
            line=5,
            message_contains="a callback",
        ),
        # The same registry once something registers into it: one task per waiter.
        Invalid(
            "import asyncio\n"
            "class Signal:\n"
            "    def __init__(self):\n"
            "        self._waiters = {}\n"
            "    def on_emit(self):\n"
            "        for coro in self._waiters.values():\n"
            "            asyncio.create_task(coro)\n"
            "    def add_waiter(self, key, coro):\n"
            "        self._waiters[key] = coro\n"
            "def watch(sig, key, coro):\n"
            "    sig.add_waiter(key, coro)\n",
            line=7,
            message_contains="one per item of a loop",
        ),
        # The base method only raises NotImplementedError, but an override awaits.
        Invalid(
            "import asyncio\n"
            "class Graph:\n"
            "    def on_node_event(self, node):\n"
            "        asyncio.ensure_future(self.draw(node))\n"
            "    async def draw(self, node):\n"
            "        raise NotImplementedError\n"
            "class WotGraph(Graph):\n"
            "    async def draw(self, node):\n"
            "        await self.scene.render(node)\n",
            line=4,
            message_contains="one per event",
        ),
        # A start-up task whose coroutine logs its own errors: still unreferenced (LOW).
        Invalid(
            "import asyncio\n"
            "class Tray:\n"
            "    def run(self):\n"
            "        asyncio.ensure_future(self._connect())\n"
            "    async def _connect(self):\n"
            "        try:\n"
            "            await self.client.connect()\n"
            "        except Exception:\n"
            "            logger.exception('connect failed')\n",
            line=4,
            message_contains="logs its own errors",
        ),
    )

    def check_project(self) -> None:
        if self.project.memo("CIA202.task_factory", self._installs_task_factory):
            return  # the project's own task factory keeps every task (Electrum does this)
        for fn in self.functions():
            for call in fn.calls:
                receiver, _, verb = call.target.rpartition(".")
                if not call.discarded or verb not in _SPAWNERS:
                    continue
                if _after_loop_stopped(fn, call):
                    continue  # no loop runs it: the task never starts, nothing to collect
                if _GROUP.search(receiver.rsplit(".", 1)[-1]):
                    continue  # tg.create_task(...): the group keeps the task
                coro = _spawned_call(fn, call)
                if coro is not None and coro.target.rsplit(".", 1)[-1] in _GROUP_SPAWNS:
                    continue  # ensure_future(group.spawn(...)): the group keeps the work
                callee = self.project.resolve(fn, coro.target) if coro is not None else None
                if coro is not None and self._never_pending(callee, coro):
                    continue  # it runs to its end in the task's first step: nothing to lose
                if self._empty_registry(fn, call):
                    continue  # the loop walks a container nothing in the tree fills
                handled = callee.catches_all if callee is not None else ""
                if handled and callee is not None and self._owner_cancels(callee):
                    continue
                shutdown = coro is not None and shutdown_name(coro.target.rsplit(".", 1)[-1])
                self._report(fn, call, callee, handled, shutdown)

    def _installs_task_factory(self) -> bool:
        """`loop.set_task_factory(...)` anywhere in the project: a factory installed to keep
        a strong reference to every task until it finishes, which is what this rule asks
        for each call site."""
        return any(
            call.target.rsplit(".", 1)[-1] == "set_task_factory"
            for fn in self.project.functions.values()
            for call in fn.calls
        )

    def _report(
        self,
        fn: FunctionInfo,
        call: CallSite,
        callee: FunctionInfo | None,
        handled: str,
        shutdown: bool = False,
    ) -> None:
        # A task that shuts the program down runs once, at the end, whatever calls it.
        per_event = "" if shutdown else self._per_event(fn, call)
        name = f"`{callee.name}()`" if callee is not None else "the coroutine"
        if handled:
            errors = f"{name} logs its own errors ({handled}), so only the reference is missing"
        else:
            errors = "its exception goes unseen until the task is collected"
        how_often = f", {per_event}" if per_event else ""
        self.report_at(
            call.line,
            f"`{call.target}()` in `{fn.name}` discards the task{how_often}: the loop holds "
            f"it only weakly, so it can be garbage-collected mid-run, {errors}, and nothing "
            "can cancel it on stop; keep it in a set with a done-callback that discards it.",
            end_line=call.end_line,
            col=call.col,
            # One-off tasks (start-up, a button, a page) and coroutines that handle their
            # own errors lose little: LOW. Many tasks whose errors vanish: the rule's default.
            impact=3 if per_event and not handled else 2,
            frequency=3 if per_event and not handled else 2,
        )

    def _per_event(self, fn: FunctionInfo, call: CallSite) -> str:
        """How the task is one of many ("one per item of a loop"...), "" for a one-off."""
        gui = self.project.gui_functions
        callers = self.project.callers(fn.qualname)
        slot = any(d.rsplit(".", 1)[-1] in _SLOTS for d in fn.decorators)
        if slot or fn.qualname in gui or (callers and all(c.qualname in gui for c, _ in callers)):
            return ""  # a Qt slot, or what only slots call: once per user action
        # `ensure_future(...); break`: the loop ends there, so one task per pass of it at most.
        if call.in_loop and not call.leaves_loop:
            return "one per item of a loop"
        outer = self.project.functions.get(fn.qualname.rpartition(".")[0])
        if outer is not None and not any(c.target == fn.qualname for c in outer.calls):
            # Defined inside another function and handed out (returned, subscribed, hooked)
            # rather than called there: a callback, run once per event it is given.
            return f"from a callback defined in `{outer.name}` (one per call)"
        # Started from an `except` block (a retry after a failure): one per failure.
        if call.in_except:
            return ""
        if _PER_EVENT.search(fn.name) and self.project.once_reason(fn.qualname) is None:
            return "one per event"
        return ""

    def _never_pending(self, callee: FunctionInfo | None, coro: CallSite) -> bool:
        """The coroutine (or, unresolved, every project coroutine of that method name) has
        no `await`, `async for` or `async with` of its own: its task finishes in its first
        step, so it is never pending and the loop's weak reference loses nothing."""
        if callee is not None and (not callee.is_async or callee.suspends):
            return False
        if callee is not None and not callee.cls:
            return True
        # A method: an override (of an abstract `raise NotImplementedError` base, say) may
        # await, so every project coroutine of that name must finish in one step.
        name = coro.target.rsplit(".", 1)[-1]
        if "." not in coro.target:
            return False
        index = self.project.memo("CIA202.coroutines_by_name", self._coroutines_by_name)
        found = index.get(name)
        return bool(found) and not any(found)

    def _coroutines_by_name(self) -> dict[str, list[bool]]:
        index: dict[str, list[bool]] = {}
        for f in self.project.functions.values():
            if f.is_async:  # a plain function of that name is some other method
                index.setdefault(f.name, []).append(f.suspends)
        return index

    def _empty_registry(self, fn: FunctionInfo, call: CallSite) -> bool:
        """`for coro in self._pending.values(): create_task(coro)` where every write into
        `self._pending` sits in a method nothing in the tree names (`add_callback` never
        called): the container stays empty, the loop never starts a task."""
        if not call.in_loop or not fn.cls:
            return False
        head = fn.loop_iters.get(call.loop_line, "")
        if head in fn.local_call_lines:  # `ready = [c for c in self._pending ...]`
            head = fn.loop_iters.get(fn.local_call_lines[head], "")
        if not head.startswith("self."):
            return False
        attr = head[5:].split(".", 1)[0].split("[", 1)[0]
        return unused_fillers(self.project, fn.cls, attr) is not None

    def _owner_cancels(self, callee: FunctionInfo) -> bool:
        """Whether the coroutine runs its work in a task group (`await group.spawn(...)`)
        that its class cancels in one of its methods (`self.taskgroup.cancel_remaining()`)."""
        if not any(_into_group(c.target) for c in callee.calls):
            return False
        todo = [callee.cls] if callee.cls else []
        seen: set[str] = set()
        while todo:
            qual = todo.pop()
            klass = self.project.classes.get(qual)
            if klass is None or qual in seen:
                continue
            seen.add(qual)
            todo.extend(klass.bases)
            for method in klass.methods.values():
                info = self.project.functions.get(method)
                if info is not None and any(_cancels_own(c.target) for c in info.calls):
                    return True
        return False


# Calls that run an event loop until it stops: code after them in the same function runs
# with no loop running (`with loop: loop.run_forever()`, `asyncio.run(main())`).
_RUNS_LOOP = frozenset({"run_forever", "run_until_complete"})


def _runs_loop(target: str) -> bool:
    return target.rsplit(".", 1)[-1] in _RUNS_LOOP or target == "asyncio.run"


def _after_loop_stopped(fn: FunctionInfo, spawn: CallSite) -> bool:
    """A plain function that ran the event loop earlier (`loop.run_forever()`) and starts
    the task after it returned or raised (an `except KeyboardInterrupt:` after it), with no
    loop run after the spawn: no loop is running there, so the task never runs (and
    `asyncio.create_task` raises)."""
    if fn.is_async:
        return False
    ran = [c for c in fn.calls if _runs_loop(c.target)]
    return (
        bool(ran)
        and all(c.line < spawn.line for c in ran)
        and (spawn.in_except or spawn.line > max(c.end_line for c in ran))
    )


def _into_group(target: str) -> bool:
    receiver, _, verb = target.rpartition(".")
    return verb in _GROUP_SPAWNS and bool(_GROUP.search(receiver.rsplit(".", 1)[-1]))


def _cancels_own(target: str) -> bool:
    head, _, rest = target.partition(".")
    attr, _, verb = rest.partition(".")
    return head == "self" and verb.startswith("cancel") and bool(_GROUP.search(attr))


def _spawned_call(fn: FunctionInfo, spawn: CallSite) -> CallSite | None:
    """The call that builds the coroutine handed to `spawn` (`self._fire(event)`), if any:
    the first call inside the spawn's arguments, in source order."""
    inside = [
        c
        for c in fn.calls
        if (c.line, c.col) > (spawn.line, spawn.col) and c.line <= spawn.end_line
    ]
    return min(inside, key=lambda c: (c.line, c.col), default=None)

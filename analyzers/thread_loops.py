"""Coroutines that run on an asyncio loop of their own thread, not on the GUI's loop.

Two shapes are provable from the project model:

- a thread body (`threading.Thread(target=f)`, a Thread subclass's `run`, or a Thread subclass
  called with `target=f`) that starts a private loop (`asyncio.run(main())`,
  `loop.run_until_complete(main())`): `main` runs on that thread's loop;
- an object whose class is a loop in a thread (`LoopInThread`, `AsyncioThread`,
  `EventLoopThread`...) handed the coroutine (`self.loop_in_thread.run_task(do())`).

A coroutine awaited or scheduled only by such coroutines runs there too. A blocking call in
it stalls that loop's other tasks, not the window.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from analyzers.project import FunctionInfo, ProjectModel

_LOOP_STARTERS = ("asyncio.run", "asyncio.Runner.run")
_LOOP_METHODS = frozenset({"run_until_complete"})
# `LoopInThread.run_task(coro)`, `AsyncioThread.submit(coro)`, `EventLoopThread.run(coro)`.
_THREAD_LOOP_CLASS = re.compile(r"(?i)(loop|async).*thread|thread.*(loop|async)")
_THREAD_LOOP_METHODS = frozenset(
    {"run_task", "submit", "run_coroutine", "run_coro", "run", "spawn"}
)


def _short(qualname: str) -> str:
    return ".".join(qualname.rsplit(".", 2)[-2:])


def _thread_bodies(project: ProjectModel) -> set[str]:
    """Functions that run as the body of a thread."""
    bodies = set(project.thread_targets)
    for fn in project.functions.values():
        for call in fn.calls:
            if not call.callables or call.target not in project.classes:
                continue
            if not project.derives_from(call.target, "threading.Thread"):
                continue
            for ref in call.callables:
                target = project.resolve(fn, ref)
                if target is not None and not target.is_async:
                    bodies.add(target.qualname)
    return bodies


def _coroutines_in_span(
    project: ProjectModel, fn: FunctionInfo, line: int, end_line: int
) -> list[FunctionInfo]:
    """Project coroutine functions called (not awaited) within lines [line, end_line]."""
    found = []
    for call in fn.calls:
        if call.awaited or not line <= call.line <= end_line:
            continue
        callee = project.resolve(fn, call.target)
        if callee is not None and callee.is_async:
            found.append(callee)
    return found


def _roots(project: ProjectModel) -> dict[str, str]:
    """Coroutine qualname -> which loop it is handed to."""
    roots: dict[str, str] = {}
    bodies = project.memo("thread_loops.bodies", lambda: _thread_bodies(project))
    for fn in project.functions.values():
        for call in fn.calls:
            last = call.target.rsplit(".", 1)[-1]
            where = None
            if fn.qualname in bodies and (call.target in _LOOP_STARTERS or last in _LOOP_METHODS):
                where = f"the private event loop `{_short(fn.qualname)}` starts in its own thread"
            elif last in _THREAD_LOOP_METHODS:
                typed = project.typed_target(fn, call.target)
                receiver = typed.rpartition(".")[0]
                owner = receiver.rsplit(".", 1)[-1]
                if owner and _THREAD_LOOP_CLASS.search(owner):
                    # A class (`LoopInThread`), or the attribute holding one untyped.
                    shown = owner if owner[:1].isupper() else receiver
                    where = f"the event loop `{shown}` runs in a background thread"
            if where is None:
                continue
            for coro in _coroutines_in_span(project, fn, call.line, call.end_line):
                roots.setdefault(coro.qualname, where)
    return roots


def _resolve(project: ProjectModel, fn: FunctionInfo, target: str) -> FunctionInfo | None:
    """The callee; a closure's `self.x()` is resolved in the method that defines it."""
    callee = project.resolve(fn, target)
    if callee is None and target.startswith("self.") and not fn.cls:
        parent = project.functions.get(fn.qualname.rpartition(".")[0])
        if parent is not None:
            callee = _resolve(project, parent, target)
    return callee


def _closure_callers(project: ProjectModel) -> dict[str, list[str]]:
    """Callee -> closures (nested functions) calling it through `self`, which the model's
    own caller index leaves out."""
    index: dict[str, list[str]] = {}
    for fn in project.functions.values():
        if fn.cls or fn.qualname.rpartition(".")[0] not in project.functions:
            continue
        for call in fn.calls:
            if call.target.startswith("self.") and project.resolve(fn, call.target) is None:
                callee = _resolve(project, fn, call.target)
                if callee is not None:
                    index.setdefault(callee.qualname, []).append(fn.qualname)
    return index


def _cli_roots(project: ProjectModel) -> dict[str, str]:
    """Coroutines a command-line entry point runs with `asyncio.run(main())`: a sync function
    in a module without Qt, not a thread body. The loop is the program's; nothing but what
    `main` starts runs on it, and a prompt there waits for the user by design."""
    roots: dict[str, str] = {}
    bodies = project.memo("thread_loops.bodies", lambda: _thread_bodies(project))
    for fn in project.functions.values():
        if fn.is_async or fn.qualname in bodies or fn.qualname in project.gui_functions:
            continue
        module = project.modules.get(fn.module)
        if module is None or module.uses_qt:
            continue
        for call in fn.calls:
            if call.target in _LOOP_STARTERS:
                for coro in _coroutines_in_span(project, fn, call.line, call.end_line):
                    roots.setdefault(coro.qualname, f"`{_short(fn.qualname)}`")
    return roots


def _build(project: ProjectModel, roots: dict[str, str] | None = None) -> dict[str, str]:
    on_thread = _roots(project) if roots is None else roots
    closures = _closure_callers(project)
    todo = list(on_thread)
    while todo:
        qualname = todo.pop()
        fn = project.functions.get(qualname)
        if fn is None:
            continue
        for call in fn.calls:
            callee = _resolve(project, fn, call.target)
            if callee is None or not callee.is_async or callee.qualname in on_thread:
                continue
            callers = [c.qualname for c, _ in project.callers(callee.qualname)]
            callers += closures.get(callee.qualname, [])
            if callers and all(c in on_thread for c in callers):
                on_thread[callee.qualname] = on_thread[qualname]
                todo.append(callee.qualname)
    return on_thread


def thread_loop_of(project: ProjectModel, qualname: str) -> str | None:
    """Which loop-in-a-thread the coroutine runs on, in words, or None (it may run on the
    GUI's loop)."""
    return project.memo("thread_loops.coroutines", lambda: _build(project)).get(qualname)


def cli_main_of(project: ProjectModel, qualname: str) -> str | None:
    """The command-line entry point whose `asyncio.run()` runs the coroutine, or None."""
    build = lambda: _build(project, _cli_roots(project))  # noqa: E731
    return project.memo("thread_loops.cli_coroutines", build).get(qualname)


# A request to a server or a child process can hold a loop for seconds: on a loop shared by
# the app's background tasks (sync, price feeds) that stalls them all, so it keeps its rank.
# Waits that are short or local (a queue get with a timeout, a file walk) rank MEDIUM there.
KEEP_RANK_KINDS = frozenset({"network", "subprocess"})

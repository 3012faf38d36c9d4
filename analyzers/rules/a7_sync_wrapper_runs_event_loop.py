"""CIA705: a sync wrapper that runs a coroutine on a new loop in a new thread, per call."""

from __future__ import annotations

import libcst as cst

from analyzers.findings import Finding
from analyzers.project import ProjectModel
from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import body_nodes, call_name, import_map

_RUNNERS = frozenset({"asyncio.run", "asyncio.new_event_loop"})


class SyncWrapperRunsEventLoop(Rule):
    """Every sync desktop call blocks the caller's loop and builds a thread pool and a loop."""

    ID = "CIA705"
    AREA = 7
    TITLE = "Sync wrapper runs the coroutine on a fresh event loop in a fresh thread per call"
    RATIONALE = (
        "To offer sync methods over async managers, the wrapper detects a running loop and "
        "then submits `asyncio.run(coro)` to a new ThreadPoolExecutor and waits on "
        "`future.result()`. Called from a node's `async def execute` (the common case), the "
        "running loop - under qasync also the Qt GUI loop - is blocked for the whole UI "
        "Automation action, and each call pays for a new thread pool, thread and event "
        "loop. Every sync desktop call in async code inherits this."
    )
    IMPACT = 7
    FREQUENCY = 6
    DIFFICULTY = 4
    RECOMMENDATION = (
        "Make async callers use the async API directly (`await ctx.async_find_window(...)`; "
        "add async twins where missing) and keep the sync wrapper for sync callers only: "
        "raise (or log loudly) when it is called with a running loop instead of blocking "
        "it; if a bridge is unavoidable, run the work on one long-lived worker thread/loop "
        "(`asyncio.run_coroutine_threadsafe`) rather than a new pool per call."
    )
    EXAMPLE_BEFORE = """\
def _run_async(coro):
    try:
        asyncio.get_running_loop()
        with concurrent.futures.ThreadPoolExecutor() as pool:
            return pool.submit(asyncio.run, coro).result()
    except RuntimeError:
        return asyncio.run(coro)
"""
    EXAMPLE_AFTER = """\
def _run_sync(coro):
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    coro.close()
    raise RuntimeError("called from async code: await the async_* method instead")
"""
    TAGS = ("async", "blocking", "desktop")
    TRIGGERS = ("ThreadPoolExecutor", "run_coroutine_threadsafe")
    VALID = (
        Valid(
            """\
            import asyncio
            def main():
                asyncio.run(serve())
            """
        ),
        # The wrapper lives in a function run by asyncio.to_thread: no loop runs there.
        Valid(
            """\
            import asyncio
            import concurrent.futures

            async def ocr(image):
                def _extract():
                    def _run(coro):
                        asyncio.get_running_loop()
                        with concurrent.futures.ThreadPoolExecutor() as pool:
                            return pool.submit(asyncio.run, coro).result()
                    return _run(recognize(image))
                return await asyncio.to_thread(_extract)
            """
        ),
        Valid(
            """\
            import asyncio, concurrent.futures
            def hash_all(paths):
                with concurrent.futures.ThreadPoolExecutor() as pool:
                    return list(pool.map(digest, paths))
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            import asyncio
            import concurrent.futures

            def _run_async(coro):
                try:
                    asyncio.get_running_loop()
                    with concurrent.futures.ThreadPoolExecutor() as pool:
                        future = pool.submit(asyncio.run, coro)
                        return future.result()
                except RuntimeError:
                    return asyncio.run(coro)
            """,
            line=8,
            message_contains="_run_async",
        ),
    )

    @classmethod
    def confirm(cls, finding: Finding, project: ProjectModel) -> Finding | None:
        """Dropped when the wrapper runs in a worker thread (it, or the function it is
        nested in, is handed to `asyncio.to_thread`, an executor or a Thread): no loop runs
        there, so nothing is blocked."""
        found = super().confirm(finding, project)
        fn = project.function_at(finding.path, finding.line)
        while found is not None and fn is not None:
            if fn.qualname in project.thread_targets:
                return None
            outer = fn.qualname.rpartition(".")[0]
            fn = project.functions.get(outer)
        return found

    def visit_Module(self, node: cst.Module) -> None:
        self._imports = import_map(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.asynchronous is not None:
            return
        walk = body_nodes(node)
        checks_loop = any(
            isinstance(sub, cst.Call) and call_name(sub) == "get_running_loop" for sub, _ in walk
        )
        if not checks_loop:
            return
        for sub, _ in walk:
            if not (isinstance(sub, cst.Call) and call_name(sub) == "submit"):
                continue
            runs_loop = any(
                self._imports.qualify(a.value) in _RUNNERS
                or (isinstance(a.value, cst.Attribute) and a.value.attr.value == "run")
                for a in sub.args
            )
            if not runs_loop:
                continue
            self.report(
                sub,
                f"{node.name.value}() submits asyncio.run(...) to a new thread pool and waits "
                f"for it when a loop is already running: async callers block their loop for "
                f"the whole call. Have async code await the async API instead.",
            )
            return

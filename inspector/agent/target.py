"""Helpers for reaching into the target's own Qt and asyncio, from any thread.

Standard library only: Qt is reached through the modules the target has already imported
(`sys.modules`), never imported by us, so an app without Qt simply gets `None` back.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import sys
import threading
from collections.abc import Callable, Coroutine
from types import ModuleType
from typing import Any, TypeVar

T = TypeVar("T")

_QT_BINDINGS = ("PySide6", "PyQt6", "PySide2", "PyQt5")

# The loop found last; cached weakly in spirit (we re-check it is still alive on use).
_loop_cache: list[asyncio.AbstractEventLoop] = []


def qt_core() -> ModuleType | None:
    """The target's already-imported QtCore module, or None when the target has no Qt."""
    for binding in _QT_BINDINGS:
        module = sys.modules.get(f"{binding}.QtCore")
        if module is not None:
            return module
    return None


def qt_module(name: str) -> ModuleType | None:
    """Another already-imported Qt module of the same binding (e.g. "QtWidgets"), or None."""
    core = qt_core()
    if core is None:
        return None
    binding = core.__name__.split(".")[0]
    return sys.modules.get(f"{binding}.{name}")


def qt_app() -> Any | None:
    """The target's QCoreApplication instance, or None before it exists."""
    core = qt_core()
    if core is None:
        return None
    try:
        return core.QCoreApplication.instance()
    except Exception:
        return None


def is_qt_thread() -> bool:
    """True when the calling thread is the Qt GUI (application) thread."""
    core = qt_core()
    app = qt_app()
    if core is None or app is None:
        return threading.current_thread() is threading.main_thread()
    try:
        return core.QThread.currentThread() is app.thread()
    except Exception:
        return threading.current_thread() is threading.main_thread()


def call_on_qt_thread(fn: Callable[[], T], timeout: float = 5.0) -> T:
    """Run `fn` on the Qt GUI thread and return its result (or raise its exception).

    From the GUI thread itself, `fn` runs at once. From any other thread it is posted with a
    0 ms `QTimer.singleShot` whose context object is the application (which lives on the GUI
    thread), so it runs there on the next event-loop turn; we wait at most `timeout` seconds.
    Raises RuntimeError when there is no Qt application or the GUI thread does not answer.
    """
    core = qt_core()
    app = qt_app()
    if core is None or app is None:
        raise RuntimeError("the target has no Qt application")
    if is_qt_thread():
        return fn()
    done = threading.Event()
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # handed back to the caller, not raised in Qt
            outcome["error"] = exc
        finally:
            done.set()

    core.QTimer.singleShot(0, app, run)
    if not done.wait(timeout):
        raise RuntimeError(f"the Qt GUI thread did not run the call within {timeout:.1f} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def post_to_qt_thread(fn: Callable[[], object]) -> bool:
    """Post `fn` to the Qt GUI thread without waiting; False when there is no Qt app."""
    core = qt_core()
    app = qt_app()
    if core is None or app is None:
        return False
    core.QTimer.singleShot(0, app, fn)
    return True


def _alive(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return not loop.is_closed()
    except Exception:
        return False


def target_loop() -> asyncio.AbstractEventLoop | None:
    """The target's asyncio (or qasync) event loop, found from any thread, or None.

    Tried in order: the loop running in the calling thread; the cached loop; the event loop
    policy's loop for the main thread (qasync sets it there); then any running loop object
    the garbage collector knows about, preferring a running one.
    """
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is not None:
        _remember(running)
        return running
    if _loop_cache and _alive(_loop_cache[0]):
        return _loop_cache[0]
    candidates: list[asyncio.AbstractEventLoop] = []
    try:
        policy = asyncio.get_event_loop_policy()
        local = getattr(policy, "_local", None)
        loop = getattr(local, "_loop", None) if local is not None else None
        if isinstance(loop, asyncio.AbstractEventLoop):
            candidates.append(loop)
    except Exception:
        pass
    if not any(_alive(c) and _is_running(c) for c in candidates):
        # A walk over every object: only when the policy has no running loop (qasync sets
        # it there). On a big heap the list alone is tens of MB, which malloc may keep.
        try:
            for obj in gc.get_objects():
                if isinstance(obj, asyncio.AbstractEventLoop) and obj not in candidates:
                    candidates.append(obj)
        except Exception:
            pass
    live = [c for c in candidates if _alive(c)]
    running_ones = [c for c in live if _is_running(c)]
    chosen = (running_ones or live or [None])[0]
    if chosen is not None:
        _remember(chosen)
    return chosen


def _is_running(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return bool(loop.is_running())
    except Exception:
        return False


def _remember(loop: asyncio.AbstractEventLoop) -> None:
    _loop_cache[:] = [loop]


def loop_kind(loop: asyncio.AbstractEventLoop) -> str:
    """ "qasync" for a qasync loop, "asyncio" otherwise."""
    module = type(loop).__module__ or ""
    return "qasync" if module.split(".")[0] == "qasync" else "asyncio"


def run_coroutine(
    coro_factory: Callable[[], Coroutine[Any, Any, T]],
    loop: asyncio.AbstractEventLoop | None = None,
) -> concurrent.futures.Future[T]:
    """Schedule `coro_factory()` on the target's loop from any thread; a concurrent Future.

    The coroutine object is created on the loop's thread (the factory is called there), so
    no coroutine is left un-awaited if scheduling fails. Raises RuntimeError without a loop.
    """
    loop = loop or target_loop()
    if loop is None:
        raise RuntimeError("the target has no running asyncio event loop")
    result: concurrent.futures.Future[T] = concurrent.futures.Future()

    def start() -> None:
        try:
            task = loop.create_task(coro_factory())
        except BaseException as exc:
            result.set_exception(exc)
            return

        def finished(t: asyncio.Task[T]) -> None:
            if t.cancelled():
                result.cancel()
            elif t.exception() is not None:
                result.set_exception(t.exception())  # type: ignore[arg-type]
            else:
                result.set_result(t.result())

        task.add_done_callback(finished)

    loop.call_soon_threadsafe(start)
    return result

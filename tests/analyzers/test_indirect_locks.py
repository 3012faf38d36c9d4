"""Locks taken by decorators and context helpers are lock uses the lock rules see."""

from __future__ import annotations

import textwrap

from analyzers.context import FileContext
from analyzers.engine import analyze_source
from analyzers.project import ProjectModel, summarize_source
from analyzers.registry import all_rules

UTIL = textwrap.dedent(
    """
    def with_lock(func):
        def wrapper(self, *args, **kwargs):
            with self.lock:
                return func(self, *args, **kwargs)
        return wrapper

    def with_lock_async(func):
        async def wrapper(self, *args, **kwargs):
            with self.lock:
                return await func(self, *args, **kwargs)
        return wrapper
    """
)
STORE = textwrap.dedent(
    """
    import contextlib, threading
    from .util import with_lock, with_lock_async

    class Store:
        def __init__(self):
            self.lock = threading.RLock()
            self._wallet_lock = threading.Lock()

        def with_wallet_lock(func):
            def wrapper(self, *args, **kwargs):
                with self._wallet_lock:
                    return func(self, *args, **kwargs)
            return wrapper

        @contextlib.contextmanager
        def _locked(self):
            self.lock.acquire()
            try:
                yield
            finally:
                self.lock.release()

        @with_lock
        def add(self, key, value):
            self._items[key] = value

        @with_lock
        async def created_only(self):
            await self.fetch()

        @with_lock_async
        async def held_across(self):
            await self.fetch()

        @with_wallet_lock
        def load(self, path):
            return path

        def swap(self):
            with self._locked():
                self._items = {}
    """
)


def _uses(model: ProjectModel, name: str) -> list[tuple[int, str, int, str]]:
    fn = model.functions[f"app.store.Store.{name}"]
    return [(u.line, u.lock, u.await_line, u.via) for u in fn.lock_uses]


def test_decorator_and_helper_locks_become_lock_uses():
    summaries = [summarize_source(UTIL, "app/util.py"), summarize_source(STORE, "app/store.py")]
    model = ProjectModel.build(summaries)
    assert _uses(model, "add") == [(25, "self.lock", 0, "@with_lock")]
    # A sync wrapper returns the coroutine object at once: nothing is held while it runs.
    assert _uses(model, "created_only") == []
    assert _uses(model, "held_across") == [(33, "self.lock", 34, "@with_lock_async")]
    # Defined in the class body, used bare.
    assert _uses(model, "load") == [(37, "self._wallet_lock", 0, "@with_wallet_lock")]
    assert _uses(model, "swap") == [(41, "self.lock", 0, "self._locked()")]
    # Building again from the same summaries adds nothing twice.
    model = ProjectModel.build(summaries)
    assert _uses(model, "swap") == [(41, "self.lock", 0, "self._locked()")]


def test_thread_lock_rule_sees_a_coroutine_holding_the_lock_through_a_decorator():
    code = UTIL + textwrap.dedent(
        """
        import threading
        class Engine:
            def __init__(self):
                self.lock = threading.Lock()

            @with_lock_async
            async def dispatch(self):
                await self.send()
        """
    )
    rule = next(r for r in all_rules() if r.ID == "CIA101")
    found = analyze_source(code, FileContext(relpath="engine.py"), [rule])
    assert [(f.line, "across `await`" in f.message) for f in found] == [(20, True)]


def test_a_module_lock_taken_with_acquire_is_held_for_a_plain_function():
    code = textwrap.dedent(
        """
        import threading
        _cache_lock = threading.Lock()

        def serialized(func):
            def wrapper(*args, **kwargs):
                _cache_lock.acquire()
                try:
                    return func(*args, **kwargs)
                finally:
                    _cache_lock.release()
            return wrapper

        @serialized
        def load(path):
            return path

        def timed(func):
            def wrapper(*args, **kwargs):
                with _timer:
                    return func(*args, **kwargs)
            return wrapper

        @timed
        def save(path):
            return path
        """
    )
    model = ProjectModel.build([summarize_source(code, "app/cache.py")])
    uses = model.functions["app.cache.load"].lock_uses
    assert [(u.line, u.lock, u.via) for u in uses] == [(15, "_cache_lock", "@serialized")]
    # `_timer` is not named like a lock.
    assert model.functions["app.cache.save"].lock_uses == []

"""Wrapping target methods reversibly, and finding classes, including ones imported later.

`Patcher` remembers every attribute it replaced so that detaching restores the target exactly.
`ClassWatcher` resolves "module:Qualified.Name" targets; a module not yet imported is watched
through a `sys.meta_path` finder that calls back right after the module executes, so classes
imported after the agent started are still hooked.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any


def split_target(qualified: str) -> tuple[str, str]:
    """ "pkg.mod:Class.attr" -> ("pkg.mod", "Class.attr"); a bare name has no module part."""
    module, _, qual = qualified.partition(":")
    return module.strip(), qual.strip()


def resolve_in_module(module: ModuleType, qual: str) -> Any:
    obj: Any = module
    for part in qual.split("."):
        obj = getattr(obj, part)
    return obj


class Patcher:
    """Replaces attributes on classes or objects and restores them all on `restore_all`."""

    def __init__(self) -> None:
        self._saved: list[tuple[Any, str, Any, bool]] = []
        self._lock = threading.Lock()

    def patch(self, owner: Any, name: str, replacement: Any) -> Any:
        """Set `owner.name = replacement`; returns the original (as looked up on owner)."""
        original = getattr(owner, name)
        had_own = name in getattr(owner, "__dict__", {})
        own_value = owner.__dict__[name] if had_own else None
        setattr(owner, name, replacement)
        with self._lock:
            self._saved.append((owner, name, own_value, had_own))
        return original

    def is_patched(self, owner: Any, name: str) -> bool:
        with self._lock:
            return any(o is owner and n == name for o, n, _, _ in self._saved)

    def restore_all(self) -> list[str]:
        """Undo every patch, newest first; returns descriptions of any that could not be undone."""
        failures: list[str] = []
        with self._lock:
            saved, self._saved = self._saved, []
        for owner, name, value, had_own in reversed(saved):
            try:
                if had_own:
                    setattr(owner, name, value)
                else:
                    delattr(owner, name)
            except Exception as exc:
                failures.append(f"{getattr(owner, '__name__', owner)!r}.{name}: {exc}")
        return failures

    def __len__(self) -> int:
        return len(self._saved)


class _AfterExecLoader(importlib.abc.Loader):
    """Delegates to the real loader, then tells the watcher that the module now exists."""

    def __init__(self, real: importlib.abc.Loader, on_loaded: Callable[[str], None]) -> None:
        self._real = real
        self._on_loaded = on_loaded

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._real.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._real.exec_module(module)
        try:
            self._on_loaded(module.__name__)
        except Exception:
            pass  # a probe failing to install never breaks the target's import

    def __getattr__(self, name: str) -> Any:  # get_source, is_package, ... for tools
        return getattr(self._real, name)


class _WatchFinder(importlib.abc.MetaPathFinder):
    def __init__(self, watcher: ClassWatcher) -> None:
        self._watcher = watcher
        self._busy = threading.local()

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self._watcher.pending_modules() or getattr(self._busy, "on", False):
            return None
        self._busy.on = True
        try:  # ask the rest of meta_path, then wrap the loader it found
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
            else:
                return None
        finally:
            self._busy.on = False
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _AfterExecLoader(spec.loader, self._watcher.module_loaded)
        return spec


class ClassWatcher:
    """Calls `callback(obj)` for each "module:qual" target once its module is imported."""

    def __init__(self) -> None:
        self._pending: dict[str, list[tuple[str, Callable[[Any], None]]]] = {}
        self._lock = threading.Lock()
        self._finder: _WatchFinder | None = None

    def pending_modules(self) -> set[str]:
        return set(self._pending)

    def pending_targets(self) -> list[str]:
        """ "module:qual" targets still waiting for their module (not imported by the target)."""
        with self._lock:
            return sorted({f"{m}:{q}" for m, waiting in self._pending.items() for q, _ in waiting})

    def watch(self, qualified: str, callback: Callable[[Any], None]) -> bool:
        """Resolve now if the module is loaded (True), else call back after it loads (False)."""
        module_name, qual = split_target(qualified)
        module = sys.modules.get(module_name)
        if module is not None:
            try:
                obj = resolve_in_module(module, qual)
            except AttributeError:
                obj = None
            if obj is not None:
                callback(obj)
                return True
        with self._lock:
            self._pending.setdefault(module_name, []).append((qual, callback))
            if self._finder is None:
                self._finder = _WatchFinder(self)
                sys.meta_path.insert(0, self._finder)
        return False

    def module_loaded(self, name: str) -> None:
        with self._lock:
            waiting = self._pending.pop(name, [])
        module = sys.modules.get(name)
        for qual, callback in waiting:
            try:
                callback(resolve_in_module(module, qual))
            except Exception:
                pass

    def retry(self) -> None:
        """Resolve pending targets whose module now exists (e.g. `__main__`, which no finder
        imports, or a module that was mid-import when we looked)."""
        with self._lock:
            ready = [name for name in self._pending if name in sys.modules]
        for name in ready:
            module = sys.modules.get(name)
            with self._lock:
                waiting = self._pending.pop(name, [])
            still: list[tuple[str, Callable[[Any], None]]] = []
            for qual, callback in waiting:
                try:
                    obj = resolve_in_module(module, qual)
                except AttributeError:
                    still.append((qual, callback))
                    continue
                try:
                    callback(obj)
                except Exception:
                    pass
            if still:
                with self._lock:
                    self._pending.setdefault(name, []).extend(still)

    def close(self) -> None:
        with self._lock:
            self._pending.clear()
            finder, self._finder = self._finder, None
        if finder is not None:
            try:
                sys.meta_path.remove(finder)
            except ValueError:
                pass


def describe_callable(fn: Any) -> tuple[str, str, int]:
    """(qualified name, file, first line) of a handler: functions, methods, partials, objects."""
    seen = 0
    while seen < 5:  # unwrap partials and our own wrappers
        seen += 1
        inner = getattr(fn, "__wrapped__", None) or getattr(fn, "func", None)
        if inner is None or inner is fn:
            break
        fn = inner
    target = getattr(fn, "__func__", fn)
    code = getattr(target, "__code__", None)
    if code is None and not hasattr(target, "__qualname__"):
        call = type(target).__call__ if callable(target) else None
        code = getattr(call, "__code__", None)
        target = call if call is not None else target
        name = f"{type(fn).__module__}.{type(fn).__qualname__}"
    else:
        qual = getattr(target, "__qualname__", repr(target))
        name = f"{getattr(target, '__module__', '?')}.{qual}"
    file = getattr(code, "co_filename", "") if code is not None else ""
    line = getattr(code, "co_firstlineno", 0) if code is not None else 0
    return name, file, int(line)

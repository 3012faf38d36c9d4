"""The project model: call resolution across modules, GUI/thread roles, loops, containers."""

from __future__ import annotations

import textwrap

from analyzers.matching import BLOCKING_KINDS_ASYNC
from analyzers.project import ProjectModel, module_name_for, summarize_source

QUEUE = textwrap.dedent(
    """
    import threading
    import time as clock

    class Queue:
        def __init__(self):
            self._lock = threading.RLock()
            self._items = []

        def get(self):
            with self._lock:
                return self._wait()

        def _wait(self):
            clock.sleep(0.1)
    """
)
ENGINE = textwrap.dedent(
    """
    import asyncio
    from ..core.queue import Queue
    from PySide6.QtCore import QObject, QTimer, Slot

    class Engine(QObject):
        def __init__(self):
            self._queue = Queue()
            self._timer = QTimer()
            self._timer.timeout.connect(self._tick)

        def _tick(self):
            self._queue.get()

        @Slot()
        def on_click(self):
            pass

        async def run(self):
            while self._running:
                self._queue.get()
                await asyncio.sleep(5)
    """
)


def _model() -> ProjectModel:
    return ProjectModel.build(
        [
            summarize_source(QUEUE, "src/app/core/queue.py"),
            summarize_source(ENGINE, "src/app/ui/engine.py"),
        ]
    )


def test_module_names_drop_src_and_init():
    assert module_name_for("src/app/core/queue.py") == "app.core.queue"
    assert module_name_for("app/core/__init__.py") == "app.core"


def test_calls_resolve_through_attribute_types_and_relative_imports():
    model = _model()
    run = model.functions["app.ui.engine.Engine.run"]
    call = next(c for c in run.calls if c.target.endswith(".get"))
    callee = model.resolve(run, call.target)
    assert callee is not None and callee.qualname == "app.core.queue.Queue.get"


def test_blocking_chain_follows_sync_calls_to_the_aliased_sleep():
    model = _model()
    get = model.functions["app.core.queue.Queue.get"]
    chain = model.blocking_chain(get, BLOCKING_KINDS_ASYNC)
    assert chain is not None
    assert chain.call == "time.sleep"
    assert [s.symbol.rsplit(".", 1)[-1] for s in chain.steps] == ["get", "_wait"]


def test_gui_thread_functions_and_periodic_loops_are_found():
    model = _model()
    assert "app.ui.engine.Engine._tick" in model.gui_functions  # timeout.connect target
    assert "app.ui.engine.Engine.on_click" in model.gui_functions  # @Slot
    assert "app.ui.engine.Engine.run" not in model.gui_functions
    loops = model.functions["app.ui.engine.Engine.run"].loops
    assert [(lp.interval, lp.line) for lp in loops] == [("5", 20)]


def test_thread_locks_and_containers_are_recorded():
    model = _model()
    assert model.lock_kind("app.core.queue.Queue", "_lock") == "threading.RLock"
    uses = model.functions["app.core.queue.Queue.get"].lock_uses
    assert [(u.lock, u.await_line) for u in uses] == [("self._lock", 0)]
    assert model.classes["app.core.queue.Queue"].containers["_items"].kind == "list"


def test_qt_subclass_detection_goes_through_project_bases():
    src = "from PySide6.QtWidgets import QWidget\nclass A(QWidget): pass\nclass B(A): pass\n"
    model = ProjectModel.build([summarize_source(src, "w.py")])
    assert model.is_qt_class("w.B")
    assert not model.is_qt_class("w.missing")


def test_import_statements_match_ast_walk_order_at_every_depth():
    """The statement-only walk must see imports in ast.walk's order (first target wins)."""
    import ast

    from analyzers.reachability import import_statements

    source = (
        "import a\n"
        "def f():\n"
        "    import b as a\n"
        "    try:\n"
        "        from c import d\n"
        "    except ImportError:\n"
        "        from e import d\n"
        "    match x:\n"
        "        case 1:\n"
        "            import g\n"
        "class K:\n"
        "    if True:\n"
        "        from . import h\n"
        "import i\n"
    )
    tree = ast.parse(source)
    expected = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert list(import_statements(tree)) == expected
    assert len(expected) == 7


def test_a_container_is_known_to_start_empty_only_when_it_does():
    model = ProjectModel.build(
        [
            summarize_source(
                textwrap.dedent(
                    """
                    import collections

                    class Hub:
                        def __init__(self):
                            self._a = []
                            self._b = collections.deque(maxlen=10)
                            self._c = dict(default=1)
                            self._d = [1]
                    """
                ),
                "hub.py",
                "hub",
            )
        ]
    )
    containers = model.classes["hub.Hub"].containers
    assert {name: use.empty for name, use in containers.items()} == {
        "_a": True,
        "_b": True,
        "_c": False,
        "_d": False,
    }

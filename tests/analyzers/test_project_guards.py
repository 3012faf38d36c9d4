"""The project model's guards: platform branches, first-creation branches, running-loop
guards, once-only code and worker threads, pinned to exact results on small sources."""

from __future__ import annotations

import textwrap

from analyzers.project import ProjectModel, summarize_source


def _model(*files: tuple[str, str]) -> ProjectModel:
    return ProjectModel.build(
        [summarize_source(textwrap.dedent(code), path) for path, code in files]
    )


def _guards(model: ProjectModel, qualname: str) -> list[tuple[int, str, tuple[str, ...]]]:
    return [(c.line, c.target, c.guards) for c in model.functions[qualname].calls]


GUARDED = """\
import os
import sys
import subprocess as sp


class Probe:
    def version(self):
        if self._version is None:
            self._version = sp.check_output(["tool", "--version"])
        if sys.platform == "darwin":
            sp.run(["open", "x"])
        elif os.name == "nt":
            sp.run(["start", "x"])
        else:
            sp.run(["xdg-open", "x"])
        return self._version

    def cached(self):
        if self._client is not None:
            return self._client
        self._client = make_client()
        return self._client

    def windows_only(self):
        if not sys.platform.startswith("win"):
            return
        sp.run(["tasklist"])

    def run_now(self, loop, coro):
        if loop.is_running():
            loop.create_task(coro)
        else:
            loop.run_until_complete(coro)
"""


def test_call_guards_name_the_branch_each_call_runs_under():
    model = _model(("probe.py", GUARDED))
    assert _guards(model, "probe.Probe.version") == [
        (9, "subprocess.check_output", ("once",)),
        (11, "subprocess.run", ("platform:macOS",)),
        (13, "subprocess.run", ("platform:Windows",)),
        (15, "subprocess.run", ()),
    ]
    assert _guards(model, "probe.Probe.cached") == [(21, "make_client", ("once",))]
    assert _guards(model, "probe.Probe.windows_only") == [
        (25, "sys.platform.startswith", ()),
        (27, "subprocess.run", ("platform:Windows",)),
    ]
    assert _guards(model, "probe.Probe.run_now") == [
        (30, "loop.is_running", ()),
        (31, "loop.create_task", ()),
        (33, "loop.run_until_complete", ("loop-idle",)),
    ]


def test_a_truthiness_test_is_a_creation_branch_only_when_it_creates_the_name():
    model = _model(
        (
            "m.py",
            """\
            class A:
                def tick(self):
                    if not self._running:
                        self.stop()
                    if not self._cache:
                        self._cache = load()
            """,
        )
    )
    assert _guards(model, "m.A.tick") == [(4, "self.stop", ()), (6, "load", ("once",))]


def test_a_local_is_created_on_every_call_a_global_once():
    model = _model(
        (
            "g.py",
            """\
            _TABLE = None

            def find(window, selector, element=None):
                if not element:
                    element = window.find_child(selector)
                return element

            def table():
                global _TABLE
                if _TABLE is None:
                    _TABLE = build_table()
                return _TABLE
            """,
        )
    )
    # Not "once": a local is made again on every call; the branch needs `element` falsy.
    assert _guards(model, "g.find") == [(5, "window.find_child", ("when-arg:element=0",))]
    assert _guards(model, "g.table") == [(11, "build_table", ("once",))]


ONCE = """\
import functools
import threading
from PySide6.QtCore import QThread, QObject


class Window(QObject):
    def __init__(self):
        self._setup_ui()
        self.enable()
        self.button.clicked.connect(self.on_click)

    def _setup_ui(self):
        pass

    def enable(self):
        pass

    def on_click(self):
        self.refresh()

    def refresh(self):
        pass


class Loader(QThread):
    def run(self):
        while True:
            self.step()

    def step(self):
        pass


@functools.lru_cache(maxsize=None)
def config():
    return {}


def boot():
    pass


@cli.command()
def start(config):
    return load_config(config)


def load_config(path):
    return path


def main():
    boot()


boot()
"""


def test_once_only_code_and_what_only_it_calls():
    model = _model(("app.py", ONCE))
    once = {q: model.once_reason(q) for q in model.functions}
    assert once == {
        "app.Window.__init__": "set-up code (`__init__` runs once per object)",
        "app.Window._setup_ui": "set-up code (`_setup_ui` runs once per object)",
        "app.Window.enable": "only called from once-only code (`__init__`)",
        "app.Window.on_click": None,  # a slot: runs per click
        "app.Window.refresh": None,
        "app.Loader.run": "a thread body (runs once per thread)",
        "app.Loader.step": None,  # called in the thread's loop
        "app.config": "cached by `@lru_cache`",
        "app.boot": "only called from once-only code (`main`)",
        "app.main": "the program's entry point",
        "app.start": "a command-line entry point (once per invocation)",
        "app.load_config": "only called from once-only code (`start`)",
    }
    # A loop inside once-only code still repeats what it runs.
    assert model.runs_once_at("app.py", 27) is None
    assert model.runs_once_at("app.py", 13) == "set-up code (`_setup_ui` runs once per object)"
    assert model.runs_once_at("app.py", 56) == "module-level code runs once, at import"


WORKERS = """\
import time
from PySide6.QtCore import QObject, QThread, QRunnable, QTimer


class Worker(QObject):
    def process(self):
        time.sleep(1)


class Job(QRunnable):
    def run(self):
        time.sleep(1)


class Window(QObject):
    def __init__(self):
        self.thread = QThread()
        self.worker = Worker()
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.process)
        self.timer = QTimer()
        self.timer.timeout.connect(self.tick)

    def tick(self):
        pass


def start_local():
    helper = Worker()
    helper.moveToThread(QThread())
"""


def test_moved_objects_and_runnables_are_worker_code_not_gui_code():
    model = _model(("w.py", WORKERS))
    assert model.worker_classes == {"w.Worker": "moved to a worker thread in `w.Window.__init__`"}
    assert model.thread_targets["w.Job.run"] == "QRunnable.run"
    assert sorted(model.gui_functions) == ["w.Window.tick"]
    assert model.runs_elsewhere("w.Worker.process")
    assert not model.runs_elsewhere("w.Window.tick")


def test_blocking_chain_skips_cached_helpers_and_reports_the_platform():
    model = _model(
        (
            "c.py",
            """\
            import functools
            import subprocess
            import sys

            @functools.cache
            def tool_path():
                return subprocess.check_output(["which", "tool"])

            def open_file(path):
                if sys.platform == "darwin":
                    subprocess.run(["open", path])

            def on_click():
                tool_path()
                open_file("x")
            """,
        )
    )
    chain = model.blocking_chain(model.functions["c.on_click"], frozenset({"subprocess"}))
    assert chain is not None
    assert [s.symbol for s in chain.steps] == ["c.on_click", "c.open_file"]
    assert chain.platform == "macOS"
    assert model.cached_functions == {"c.tool_path": "cache"}


def test_an_ordering_test_of_a_plain_name_bounds_what_runs_under_it():
    model = _model(
        (
            "r.py",
            """\
            def walk(node, depth):
                if depth >= 3:
                    return
                for child in node.children:
                    if child.skip:
                        continue
                    elif depth < 2:
                        walk(child, depth + 1)
            """,
        )
    )
    # and, being under an `if` inside the loop of line 4, it runs on some iterations only
    assert _guards(model, "r.walk") == [(8, "r.walk", ("bound:depth", "branch:4"))]


CASE_FOLDED = """\
import platform
import subprocess
import sys


def make_icon():
    if sys.platform.lower() == "darwin":
        subprocess.run(["iconutil", "x"])
    if platform.system().casefold() == "windows":
        subprocess.run(["icacls", "x"])
"""


def test_a_case_folded_platform_test_is_still_a_platform_branch():
    model = _model(("icons.py", CASE_FOLDED))
    runs = [g for g in _guards(model, "icons.make_icon") if g[1] == "subprocess.run"]
    assert runs == [
        (8, "subprocess.run", ("platform:macOS",)),
        (10, "subprocess.run", ("platform:Windows",)),
    ]

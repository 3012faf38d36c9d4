"""A shared object's `__init__` that returns once it is set up (`if hasattr(self, "x"): return`,
`if self._initialized: return`): what follows runs once, not on every construction."""

from __future__ import annotations

import textwrap

from analyzers.project import ProjectModel, summarize_source

APP = """
import shutil


class Settings:
    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __init__(self):
        if hasattr(self, "values"):
            return
        self.values = {}
        self.migrate()

    def migrate(self):
        shutil.copy("old.toml", "new.toml")


class Theme:
    def __init__(self):
        if self._initialized:
            return
        self._initialized = True
        self.load()


class Job:
    def run(self):
        if self._running:
            return
        self._running = True
        self.load()
        self._running = False
"""


def _guards(model: ProjectModel, qualname: str, target: str) -> tuple[str, ...]:
    fn = model.functions[qualname]
    return next(c.guards for c in fn.calls if c.target == target)


def test_code_after_a_set_up_done_return_runs_once():
    model = ProjectModel.build([summarize_source(textwrap.dedent(APP), "pkg/app.py")])
    assert "once" in _guards(model, "pkg.app.Settings.__init__", "self.migrate")
    assert "once" in _guards(model, "pkg.app.Theme.__init__", "self.load")


def test_a_busy_flag_is_not_once():
    model = ProjectModel.build([summarize_source(textwrap.dedent(APP), "pkg/app.py")])
    assert "once" not in _guards(model, "pkg.app.Job.run", "self.load")

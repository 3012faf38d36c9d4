"""`analyzers.single_instance`: which classes a program makes only once."""

from __future__ import annotations

import textwrap

from analyzers.project import ProjectModel, summarize_source
from analyzers.single_instance import (
    made_at,
    made_once,
    made_per_run,
    made_per_user_action,
    runs_once_per_instance,
    runs_once_per_program,
)


def _model(files: dict[str, str]) -> ProjectModel:
    return ProjectModel.build(
        summarize_source(textwrap.dedent(code), path) for path, code in files.items()
    )


_PANEL = """\
class Panel:
    def __init__(self):
        pass

    def setup(self):
        pass
"""


def test_made_once_through_a_package_reexport_and_a_module_alias():
    model = _model(
        {
            "app/ui/panel.py": _PANEL,
            "app/ui/__init__.py": "from .panel import Panel\n",
            "app/main.py": """\
                from app import ui as widgets

                class Window:
                    def __init__(self):
                        self.panel = widgets.Panel()
                        self.panel.setup()

                def main():
                    Window()
                """,
        }
    )
    assert made_once(model, "app.ui.panel.Panel") == "app/main.py:5"
    assert made_once(model, "app.main.Window") == "app/main.py:9"
    assert runs_once_per_program(model, model.functions["app.ui.panel.Panel.setup"])
    assert runs_once_per_instance(model, model.functions["app.ui.panel.Panel.setup"])


def test_not_once_when_two_sites_a_loop_a_subclass_a_factory_or_no_site():
    model = _model(
        {
            "app/ui/panel.py": _PANEL,
            "app/twice.py": """\
                from app.ui.panel import Panel

                class Window:
                    def __init__(self):
                        self.left = Panel()
                        self.right = Panel()

                class Editor:
                    def __init__(self, docs):
                        self.views = [View() for doc in docs]

                class View:
                    pass

                class Base:
                    pass

                class Derived(Base):
                    pass

                class Made:
                    pass

                def main():
                    Window()
                    Editor([])
                    Base()
                    register(Made)
                """,
        }
    )
    assert made_once(model, "app.ui.panel.Panel") is None  # two sites
    # ... each run once, so the program holds exactly two, for its whole life
    assert made_at(model, "app.ui.panel.Panel") == [
        ("app/twice.py", 5, "Window.__init__"),
        ("app/twice.py", 6, "Window.__init__"),
    ]
    assert made_at(model, "app.twice.View") is None
    assert made_once(model, "app.twice.View") is None  # in a comprehension
    assert made_once(model, "app.twice.Base") is None  # a subclass makes more
    assert made_once(model, "app.twice.Made") is None  # handed to a factory
    assert made_once(model, "app.twice.Derived") is None  # never constructed: unknown
    assert made_once(model, "app.twice.Window") == "app/twice.py:25"


def test_a_class_handed_to_a_helper_that_makes_it_once_is_made_once_per_script():
    model = _model(
        {
            "app/launch.py": """\
                import asyncio

                def run_window(window_class):
                    app = make_app()
                    async def setup():
                        window = window_class(app)
                        window.show()
                    asyncio.run(setup())

                def run_each(window_class, names):
                    for name in names:
                        window_class(name)

                def register(window_class):
                    REGISTRY.append(window_class)
                """,
            "app/manager.py": """\
                from app.launch import run_window

                class ManagerWindow:
                    pass

                def main():
                    run_window(ManagerWindow)
                """,
            "app/viewer.py": """\
                from app.launch import run_each, register

                class Viewer:
                    pass

                class Plugin:
                    pass

                def main():
                    run_each(Viewer, ["a", "b"])
                    register(Plugin)
                """,
        }
    )
    assert made_once(model, "app.manager.ManagerWindow") == "app/manager.py:7"
    assert made_once(model, "app.viewer.Viewer") is None  # made in the helper's loop
    assert made_once(model, "app.viewer.Plugin") is None  # kept by the helper: unknown


_DOCKS = """\
from PySide6.QtCore import Slot
from PySide6.QtWidgets import QDockWidget, QMainWindow

class SideDock(QDockWidget):
    pass

class Window(QMainWindow):
    def __init__(self):
        super().__init__()
        self._setup_docks()

    def _setup_docks(self):
        self._side = SideDock(self)

    @Slot()
    def reset_layout(self):
        self._setup_docks()

def main():
    Window()
"""


def test_a_dock_made_again_by_a_menu_action_is_made_per_user_action():
    model = _model({"app/window.py": _DOCKS})
    assert made_once(model, "app.window.SideDock") is None
    assert made_per_user_action(model, "app.window.SideDock") == "Window.reset_layout"
    assert made_per_user_action(model, "app.window.Window") is None  # made once: no slot
    in_a_loop = _DOCKS.replace(
        "def main():",
        "    def rebuild(self, names):\n        for name in names:\n"
        "            self._setup_docks()\n\ndef main():",
    )
    model = _model({"app/window.py": in_a_loop})
    assert made_per_user_action(model, "app.window.SideDock") is None


def test_a_set_up_method_called_again_on_reload_is_not_once():
    model = _model(
        {
            "app/ui/panel.py": _PANEL,
            "app/main.py": """\
                from app.ui.panel import Panel

                class Window:
                    def __init__(self):
                        self.panel = Panel()
                        self.panel.setup()

                    def reload(self):
                        self.panel.setup()

                def main():
                    Window()
                """,
        }
    )
    assert made_once(model, "app.ui.panel.Panel") == "app/main.py:5"
    assert not runs_once_per_program(model, model.functions["app.ui.panel.Panel.setup"])
    assert not runs_once_per_instance(model, model.functions["app.ui.panel.Panel.setup"])


def test_each_script_is_its_own_program_and_a_singleton_getter_makes_one():
    model = _model(
        {
            "app/daemon.py": """\
                class Daemon:
                    pass

                class Bus:
                    pass

                _bus = None

                def get_bus():
                    global _bus
                    if _bus is None:
                        _bus = Bus()
                    return _bus
                """,
            "app/scripts/one.py": "from app.daemon import Daemon\nd = Daemon()\n",
            "app/scripts/two.py": "from app.daemon import Daemon\nd = Daemon()\n",
        }
    )
    assert made_once(model, "app.daemon.Daemon") in ("app/scripts/one.py", "app/scripts/two.py")
    assert len(made_at(model, "app.daemon.Daemon") or []) == 1  # one per program
    assert made_once(model, "app.daemon.Bus") == "app/daemon.py:12"


def test_a_per_key_creation_branch_makes_one_object_per_key():
    model = _model(
        {
            "app/stats.py": """\
                class Stats:
                    pass

                class Telemetry:
                    def __init__(self):
                        self._stats = {}

                    def record(self, key):
                        if key not in self._stats:
                            self._stats[key] = Stats()

                def main():
                    Telemetry()
                """,
        }
    )
    assert made_once(model, "app.stats.Telemetry") == "app/stats.py:13"
    assert made_once(model, "app.stats.Stats") is None


def test_a_main_module_that_others_import_shares_their_program():
    model = _model(
        {
            "app/ui/panel.py": _PANEL,
            "app/window.py": """\
                from app.ui.panel import Panel

                class Window:
                    def __init__(self):
                        self.panel = Panel()
                """,
            "app/app.py": """\
                from app.ui.panel import Panel
                from app.window import Window

                class App:
                    def __init__(self):
                        self.window = Window()
                        self.panel = Panel()

                def main():
                    App()

                if __name__ == "__main__":
                    main()
                """,
            "app/launcher.py": "from app.app import main\nmain()\n",
        }
    )
    assert made_at(model, "app.ui.panel.Panel") == [
        ("app/window.py", 5, "Window.__init__"),
        ("app/app.py", 7, "App.__init__"),
    ]


_PER_RUN = """\
class Driver:
    pass

class Scheduler:
    def __init__(self, driver):
        self.driver = driver

class Evaluation:
    def __init__(self):
        self.scheduler = Scheduler(make_driver())

class Service:
    def __init__(self):
        self.current: Evaluation | None = None

    async def start(self):
        self.kept = Scheduler(Driver())

    async def run_case(self):
        self.current = Evaluation()

def make_driver():
    return Driver()

async def evaluate():
    evaluation = Evaluation()
    return evaluation

def main():
    Service()
"""
_START = "    async def start(self):\n        self.kept = Scheduler(Driver())\n"


def test_made_per_run_follows_locals_owners_arguments_and_factories():
    model = _model({"app/run.py": _PER_RUN})
    assert made_per_run(model, "app.run.Evaluation") == "app/run.py:20"
    assert made_per_run(model, "app.run.Scheduler") is None  # `start()` keeps one
    assert made_per_run(model, "app.run.Driver") is None  # handed to that one too
    assert made_per_run(model, "app.run.Service") is None  # made once, by `main()`
    model = _model({"app/run.py": _PER_RUN.replace(_START, "")})
    assert made_per_run(model, "app.run.Scheduler") == "app/run.py:10"
    assert made_per_run(model, "app.run.Driver") == "app/run.py:21"


_GETTER = """\
class AuditService:
    pass

_service = None

def get_service():
    global _service
    if _service is None:
        _service = AuditService()
    return _service
"""


def test_a_cached_singleton_getter_is_not_made_per_run():
    assert made_per_run(_model({"app/audit.py": _GETTER}), "app.audit.AuditService") is None
    # Without the first-creation branch, each call makes a new one: per run.
    fresh = _GETTER.replace("    if _service is None:\n        _service", "    _service")
    model = _model({"app/audit.py": fresh})
    assert made_per_run(model, "app.audit.AuditService") == "app/audit.py:8"

"""Code nothing reaches: found conservatively, and its findings ranked LOW with the reason."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from analyzers import reachability
from analyzers.profile import load_profile
from analyzers.runner import audit

BLOCKING = "import time\n\nasync def tick():\n    time.sleep(1)\n"

TREE = {
    "pyproject.toml": '[project]\nname = "app"\n[project.scripts]\napp = "app.cli:main"\n',
    "run.py": "from app.gui import start\nstart()\n",
    "app/__init__.py": "from . import core, pools\nfrom .widgets import used\n",
    "app/core.py": textwrap.dedent(
        """\
        import importlib
        from app.legacy_user import nothing  # noqa


        def run():
            importlib.import_module("app.plugin_by_name")
            COUNTERS["app.browser_pool.active"] = 0  # a metric's name loads nothing
            for name in installed_services():  # services loaded by a built name
                importlib.import_module(f"app.services.{name}.__service__")
            return lazy("pools.lazy_pool.LazyPool") or helper()


        def helper():
            return 1


        def orphan():
            return 2


        def _private_orphan():
            return 3


        class Plain:
            def go(self):
                return 4
        """
    ),
    "app/cli.py": "def main():\n    return 0\n",
    "app/gui.py": "def start():\n    return 0\n",
    "app/old_pool.py": "from app import legacy\n# from app.commented import thing\n" + BLOCKING,
    "app/legacy.py": BLOCKING,
    "app/legacy_user.py": "nothing = None\n",
    "app/plugin_by_name.py": BLOCKING,
    "app/services/__init__.py": "",
    "app/services/mail/__init__.py": "",
    "app/services/mail/__service__.py": BLOCKING,
    "app/pools/__init__.py": "",
    "app/pools/browser_pool.py": BLOCKING,
    "app/pools/lazy_pool.py": BLOCKING,
    "app/commented.py": BLOCKING,
    "app/tool.py": BLOCKING + '\nif __name__ == "__main__":\n    tick()\n',
    # a widget module whose __main__ block only shows it in a QApplication: a demo
    "app/widgets/preview.py": BLOCKING
    + '\nif __name__ == "__main__":\n    qt = QApplication([])\n    tick()\n',
    # a package nothing imports; its module quotes its own name (a usage string)
    "app/debug/__init__.py": "",
    "app/debug/tracer.py": BLOCKING + 'USAGE = "tracer"\n',
    # a widget Qt Designer promotes by module name: the .ui file loads it
    "app/widgets/__init__.py": "",
    "app/widgets/chart.py": BLOCKING,
    "app/widgets/used.py": "",
    "app/forms/main.ui": "<ui><customwidget><header>app.widgets.chart.h</header></customwidget>",
}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for relpath, text in TREE.items():
        path = tmp_path / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_commented_out_imports_defs_and_all_are_not_uses() -> None:
    source = textwrap.dedent(
        """\
        from .pool import Pool, Other
        # from .pool import Gone
        __all__ = ["Pool"]

        def Gone():
            '''Builds an Other; see also Documented.'''
            return Other()
        """
    )
    import ast

    refs = reachability.references_of(source, ast.parse(source), "app.mod", "app")
    assert "Pool" not in refs.names and "Gone" not in refs.names
    assert "Other" in refs.names
    assert "Documented" not in refs.names | refs.strings  # prose in a docstring is not a use
    assert {"app.pool", "app.pool.Pool", "app.pool.Other"} <= refs.imported
    assert "Pool" not in refs.strings  # listed in __all__ only: a re-export
    registry = 'HANDLERS = {"pool": "Pool"}\n'
    refs = reachability.references_of(registry, ast.parse(registry), "app.mod", "app")
    assert "Pool" in refs.strings  # a registry by name keeps it alive
    logged = 'log("Bridge initialized")\nload("app.plugins.Loaded")\n'
    refs = reachability.references_of(logged, ast.parse(logged), "app.mod", "app")
    assert "Loaded" in refs.strings and "Bridge" not in refs.strings  # a log line is prose
    assert "Bridge" not in refs.names
    fields = 'log(f"took {elapsed(t)} in Bridge")\n'
    refs = reachability.references_of(fields, ast.parse(fields), "app.mod", "app")
    assert "elapsed" in refs.names and "Bridge" not in refs.names  # {fields} are code
    named = 'self.setObjectName("QueueDock")\nfind("QueueDock")\nw.setObjectName("Panel")\n'
    refs = reachability.references_of(named, ast.parse(named), "app.mod", "app")
    # A Qt object name makes no class; the same word quoted elsewhere still counts once.
    assert "Panel" not in refs.strings | refs.names and "QueueDock" in refs.strings


def test_a_def_in_a_docstring_example_does_not_hide_a_use() -> None:
    # a base class documents its hook with an example `def`; the one real call of the hook
    # was netted against that example and the overrides were called unused
    source = (
        "class Base:\n"
        '    """Subclasses implement:\n\n        async def _run_op(self, ctx): ...\n    """\n'
        "    async def _run_op(self, ctx):\n        ...\n"
        "    async def execute(self, ctx):\n        return await self._run_op(ctx)\n"
    )
    import ast

    refs = reachability.references_of(source, ast.parse(source), "app.mod", "app")
    assert "_run_op" in refs.names


def test_an_f_string_closing_quotes_do_not_open_a_docstring() -> None:
    # the closing quotes of a triple-quoted f-string once paired with the next docstring
    # and hid every name between them: a delegate in use was called unused
    source = (
        'css = f"""\n  color: {Color};\n"""\n'
        "view = Delegate(parent=None)\n"
        'def f():\n    """Prose Only."""\n'
    )
    import ast

    refs = reachability.references_of(source, ast.parse(source), "app.mod", "app")
    assert {"Delegate", "Color"} <= refs.names
    assert "Prose" not in refs.names


def test_unused_modules_are_those_nothing_imports_nor_names(tree: Path) -> None:
    result = audit(tree / "app", "generic", use_cache=False, jobs=1)
    by_path = {f.path: f for f in result.findings if f.rule == "CIA001"}
    dead = {path for path, f in by_path.items() if "unreachable" in f.tags}
    # old_pool: nothing imports it; legacy: only old_pool does; commented: only a comment
    assert dead == {
        "old_pool.py",
        "legacy.py",
        "commented.py",
        "widgets/preview.py",
        "debug/tracer.py",
        "pools/browser_pool.py",
    }
    alive = set(by_path) - dead
    # named in a string (importlib, a lazy "module.Class"), a script with a __main__ block,
    # a .ui file's widget
    assert alive == {
        "plugin_by_name.py",
        "pools/lazy_pool.py",
        "services/mail/__service__.py",
        "tool.py",
        "widgets/chart.py",
    }
    pool = by_path["old_pool.py"]
    assert pool.severity.value == "LOW"
    assert pool.message.endswith(
        "Unreachable today: module `app.old_pool` is imported by nothing in the audited tree."
    )
    assert by_path["legacy.py"].message.endswith(
        "module `app.legacy` is imported only by unused `app.old_pool`."
    )
    assert by_path["tool.py"].severity.value != "LOW"
    assert by_path["widgets/preview.py"].message.endswith(
        "module `app.widgets.preview` is imported by nothing in the audited tree "
        "(its `__main__` block only demonstrates it)."
    )
    assert by_path["debug/tracer.py"].message.endswith(
        "module `app.debug.tracer` is in package `app.debug`, which nothing imports."
    )


def test_scripts_outside_the_audited_folder_count_as_importers(tree: Path) -> None:
    imported, words, data = reachability.outside_imports(tree / "app")
    assert {"app.gui", "app.gui.start", "app.cli"} <= imported  # run.py and [project.scripts]
    assert "start" in words and data
    imported, words, _ = reachability.outside_imports(tree)  # the root: no outside scripts
    assert imported == set() and "chart" in words  # but its .ui files still name modules


def _reach(tree: Path) -> reachability.Reachability:
    import ast

    from analyzers.project import module_name_for

    modules = []
    for path in sorted((tree / "app").rglob("*.py")):
        relpath = path.relative_to(tree / "app").as_posix()
        name = "app." + module_name_for(relpath) if relpath != "__init__.py" else "app"
        source = path.read_text()
        package = name if relpath.endswith("__init__.py") else name.rpartition(".")[0]
        refs = reachability.references_of(source, ast.parse(source), name, package)
        modules.append((name, relpath, refs))
    imported, words, _ = reachability.outside_imports(tree / "app")
    return reachability.build(modules, imported, words, [])


def test_functions_and_classes_nobody_names(tree: Path) -> None:
    reach = _reach(tree)
    assert reach.function_reason("orphan", (), method=False) == (
        "function `orphan` is called or named nowhere else in the audited tree"
    )
    assert reach.function_reason("helper", (), method=False) is None  # called by run()
    assert reach.function_reason("orphan", ("functools.cache",), method=False) is None
    assert reach.function_reason("paintEvent", (), method=True) is None  # a Qt override
    assert reach.function_reason("on_button_clicked", (), method=True) is None
    assert reach.class_reason("Plain", "app.core", subclass=False) == (
        "class `Plain` is named nowhere else in the audited tree"
    )
    assert reach.class_reason("Plain", "app.core", subclass=True) is None  # plugin registries
    assert "app.gui" not in reach.dead_modules and "app.cli" not in reach.dead_modules


def test_public_names_are_judged_only_in_a_whole_program(tree: Path, tmp_path: Path) -> None:
    (tree / "app/core.py").write_text(
        TREE["app/core.py"]
        + "\n\nasync def public_orphan():\n    import time\n    time.sleep(1)\n"
        + "\n\nasync def _private_sleeper():\n    import time\n    time.sleep(1)\n"
        # on a framework's base, named nowhere: unused; on the tree's own base: unused too,
        # unless that base registers its subclasses (`__init_subclass__`, a metaclass)
        + "\n\nfrom qtlike import QObject\n\n\nclass Bridge(QObject):\n"
        + "    async def pump(self):\n        import time\n        time.sleep(1)\n"
        + "\n\nclass Plugin(Plain):\n"
        + "    async def pump(self):\n        import time\n        time.sleep(1)\n"
        + "\n\nclass Hooked:\n    REGISTRY = []\n\n"
        + "    def __init_subclass__(cls):\n        Hooked.REGISTRY.append(cls)\n"
        + "\n\nclass Registered(Hooked):\n"
        + "    async def pump(self):\n        import time\n        time.sleep(1)\n"
    )
    generic = audit(tree / "app", "generic", use_cache=False, jobs=1)
    tagged = {f.symbol for f in generic.findings if "unreachable" in f.tags and f.path == "core.py"}
    assert tagged == {"_private_sleeper"}  # a library's public function may be called from outside
    profile_file = tmp_path / "whole.toml"
    profile_file.write_text('name = "whole"\n[static]\nwhole_program = true\n')
    assert load_profile(profile_file).static["whole_program"] is True
    whole = audit(tree / "app", load_profile(profile_file), use_cache=False, jobs=1)
    tagged = {f.symbol for f in whole.findings if "unreachable" in f.tags and f.path == "core.py"}
    assert tagged == {
        "_private_sleeper",
        "public_orphan",
        "Bridge.pump",
        "Plugin.pump",
        "Registered.pump",
    }
    why = {f.symbol: f.message.partition("Unreachable today: ")[2] for f in whole.findings}
    assert why["Bridge.pump"].startswith("class `Bridge` is named nowhere else")
    assert why["Plugin.pump"].startswith("class `Plugin` is named nowhere else")
    assert why["Registered.pump"].startswith("method `pump` is called")  # the class is found


def test_a_qt_widgets_own_snake_case_method_can_be_unused(tmp_path: Path) -> None:
    """Qt calls camelCase virtuals and `on_<object>_<signal>` slots by name, never a
    snake_case helper: on a class whose only outside ancestors are Qt's, such a helper
    nobody names is unreachable; on another framework's subclass it may be a hook."""
    app = tmp_path / "app"
    app.mkdir()
    (app / "__init__.py").write_text("from .timeline import Stream, Timeline\nTimeline(Stream)\n")
    (app / "timeline.py").write_text(
        textwrap.dedent(
            """\
            import asyncio
            import time
            from PySide6.QtWidgets import QWidget


            class Timeline(QWidget):
                async def add_event(self, event):
                    time.sleep(0.1)

                async def paintEvent(self, event):
                    time.sleep(0.1)

                async def on_clear_clicked(self):
                    time.sleep(0.1)

                async def dispatch(self, event):
                    time.sleep(0.1)

                async def validate(self, text, pos):
                    time.sleep(0.1)


            class Stream(asyncio.Protocol):
                async def data_received(self, data):
                    time.sleep(0.1)
            """
        )
    )
    profile_file = tmp_path / "whole.toml"
    profile_file.write_text('name = "whole"\n[static]\nwhole_program = true\n')
    result = audit(app, load_profile(profile_file), use_cache=False, jobs=1)
    found = {f.symbol: "unreachable" in f.tags for f in result.findings if f.rule == "CIA001"}
    assert found == {
        "Timeline.add_event": True,
        "Timeline.paintEvent": False,
        "Timeline.on_clear_clicked": False,
        "Timeline.dispatch": True,  # a word no Qt class overrides
        "Timeline.validate": False,  # QValidator.validate
        "Stream.data_received": False,
    }


def test_a_cost_driven_only_by_unreachable_code_is_unreachable(tmp_path: Path) -> None:
    """A history recomputed per appended entry costs only when something appends: when the
    only appender is named nowhere, the finding on the (reachable) rebuild is unreachable."""
    app = tmp_path / "app"
    app.mkdir()
    (app / "__init__.py").write_text(
        "from .panels import Log, Timeline\nlog = Log()\nlog.clear()\nlog.add_line('x')\n"
        "Timeline().clear()\n"
    )
    rebuild = (
        "    def _rebuild(self):\n"
        "        total = 0\n"
        "        for entry in self._entries:\n"
        "            total += entry.duration\n"
        "        self._total = total\n"
    )
    (app / "panels.py").write_text(
        "class Timeline:\n"
        "    def __init__(self):\n        self._entries = []\n\n"
        "    def record_entry(self, entry):\n"
        "        self._entries.append(entry)\n        self._rebuild()\n\n"
        "    def clear(self):\n        self._entries = []\n        self._rebuild()\n\n"
        f"{rebuild}\n\n"
        "class Log:\n"
        "    def __init__(self):\n        self._entries = []\n\n"
        "    def add_line(self, entry):\n"
        "        self._entries.append(entry)\n        self._rebuild()\n\n"
        "    def clear(self):\n        self._entries = []\n        self._rebuild()\n\n"
        f"{rebuild}"
    )
    profile_file = tmp_path / "whole.toml"
    profile_file.write_text('name = "whole"\n[static]\nwhole_program = true\n')
    result = audit(app, load_profile(profile_file), use_cache=False, jobs=1)
    found = {f.symbol: f for f in result.findings if f.rule == "CIA410"}
    assert set(found) == {"Timeline._rebuild", "Log._rebuild"}
    assert "unreachable" not in found["Log._rebuild"].tags
    assert found["Timeline._rebuild"].message.endswith(
        "Unreachable today: it costs only when record_entry() runs, and method `record_entry` "
        "is called or named nowhere else in the audited tree."
    )


def test_code_used_only_by_unreachable_code_is_unreachable(tmp_path: Path) -> None:
    """A method called only by a method nothing calls, a class made only by a class nobody
    makes: unreachable, through any number of steps; one use the model did not see (an
    assignment, module-level code) keeps the name alive."""
    app = tmp_path / "app"
    app.mkdir()
    (app / "__init__.py").write_text(
        "from .metrics import Engine, Metrics, Live\nm = Metrics()\nlive = Live()\nlive.begin()\n"
    )
    sleeper = "        time.sleep(1)\n"
    (app / "metrics.py").write_text(
        "import time\n\n\n"
        "class Metrics:\n"
        "    def start_collection(self):\n        self._loop()\n\n"
        "    def _loop(self):\n        self._sample()\n\n"
        f"    async def _sample(self):\n{sleeper}\n\n"
        "class Queue:\n"
        f"    async def pop(self):\n{sleeper}\n\n"
        "class Engine:\n"
        "    def __init__(self, q: Queue):\n        self._queue = Queue()\n\n\n"
        "class Live:\n"
        "    def begin(self):\n        self._kept = self._probe\n\n"
        "    def never(self):\n        self._probe()\n\n"
        f"    async def _probe(self):\n{sleeper}"
    )
    profile_file = tmp_path / "whole.toml"
    profile_file.write_text('name = "whole"\n[static]\nwhole_program = true\n')
    result = audit(app, load_profile(profile_file), use_cache=False, jobs=1)
    why = {
        f.symbol: f.message.partition("Unreachable today: ")[2]
        for f in result.findings
        if f.rule == "CIA001"
    }
    assert why == {
        "Metrics._sample": "method `_sample` is called only from `Metrics._loop`, "
        "which nothing reaches.",
        "Queue.pop": "class `Queue` is made only from `Engine.__init__`, which nothing reaches.",
        "Live._probe": "",  # `self._kept = self._probe` is a use the call graph does not see
    }

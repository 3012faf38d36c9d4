"""An application's public code nobody uses is dead under `generic` too; a library's is not.

`generic` cannot know whether a tree is a library (its public API is called from outside) or
an application (nothing outside imports it). The tree says so structurally: an application
makes its own application object and is started as a program. Then a public class or method
nothing in the tree names is unreachable, and the finding's reason says why.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from analyzers import reachability
from analyzers.profile import load_profile
from analyzers.runner import audit

SLEEP = "        time.sleep(1)\n"

# Application code: a widget the window uses, loaders nobody makes (one only in a comment,
# one made only by a synchroniser nobody makes), a camelCase method nobody calls on a
# class built on a snake_case library's base, and a subclass its base registers.
APP = {
    "app/__init__.py": "",
    "app/__main__.py": "from app.main import main\n\nmain()\n",
    "app/main.py": textwrap.dedent(
        """\
        import sys
        from PySide6.QtWidgets import QApplication
        from app.loaders import LOADERS, Catalog, Loader, MailService, Panel, Registered  # noqa


        class MyApp(QApplication):
            pass


        def main():
            app = MyApp(sys.argv)
            catalog = Catalog()
            catalog.refresh()
            # loader = GitLoader()
            service = MailService()  # the old way: GitLoader().load()
            service.start()
            Panel().show()
            for found in Loader.REGISTRY:
                found().load()
            for found in LOADERS:
                found().fetch()
            return app.exec()
        """
    ),
    "app/loaders.py": "import time\nfrom PySide6.QtWidgets import QWidget\n"
    + "from servicelib import Service\n\n\n"
    + textwrap.dedent(
        """\
        class Catalog:
            async def refresh(self):
                time.sleep(1)


        class Loader:
            REGISTRY = []

            def __init_subclass__(cls):
                Loader.REGISTRY.append(cls)


        def SingletonDecorator(cls):
            return cls


        @SingletonDecorator
        class GitLoader(Catalog):
            async def load(self):
                time.sleep(1)


        class ArchiveLoader(Catalog):
            async def load(self):
                time.sleep(1)


        class Synchroniser:
            def sync(self):
                return ArchiveLoader()


        class Registered(Loader):
            async def load(self):
                time.sleep(1)


        LOADERS = []


        def register_loader(cls):
            LOADERS.append(cls)
            return cls


        @register_loader
        class Decorated(Catalog):
            async def fetch(self):
                time.sleep(1)


        class DropMixin:
            async def dropEvent(self, event):
                time.sleep(1)


        class Panel(QWidget, DropMixin):
            pass


        class MailService(Service):
            async def loadMailBoxes(self):
                time.sleep(1)

            async def on_start(self):
                time.sleep(1)
        """
    ),
}


def _write(root: Path, files: dict[str, str]) -> Path:
    for relpath, text in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _why(result) -> dict[str, str]:
    return {
        f.symbol: f.message.partition("Unreachable today: ")[2]
        for f in result.findings
        if f.rule == "CIA001"
    }


def test_the_tree_says_whether_it_is_an_application() -> None:
    def refs(source: str) -> reachability.References:
        return reachability.references_of(source, ast.parse(source), "app.mod", "app")

    assert refs("class App(QtWidgets.QApplication):\n    pass\n").app
    assert refs("app = QGuiApplication(sys.argv)\n").app
    assert not refs("app = QApplication.instance()\n").app  # asks for one, makes none
    assert not refs("# app = QApplication([])\n").app  # commented out
    demo = "class W(QWidget):\n    pass\n\nif __name__ == '__main__':\n    a = QApplication([])\n"
    assert refs(demo).demo and not refs(demo).app  # a widget's demo block
    assert refs("for ep in entry_points(group='app.plugins'):\n    ep.load()\n").plugin_host
    assert not refs("setup(entry_points={'gui_scripts': ['app=app:main']})\n").plugin_host


def test_a_comment_after_code_names_nothing_but_strings_do() -> None:
    source = textwrap.dedent(
        """\
        x = make()  # loader = GitLoader()
        y = '#'  # a quote on the line: left alone
        HANDLERS = {"key": "NamedInString"}
        value = getattr(obj, "by_getattr")
        obj.method_call()
        size = property(get_size)
        """
    )
    refs = reachability.references_of(source, ast.parse(source), "app.mod", "app")
    assert "GitLoader" not in refs.names | refs.strings
    assert {"NamedInString", "by_getattr"} <= refs.strings
    assert {"method_call", "get_size"} <= refs.attrs
    assert "make" in refs.names and "make" not in refs.attrs  # a bare word calls no method


def test_an_application_judges_public_names_under_generic(tmp_path: Path) -> None:
    root = _write(tmp_path, APP)
    result = audit(root / "app", "generic", use_cache=False, jobs=1)
    why = _why(result)
    application = (
        "the tree is an application: `app.main` makes its application object, "
        "`app.__main__` runs it, so a public name is not kept alive by outside users)."
    )
    assert why == {
        "Catalog.refresh": "",
        # the only use is commented out
        "GitLoader.load": "class `GitLoader` is named nowhere else in the audited tree "
        f"({application}",
        "ArchiveLoader.load": "class `ArchiveLoader` is made only from `Synchroniser.sync`, "
        f"which nothing reaches ({application}",
        "Registered.load": "",  # its base registers subclasses
        "Decorated.fetch": "",  # a decorator registers it
        "DropMixin.dropEvent": "",  # mixed into a QWidget: Qt calls it
        # a snake_case library calls no camelCase hook; `on_start` may be one
        "MailService.loadMailBoxes": "method `loadMailBoxes` is called or named nowhere else "
        f"in the audited tree ({application}",
        "MailService.on_start": "",
    }
    # the profile wins: a tree that looks like an application but is used as a library
    library = tmp_path / "library.toml"
    library.write_text('name = "library"\n[static]\nwhole_program = false\n')
    result = audit(root / "app", load_profile(library), use_cache=False, jobs=1)
    assert not any(_why(result).values())


def test_a_library_keeps_its_public_names(tmp_path: Path) -> None:
    # the same code without a program: a helper makes a QApplication for its users
    files = dict(APP)
    del files["app/__main__.py"]
    files["app/__init__.py"] = "from app.main import main\n"
    result = audit(_write(tmp_path, files) / "app", "generic", use_cache=False, jobs=1)
    assert not any(_why(result).values())


def test_a_plugin_host_keeps_its_public_names(tmp_path: Path) -> None:
    # installed plugins call its API; its own plugins are named in packaging metadata only
    files = dict(APP)
    files["app/plugins.py"] = (
        "from importlib.metadata import entry_points\n\n\n"
        "def load():\n    return [e.load() for e in entry_points(group='app.plugins')]\n"
    )
    files["app/main.py"] += "\n\nfrom app import plugins\n"
    result = audit(_write(tmp_path, files) / "app", "generic", use_cache=False, jobs=1)
    assert not any(_why(result).values())

"""CIA402 across files: what the signal is and how often the method runs are facts of the whole
project (re-exports, views created by another module's route), pinned on small trees."""

from __future__ import annotations

import textwrap

from analyzers.context import FileContext
from analyzers.engine import analyze_source
from analyzers.project import ProjectModel, module_name_for, summarize_source
from analyzers.rules.a4_connect_without_disconnect import ConnectWithoutDisconnect

WIDGETS_INIT = "from .buttons import PlusButton\n"
BUTTONS = """\
from PyQt6.QtWidgets import QPushButton


class PlusButton(QPushButton):
    pass
"""
DISPATCH = """\
class Signal:
    def __init__(self):
        self.receivers = set()

    def connect(self, receiver):
        self.receivers.add(receiver)


class MenuEntry:
    def __init__(self):
        self.clicked = Signal()
"""
BAR = """\
from PyQt6.QtWidgets import QFrame, QWidget

from app.widgets import PlusButton


class Section(QFrame):
    def __init__(self):
        super().__init__()
        self.add_btn = PlusButton()


class Bar(QWidget):
    def __init__(self):
        super().__init__()
        self.section = Section()

    def on_provider_switched(self, provider):
        self.section.add_btn.clicked.connect(provider.add_item)
"""
VIEW = """\
from PyQt6.QtWidgets import QPushButton, QWidget


class SongView(QWidget):
    def __init__(self):
        super().__init__()
        self.link_btn = QPushButton("Link")

    def maybe_show_link(self, song):
        self.link_btn.clicked.connect(lambda: open_url(song.url))
"""
ROUTES = """\
from app.view import SongView


async def render_song(song):
    view = SongView()
    view.maybe_show_link(song)
    return view
"""
PLAYER = """\
class Player:
    def on_song_changed(self, song):
        self._view.maybe_show_link(song)
"""


def _findings(files: dict[str, str], path: str) -> list[tuple[int, str]]:
    sources = {p: textwrap.dedent(code) for p, code in files.items()}
    model = ProjectModel.build([summarize_source(code, p) for p, code in sources.items()])
    context = FileContext(relpath=path, module=module_name_for(path), project=model)
    found = analyze_source(sources[path], context, [ConnectWithoutDisconnect])
    return [(f.line, f.symbol) for f in found]


def test_a_button_class_re_exported_by_its_package_is_a_qt_widget():
    files = {
        "app/widgets/__init__.py": WIDGETS_INIT,
        "app/widgets/buttons.py": BUTTONS,
        "app/dispatch.py": DISPATCH,
        "app/bar.py": BAR,
    }
    assert _findings(files, "app/bar.py") == [(18, "Bar.on_provider_switched")]


def test_a_method_called_only_on_views_another_module_just_created_runs_once_per_view():
    files = {"app/view.py": VIEW, "app/routes.py": ROUTES}
    assert _findings(files, "app/view.py") == []


def test_one_call_on_an_object_of_unknown_type_means_it_may_run_again():
    files = {"app/view.py": VIEW, "app/routes.py": ROUTES, "app/player.py": PLAYER}
    assert _findings(files, "app/view.py") == [(10, "SongView.maybe_show_link")]


PROBE = """\
from PySide6.QtCore import QObject, QThread, Signal


class ProbeWorker(QObject):
    done = Signal(bool)


class ProbeThread(QThread):
    finished_probe = Signal(bool)

    def __init__(self):
        super().__init__()
        self._worker = ProbeWorker()

    def start(self):
        self._worker.done.connect(self.finished_probe.emit)
        super().start()
"""
DIALOG = """\
from app.probe import ProbeThread


class KeysDialog:
    def on_probe_clicked(self):
        self._probe = ProbeThread()
        self._probe.start()
"""
SCHEDULER = """\
class Scheduler:
    def start(self):
        self._running = True

    def resume(self, job):
        job.start()
"""
RESTARTER = """\
from app.probe import ProbeThread


class Restarter:
    def restart(self, thread: "ProbeThread | None"):
        thread.start()
"""


def test_a_common_method_name_called_where_the_class_is_never_named_is_another_class():
    files = {"app/probe.py": PROBE, "app/dialog.py": DIALOG, "app/scheduler.py": SCHEDULER}
    assert _findings(files, "app/probe.py") == []


def test_a_common_method_name_called_where_the_class_is_named_may_be_this_class():
    files = {"app/probe.py": PROBE, "app/dialog.py": DIALOG, "app/restarter.py": RESTARTER}
    assert _findings(files, "app/probe.py") == [(16, "ProbeThread.start")]


PAGE = """\
from PyQt6.QtWidgets import QCheckBox, QWidget


class Page(QWidget):
    def __init__(self):
        super().__init__()
        self.box = QCheckBox()

    def on_ready(self, spec):
        self.box.toggled.connect(spec.apply)
"""
ONE_PAGE_PER_SPEC = """\
from app.page import Page


def build_pages(specs):
    for spec in specs:
        page = Page()
        page.on_ready(spec)
"""
ONE_PAGE_ALL_SPECS = """\
from app.page import Page


def build_page(specs):
    page = Page()
    for spec in specs:
        page.on_ready(spec)
"""


def test_an_object_created_in_the_loop_that_calls_the_method_is_new_on_each_pass():
    files = {"app/page.py": PAGE, "app/build.py": ONE_PAGE_PER_SPEC}
    assert _findings(files, "app/page.py") == []


def test_an_object_created_before_the_loop_gets_the_call_on_every_pass():
    files = {"app/page.py": PAGE, "app/build.py": ONE_PAGE_ALL_SPECS}
    assert _findings(files, "app/page.py") == [(10, "Page.on_ready")]


FORM_BASE = """\
from PyQt6.QtWidgets import QPushButton, QWidget


class FormController(QWidget):
    def __init__(self):
        super().__init__()
        self.test_button = QPushButton("Test")
        self.save_button = QPushButton("Save")
        self.prepare()

    def prepare(self):
        pass
"""
FORM = """\
from app.base import FormController


class AccountForm(FormController):
    def prepare(self):
        self.test_button.clicked.connect(self.on_test)

    def reload(self):
        self.save_button.clicked.connect(self.on_save)

    def on_test(self):
        self.reload()
"""


def test_an_override_the_base_class_init_calls_runs_once_per_object():
    # `self.prepare()` in FormController.__init__ runs AccountForm.prepare: set-up code
    files = {"app/base.py": FORM_BASE, "app/form.py": FORM}
    assert _findings(files, "app/form.py") == [(9, "AccountForm.reload")]


def test_prefilter_wants_only_a_sender_reached_from_self():
    # A local sender connected to a slot on self is never reported: no parse for it.
    local_sender = (
        "class Panel:\n"
        "    def refresh(self):\n"
        "        button = make_button()\n"
        "        button.clicked.connect(self.on_click)\n"
    )
    assert not ConnectWithoutDisconnect.wants(local_sender)
    assert ConnectWithoutDisconnect.wants(
        local_sender.replace("button.clicked", "self.button.clicked")
    )
    # ... and not in a method that runs once.
    assert not ConnectWithoutDisconnect.wants(
        local_sender.replace("button.clicked", "self.button.clicked").replace("refresh", "__init__")
    )

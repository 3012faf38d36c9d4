"""CIA003: code on the Qt GUI thread (slot, event handler, paint) blocks, directly or via calls."""

from __future__ import annotations

import re

from analyzers.matching import BLOCKING_KINDS_GUI, OPENER_NOTE, is_desktop_opener, short_name
from analyzers.project import ProjectModel, returns_at_once
from analyzers.project_rule import ProjectRule
from analyzers.rule import Invalid, Valid

_GUI_ADVICE = {
    "sleep": "use `QTimer.singleShot(ms, next_step)` instead of sleeping",
    "network": "do the request in a coroutine (qasync) or a worker and update the UI when "
    "it finishes",
    "subprocess": "use `QProcess` (asynchronous) or run it in a worker",
    "ui-automation": "run the automation call in a worker thread and signal the result back",
    "console": "never read the console from the GUI thread",
    "file-bulk": "copy, walk or archive in a QThreadPool task and signal the result back",
    "thread-wait": "connect to the worker's finished signal (or a future's done callback) "
    "instead of waiting for it",
    "key-derivation": "derive the key in a worker thread and cache it",
    "loop-wait": "let the coroutine signal its result back (a Qt signal or "
    "`fut.add_done_callback`) instead of waiting for it on the GUI thread",
}


# Local work that usually takes milliseconds (a file copy, a key derivation, a small SQLite
# query): a hitch when the user clicks, not the freeze of a network wait or a subprocess.
_SHORT_KINDS = frozenset({"file", "file-bulk", "key-derivation", "sqlite", "clipboard"})
_SHORT_IMPACT = 3

# Handlers of a rare, deliberate user action: a settings change (`on_gossip_setting_changed`,
# `setServerParameters`), closing a window (`closeEvent`) or a one-off destructive action on
# a whole wallet or account (`checkThenDeleteWallet`). The window freezes once per action,
# not per event, frame or item: the priority scale's rarest frequency and at most a
# noticeable-stall impact (MEDIUM at most). The same holds for a slot connected only to a
# user-command signal (a button's `clicked`, a menu action's `triggered`) and for the branch
# of a key handler that picks one key (`if event.key() == Qt.Key_Return:`); an unconditional
# blocking call in `keyPressEvent` runs on every keystroke and keeps the full rank, as one
# in `mousePressEvent`/`mouseReleaseEvent` does (every click), unlike a double-click.
_SETTING_CHANGE = re.compile(
    r"(?:setting|config|preference|option)s?(?:changed|toggled|edited|applied)"
    r"|^set\w*(?:parameters|params|settings|config|options|preferences)$"
)
_ONE_OFF_ACTION = re.compile(
    r"(delete|remove|rename|erase|wipe)(wallet|account|profile|keystore|identity)"
)
_USER_ACTION_IMPACT = 5
_GUARDED_JOIN_IMPACT = 2


# Signals that fire once per deliberate user command: a button click, a menu or toolbar
# action, a dialog's OK, Enter in a line edit, a double-click on an item. A slot connected
# only to these runs when the user asks, not per event, frame or keystroke.
_COMMAND_SIGNALS = frozenset(
    {"clicked", "triggered", "accepted", "doubleClicked", "returnPressed", "activated"}
)


def _opener_beside(project: ProjectModel, qualnames: list[str]) -> str:
    """A desktop opener (`webbrowser.open`, `os.startfile`) called by one of the functions:
    their subprocess calls launch `xdg-open`/`open` the same way, or ""."""
    for qualname in qualnames:
        holder = project.functions.get(qualname)
        for call in holder.calls if holder else ():
            for name in (call.target, project.typed_target(holder, call.target)):
                if is_desktop_opener(name):
                    return name
    return ""


def _user_action(name: str) -> str:
    """What rare user action the handler `name` answers ("" when it is not one)."""
    flat = name.lower().replace("_", "")
    if _SETTING_CHANGE.search(flat):
        return "a settings change"
    if name == "closeEvent":
        return "closing the window"
    if name == "mouseDoubleClickEvent":  # the "open this" gesture, like `doubleClicked`
        return "a double-click"
    found = _ONE_OFF_ACTION.search(flat)
    if found:
        return f"a one-off {found.group(1)} of a {found.group(2)}"
    return ""


def _command_slots(project: ProjectModel) -> dict[str, str]:
    """Functions connected only to user-command signals -> the signal (one of them).

    `button.clicked.connect(self.f)`, and the keyword form of action factories
    (`QAction(text, triggered=self.f)`, `create_action(..., triggered=self.f)`) when the call
    hands over one project function. A function also connected to any other signal (a timer,
    a model change) is not a command: it runs on that signal's schedule too."""
    signals: dict[str, set[str]] = {}
    for fn in project.functions.values():
        for call in fn.calls:
            owner, _, last = call.target.rpartition(".")
            if last == "connect":
                signal = owner.rpartition(".")[2] or owner
                targets = [project.resolve(fn, ref) for ref in call.callables]
            elif _COMMAND_SIGNALS.intersection(call.keywords):
                targets = [t for t in (project.resolve(fn, r) for r in call.callables) if t]
                if len(targets) != 1:
                    continue
                signal = next(k for k in call.keywords if k in _COMMAND_SIGNALS)
            else:
                continue
            for target in targets:
                if target is not None:
                    signals.setdefault(target.qualname, set()).add(signal)
    return {q: min(found) for q, found in signals.items() if found and found <= _COMMAND_SIGNALS}


class BlockingChainFromGui(ProjectRule):
    """A slot, `*Event` handler or paint method that waits on sleep/network/subprocess."""

    ID = "CIA003"
    AREA = 9
    TITLE = "GUI-thread code blocks on sleep, network or a subprocess"
    RATIONALE = (
        "Slots, event handlers and paint methods run on the Qt GUI thread. Under qasync the "
        "asyncio loop shares that thread, so a blocking call there freezes painting, input "
        "and every coroutine until it returns."
    )
    IMPACT = 6
    FREQUENCY = 4
    DIFFICULTY = 4
    RECOMMENDATION = (
        "Keep GUI-thread handlers short: start the slow work as a coroutine "
        "(`asyncio.ensure_future(...)` under qasync), a `QProcess`, or a worker thread, and "
        "update the widgets from its completion signal."
    )
    EXAMPLE_BEFORE = (
        "@Slot()\ndef on_refresh(self):\n    data = requests.get(URL).json()\n"
        "    self.table.set(data)"
    )
    EXAMPLE_AFTER = (
        "@asyncSlot()\nasync def on_refresh(self):\n"
        "    async with self._http.get(URL) as r:\n        self.table.set(await r.json())"
    )
    TAGS = ("gui", "blocking", "cross-function")
    TRIGGERS = ("Qt", "connect", "Slot")
    VALID = (
        # Local Win32 bookkeeping on a timer: freeing an icon handle and walking the window
        # list return at once; nothing waits on another process.
        Valid(
            "import win32gui\nfrom PySide6.QtWidgets import QWidget\n"
            "class Tray(QWidget):\n"
            "    def __init__(self):\n"
            "        self.timer.timeout.connect(self.on_tick)\n"
            "    def on_tick(self):\n"
            "        win32gui.DestroyIcon(self.old_icon)\n"
            "        win32gui.EnumWindows(self._collect, None)\n"
        ),
        # Draining a worker's queue with `get(False)`: it never waits (raises Empty).
        Valid(
            "import queue\nfrom PySide6.QtWidgets import QWidget\n"
            "class Jobs:\n"
            "    def __init__(self):\n"
            "        self._queue = queue.Queue()\n"
            "    def clear(self):\n"
            "        while not self._queue.empty():\n"
            "            try:\n"
            "                self._queue.get(False)\n"
            "            except queue.Empty:\n"
            "                continue\n"
            "class Preview(QWidget):\n"
            "    def __init__(self):\n"
            "        self._jobs = Jobs()\n"
            "    def resizeEvent(self, event):\n"
            "        self._jobs.clear()\n"
        ),
        # Turning the machine off when a backup is done: the command returns once queued.
        Valid(
            "import os\nfrom PySide6.QtWidgets import QWizard\n"
            "class Backup(QWizard):\n"
            "    def on_finished(self):\n"
            "        if self.power_off_box.isChecked():\n"
            "            os.system('systemctl poweroff')\n"
        ),
        Valid(
            "import time\nfrom PySide6.QtWidgets import QWidget\n"
            "class W(QWidget):\n    def paintEvent(self, e):\n        self._draw()\n"
            "    def _draw(self):\n        return 1\n"
        ),
        Valid("import time\nclass Plain:\n    def paintEvent(self, e):\n        time.sleep(1)\n"),
        # The helper runs once and caches its result.
        Valid(
            "import functools, subprocess\n"
            "from PySide6.QtWidgets import QWidget\n"
            "@functools.lru_cache(maxsize=None)\n"
            "def git_version():\n"
            "    return subprocess.run(['git', '--version'], capture_output=True).stdout\n"
            "class About(QWidget):\n"
            "    def __init__(self):\n"
            "        self.button.clicked.connect(self.on_show)\n"
            "    def on_show(self):\n"
            "        self.label.setText(git_version())\n"
        ),
        # A first-creation branch: the slow call runs on the first paint only.
        Valid(
            "import subprocess\n"
            "from PySide6.QtWidgets import QWidget\n"
            "class FontList(QWidget):\n"
            "    def paintEvent(self, event):\n"
            "        if self._fonts is None:\n"
            "            self._fonts = subprocess.run(['fc-list'], capture_output=True).stdout\n"
            "        self._draw(self._fonts)\n"
        ),
        # The worker object was moved to a QThread: its slots run there, not on the GUI.
        Valid(
            "import time\n"
            "from PySide6.QtCore import QObject, QThread\n"
            "from PySide6.QtWidgets import QWidget\n"
            "class Worker(QObject):\n"
            "    def process(self):\n"
            "        time.sleep(1)\n"
            "class Window(QWidget):\n"
            "    def __init__(self):\n"
            "        self.thread = QThread()\n"
            "        self.worker = Worker()\n"
            "        self.worker.moveToThread(self.thread)\n"
            "        self.thread.started.connect(self.worker.process)\n"
        ),
        # A dict class from a network package sends nothing: only calls that do I/O block.
        Valid(
            "from requests.structures import CaseInsensitiveDict\n"
            "from PySide6.QtWidgets import QWidget\n"
            "def with_home(env):\n"
            "    env = CaseInsensitiveDict(env)\n"
            "    env.setdefault('HOME', '/home/me')\n"
            "    return dict(env)\n"
            "class EnvPane(QWidget):\n"
            "    def __init__(self):\n"
            "        self.table.itemChanged.connect(self.on_edit)\n"
            "    def on_edit(self):\n"
            "        self.env = with_home(self.env)\n"
        ),
        Valid(
            "import requests\n"
            "from PySide6.QtCore import QObject, QThread\n"
            "class Poller(QObject):\n"
            "    def __init__(self, timer):\n"
            "        timer.timeout.connect(self.poll)\n"
            "    def poll(self):\n"
            "        requests.get('http://localhost/status')\n"
            "def start(timer):\n"
            "    thread = QThread()\n"
            "    poller = Poller(timer)\n"
            "    poller.moveToThread(thread)\n"
        ),
    )
    INVALID = (
        # Restarting a reader thread: a bounded join behind `is_alive()` only waits while the
        # old thread lingers after its stop request. Reported LOW, not HIGH.
        Invalid(
            "import threading\n"
            "from PySide6.QtWidgets import QWidget\n"
            "class Meter(QWidget):\n"
            "    def __init__(self):\n"
            "        self.device_changed.connect(self.restart)\n"
            "    def restart(self):\n"
            "        if self.reader.is_alive():\n"
            "            self.reader.join(timeout=1)\n"
            "        self.reader = threading.Thread(target=self.read, daemon=True)\n",
            line=8,
            message_contains="waiting at most its timeout",
        ),
        # "Show in file manager" from a menu: one short subprocess per user command (MEDIUM).
        Invalid(
            "import subprocess\n"
            "from PySide6.QtCore import Slot\n"
            "from PySide6.QtGui import QAction\n"
            "from PySide6.QtWidgets import QWidget\n"
            "class FilesPane(QWidget):\n"
            "    def __init__(self):\n"
            "        self.reveal = QAction('Show in folder', self, triggered=self.on_reveal)\n"
            "    @Slot()\n"
            "    def on_reveal(self):\n"
            "        subprocess.call(['xdg-open', self.folder])\n",
            line=10,
            message_contains="once per user action (a button or menu command, `triggered`)",
        ),
        # Enter on a file opens it in an external program: one key's command, not per keystroke.
        Invalid(
            "import subprocess\n"
            "from PySide6.QtCore import Qt\n"
            "from PySide6.QtWidgets import QTreeView\n"
            "def launch(path):\n"
            "    subprocess.call(['open', path])\n"
            "class Files(QTreeView):\n"
            "    def keyPressEvent(self, event):\n"
            "        if event.key() in (Qt.Key_Enter, Qt.Key_Return):\n"
            "            launch(self.current_path())\n"
            "        super().keyPressEvent(event)\n",
            line=9,
            message_contains="one key's command in `keyPressEvent`",
        ),
        # A link opener: `xdg-open` through subprocess here, `webbrowser.open` elsewhere. It
        # hands the URL to the browser and returns: ms-scale, MEDIUM even on a non-command signal.
        Invalid(
            "import subprocess, sys, webbrowser\n"
            "from PySide6.QtWidgets import QLabel\n"
            "def open_link(url):\n"
            "    if sys.platform == 'linux':\n"
            "        return subprocess.run(['xdg-open', url]).returncode == 0\n"
            "    return webbrowser.open(url)\n"
            "class Quote(QLabel):\n"
            "    def __init__(self):\n"
            "        self.linkActivated.connect(self.on_link)\n"
            "    def on_link(self, href):\n"
            "        open_link(href)\n",
            line=11,
            message_contains="(subprocess; it hands the target to the desktop opener",
        ),
        # A settings toggle waits for the network thread: reported, once per user action.
        Invalid(
            "import asyncio\n"
            "from PySide6.QtWidgets import QWidget\n"
            "class NetworkPane(QWidget):\n"
            "    def __init__(self):\n"
            "        self.config.proxyChanged.connect(self.on_proxy_setting_changed)\n"
            "    def on_proxy_setting_changed(self):\n"
            "        fut = asyncio.run_coroutine_threadsafe(self.net.restart(), self.loop)\n"
            "        fut.result()\n",
            line=8,
            message_contains="once per user action (a settings change)",
        ),
        # The GUI thread waiting on work it sent to the asyncio loop's thread.
        Invalid(
            "import asyncio\n"
            "from PySide6.QtWidgets import QWidget\n"
            "class Panel(QWidget):\n"
            "    def __init__(self):\n"
            "        self.button.clicked.connect(self.on_refresh)\n"
            "    def on_refresh(self):\n"
            "        fut = asyncio.run_coroutine_threadsafe(self.fetch(), self.loop)\n"
            "        self.show_rows(fut.result(timeout=5))\n",
            line=8,
            message_contains="loop-wait",
        ),
        Invalid(
            "import time\n"
            "from PySide6.QtWidgets import QWidget\n"
            "def wait_for_file():\n"
            "    time.sleep(0.5)\n"
            "class Panel(QWidget):\n"
            "    def __init__(self):\n"
            "        self.button.clicked.connect(self.on_click)\n"
            "    def on_click(self):\n"
            "        wait_for_file()\n",
            line=9,
            message_contains="wait_for_file",
        ),
        Invalid(
            "import subprocess\n"
            "from PySide6.QtWidgets import QGraphicsView\n"
            "class View(QGraphicsView):\n"
            "    def mousePressEvent(self, event):\n"
            "        subprocess.run(['notify-send', 'x'])\n",
            line=5,
        ),
    )

    def check_project(self) -> None:
        project = self.project
        for fn in self.functions():
            why = project.gui_functions.get(fn.qualname)
            if why is None or fn.is_async:
                continue
            reported: set[str] = set()
            commands = project.memo("CIA003.command_slots", lambda: _command_slots(project))
            signal = commands.get(fn.qualname)
            handler_action = _user_action(fn.name) or (
                f"a button or menu command, `{signal}`" if signal else ""
            )
            for call in fn.calls:
                if "once" in call.guards:  # `if self._x is None: self._x = load()`
                    continue
                action = handler_action or (
                    f"one key's command in `{fn.name}`, not every keystroke"
                    if "key" in call.guards
                    else ""
                )
                freeze = (
                    f"freezing the window once per user action ({action})"
                    if action
                    else "freezing the window while it waits"
                )
                kind = project.call_blocking_kind(fn, call.target)
                if returns_at_once(call):
                    continue  # a queued power-off, a rename: returns at once
                if kind in BLOCKING_KINDS_GUI:
                    impact = _SHORT_IMPACT if kind in _SHORT_KINDS else self.IMPACT
                    opener = kind == "subprocess" and _opener_beside(project, [fn.qualname])
                    if opener:
                        impact, kind_note = _SHORT_IMPACT, f"{kind}; {OPENER_NOTE}"
                    else:
                        kind_note = kind
                    if (
                        kind == "thread-wait"
                        and "if-alive" in call.guards
                        and "timeout" in call.keywords
                    ):
                        # A bounded join behind `is_alive()`: the thread was told to stop
                        # or has already ended, so the wait is short or never happens.
                        impact, action = _GUARDED_JOIN_IMPACT, "a bounded join"
                        freeze = (
                            "waiting at most its timeout, only while the thread is still "
                            "alive (usually already stopped)"
                        )
                    self.report_at(
                        call.line,
                        f"`{fn.name}` runs on the GUI thread ({why}) and calls "
                        f"`{call.target}()` ({kind_note}), {freeze}; {_GUI_ADVICE[kind]}.",
                        end_line=call.end_line,
                        col=call.col,
                        impact=min(impact, _USER_ACTION_IMPACT) if action else impact,
                        frequency=1 if action else None,
                    )
                    continue
                found = project.chain_from_call(fn, call, BLOCKING_KINDS_GUI)
                if found is None or found[0].qualname in reported:
                    continue
                callee, chain = found
                reported.add(callee.qualname)
                steps = chain.steps
                via = " -> ".join(short_name(s.symbol) for s in steps[1:])
                impact = _SHORT_IMPACT if chain.kind in _SHORT_KINDS else self.IMPACT
                once = f", {freeze}" if action else ""
                kind_note = chain.kind
                if chain.kind == "subprocess" and _opener_beside(
                    project, [s.symbol for s in steps[1:]]
                ):
                    impact, kind_note = _SHORT_IMPACT, f"{chain.kind}; {OPENER_NOTE}"
                self.report_at(
                    call.line,
                    f"`{fn.name}` runs on the GUI thread ({why}) and calls "
                    f"`{short_name(callee.qualname)}()`, which blocks in `{chain.call}()` "
                    f"({kind_note}) via {via}{once}; {_GUI_ADVICE[chain.kind]}.",
                    end_line=call.end_line,
                    col=call.col,
                    chain=steps,
                    impact=min(impact, _USER_ACTION_IMPACT) if action else impact,
                    frequency=1 if action else None,
                )

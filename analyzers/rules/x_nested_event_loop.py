"""CIA004: nested event loop (modal exec, run_until_complete, processEvents) in a coroutine."""

from __future__ import annotations

from analyzers.project import QT_PACKAGES, CallSite, FunctionInfo, ProjectModel
from analyzers.project_rule import ProjectRule
from analyzers.rule import Invalid, Valid


def _nested_loop_kind(target: str, in_coroutine: bool) -> str | None:
    last = target.rsplit(".", 1)[-1]
    receiver = target.rsplit(".", 1)[0].lower() if "." in target else ""
    if target.startswith("builtins."):
        return None
    if last == "run_until_complete" or target == "asyncio.run":
        return "asyncio loop"
    if last == "processEvents":
        return "processEvents"
    if last in ("exec", "exec_"):
        # Which loop (if any) depends on what the receiver is: see `_exec_kind`.
        return "exec" if receiver else None
    # The static dialogs (`QMessageBox.question`, `QInputDialog.getText`, `QFileDialog.get*`)
    # run the same modal loop as `exec()`.
    dialog = receiver.rsplit(".", 1)[-1] in _MODAL_DIALOG_CLASSES
    if in_coroutine and dialog and (last in _MODAL_STATIC_METHODS or last.startswith("get")):
        return "modal dialog"
    return None


_MODAL_DIALOG_CLASSES = frozenset({"qmessagebox", "qinputdialog", "qfiledialog", "qcolordialog"})
_MODAL_STATIC_METHODS = frozenset({"question", "warning", "information", "critical", "about"})

# Qt classes whose `exec()` runs a nested event loop, and the name endings of widget
# libraries' dialogs built on them (`MessageBox`, `Dialog` of a fluent-widgets kit).
_QT_MODAL_CLASSES = frozenset(
    {
        "QDialog",
        "QMessageBox",
        "QInputDialog",
        "QFileDialog",
        "QColorDialog",
        "QFontDialog",
        "QProgressDialog",
        "QErrorMessage",
        "QWizard",
        "QPrintDialog",
        "QPageSetupDialog",
        "QPrintPreviewDialog",
        "QMenu",
        "QDrag",
    }
)
_MODAL_NAME_ENDINGS = ("Dialog", "MessageBox", "Menu", "Wizard")
# Receivers whose name says what they are when the model knows no type for them.
_MODAL_RECEIVER_WORDS = ("dialog", "dlg", "msgbox", "msg_box", "messagebox", "message_box", "menu")


def _class_exec_kind(project: ProjectModel, ctor: str) -> str | None:
    """ "QEventLoop" or "modal exec" when the class (or a project base of it) is a Qt event loop
    or dialog/menu; None for any other class (a project class with its own `exec`)."""
    todo, seen = [ctor], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        short = name.rsplit(".", 1)[-1]
        root = name.split(".", 1)[0]
        if short == "QEventLoop" and (root in QT_PACKAGES or root == short):
            return "QEventLoop"
        if short in _QT_MODAL_CLASSES or short.endswith(_MODAL_NAME_ENDINGS):
            return "modal exec"
        klass = project.classes.get(name)
        if klass is not None:
            todo.extend(klass.bases)
    return None


def _exec_kind(project: ProjectModel, fn: FunctionInfo, call: CallSite) -> str | None:
    """What `x.exec()` runs: a modal dialog/menu loop, a QEventLoop, or nothing of the kind.

    A method merely named `exec` is not a dialog: an awaited `exec` is a coroutine, and one
    that resolves to a project function (a command runner, an `api.gui.exec(func)` helper
    that awaits `func`) is the project's own code. Only a receiver known to be a Qt dialog,
    menu or event loop (built from one here or in the class, or a project subclass of one),
    or named like one when no type is known, runs a nested loop.
    """
    if call.awaited:
        return None
    receiver = call.target.rsplit(".", 1)[0]
    if receiver.endswith("()"):  # `ConfirmDialog(self).exec()`: shown as soon as it is built
        return _class_exec_kind(project, receiver[:-2])
    typed = project.typed_target(fn, call.target)
    if typed != call.target:
        ctor = typed.rsplit(".", 1)[0]
        if ctor in project.classes or ctor.rsplit(".", 1)[-1][:1].isupper():
            return _class_exec_kind(project, ctor)
    if project.resolve(fn, call.target) is not None:
        return None
    last = receiver.rsplit(".", 1)[-1].lower()
    if "loop" in last:
        return "QEventLoop"
    if fn.is_async and any(word in last for word in _MODAL_RECEIVER_WORDS):
        return "modal exec"
    return None


# Libraries that run asyncio on the Qt event loop. Only there does a nested Qt loop resume
# other asyncio tasks inside a running one ('Cannot enter into task').
_QT_ASYNCIO_BRIDGES = frozenset({"qasync", "quamash", "asyncqt", "qtinter"})


def _asyncio_on_qt_loop(project: ProjectModel) -> bool:
    """Whether the project imports a library that drives asyncio from the Qt loop."""

    def build() -> bool:
        for summary in project.modules.values():
            for name in summary.imports.values():
                # Any part of the name: a vendored copy (`app.vendor.qasync`) bridges too.
                if _QT_ASYNCIO_BRIDGES.intersection(name.split(".")) or ".QtAsyncio" in name:
                    return True
        return False

    return project.memo("CIA004.asyncio_on_qt_loop", build)


class NestedEventLoop(ProjectRule):
    """Re-entering an event loop from code the event loop is already running."""

    ID = "CIA004"
    AREA = 9
    TITLE = "Nested event loop inside a coroutine or slot"
    RATIONALE = (
        "Under qasync one loop drives both Qt and asyncio. `loop.run_until_complete()` or "
        "`asyncio.run()` from inside it fails or deadlocks; a modal `exec()` or "
        "`processEvents()` inside a coroutine re-enters the loop, so other tasks resume in "
        "the middle of this one ('Cannot enter into task ... while another task is being "
        "executed') and event handlers run re-entrantly."
    )
    IMPACT = 5
    FREQUENCY = 3
    DIFFICULTY = 5
    RECOMMENDATION = (
        "Await instead of nesting: `await coro` (or `asyncio.ensure_future` from a slot), "
        "open dialogs with `dialog.open()` + `finished` signal (or qasync's `asyncio` "
        "helpers) instead of `exec()`, and never call `processEvents()` to 'keep the UI alive' "
        "- move the slow work off the thread instead."
    )
    EXAMPLE_BEFORE = (
        "async def on_run(self):\n    if ConfirmDialog(self).exec():\n        await self.run()"
    )
    EXAMPLE_AFTER = (
        "async def on_run(self):\n    dlg = ConfirmDialog(self)\n"
        "    fut = asyncio.get_running_loop().create_future()\n"
        "    dlg.finished.connect(fut.set_result)\n    dlg.open()\n"
        "    if await fut:\n        await self.run()"
    )
    TAGS = ("async", "gui", "nested-loop")
    TRIGGERS = (
        "run_until_complete",
        "processEvents",
        "exec",
        "asyncio.run",
        "QMessageBox",
        "QInputDialog",
        "QFileDialog",
    )
    VALID = (
        Valid("import asyncio\ndef main():\n    asyncio.run(serve())\n"),
        Valid(
            "from PySide6.QtWidgets import QWidget\nclass W(QWidget):\n"
            "    def on_about(self):\n        AboutDialog(self).exec()\n"
        ),
        Valid("async def f(code):\n    exec(code)\n"),
        # No asyncio on the Qt loop: a local QEventLoop as a modal wait is Qt's own idiom.
        Valid(
            "from PySide6.QtCore import QEventLoop\n"
            "from PySide6.QtWidgets import QWidget\n"
            "class Console(QWidget):\n"
            "    def __init__(self):\n"
            "        self.shell.input_requested.connect(self.wait_input)\n"
            "    def wait_input(self):\n"
            "        self.input_loop = QEventLoop()\n"
            "        self.input_loop.exec()\n"
        ),
        # Runs the loop only when none is running (start-up, tests); otherwise schedules.
        Valid(
            "import asyncio\n"
            "from PySide6.QtCore import Slot\n"
            "from PySide6.QtWidgets import QWidget\n"
            "class W(QWidget):\n"
            "    @Slot()\n"
            "    def on_save(self):\n"
            "        loop = asyncio.get_event_loop()\n"
            "        if loop.is_running():\n"
            "            asyncio.ensure_future(self.save())\n"
            "        else:\n"
            "            loop.run_until_complete(self.save())\n"
        ),
        # A warning box only when the fetch failed: the failure path, not the task's flow.
        Valid(
            "from PySide6.QtWidgets import QMessageBox\n"
            "class Templates:\n"
            "    async def reload(self):\n"
            "        ok, err = await self.model.fetch()\n"
            "        if not ok:\n"
            "            QMessageBox.warning(self, 'Fetch failed', err)\n"
            "        self.tree.expandAll()\n"
        ),
        # A project method that happens to be named `exec`: awaited, it is a coroutine (an
        # `api.gui.exec(func)` helper that awaits `func`), not a modal dialog ...
        Valid(
            "import qasync\n"
            "class GuiApi:\n"
            "    async def exec(self, func, *args):\n"
            "        return await func(self.window, *args)\n"
            "class PaletteCommand:\n"
            "    def __init__(self, gui: GuiApi):\n"
            "        self.gui = gui\n"
            "    async def run(self):\n"
            "        await self.gui.exec(self.apply_palette)\n"
        ),
        # ... and not awaited, it resolves to the project's own code, not Qt's.
        Valid(
            "import qasync\n"
            "class Interpreter:\n"
            "    def exec(self, line):\n"
            "        return self.run_line(line)\n"
            "class Console:\n"
            "    def __init__(self):\n"
            "        self.interp = Interpreter()\n"
            "    async def submit(self, line):\n"
            "        self.interp.exec(line)\n"
        ),
    )
    INVALID = (
        # A project dialog class shown as soon as it is built, in a task under qasync.
        Invalid(
            "import qasync\n"
            "from PySide6.QtWidgets import QDialog\n"
            "class ConfirmDelete(QDialog):\n"
            "    pass\n"
            "class Jobs:\n"
            "    async def delete(self, job):\n"
            "        if ConfirmDelete(self).exec():\n"
            "            await job.remove()\n",
            line=7,
            message_contains="`ConfirmDelete(...).exec()`",
        ),
        # No bridge: asyncio is stepped by a timer only while it is idle, so nothing re-enters
        # the task; asyncio just waits while the box is open (LOW, says so).
        Invalid(
            "from PyQt5.QtWidgets import QMessageBox\n"
            "class Settings:\n"
            "    async def reinstall(self):\n"
            "        box = QMessageBox(QMessageBox.Question, 'Reinstall', 'Go on?')\n"
            "        if box.exec_() != QMessageBox.Yes:\n"
            "            return\n"
            "        await self.server.reinstall()\n",
            line=5,
            message_contains="no task re-enters here",
        ),
        # ... but a question whose answer the coroutine uses is its flow, failure or not.
        Invalid(
            "from PySide6.QtWidgets import QMessageBox\n"
            "class Jobs:\n"
            "    async def retry(self, job):\n"
            "        if not await job.run():\n"
            "            answer = QMessageBox.warning(self, 'Failed', 'Retry?')\n"
            "            self.again = answer\n",
            line=5,
            message_contains="QMessageBox.warning",
        ),
        # The same wait where qasync runs asyncio on the Qt loop: tasks resume inside it.
        Invalid(
            "import qasync\n"
            "from PySide6.QtCore import QEventLoop\n"
            "from PySide6.QtWidgets import QWidget\n"
            "class Console(QWidget):\n"
            "    def __init__(self):\n"
            "        self.shell.input_requested.connect(self.wait_input)\n"
            "    def wait_input(self):\n"
            "        self.input_loop = QEventLoop()\n"
            "        self.input_loop.exec()\n",
            line=9,
            message_contains="under qasync other tasks resume inside it",
        ),
        Invalid(
            "from PySide6.QtWidgets import QInputDialog\n"
            "class SchedulesView:\n"
            "    async def _rename(self, job):\n"
            "        name, ok = QInputDialog.getText(self, 'Rename', 'Name:')\n",
            line=4,
            message_contains="QInputDialog.getText",
        ),
        Invalid(
            "import asyncio\n"
            "class Runner:\n"
            "    async def run_node(self, node):\n"
            "        loop = asyncio.get_event_loop()\n"
            "        return loop.run_until_complete(node.execute())\n",
            line=5,
        ),
        Invalid(
            "class Ctl:\n"
            "    async def confirm_and_run(self):\n"
            "        if self._dialog.exec():\n"
            "            await self.run()\n",
            line=3,
            message_contains="modal",
        ),
        Invalid(
            "from PySide6.QtWidgets import QApplication, QWidget\n"
            "class W(QWidget):\n"
            "    def mouseMoveEvent(self, e):\n"
            "        QApplication.processEvents()\n",
            line=4,
        ),
    )

    def check_project(self) -> None:
        project = self.project
        bridged = _asyncio_on_qt_loop(project)
        for fn in self.functions():
            gui = project.gui_functions.get(fn.qualname)
            if not fn.is_async and gui is None:
                continue
            for call in fn.calls:
                kind = _nested_loop_kind(call.target, fn.is_async)
                if kind == "exec":
                    kind = _exec_kind(project, fn, call)
                    if kind == "modal exec" and not fn.is_async:
                        continue  # a dialog from a slot is Qt's own modal idiom
                if kind is None:
                    continue
                if kind == "modal dialog":
                    if call.in_except or ("on-error" in call.guards and call.discarded):
                        # An error box on the failure path (`except:` or `if not ok:
                        # QMessageBox.warning(...)`), not the task's flow; a box whose answer
                        # is used is a question and stays.
                        continue
                    kind = "modal exec"
                if kind == "asyncio loop" and "loop-idle" in call.guards:
                    continue  # `if not loop.is_running(): loop.run_until_complete(...)`
                if kind == "QEventLoop" and not (bridged or fn.is_async):
                    # A local QEventLoop as a modal wait (for input, for a formatter with a
                    # timeout) is Qt's own idiom, the one `QDialog.exec()` uses: with no
                    # asyncio on the Qt loop, there is no task for it to re-enter.
                    continue
                self.report_at(
                    call.line,
                    _message(fn, call.target, kind, gui, bridged, call.in_loop),
                    end_line=call.end_line,
                    col=call.col,
                    impact=_impact(fn, call, kind, bridged),
                )


def _impact(fn: FunctionInfo, call: CallSite, kind: str, bridged: bool) -> int | None:
    """A second asyncio loop breaks the program. One `processEvents()` outside any loop (in a
    GUI handler, or once per call of a coroutine: a busy cursor flushed before slow work that
    already runs in an executor) is a re-entrancy hazard that costs little (blind judges:
    trivial at HIGH, then at MEDIUM). With no asyncio on the Qt loop (no qasync-style bridge;
    a hand-made driver steps asyncio from a timer only while it is idle) nothing re-enters a
    task: `processEvents()` only lets queued slots run early, and a modal dialog or local
    QEventLoop in a coroutine only pauses asyncio until it closes: LOW. The rule's default
    otherwise (per item under a bridge, or a modal loop inside a bridged task)."""
    if kind == "asyncio loop":
        return 7
    if kind == "processEvents" and (not call.in_loop or not bridged):
        return _FLUSH_IMPACT
    if kind in ("modal exec", "QEventLoop") and fn.is_async and not bridged:
        return _FLUSH_IMPACT
    return None


# A flush, or a pause of asyncio while a dialog is open: a re-entrancy or UX hazard, not a
# stall (2*10 + 3*5 - 5*2 = 25, LOW).
_FLUSH_IMPACT = 2


def _message(
    fn: FunctionInfo, target: str, kind: str, gui: str | None, bridged: bool, in_loop: bool
) -> str:
    ctor, _, meth = target.rpartition(".")
    if ctor.endswith("()"):  # `pkg.ConfirmDialog().exec` -> `ConfirmDialog(...).exec`
        target = f"{ctor[:-2].rsplit('.', 1)[-1]}(...).{meth}"
    where = f"coroutine `{fn.name}`" if fn.is_async else f"`{fn.name}` ({gui})"
    if kind == "asyncio loop":
        return (
            f"`{target}()` starts a second asyncio loop run from {where}, which already runs "
            "inside the loop: it raises 'This event loop is already running' or deadlocks; "
            "`await` the coroutine instead."
        )
    if kind == "processEvents":
        others = "(under qasync) other tasks" if bridged else "input handlers"
        flush = ""
        if not fn.is_async and (not in_loop or not bridged):
            flush = (
                " It only flushes pending events (paints, input): a re-entrancy hazard, not a "
                "stall."
            )
        elif fn.is_async and not in_loop:
            flush = (
                " It runs once per call, to flush pending events (paints, a busy cursor): a "
                "re-entrancy hazard, not a stall."
            )
        elif fn.is_async and not bridged:
            others = "input handlers"
        return (
            f"`{target}()` in {where} re-enters the Qt event loop: queued slots, timers and "
            f"{others} run re-entrantly here; move the slow work off the GUI thread instead."
            f"{flush}"
        )
    loop = "a nested QEventLoop" if kind == "QEventLoop" else f"modal `{target}()`"
    if fn.is_async and not bridged:
        # No qasync-style bridge: asyncio is not run from inside Qt's loop, so no task
        # resumes in the nested one; the loop's thread is simply parked until it returns.
        return (
            f"{loop} inside {where} parks this asyncio loop until it returns: no task "
            "re-enters here (nothing in the project runs asyncio from Qt's loop, as qasync "
            "does), but every other asyncio task waits while it is open. Use `open()` + the "
            "`finished` signal and await a future to keep them running."
        )
    if kind == "QEventLoop":
        return (
            f"`{target}()` in {where} spins a nested QEventLoop; under qasync other tasks "
            "resume inside it ('Cannot enter into task'); await a future instead."
        )
    return (
        f"modal `{target}()` inside {where} runs a nested event loop while this task is "
        "suspended mid-step; other tasks resume inside it ('Cannot enter into task'). Use "
        "`open()` + the `finished` signal and await a future."
    )

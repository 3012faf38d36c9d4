"""Blocking calls and nested loops on rare paths: after a failure (an `except` block or a
branch that reports an error), at shutdown or after a crash, and commands that power the
machine off (`ProjectModel.error_path_at`, `shutdown_name`, the "on-error" and "power-off"
guards, `calibrate_severity`, CIA001-CIA004, CIA1005)."""

from __future__ import annotations

import textwrap
from dataclasses import replace

from analyzers.context import FileContext
from analyzers.engine import analyze_source
from analyzers.findings import ChainStep, Finding, Priority
from analyzers.profile import Profile
from analyzers.project import ProjectModel, error_handler_name, shutdown_name, summarize_source
from analyzers.rules.a10_sleep_while_holding_lock import SleepWhileHoldingLock
from analyzers.rules.x_blocking_call_in_async import BlockingCallInAsync
from analyzers.rules.x_blocking_chain_from_async import BlockingChainFromAsync
from analyzers.rules.x_blocking_chain_from_gui import BlockingChainFromGui
from analyzers.runner import calibrate_severity

APP = """\
import atexit
import logging
import os
import shutil
import subprocess

log = logging.getLogger(__name__)


class Installer:
    async def ensure(self, target):
        if not await self.fetch(target):
            log.error("fetch failed")
            shutil.rmtree(target, ignore_errors=True)
            return False
        return True

    async def fetch_all(self, urls, target):
        for url in urls:
            if await self.get(url, target):
                return True
            else:
                log.warning("bad mirror %s", url)
                shutil.rmtree(target, ignore_errors=True)
                continue
        return False

    async def refresh(self, target):
        shutil.rmtree(target)

    def _drop_partial(self, target):
        shutil.rmtree(target)

    async def install(self, target):
        try:
            await self.fetch(target)
        except OSError:
            self._drop_partial(target)
            raise


class Runner:
    async def _power_off_after_notice(self):
        await self.notify()
        self._power_off()

    def _power_off(self):
        subprocess.run(["sudo", "shutdown", "-h", "now"], check=False)

    async def _close_device_and_wait(self):
        subprocess.run(["adb", "disconnect"])

    def crashReport(self):
        return subprocess.check_output(["git", "describe"])

    def _save_window_state(self):
        shutil.copytree(self.state, self.backup)

    def wire(self, app):
        app.aboutToQuit.connect(self._save_window_state)
        atexit.register(self._flush)

    def _flush(self):
        os.fsync(self.fd)


class Runtimes:
    async def ensure(self, runtime):
        if runtime.is_installed():
            return True
        return await self._fetch_runtime(runtime)

    async def _fetch_runtime(self, runtime):
        shutil.rmtree(runtime.tmp)
        await self.download(runtime)


class Mirrors:
    async def ensure(self, rt):
        if rt.is_installed():
            return True
        return await self._from_mirrors(rt)

    async def _from_mirrors(self, rt):
        try:
            for url in rt.urls:
                try:
                    await self.get(url)
                    return True
                except OSError:
                    shutil.rmtree(rt.dir, ignore_errors=True)
        finally:
            shutil.rmtree(rt.tmp, ignore_errors=True)
        return False


import signal


class Handlers:
    def wire(self):
        signal.signal(signal.SIGTERM, self._on_term)

    def _on_term(self, *args):
        shutil.rmtree(self.tmp)

    async def _on_download_failed(self, path):
        shutil.rmtree(path)
"""


def _model() -> ProjectModel:
    return ProjectModel.build([summarize_source(textwrap.dedent(APP), "pkg/app.py")])


def test_a_branch_that_reports_a_failure_is_the_error_path():
    model = _model()
    guards = {(fn.name, c.line): c.guards for fn in model.functions.values() for c in fn.calls}
    assert "on-error" in guards[("ensure", 14)]
    assert "on-error" in guards[("fetch_all", 24)]  # an else branch that logs a warning
    assert "on-error" not in guards[("fetch_all", 20)]  # the test runs on every pass
    assert model.error_path_at("pkg/app.py", [14]) == "only on the error path (after a failure)"
    assert model.error_path_at("pkg/app.py", [29]) is None
    # Every caller calls `_drop_partial` in an `except` block.
    assert model.error_path_at("pkg/app.py", [32]) == (
        "only on the error path (every caller calls it after a failure)"
    )


def test_shutdown_crash_and_quit_hooks_run_once():
    model = _model()
    once = {q.rsplit(".", 1)[-1]: model.once_reason(q) for q in model.functions}
    assert once["_power_off_after_notice"] == (
        "at shutdown (`_power_off_after_notice` runs as the program or machine goes down)"
    )
    assert once["crashReport"] == "after a crash (`crashReport` runs once per crash)"
    assert once["_save_window_state"] == (
        "at shutdown (`_save_window_state` runs when the program quits)"
    )
    assert once["_flush"] == "at shutdown (`_flush` runs when the program quits)"
    # Closing a device after each run repeats: not shutdown.
    assert once["_close_device_and_wait"] is None
    names = (
        "perform_graceful_shutdown",
        "on_app_exit",
        "exit_handler",
        "onQuit",
        "shutDown",
        "restartApp",
    )
    assert all(shutdown_name(n) for n in names)
    others = (
        "__exit__",
        "exit_edit_mode",
        "exitFullScreen",
        "stop_device_processing",
        "restart_worker",
    )
    assert not any(shutdown_name(n) for n in others)


def test_a_power_off_command_is_not_a_blocking_call():
    model = _model()
    (call,) = [c for c in model.functions["pkg.app.Runner._power_off"].calls]
    assert "power-off" in call.guards
    source = textwrap.dedent(
        """\
        import os, subprocess
        from PySide6.QtWidgets import QWizard
        class Backup(QWizard):
            def on_done(self):
                self.cleanup()
                if self.turn_off.isChecked():
                    os.system('systemctl poweroff')
            async def finish(self):
                subprocess.run(["shutdown", "/s", "/t", "0"])
                subprocess.run(["tar", "czf", "out.tgz", "."])
        """
    )
    rules = [BlockingCallInAsync, BlockingChainFromGui, BlockingChainFromAsync]
    found = analyze_source(source, FileContext(relpath="backup.py"), rules)
    assert [(f.rule, f.line) for f in found] == [("CIA001", 10)]


def _finding(line: int, symbol: str, rule: str = "CIA001") -> Finding:
    return Finding(
        rule=rule,
        area=8,
        path="pkg/app.py",
        line=line,
        message="`shutil.rmtree()` blocks.",
        priority=Priority(impact=5, frequency=5, difficulty=3),
        symbol=symbol,
        tags=("async", "blocking"),
    )


def test_rare_paths_are_at_most_medium_and_say_why():
    found = calibrate_severity(
        [
            _finding(14, "Installer.ensure"),
            _finding(29, "Installer.refresh"),
            _finding(44, "Runner._power_off_after_notice", "CIA002"),
            _finding(50, "Runner._close_device_and_wait"),
        ],
        _model(),
        Profile(name="t", raw={}),
    )
    assert [(f.line, f.severity, f.priority.score) for f in found] == [
        (14, "MEDIUM", 49),
        (29, "HIGH", 69),
        (44, "MEDIUM", 49),
        (50, "HIGH", 69),
    ]
    assert found[0].message.endswith("Runs only on the error path (after a failure).")
    assert found[2].message.endswith(
        "Runs at shutdown (`_power_off_after_notice` runs as the program or machine goes down)."
    )


def test_a_sleep_under_the_lock_of_a_stop_action_is_medium():
    source = textwrap.dedent(
        """\
        import asyncio
        class Devices:
            async def stop_device_processing(self, ids):
                async with self._lock:
                    for d in ids:
                        self._tasks.pop(d).cancel()
                        await asyncio.sleep(0.1)
            async def acquire(self):
                async with self._lock:
                    await asyncio.sleep(self._interval)
        """
    )
    found = analyze_source(source, FileContext(relpath="dev.py"), [SleepWhileHoldingLock])
    assert [(f.line, f.severity, f.priority.score) for f in found] == [
        (7, "MEDIUM", 46),
        (10, "CRITICAL", 76),
    ]


def test_an_install_if_missing_branch_runs_once_per_install():
    model = _model()
    assert model.runs_once_at("pkg/app.py", 71) == (
        "an install-if-missing branch (runs once per install)"
    )
    assert model.once_reason("pkg.app.Runtimes._fetch_runtime") == (
        "only called from once-only code (`ensure`)"
    )


def test_reading_one_archive_member_is_a_hitch_and_unpacking_is_not():
    source = textwrap.dedent(
        """\
        import tarfile, zipfile
        def from_archive(path):
            return tarfile.open(path).extractfile("registry.yaml").read()
        async def refresh(self, path):
            return from_archive(path)
        async def names(self, path):
            with zipfile.ZipFile(path) as zf:
                return zf.namelist()
        async def unpack(self, path, dst):
            with zipfile.ZipFile(path) as zf:
                zf.extractall(dst)
        """
    )
    rules = [BlockingCallInAsync, BlockingChainFromAsync]
    found = analyze_source(source, FileContext(relpath="reg.py"), rules)
    assert sorted((f.rule, f.line, f.severity, f.priority.score) for f in found) == [
        ("CIA001", 7, "MEDIUM", 39),
        ("CIA001", 10, "HIGH", 69),
        ("CIA002", 5, "MEDIUM", 37),
    ]


def test_clean_up_after_each_failed_try_and_once_at_the_end_is_medium():
    model = _model()
    lines = APP.splitlines()
    first = lines.index("                    shutil.rmtree(rt.dir, ignore_errors=True)") + 1
    last = lines.index("            shutil.rmtree(rt.tmp, ignore_errors=True)") + 1
    assert (first, last) == (91, 93)
    finding = _finding(first, "Mirrors._from_mirrors")
    finding = replace(finding, related=(ChainStep("pkg/app.py", last, "x", "shutil.rmtree"),))
    (found,) = calibrate_severity([finding], model, Profile(name="t", raw={}))
    assert (found.severity, found.priority.score) == ("MEDIUM", 49)
    assert found.message.endswith(
        "Runs only on the error path, or once (only called from once-only code (`ensure`))."
    )


def test_stop_signal_handlers_run_once_and_failure_handlers_on_the_error_path():
    model = _model()
    assert model.once_reason("pkg.app.Handlers._on_term") == (
        "at shutdown (`_on_term` runs when the program quits)"
    )
    line = APP.splitlines().index("        shutil.rmtree(path)") + 1
    assert model.error_path_at("pkg/app.py", [line]) == (
        "only on the error path (`_on_download_failed` handles a failure)"
    )
    assert [
        n for n in ("on_error", "update_errors", "onDownloadFailed") if error_handler_name(n)
    ] == [
        "on_error",
        "onDownloadFailed",
    ]


def test_a_blocking_back_off_in_a_retry_loop_is_not_a_rare_path():
    source = textwrap.dedent(
        """\
        import time, shutil
        async def poll(self):
            while True:
                try:
                    return await self.fetch()
                except OSError:
                    time.sleep(5)
        async def fetch_once(self, tmp):
            try:
                return await self.fetch()
            except OSError:
                shutil.rmtree(tmp)
        """
    )
    found = analyze_source(source, FileContext(relpath="poll.py"), [BlockingCallInAsync])
    assert [(f.line, f.severity, f.priority.score) for f in found] == [
        (7, "CRITICAL", 79),
        (12, "MEDIUM", 44),
    ]


OVERRIDE = """
import shutil


class Dialog:
    async def handle_export_problem(self, problem):
        pass


class GameDialog(Dialog):
    async def handle_export_problem(self, problem):
        shutil.rmtree(self.tmp)
        return await super().handle_export_problem(problem)

    async def refresh(self):
        shutil.rmtree(self.cache)


async def export(dialog):
    try:
        await dialog.run()
    except OSError as e:
        await dialog.handle_export_problem(e)
    await dialog.refresh()
"""


def test_a_method_called_by_name_only_in_except_blocks_is_the_error_path():
    # `dialog` has no known type: the override is reached by its name, only after a failure.
    model = ProjectModel.build([summarize_source(textwrap.dedent(OVERRIDE), "pkg/dlg.py")])
    assert model.error_path_at("pkg/dlg.py", [12]) == (
        "only on the error path (every caller calls it after a failure)"
    )
    assert model.error_path_at("pkg/dlg.py", [16]) is None
    assert error_handler_name("handle_unable_to_export")

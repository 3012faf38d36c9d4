"""Blocking calls that stall once, not per event: teardown, the coroutine a console entry
hands to `asyncio.run`, a retry loop that exits after the call, and a GUI handler of a rare
user action (`ProjectModel.once_reason`, `CallSite.leaves_loop`, CIA001/CIA003)."""

from __future__ import annotations

import textwrap

from analyzers.findings import Finding, Priority
from analyzers.profile import Profile
from analyzers.project import ProjectModel, summarize_source
from analyzers.rules.x_blocking_chain_from_gui import _user_action
from analyzers.runner import calibrate_severity

APP = """\
import asyncio
import os
import shutil


class Manager:
    async def shutdown(self):
        await self.session.close()
        shutil.rmtree(self.tmp)

    def _remove_state(self):
        shutil.rmtree(self.state)

    async def stop(self):
        self._remove_state()

    def close_page(self, page):
        shutil.rmtree(page)

    def cleanup_idle(self):
        shutil.rmtree(self.idle)


async def climain(args):
    shutil.copy(args.src, args.dst)


def run_cli(args):
    asyncio.run(climain(args))


def run():
    return run_cli(None)


async def per_capture():
    shutil.copy("a", "b")


def capture_all(paths):
    for _ in paths:
        asyncio.run(per_capture())


async def save(self, data):
    for _ in range(10):
        if await self.ready():
            with open(self.path, "w") as f:
                os.fsync(f.fileno())
            break
        await asyncio.sleep(1)


async def drain(self, sock):
    while True:
        data = sock.recv(4096)
        if not data:
            break


async def nested(self, groups):
    for group in groups:
        for item in group:
            os.fsync(item)
            break
        for item in group:
            os.fsync(item)
            return


async def save_once(self, data):
    if not os.path.exists(self.path):
        for _ in range(10):
            if await self.ready():
                with open(self.path, "w") as f:
                    os.fsync(f.fileno())
                break
            await asyncio.sleep(1)
    if not os.path.exists(self.other):
        os.fsync(self.fd)
"""


def _model() -> ProjectModel:
    return ProjectModel.build([summarize_source(textwrap.dedent(APP), "pkg/app.py")])


def test_teardown_and_loop_entries_run_once():
    model = _model()
    once = {q: model.once_reason(q) for q in model.functions}
    assert once["pkg.app.Manager.shutdown"] == (
        "at shutdown (`shutdown` is teardown, once per object)"
    )
    assert once["pkg.app.Manager.stop"] == "at shutdown (`stop` is teardown, once per object)"
    assert once["pkg.app.Manager._remove_state"] == "only called from once-only code (`stop`)"
    # One part of the object, or a periodic sweep: may run again and again.
    assert once["pkg.app.Manager.close_page"] is None
    assert once["pkg.app.Manager.cleanup_idle"] is None
    # The coroutine a console entry (nothing calls `run`) runs with `asyncio.run`.
    assert (
        once["pkg.app.climain"] == "the program's entry (run to completion by `run()` in `run_cli`)"
    )
    assert once["pkg.app.per_capture"] is None  # run per item of a loop
    assert once["pkg.app.save"] is None


def test_a_call_followed_by_a_loop_exit_leaves_the_loop():
    model = _model()
    leaves = {
        (fn.name, c.target, c.line): c.leaves_loop
        for fn in model.functions.values()
        for c in fn.calls
        if c.in_loop and c.target in ("os.fsync", "sock.recv", "asyncio.sleep")
    }
    assert leaves == {
        ("save", "os.fsync", 49): True,
        ("save", "asyncio.sleep", 51): False,  # the retry's wait repeats
        ("drain", "sock.recv", 56): False,  # a conditional break: read per iteration
        ("nested", "os.fsync", 64): False,  # `break` leaves the inner loop only
        ("nested", "os.fsync", 67): True,  # `return` leaves both
        ("save_once", "os.fsync", 76): True,
        ("save_once", "asyncio.sleep", 78): False,
    }


def test_a_create_if_missing_branch_runs_once_per_file():
    model = _model()
    assert model.runs_once_at("pkg/app.py", 76) == "a create-if-missing branch (runs once per file)"
    assert model.runs_once_at("pkg/app.py", 78) is None  # the retry's wait repeats
    assert model.runs_once_at("pkg/app.py", 80) is None  # the branch creates nothing


def _finding(line: int, symbol: str) -> Finding:
    return Finding(
        rule="CIA001",
        area=8,
        path="pkg/app.py",
        line=line,
        message="`shutil.rmtree()` blocks.",
        priority=Priority(impact=5, frequency=5, difficulty=3),
        symbol=symbol,
        tags=("async", "blocking"),
    )


def test_blocking_at_shutdown_or_in_the_entry_coroutine_is_at_most_medium():
    model = _model()
    found = calibrate_severity(
        [_finding(9, "Manager.shutdown"), _finding(25, "climain"), _finding(49, "save")],
        model,
        Profile(name="t", raw={}),
    )
    assert [f.severity for f in found] == ["MEDIUM", "MEDIUM", "HIGH"]
    assert found[0].priority.basis == (
        "runs once: at shutdown (`shutdown` is teardown, once per object)"
    )


def test_rare_user_actions_are_named_and_per_event_handlers_are_not():
    assert _user_action("on_gossip_setting_changed") == "a settings change"
    assert _user_action("onProxySettingsChanged") == "a settings change"
    assert _user_action("setServerParameters") == "a settings change"
    assert _user_action("closeEvent") == "closing the window"
    assert _user_action("checkThenDeleteWallet") == "a one-off delete of a wallet"
    for name in (
        "_on_validate_all",
        "_update_hover_element",
        "paintEvent",
        "on_delete_node",
        "set_value",
    ):
        assert _user_action(name) == ""


def test_the_entry_coroutine_is_found_through_a_package_reexport():
    files = {
        "pkg/__init__.py": "from .cli import climain\n",
        "pkg/cli.py": "import shutil\nasync def climain(args):\n    shutil.copy('a', 'b')\n",
        "pkg/entry.py": "import asyncio\nfrom pkg import climain\n"
        "def run_cli(args):\n    loop = asyncio.new_event_loop()\n"
        "    loop.run_until_complete(climain(args))\n",
    }
    model = ProjectModel.build([summarize_source(src, path) for path, src in files.items()])
    assert model.once_reason("pkg.cli.climain") == (
        "the program's entry (run to completion by `run_until_complete()` in `run_cli`)"
    )

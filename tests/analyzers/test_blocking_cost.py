"""How long and how often a blocking call holds the loop sets its rank (unit scores before the
audit's calibration): a few ms per call or once per close is MEDIUM at most, an unbounded wait
keeps HIGH."""

from __future__ import annotations

import textwrap

from analyzers.context import FileContext
from analyzers.engine import analyze_source
from analyzers.matching import blocking_cost, is_close_handler
from analyzers.rule import Rule
from analyzers.rules.a1_dispatch_by_polling import DispatchByPolling
from analyzers.rules.a4_repaint_in_loop import RepaintInLoop
from analyzers.rules.a7_blocking_desktop_call_in_async import BlockingDesktopCallInAsync
from analyzers.rules.a8_loop_node_rebuilds_sequence import LoopNodeRebuildsSequence
from analyzers.rules.x_blocking_call_in_async import BlockingCallInAsync
from analyzers.rules.x_blocking_chain_from_async import BlockingChainFromAsync


def _found(rule: type[Rule], code: str) -> list[tuple[int, str, int]]:
    findings = analyze_source(textwrap.dedent(code), FileContext(relpath="node.py"), [rule])
    return [(f.line, f.severity.value, f.priority.score) for f in findings]


def test_catalogue_cost_classes() -> None:
    assert blocking_cost("clipboard", "pyperclip.copy") == "ms"
    assert blocking_cost("clipboard", "pyperclip.waitForPaste") == "unbounded"
    assert blocking_cost("file-bulk", "shutil.disk_usage") == "ms"
    assert blocking_cost("file-bulk", "shutil.copytree") == "unbounded"
    assert blocking_cost("network", "imaplib.IMAP4_SSL") == "unbounded"
    assert blocking_cost("sqlite", "sqlite3.connect") == "ms"
    assert blocking_cost("sqlite", "sqlite3.Connection.execute") == "unbounded"
    assert [is_close_handler(n) for n in ("onClose", "on_close", "closeEvent", "closeAll")] == [
        True,
        True,
        True,
        False,
    ]


CLIPBOARD = """\
import pyperclip, sqlite3, subprocess
class Node:
    async def execute(self):
        pyperclip.copy('')
        for item in self.items:
            pyperclip.copy(item)
    async def run(self):
        subprocess.run(['tool'])
    async def open(self, path):
        self.conn = sqlite3.connect(path)
    async def query(self, path):
        conn = sqlite3.connect(path)
        return conn.execute('select 1').fetchall()
"""


def test_a_clipboard_write_or_sqlite_open_is_medium_a_subprocess_or_query_high() -> None:
    assert _found(BlockingCallInAsync, CLIPBOARD) == [
        (4, "MEDIUM", 49),
        (8, "HIGH", 69),
        (10, "MEDIUM", 39),
        (12, "HIGH", 69),
    ]


CHAIN = """\
import pyperclip, shutil, sqlite3
def put(text):
    pyperclip.copy(text)
def open_db(path):
    return sqlite3.connect(path)
def load(path):
    conn = sqlite3.connect(path)
    return conn.execute('select * from jobs').fetchall()
def wipe(folder):
    shutil.rmtree(folder)
class Tab:
    async def execute(self, text):
        put(text)
    async def onClose(self):
        wipe(self.folder)
    async def save(self):
        wipe(self.folder)
    async def attach(self, path):
        self.db = open_db(path)
        self.rows = load(path)
"""


def test_chains_to_quick_calls_and_close_handlers_are_medium() -> None:
    assert _found(BlockingChainFromAsync, CHAIN) == [
        (13, "MEDIUM", 37),
        (15, "MEDIUM", 47),
        (17, "HIGH", 67),
        (19, "MEDIUM", 37),
        (20, "HIGH", 67),
    ]


DESKTOP = """\
async def execute(self, ctx):
    ctx.maximize_window(self.window)
    ctx.move_mouse(self.x, self.y)
async def search(self, ctx):
    ctx.move_window(self.window, 0, 0)
    ctx.find_child(self.selector, timeout=5)
async def glide(self, ctx):
    ctx.move_mouse(self.x, self.y, duration=2)
async def focus(self, ctx):
    self.window.SetFocus()
"""


def test_window_state_is_medium_a_search_or_animation_high() -> None:
    assert _found(BlockingDesktopCallInAsync, DESKTOP) == [
        (2, "MEDIUM", 32),
        (5, "HIGH", 62),
        (8, "HIGH", 62),
        (10, "MEDIUM", 32),
    ]


POLL = """\
import asyncio
class Robot:
    async def run(self):
        while self.running:
            await self.heartbeat()
            await self.check_for_jobs()
            await asyncio.sleep(5)
class Dispatcher:
    async def run(self):
        while self.running:
            await self.dispatch_pending()
            await asyncio.sleep(5)
"""


def test_polling_a_remote_queue_is_low() -> None:
    assert _found(DispatchByPolling, POLL) == [(4, "LOW", 24), (10, "HIGH", 64)]


LOOP = """\
class ForLoopNode:
    async def execute(self, context):
        items = list(range(self.start, self.end))
        if self.key not in context.variables:
            context.variables[self.key] = {"items": items, "index": 0}
"""


def test_a_rebuilt_loop_sequence_is_medium() -> None:
    assert _found(LoopNodeRebuildsSequence, LOOP) == [(3, "MEDIUM", 46)]


PAINT = """\
from PySide6.QtWidgets import QToolBar
class Bar(QToolBar):
    def switched(self, current):
        for button in self.buttons:
            button.setChecked(button is current)
            button.repaint()
    def refresh(self):
        for item in self.items:
            item.load()
            self.view.repaint()
"""


def test_repainting_each_button_once_is_medium_one_view_n_times_high() -> None:
    assert _found(RepaintInLoop, PAINT) == [(6, "MEDIUM", 46), (10, "HIGH", 66)]


CLEANUP = """\
import shutil
class Installer:
    async def install(self, target):
        try:
            await self.download(target)
        except Exception:
            shutil.rmtree(target, ignore_errors=True)
            raise
    async def reset(self, target):
        shutil.rmtree(target)
"""


def test_a_blocking_clean_up_only_an_except_block_makes_is_medium() -> None:
    # 4*10 + 2*5 - 3*2: rare (an error path) and not worse than a stall; the same call on
    # the normal path keeps the rule's rank.
    assert _found(BlockingCallInAsync, CLEANUP) == [(7, "MEDIUM", 44), (10, "HIGH", 69)]
    finding = analyze_source(
        textwrap.dedent(CLEANUP), FileContext(relpath="node.py"), [BlockingCallInAsync]
    )[0]
    assert "only on the error path" in finding.message

"""Where a blocking call runs and how long it takes: a loop in its own thread, an opener."""

from __future__ import annotations

import textwrap

from analyzers.context import FileContext
from analyzers.engine import analyze_source
from analyzers.rules.x_blocking_call_in_async import BlockingCallInAsync
from analyzers.rules.x_blocking_chain_from_async import BlockingChainFromAsync
from analyzers.rules.x_blocking_chain_from_gui import BlockingChainFromGui


def _run(rule, code):
    return analyze_source(textwrap.dedent(code), FileContext(relpath="example.py"), [rule])


THREAD_LOOP = """
import asyncio, queue, threading, requests
class Publisher:
    def __init__(self):
        self.q = queue.Queue()
        self.worker = threading.Thread(target=self._serve)
    def _serve(self):
        asyncio.run(self._main())
    async def _main(self):
        await self._pump()
    async def _pump(self):
        while True:
            item = self.q.get(timeout=0.1)
            requests.post(self.url, json=item)
"""


def test_wait_on_a_private_thread_loop_is_medium_and_says_which_loop():
    findings = sorted(_run(BlockingCallInAsync, THREAD_LOOP), key=lambda f: f.line)
    assert [(f.line, f.severity) for f in findings] == [(13, "MEDIUM"), (14, "CRITICAL")]
    assert "`Publisher._serve` starts in its own thread, not the GUI loop" in findings[0].message
    # A request to a server keeps its rank: it stalls that loop's other tasks for seconds.
    assert "only that loop's other tasks wait" not in findings[1].message


def test_the_same_coroutine_on_the_gui_loop_keeps_its_rank():
    code = THREAD_LOOP.replace("asyncio.run(self._main())", "pass")
    findings = sorted(_run(BlockingCallInAsync, code), key=lambda f: f.line)
    assert [(f.line, f.severity) for f in findings] == [(13, "CRITICAL"), (14, "CRITICAL")]


def test_a_coroutine_also_called_from_elsewhere_is_not_moved_off_the_gui_loop():
    code = THREAD_LOOP + "    async def on_click(self):\n        await self._pump()\n"
    findings = sorted(_run(BlockingCallInAsync, code), key=lambda f: f.line)
    assert [(f.line, f.severity) for f in findings] == [(13, "CRITICAL"), (14, "CRITICAL")]


def test_loop_in_thread_object_ranks_chain_medium():
    (example,) = [e for e in BlockingChainFromAsync.INVALID if "LoopInThread" in e.code]
    (finding,) = _run(BlockingChainFromAsync, example.code)
    assert (finding.line, finding.severity) == (9, "MEDIUM")
    (finding,) = _run(BlockingChainFromAsync, example.code.replace("run_task", "start_soon"))
    assert (finding.line, finding.severity) == (9, "HIGH")


def test_desktop_opener_through_subprocess_is_medium():
    (example,) = [e for e in BlockingChainFromGui.INVALID if "Quote" in e.code]
    (finding,) = _run(BlockingChainFromGui, example.code)
    assert (finding.severity, finding.priority.impact) == ("MEDIUM", 3)
    alone = example.code.replace("    return webbrowser.open(url)\n", "    return False\n")
    (finding,) = _run(BlockingChainFromGui, alone)
    assert finding.severity == "CRITICAL"


CLI = """
import asyncio
def confirm():
    return input('Continue? [y/N] ') == 'y'
async def run(opts):
    if confirm():
        await work(opts)
def entry(argv=None):
    asyncio.run(run(argv))
"""


def test_prompt_in_a_command_line_main_coroutine_is_not_reported():
    assert _run(BlockingChainFromAsync, CLI) == []
    # In a Qt module the same `asyncio.run` may be called from a slot: still reported.
    (finding,) = _run(BlockingChainFromAsync, "from PySide6 import QtCore\n" + CLI)
    assert (finding.line, finding.severity) == (7, "HIGH")


def test_a_thread_subclass_given_a_target_runs_it_in_its_own_thread():
    # `Worker(threading.Thread)` called with `target=`: the target is a thread body too.
    code = THREAD_LOOP.replace(
        "class Publisher:", "class Worker(threading.Thread):\n    pass\nclass Publisher:"
    ).replace("threading.Thread(target=self._serve)", "Worker(target=self._serve)")
    findings = sorted(_run(BlockingCallInAsync, code), key=lambda f: f.line)
    assert [(f.line, f.severity) for f in findings] == [(15, "MEDIUM"), (16, "CRITICAL")]

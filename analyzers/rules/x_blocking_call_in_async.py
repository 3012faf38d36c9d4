"""CIA001: a call that blocks the thread, made directly inside an `async def`."""

from __future__ import annotations

from analyzers.matching import BLOCKING_KINDS_ASYNC, KIND_ADVICE, blocking_kind
from analyzers.project_rule import ProjectRule
from analyzers.rule import Invalid, Valid


class BlockingCallInAsync(ProjectRule):
    """`time.sleep`, `requests.get`, `subprocess.run`... called on the event loop thread."""

    ID = "CIA001"
    AREA = 8
    TITLE = "Blocking call inside a coroutine"
    RATIONALE = (
        "A coroutine runs on the event loop thread; a call that blocks the thread stops every "
        "other task, timer and (under qasync) the whole Qt GUI until it returns."
    )
    IMPACT = 5
    FREQUENCY = 5
    DIFFICULTY = 3
    RECOMMENDATION = (
        "Use the async equivalent (`await asyncio.sleep`, aiohttp/httpx.AsyncClient, "
        "`asyncio.create_subprocess_exec`) or move the call off the loop with "
        "`await asyncio.to_thread(fn, ...)`."
    )
    EXAMPLE_BEFORE = "async def poll():\n    time.sleep(0.5)\n    r = requests.get(url)"
    EXAMPLE_AFTER = (
        "async def poll():\n    await asyncio.sleep(0.5)\n"
        "    r = await asyncio.to_thread(requests.get, url)"
    )
    TAGS = ("async", "blocking")
    TRIGGERS = ("async def",)
    VALID = (
        Valid("import time\nasync def f():\n    await asyncio.sleep(1)\n"),
        Valid("import time\ndef f():\n    time.sleep(1)\n"),
        Valid(
            "import requests, asyncio\nasync def f(url):\n"
            "    return await asyncio.to_thread(requests.get, url)\n"
        ),
        Valid("import time\nasync def f():\n    def inner():\n        time.sleep(1)\n"),
    )
    INVALID = (
        Invalid("import time as t\nasync def f():\n    t.sleep(1)\n", line=3),
        Invalid(
            "from requests import get\nasync def fetch(url):\n    return get(url).json()\n",
            line=3,
            message_contains="requests.get",
        ),
        Invalid("import subprocess\nasync def f():\n    subprocess.run(['ls'])\n", line=3),
    )

    def check_project(self) -> None:
        for fn in self.functions():
            if not fn.is_async:
                continue
            for call in fn.calls:
                kind = blocking_kind(call.target)
                if kind not in BLOCKING_KINDS_ASYNC or call.awaited:
                    continue
                where = " inside a loop" if call.in_loop else ""
                self.report_at(
                    call.line,
                    f"`{call.target}()` blocks the event loop{where} in coroutine "
                    f"`{fn.name}` ({kind}); {KIND_ADVICE[kind]}.",
                    end_line=call.end_line,
                    col=call.col,
                    frequency=7 if call.in_loop else None,
                )

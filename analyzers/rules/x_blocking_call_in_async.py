"""CIA001: a call that blocks the thread, made directly inside an `async def`."""

from __future__ import annotations

from analyzers.findings import ChainStep
from analyzers.matching import (
    BLOCKING_KINDS_ASYNC,
    KIND_ADVICE,
    MEMBER_READ_NOTE,
    MS_SCALE_NOTE,
    blocking_cost,
    is_close_handler,
    reads_one_member,
)
from analyzers.project import CallSite, FunctionInfo, in_retry_loop, returns_at_once
from analyzers.project_rule import ProjectRule
from analyzers.rule import Invalid, Valid
from analyzers.thread_loops import KEEP_RANK_KINDS, cli_main_of, thread_loop_of

# One clipboard or window-manager round trip: a few ms. With the rule's frequency and
# difficulty this scores MEDIUM, inside a loop too (2*10 + 7*5 - 3*2 = 49), and stays below
# the profile hot-path promotion (impact 4 and up).
_MS_IMPACT = 2
# A call only an `except` block makes: ranked for a rare path (MEDIUM at most).
_ERROR_PATH_IMPACT = 4
# A folder listing or temp-folder removal left on the loop beside work the coroutine already
# hands to a worker (`await asyncio.to_thread(convert_all)`): the heavy part is off the loop,
# what stays costs ms unless the folder is huge (3*10 + 5*5 - 3*2 = 49, MEDIUM).
_BESIDE_IMPACT = 3
_OFFLOADS = frozenset({"to_thread", "run_in_executor", "run_sync"})
_LISTING_OR_REMOVAL = frozenset(
    {"rglob", "glob", "iglob", "iterdir", "walk", "listdir", "scandir", "rmtree", "disk_usage"}
)


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
        Valid(
            "import asyncio, shutil\nasync def f(src, dst):\n"
            "    await asyncio.to_thread(shutil.copy2, src, dst)\n"
        ),
        # A command-line entry point's only coroutine asking the user: the prompt is the point.
        Valid(
            "import asyncio\nasync def main():\n    name = input('Name? ')\n"
            "    await greet(name)\ndef cli():\n    asyncio.run(main())\n"
        ),
        # Popen itself returns at once; only waiting for it blocks.
        Valid("import subprocess\nasync def f(cmd):\n    return subprocess.Popen(cmd).pid\n"),
        # Releasing GDI handles returns at once.
        Valid(
            "import win32gui\nasync def capture(hwnd, dc, bitmap):\n"
            "    win32gui.DeleteObject(bitmap)\n    win32gui.ReleaseDC(hwnd, dc)\n"
        ),
        # Raising a window or reading its rectangle is one user32 call: microseconds.
        Valid(
            "import win32gui, win32con\nasync def activate(hwnd):\n"
            "    win32gui.ShowWindow(hwnd, win32con.SW_RESTORE)\n"
            "    win32gui.SetForegroundWindow(hwnd)\n"
            "    return win32gui.GetWindowRect(hwnd), win32gui.GetWindowText(hwnd)\n"
        ),
        # Renaming a file within its folder: `shutil.move` is one `os.rename` there.
        Valid(
            "import os, shutil\nasync def rename_clip(path, name):\n"
            "    dst = os.path.join(os.path.dirname(path), name)\n"
            "    shutil.move(path, dst)\n"
        ),
        # Moving a folder to a backup folder beside it: both paths are built from one base
        # (the object's install folder), so one volume and one `os.rename`.
        Valid(
            "import shutil\nclass Install:\n    def __init__(self, root):\n"
            "        self.root = root\n        self.app = locate([self.root / 'app'])\n"
            "    async def replace(self, tag):\n        backup = self.root / f'old-{tag}'\n"
            "        shutil.move(self.app, backup / 'app')\n"
        ),
        # Copying one named settings file costs a few ms, not a bulk copy.
        Valid(
            "import shutil\nasync def keep_settings(old_dir, new_dir):\n"
            "    src = old_dir / 'settings.yaml'\n"
            "    shutil.copy2(src, new_dir / 'settings.yaml')\n"
        ),
        # Moving between folders nothing ties together (a download into a user's library)
        # may cross volumes: still a bulk copy (see INVALID).
        # Powering the machine off: the command returns once queued, then everything stops.
        Valid(
            "import os\nasync def power_off_after_run(self):\n    os.system('systemctl poweroff')\n"
        ),
    )
    INVALID = (
        Invalid("import time as t\nasync def f():\n    t.sleep(1)\n", line=3),
        # A self-update copies the new files in, then asks for a restart: once per update.
        Invalid(
            "import shutil\nclass Updater:\n    async def install(self, unpacked):\n"
            "        shutil.copytree(unpacked, self.target, dirs_exist_ok=True)\n"
            "        self.state = State.restart_required\n",
            line=4,
            message_contains="once per update, which then asks for a restart (line 5)",
        ),
        Invalid(
            "import shutil\nclass Library:\n    async def adopt(self, download):\n"
            "        shutil.move(download / 'album', self.music_dir / 'album')\n"
            "        shutil.copy2(download / 'cover.jpg', self.music_dir)\n",
            line=4,
            message_contains="file-bulk",
        ),
        # Listing the folder on the loop while the conversion itself runs in a worker: the
        # listing stays, ranked for what it costs (MEDIUM).
        Invalid(
            "import asyncio\nasync def convert_folder(src):\n"
            "    files = [p for p in src.rglob('*') if p.is_file()]\n"
            "    return await asyncio.to_thread(convert_all, files)\n",
            line=3,
            message_contains="already handed to a worker (`asyncio.to_thread`)",
        ),
        # Reading one member of an archive: a short hitch (MEDIUM), unlike unpacking it all.
        Invalid(
            "import tarfile\nasync def manifest(path):\n"
            "    with tarfile.open(path) as tar:\n"
            "        return tar.extractfile('manifest.yaml').read()\n",
            line=3,
            message_contains="read one member",
        ),
        # A blocking back-off in a retry loop repeats for as long as the failure lasts.
        Invalid(
            "import time\nasync def poll(self):\n"
            "    while True:\n"
            "        try:\n"
            "            return await self.fetch()\n"
            "        except OSError:\n"
            "            time.sleep(5)\n",
            line=7,
            message_contains="inside a loop in coroutine `poll`",
        ),
        # Removing a partial download when the fetch failed: only on the error path.
        Invalid(
            "import logging, shutil\nlog = logging.getLogger(__name__)\n"
            "async def ensure(self, target):\n"
            "    if not await self.fetch(target):\n"
            "        log.error('fetch failed')\n"
            "        shutil.rmtree(target, ignore_errors=True)\n"
            "        return False\n",
            line=6,
            message_contains="only on the error path (after a failure)",
        ),
        # ... while moving the file to another folder copies it when that is another disk.
        Invalid(
            "import shutil\nasync def archive(path, folder):\n    shutil.move(path, folder)\n",
            line=3,
        ),
        # A retry loop that breaks after the write: the write runs once, not per iteration.
        Invalid(
            "import os, asyncio\nasync def save(self, data):\n"
            "    for _ in range(10):\n"
            "        if await self.ready():\n"
            "            with open(self.path, 'w') as f:\n"
            "                f.write(data)\n"
            "                os.fsync(f.fileno())\n"
            "            break\n"
            "        await asyncio.sleep(1)\n",
            line=7,
            message_contains="blocks the event loop in coroutine `save`",
        ),
        # PrintWindow waits for the other process to paint its window into the bitmap.
        Invalid(
            "from ctypes import windll\nasync def grab(hwnd, hdc):\n"
            "    windll.user32.PrintWindow(hwnd, hdc, 2)\n",
            line=3,
            message_contains="screen-capture",
        ),
        Invalid(
            "from requests import get\nasync def fetch(url):\n    return get(url).json()\n",
            line=3,
            message_contains="requests.get",
        ),
        Invalid("import subprocess\nasync def f():\n    subprocess.run(['ls'])\n", line=3),
        Invalid(
            "import shutil\nclass CopyNode:\n    async def execute(self, src, dst):\n"
            "        shutil.copy2(src, dst)\n",
            line=4,
            message_contains="file-bulk",
        ),
        # A session object's methods block too; one finding for the whole session.
        Invalid(
            "import imaplib\nasync def unread(host, user, pw):\n"
            "    box = imaplib.IMAP4_SSL(host)\n    box.login(user, pw)\n"
            "    return box.search(None, 'UNSEEN')\n",
            line=3,
            message_contains="further calls",
        ),
        Invalid(
            "import subprocess\nasync def build(cmd):\n"
            "    proc = subprocess.Popen(cmd)\n    proc.wait()\n",
            line=4,
            message_contains="subprocess.Popen.wait",
        ),
        Invalid(
            "async def upload(self, ftp, name, fh):\n    ftp.storbinary('STOR ' + name, fh)\n",
            line=2,
        ),
        # A clipboard write is a few Win32 calls: reported as a hitch (MEDIUM), not a freeze.
        Invalid(
            "import pyperclip\nasync def clear_clipboard(self):\n    pyperclip.copy('')\n",
            line=3,
            message_contains="clipboard, a few ms per call",
        ),
        # ... but waiting for the clipboard to change waits on the user.
        Invalid(
            "import pyperclip\nasync def next_paste(self):\n"
            "    pyperclip.copy('')\n    return pyperclip.waitForNewPaste(30)\n",
            line=3,
            message_contains="(clipboard) (and further calls of the same kind: `pyperclip.wai",
        ),
        # A private loop started in a worker thread: the wait holds only that loop (MEDIUM).
        Invalid(
            "import asyncio, queue, threading\n"
            "class Publisher:\n"
            "    def __init__(self):\n"
            "        self.q = queue.Queue()\n"
            "        self.worker = threading.Thread(target=self._serve)\n"
            "    def _serve(self):\n"
            "        asyncio.run(self._pump())\n"
            "    async def _pump(self):\n"
            "        while True:\n"
            "            item = self.q.get(timeout=0.1)\n"
            "            await self.send(item)\n",
            line=10,
            message_contains="own thread, not the GUI loop: only that loop's other tasks wait",
        ),
        # Removing a tab's scratch folder when the tab closes: once per close.
        Invalid(
            "import shutil\nclass EditorTab:\n    async def onClose(self):\n"
            "        shutil.rmtree(self.scratch_dir)\n",
            line=4,
            message_contains="runs once per close",
        ),
    )

    def check_project(self) -> None:
        project = self.project
        for fn in self.functions():
            if not fn.is_async:
                continue
            # One finding per kind of blocking per coroutine: a session's connect, login,
            # fetch and logout are one defect with one fix (move the session off the loop).
            by_kind: dict[str, list[CallSite]] = {}
            for call in fn.calls:
                if call.awaited:
                    continue
                kind = project.call_blocking_kind(fn, call.target)
                if kind in BLOCKING_KINDS_ASYNC and not returns_at_once(call):
                    by_kind.setdefault(kind, []).append(call)  # type: ignore[arg-type]
            for kind, calls in by_kind.items():
                if kind == "console" and cli_main_of(project, fn.qualname):
                    continue  # a command-line prompt: waiting for the user is the point
                first = calls[0]
                member = kind == "file-bulk" and reads_one_member(project, fn)
                slow = [c for c in calls if self._cost(fn, kind, c) != "ms" and not member]
                # A retry loop that exits after the call (`try: save(); break`) runs it once.
                in_loop = any(c.in_loop and not c.leaves_loop for c in calls)
                where = " inside a loop" if first.in_loop and not first.leaves_loop else ""
                more = " (and further calls of the same kind)" if len(calls) > 1 else ""
                if slow and slow[0] is not first:
                    # The first call is quick (opening a database): name the one that is not.
                    more = f" (and further calls of the same kind: `{slow[0].target}()`)"
                typed = project.typed_target(fn, first.target)
                what = f"`{first.target}()`" + (f" (`{typed}`)" if typed != first.target else "")
                # How long and how often: a clipboard or single-syscall call costs a few ms
                # (MEDIUM at most); a close handler runs once per close, not per event.
                cost = f", {MEMBER_READ_NOTE if member else MS_SCALE_NOTE}" if not slow else ""
                once = is_close_handler(fn.name)
                when = "; it runs once per close" if once else ""
                # An update that copies its files and then asks for a restart: once per update.
                if kind == "file-bulk" and 0 < max(c.line for c in calls) < fn.asks_restart:
                    once = True
                    when = (
                        "; it runs once per update, which then asks for a restart (line "
                        f"{fn.asks_restart}): a one-off stall the user started"
                    )
                # On a loop that runs in its own thread only that loop's tasks wait.
                loop = thread_loop_of(project, fn.qualname)
                aside = kind not in KEEP_RANK_KINDS and loop is not None
                if loop is not None:
                    when += f"; it runs on {loop}, not the GUI loop"
                    when += ": only that loop's other tasks wait" if aside else ""
                # Clean-up after a failure (`except: shutil.rmtree(partial)`, or `if not ok:
                # log.error(...); shutil.rmtree(partial)`) stalls the loop only when something
                # already went wrong: a rare path, MEDIUM at most.
                on_error = all(
                    (c.in_except or "on-error" in c.guards) and not in_retry_loop(fn, c)
                    for c in calls
                )
                if on_error:
                    when += "; only on the error path (after a failure)"
                impact = _MS_IMPACT if not slow or aside else None
                if on_error:
                    impact = min(impact or self.IMPACT, _ERROR_PATH_IMPACT)
                offload = self._offload(fn) if kind == "file-bulk" else ""
                beside = bool(offload) and all(
                    c.target.rsplit(".", 1)[-1] in _LISTING_OR_REMOVAL for c in calls
                )
                if beside and not on_error:
                    when += (
                        f"; the heavy work is already handed to a worker (`{offload}`): what "
                        "stays on the loop lists or removes a folder, ms unless it is huge"
                    )
                    impact = min(impact or self.IMPACT, _BESIDE_IMPACT)
                self.report_at(
                    first.line,
                    f"{what} blocks the event loop{where} in coroutine "
                    f"`{fn.name}` ({kind}{cost}){more}{when}; {KIND_ADVICE[kind]}.",
                    end_line=first.end_line,
                    col=first.col,
                    impact=impact,
                    frequency=1
                    if once
                    else 2
                    if on_error
                    else 5
                    if beside
                    else 7
                    if in_loop
                    else None,
                    related=tuple(
                        ChainStep(fn.relpath, c.line, fn.qualname, c.target) for c in calls[1:]
                    ),
                )

    @staticmethod
    def _offload(fn: FunctionInfo) -> str:
        """The worker hand-off the coroutine awaits (`asyncio.to_thread`...), or ""."""
        for call in fn.calls:
            last = call.target.rsplit(".", 1)[-1]
            if call.awaited and last in _OFFLOADS:
                return call.target
        return ""

    def _cost(self, fn: FunctionInfo, kind: str, call: CallSite) -> str:
        """Whether the call, as written or typed by its receiver, costs "ms" or is "unbounded"."""
        if "short-retry" in call.guards:  # `time.sleep(0.1)` in `for _ in range(3):`
            return "ms"
        typed = self.project.typed_target(fn, call.target)
        quick = "ms" in (blocking_cost(kind, call.target), blocking_cost(kind, typed))
        return "ms" if quick else "unbounded"

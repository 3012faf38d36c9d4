"""CIA002: a coroutine calls a sync function that blocks, directly or through other sync calls."""

from __future__ import annotations

from analyzers.findings import ChainStep
from analyzers.matching import (
    BLOCKING_KINDS_ASYNC,
    KIND_ADVICE,
    MEMBER_READ_NOTE,
    MS_SCALE_NOTE,
    SHORT_RETRY_NOTE,
    blocking_cost,
    is_close_handler,
    reads_one_member,
    short_name,
)
from analyzers.project import CallSite, FunctionInfo, returns_at_once
from analyzers.project_rule import ProjectRule
from analyzers.rule import Invalid, Valid
from analyzers.thread_loops import KEEP_RANK_KINDS, cli_main_of, thread_loop_of

# A clipboard or single-syscall call at the end of the chain costs a few ms: MEDIUM at most
# (2*10 + 7*5 - 4*2 = 47 inside a loop), below the hot-path promotion (impact 4 and up).
_MS_IMPACT = 2


class BlockingChainFromAsync(ProjectRule):
    """The blocking call hides behind one or more sync helpers, so one-function linters miss it."""

    ID = "CIA002"
    AREA = 8
    TITLE = "Coroutine calls a sync helper that blocks"
    RATIONALE = (
        "The coroutine looks non-blocking, but a sync function it calls (possibly several "
        "calls down) sleeps, does network or subprocess I/O, or drives UI automation. While "
        "that runs, the event loop - and under qasync the Qt GUI - is frozen."
    )
    IMPACT = 5
    FREQUENCY = 5
    DIFFICULTY = 4
    RECOMMENDATION = (
        "Call the sync helper through `await asyncio.to_thread(helper, ...)` (or "
        "`loop.run_in_executor`), or give it an async variant that awaits async I/O."
    )
    EXAMPLE_BEFORE = (
        "def find_window(title):\n    return auto.WindowControl(Name=title).Exists(5)\n\n"
        "async def execute(self):\n    found = find_window(self.title)"
    )
    EXAMPLE_AFTER = (
        "async def execute(self):\n    found = await asyncio.to_thread(find_window, self.title)"
    )
    TAGS = ("async", "blocking", "cross-function")
    TRIGGERS = ("async def",)
    VALID = (
        # Moving the old version's data folder to the new layout: both paths come from one
        # base, so the helper's `shutil.move` is a rename.
        Valid(
            "import shutil\n"
            "def migrate(src, dst):\n"
            "    if src.exists() and not dst.exists():\n"
            "        shutil.move(src, dst)\n"
            "async def upgrade(root, tag):\n"
            "    old = root / f'old-{tag}'\n"
            "    migrate(old / 'data', root / 'data')\n"
        ),
        Valid(
            "import time, asyncio\ndef helper():\n    time.sleep(1)\n"
            "async def f():\n    await asyncio.to_thread(helper)\n"
        ),
        Valid("def helper():\n    return 1\nasync def f():\n    helper()\n"),
        Valid(
            "import time\nclass A:\n    def _wait(self):\n        time.sleep(1)\n"
            "    def run(self):\n        self._wait()\n"
        ),
        # The coroutine a command-line entry point runs with `asyncio.run()` prompts the user.
        Valid(
            "import asyncio\n"
            "def confirm():\n"
            "    return input('Continue? [y/N] ') == 'y'\n"
            "async def run(opts):\n"
            "    if confirm():\n"
            "        await work(opts)\n"
            "def entry(argv=None):\n"
            "    asyncio.run(run(argv))\n"
        ),
        # Cached helpers block once, on the first call only.
        Valid(
            "import functools, subprocess\n"
            "@functools.cache\n"
            "def ffmpeg_path():\n"
            "    return subprocess.check_output(['which', 'ffmpeg']).strip()\n"
            "async def transcode(src):\n"
            "    return ffmpeg_path()\n"
        ),
        Valid(
            "import socket\nfrom functools import lru_cache\n"
            "class Node:\n"
            "    @lru_cache(maxsize=1)\n"
            "    def host(self):\n"
            "        return socket.gethostbyname('example.org')\n"
            "    async def execute(self):\n"
            "        return self.host()\n"
        ),
        # First-creation branch: created once, then reused.
        Valid(
            "import subprocess\n"
            "class Probe:\n"
            "    def _version(self):\n"
            "        return subprocess.check_output(['tool', '--version'])\n"
            "    async def execute(self):\n"
            "        if self._cached is None:\n"
            "            self._cached = self._version()\n"
            "        return self._cached\n"
        ),
        # Only the fallback blocks: the installer runs a subprocess when the GUI import
        # fails, the normal path does not block.
        Valid(
            "import subprocess\n"
            "def install_silent():\n"
            "    subprocess.run(['tool', 'install'])\n"
            "def ensure_ready():\n"
            "    try:\n"
            "        from gui_installer import run_dialog\n"
            "        return run_dialog()\n"
            "    except ImportError:\n"
            "        return install_silent()\n"
            "async def start(self):\n"
            "    ensure_ready()\n"
        ),
        # The blocking branch needs `show_gui=False`; this caller keeps the default.
        Valid(
            "import subprocess\n"
            "def install_silent():\n"
            "    subprocess.run(['tool', 'install'])\n"
            "def ensure_ready(show_gui=True, parent=None):\n"
            "    if not show_gui:\n"
            "        return install_silent()\n"
            "    return ask_user(parent)\n"
            "async def start(self):\n"
            "    ensure_ready(parent=self.window)\n"
        ),
        # The sleep is on the branch the default takes; this caller passes the flag that
        # takes the other one.
        Valid(
            "import time\n"
            "def find(root, selector, find_all=False):\n"
            "    if find_all:\n"
            "        return root.find_all(selector)\n"
            "    time.sleep(0.5)\n"
            "    return root.find(selector)\n"
            "async def check_all(self, selector):\n"
            "    return find(self.root, selector, find_all=True)\n"
        ),
    )
    INVALID = (
        # A helper that opens an archive to read one member: a hitch, ranked MEDIUM.
        Invalid(
            "import tarfile\n"
            "def manifest_of(path):\n"
            "    return tarfile.open(path).extractfile('manifest.yaml').read()\n"
            "async def refresh(self):\n"
            "    self.manifest = manifest_of(self.archive)\n",
            line=5,
            message_contains="opens an archive to read one member",
        ),
        # ... while a caller that asks for the silent path blocks (by keyword or position).
        Invalid(
            "import subprocess\n"
            "def install_silent():\n"
            "    subprocess.run(['tool', 'install'])\n"
            "def ensure_ready(show_gui=True):\n"
            "    if not show_gui:\n"
            "        return install_silent()\n"
            "    return ask_user()\n"
            "async def start(self):\n"
            "    ensure_ready(False)\n",
            line=9,
            message_contains="install_silent",
        ),
        # A blocking call on the normal path counts, however many fallbacks there are.
        Invalid(
            "import time\n"
            "def settle():\n"
            "    time.sleep(1)\n"
            "def retry(conn):\n"
            "    try:\n"
            "        conn.reset()\n"
            "    except OSError:\n"
            "        settle()\n"
            "    settle()\n"
            "async def execute(self):\n"
            "    retry(self.conn)\n",
            line=11,
            message_contains="time.sleep",
        ),
        # A collaborator injected through `__init__` (typed by its annotation), two hops
        # down: the store's save fsyncs on the event loop.
        Invalid(
            "import os\n"
            "class Db:\n"
            "    def write(self, fd):\n"
            "        os.fsync(fd)\n"
            "class Repo:\n"
            "    def __init__(self, db: Db):\n"
            "        self.db = db\n"
            "class SaveNode:\n"
            "    def __init__(self, repo: 'Repo'):\n"
            "        self.repo = repo\n"
            "    async def execute(self, fd):\n"
            "        self.repo.db.write(fd)\n",
            line=12,
            message_contains="os.fsync",
        ),
        # Opening SQLite is quick, but the helper also queries: it keeps the full rank.
        Invalid(
            "import sqlite3\n"
            "def load(path):\n"
            "    conn = sqlite3.connect(path)\n"
            "    return conn.execute('select * from jobs').fetchall()\n"
            "async def refresh(self):\n"
            "    self.rows = load(self.path)\n",
            line=6,
            message_contains="(sqlite) via",
        ),
        # The new catalogue entries reach the chain rule too (bulk copies here).
        Invalid(
            "import shutil\n"
            "def backup(src, dst):\n"
            "    shutil.copytree(src, dst)\n"
            "async def on_save(src, dst):\n"
            "    backup(src, dst)\n",
            line=5,
            message_contains="file-bulk",
        ),
        # Handed to a loop that runs in a background thread: a folder copy there ranks MEDIUM.
        Invalid(
            "import shutil\n"
            "from looptools import LoopInThread\n"
            "def sizes(root):\n"
            "    shutil.copytree(root, root + '.bak')\n"
            "class Plugins:\n"
            "    def __init__(self, loop: LoopInThread):\n"
            "        self.loop = loop\n"
            "    async def rescan(self, root):\n"
            "        return sizes(root)\n"
            "    def on_click(self, root):\n"
            "        async def job():\n"
            "            return await self.rescan(root)\n"
            "        self.loop.run_task(job())\n",
            line=9,
            message_contains="`LoopInThread` runs in a background thread",
        ),
        Invalid(
            "import time\n"
            "def _backoff():\n"
            "    time.sleep(2)\n"
            "def retry():\n"
            "    _backoff()\n"
            "class Node:\n"
            "    async def execute(self):\n"
            "        retry()\n",
            line=8,
            message_contains="time.sleep",
        ),
        # A helper that refuses to delete a folder holding a large file: small folders
        # only, a short hitch (MEDIUM).
        Invalid(
            "import shutil\n"
            "def drop_scratch(folder, limit=8_000_000):\n"
            "    for p in folder.rglob('*'):\n"
            "        if p.is_file() and p.stat().st_size > limit:\n"
            "            raise RuntimeError(f'{p} is too large to delete')\n"
            "    shutil.rmtree(folder)\n"
            "async def reset(folder, fetch):\n"
            "    drop_scratch(folder)\n"
            "    await fetch(folder)\n",
            line=8,
            message_contains="raises on any file over its size limit",
        ),
        # A delete that waits up to 3 x 0.1 s for the file to go away: a short hitch (MEDIUM).
        Invalid(
            "import time\n"
            "def remove(path):\n"
            "    path.unlink()\n"
            "    for _ in range(3):\n"
            "        if not path.exists():\n"
            "            return\n"
            "        time.sleep(0.1)\n"
            "async def replace(path, fetch):\n"
            "    remove(path)\n"
            "    await fetch(path)\n",
            line=9,
            message_contains="a short retry pause",
        ),
        Invalid(
            "import uiautomation as auto\n"
            "class Ctx:\n"
            "    def find(self, name):\n"
            "        window = auto.WindowControl(Name=name)\n"
            "        return window.Exists(5)\n"
            "    async def click(self, name):\n"
            "        el = self.find(name)\n",
            line=7,
        ),
    )

    def _slow_beside(self, qualname: str) -> bool:
        """Whether the function holding a quick blocking call (opening a database) also makes
        an unbounded one (its queries): then the chain is not a few-ms hitch."""
        holder = self.project.functions.get(qualname)
        if holder is None:
            return False
        for call in holder.calls:
            kind = self.project.call_blocking_kind(holder, call.target)
            if kind in BLOCKING_KINDS_ASYNC and not call.awaited:
                typed = self.project.typed_target(holder, call.target)
                if "ms" not in (blocking_cost(kind, call.target), blocking_cost(kind, typed)):
                    return True
        return False

    @staticmethod
    def _short_retry(holder: FunctionInfo, target: str) -> bool:
        """Every `target` call the blocking helper makes is a short retry pause."""
        calls = [c for c in holder.calls if c.target == target]
        return bool(calls) and all("short-retry" in c.guards for c in calls)

    def _renames_passed_paths(self, call: CallSite, steps: tuple[ChainStep, ...]) -> bool:
        """The coroutine hands a helper two paths built from one base, and all the helper
        blocks on is `shutil.move` between those parameters: a rename on one volume."""
        if len(steps) != 2:
            return False
        holder = self.project.functions.get(steps[-1].symbol)
        if holder is None:
            return False
        pairs = {g.partition(":")[2] for g in call.guards if g.startswith("base-pair:")}
        if not pairs:
            return False
        for site in holder.calls:
            kind = self.project.call_blocking_kind(holder, site.target)
            if kind not in BLOCKING_KINDS_ASYNC or site.awaited or returns_at_once(site):
                continue
            moved = [g.partition(":")[2] for g in site.guards if g.startswith("moves-params:")]
            if not moved or moved[0] not in pairs:
                return False
        return True

    def check_project(self) -> None:
        project = self.project
        for fn in self.functions():
            if not fn.is_async:
                continue
            reported: set[str] = set()
            for call in fn.calls:
                found = project.chain_from_call(fn, call, BLOCKING_KINDS_ASYNC)
                if found is None or found[0].qualname in reported:
                    continue
                callee, chain = found
                if chain.kind == "file-bulk" and self._renames_passed_paths(call, chain.steps):
                    continue
                if chain.kind == "console" and cli_main_of(project, fn.qualname):
                    continue  # a command-line prompt: waiting for the user is the point
                reported.add(callee.qualname)
                steps = chain.steps
                path = " -> ".join(short_name(s.symbol) for s in steps[1:])
                # How long and how often (see BlockingCallInAsync): a few ms per call ranks
                # MEDIUM at most; a close handler runs once per close.
                quick = blocking_cost(chain.kind, chain.call) == "ms" and not self._slow_beside(
                    chain.steps[-1].symbol
                )
                holder = project.functions.get(chain.steps[-1].symbol)
                member = (
                    chain.kind == "file-bulk"
                    and holder is not None
                    and reads_one_member(project, holder)
                )
                quick = quick or member
                note = MEMBER_READ_NOTE if member else MS_SCALE_NOTE
                if not quick and holder is not None and self._short_retry(holder, chain.call):
                    quick, note = True, SHORT_RETRY_NOTE
                if (
                    not quick
                    and chain.kind == "file-bulk"
                    and holder is not None
                    and holder.refuses_large_files
                ):
                    quick = True
                    note = (
                        f"`{short_name(holder.qualname)}` raises on any file over its size "
                        "limit, so it only handles folders of small files"
                    )
                cost = f", {note}" if quick else ""
                once = is_close_handler(fn.name)
                when = "; it runs once per close" if once else ""
                in_loop = call.in_loop and not call.leaves_loop
                # On a loop that runs in its own thread only that loop's tasks wait.
                loop = thread_loop_of(project, fn.qualname)
                aside = chain.kind not in KEEP_RANK_KINDS and loop is not None
                if loop is not None:
                    when += f"; it runs on {loop}, not the GUI loop"
                    when += ": only that loop's other tasks wait" if aside else ""
                self.report_at(
                    call.line,
                    f"coroutine `{fn.name}` calls sync `{short_name(callee.qualname)}()`, which "
                    f"blocks the event loop in `{chain.call}()` ({chain.kind}{cost}) via "
                    f"{path}{when}; {KIND_ADVICE[chain.kind]}.",
                    end_line=call.end_line,
                    col=call.col,
                    chain=steps,
                    impact=_MS_IMPACT if quick or aside else None,
                    frequency=1 if once else 7 if in_loop else None,
                )

"""CIA201: a `while running: ... sleep` loop that re-scans the filesystem or a mailbox each tick."""

from __future__ import annotations

from analyzers.findings import ChainStep
from analyzers.matching import short_name
from analyzers.project import CallSite, FunctionInfo, ProjectModel
from analyzers.project_rule import ProjectRule
from analyzers.rule import Invalid, Valid

_FS_CALLS = frozenset(
    {
        "os.stat",
        "os.listdir",
        "os.scandir",
        "os.walk",
        "os.path.getmtime",
        "os.path.getsize",
        "os.path.exists",
        "os.path.isfile",
        "glob.glob",
        "glob.iglob",
    }
)
_FS_METHODS = frozenset({"glob", "rglob", "iterdir", "stat"})
_MAIL_PREFIXES = ("imaplib.", "poplib.")
_MAIL_METHODS = frozenset({"search", "select", "fetch", "uid"})


def _polls(call: CallSite) -> str | None:
    if call.target in _FS_CALLS:
        return "filesystem"
    last = call.target.rsplit(".", 1)[-1]
    receiver = call.target.rsplit(".", 1)[0].lower() if "." in call.target else ""
    if last in _FS_METHODS and "." in call.target and not call.target.startswith("self."):
        return "filesystem"
    if call.target.startswith(_MAIL_PREFIXES):
        return "mailbox"
    if last in _MAIL_METHODS and any(k in receiver for k in ("imap", "mail", "pop")):
        return "mailbox"
    return None


def _first_poll(
    project: ProjectModel, fn: FunctionInfo, lo: int, hi: int
) -> tuple[CallSite, str, tuple[ChainStep, ...]] | None:
    """A polling call in `fn` between lines lo..hi, or one call down (awaited or not)."""
    calls = [c for c in fn.calls if lo < c.line <= hi]
    for call in calls:
        kind = _polls(call)
        if kind:
            return call, kind, ()
    for call in calls:
        callee = project.resolve(fn, call.target)
        if callee is None:
            continue
        for inner in callee.calls:
            kind = _polls(inner)
            if kind:
                return (
                    call,
                    kind,
                    (
                        ChainStep(fn.relpath, call.line, fn.qualname, callee.qualname),
                        ChainStep(callee.relpath, inner.line, callee.qualname, inner.target),
                    ),
                )
    return None


class PollingLoop(ProjectRule):
    """Polling costs a scan per interval forever and still reacts up to one interval late."""

    ID = "CIA201"
    AREA = 2
    TITLE = "Polling loop re-scans the filesystem or mailbox every tick"
    RATIONALE = (
        "The trigger sleeps and re-lists a folder, stats files or logs into a mailbox on "
        "every tick. The cost is paid forever (per trigger, per interval), grows with the "
        "folder or mailbox, and events are still noticed up to one interval late."
    )
    IMPACT = 3
    FREQUENCY = 5
    DIFFICULTY = 5
    RECOMMENDATION = (
        "Subscribe instead of polling: watchdog / QFileSystemWatcher (inotify, "
        "ReadDirectoryChangesW) for folders, IMAP IDLE on one kept-open connection for mail. "
        "If polling must stay, compare a cheap marker (mtime of the folder, UIDNEXT) before "
        "the full scan, and back off when idle."
    )
    EXAMPLE_BEFORE = (
        "while self._running:\n    for name in os.listdir(self.folder):\n        ...\n"
        "    await asyncio.sleep(self.interval)"
    )
    EXAMPLE_AFTER = (
        "observer = Observer()\nobserver.schedule(Handler(self._on_event), self.folder)\n"
        "observer.start()"
    )
    TAGS = ("polling", "io", "periodic")
    TRIGGERS = ("while",)
    VALID = (
        Valid("import asyncio, os\nasync def once(folder):\n    return os.listdir(folder)\n"),
        Valid(
            "import asyncio\nclass T:\n    async def run(self):\n"
            "        while self._running:\n            await self._queue.get()\n"
            "            await asyncio.sleep(1)\n"
        ),
    )
    INVALID = (
        Invalid(
            "import asyncio, os\n"
            "class FolderTrigger:\n"
            "    async def _watch(self):\n"
            "        while self._running:\n"
            "            names = os.listdir(self.folder)\n"
            "            await asyncio.sleep(self.interval)\n",
            line=5,
            message_contains="os.listdir",
        ),
        Invalid(
            "import asyncio, imaplib\n"
            "class EmailTrigger:\n"
            "    async def _poll(self):\n"
            "        while self._running:\n"
            "            new = await self._check_imap()\n"
            "            await asyncio.sleep(60)\n"
            "    async def _check_imap(self):\n"
            "        conn = imaplib.IMAP4_SSL(self.host)\n",
            line=5,
            message_contains="mailbox",
        ),
    )

    def check_project(self) -> None:
        project = self.project
        for fn in self.functions():
            for loop in fn.loops:
                found = _first_poll(project, fn, loop.line, loop.end_line)
                if found is None:
                    continue
                call, kind, chain = found
                what = chain[-1].note if chain else call.target
                via = f" (via `{short_name(chain[0].note)}`)" if chain else ""
                interval = f"every {loop.interval} s" if loop.interval else "every tick"
                fix = (
                    "watch the folder (watchdog/QFileSystemWatcher) instead"
                    if kind == "filesystem"
                    else "keep one connection and use IMAP IDLE instead"
                )
                self.report_at(
                    call.line,
                    f"`{fn.name}` polls the {kind} with `{what}()`{via} {interval} for as "
                    f"long as it runs; {fix}.",
                    end_line=call.end_line,
                    chain=chain,
                )

"""Shared name-matching helpers for rules: dotted names, qualified names, blocking-call catalogue.

Rules match callees by *qualified* name, so `import time as t; t.sleep(1)` and
`from time import sleep; sleep(1)` both resolve to `time.sleep`. In a libcst rule use
`qualified_name(rule, node)` (the rule must list `QualifiedNameProvider` in
METADATA_DEPENDENCIES); the project model (ast based) resolves names with the same table.

`blocking_kind(qualname)` says whether a call blocks the calling thread and how
("sleep", "network", "subprocess", "file", "file-bulk", "sqlite", "thread-wait",
"key-derivation", "clipboard", "ui-automation", "screen-capture", "console");
`blocking_cost(kind, qualname)` says how long one such call typically holds the thread
("ms" or "unbounded"); `BLOCKING_KINDS_*` name the sets the async and GUI rules care about.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

import libcst as cst
from libcst.metadata import QualifiedNameProvider

if TYPE_CHECKING:
    from analyzers.project import FunctionInfo, ProjectModel
    from analyzers.rule import Rule

# Exact qualified names of calls that block the calling thread, and how.
_BLOCKING_EXACT: dict[str, str] = {
    "time.sleep": "sleep",
    "builtins.input": "console",
    "subprocess.run": "subprocess",
    "subprocess.call": "subprocess",
    "subprocess.check_call": "subprocess",
    "subprocess.check_output": "subprocess",
    "subprocess.getoutput": "subprocess",
    "subprocess.getstatusoutput": "subprocess",
    "os.system": "subprocess",
    "os.popen": "subprocess",
    "os.waitpid": "subprocess",
    "urllib.request.urlopen": "network",
    "urllib.request.urlretrieve": "network",
    "socket.create_connection": "network",
    "socket.gethostbyname": "network",
    "socket.getaddrinfo": "network",
    "smtplib.SMTP": "network",
    "smtplib.SMTP_SSL": "network",
    "imaplib.IMAP4": "network",
    "imaplib.IMAP4_SSL": "network",
    "poplib.POP3": "network",
    "poplib.POP3_SSL": "network",
    "ftplib.FTP": "network",
    "ftplib.FTP_TLS": "network",
    # requests: only the calls that send a request. The rest of the package builds plain
    # data (CaseInsensitiveDict, Request, PreparedRequest, auth helpers, exceptions).
    **{
        f"{owner}.{verb}": "network"
        for owner in ("requests", "requests.api", "requests.Session", "requests.sessions.Session")
        for verb in ("get", "post", "put", "patch", "delete", "head", "options", "request")
    },
    "requests.Session.send": "network",
    "requests.sessions.Session.send": "network",
    "requests.adapters.HTTPAdapter.send": "network",
    "httpx.get": "network",
    "httpx.post": "network",
    "httpx.put": "network",
    "httpx.delete": "network",
    "httpx.request": "network",
    "psycopg2.connect": "network",
    "pymysql.connect": "network",
    "pyodbc.connect": "network",
    "sqlite3.connect": "sqlite",
    "PIL.ImageGrab.grab": "screen-capture",
    "ImageGrab.grab": "screen-capture",
    "pyautogui.screenshot": "screen-capture",
    # Renders another process's window into a bitmap: waits for that window to paint.
    "ctypes.windll.user32.PrintWindow": "screen-capture",
    "json.load": "file",
    "pickle.load": "file",
    "builtins.open": "file",
    # Work proportional to a file's or a folder tree's size, not a small config read.
    "shutil.copy": "file-bulk",
    "shutil.copy2": "file-bulk",
    "shutil.copyfile": "file-bulk",
    "shutil.copyfileobj": "file-bulk",
    "shutil.copytree": "file-bulk",
    "shutil.rmtree": "file-bulk",
    "shutil.move": "file-bulk",
    "shutil.make_archive": "file-bulk",
    "shutil.unpack_archive": "file-bulk",
    "shutil.disk_usage": "file-bulk",
    "os.walk": "file-bulk",
    "glob.glob": "file-bulk",
    "zipfile.ZipFile": "file-bulk",
    "tarfile.open": "file-bulk",
    "tarfile.TarFile": "file-bulk",
    "pathlib.Path.rglob": "file-bulk",
    "os.fsync": "file-bulk",
    # Waiting for another thread or process.
    "subprocess.Popen.wait": "subprocess",
    "subprocess.Popen.communicate": "subprocess",
    "threading.Thread.join": "thread-wait",
    "threading.Event.wait": "thread-wait",
    "threading.Condition.wait": "thread-wait",
    "threading.Barrier.wait": "thread-wait",
    "queue.Queue.get": "thread-wait",
    "queue.Queue.join": "thread-wait",
    "concurrent.futures.wait": "thread-wait",
    "concurrent.futures.Future.result": "thread-wait",
    # Waiting for the asyncio loop's thread: a stall on the GUI thread, but from a coroutine
    # on that loop it would deadlock, so code reaching it from the loop guards it (a
    # running-loop check); only the GUI set includes this kind.
    "asyncio.run_coroutine_threadsafe.result": "loop-wait",
    "multiprocessing.Process.join": "thread-wait",
    "watchdog.observers.Observer.join": "thread-wait",
    # Deliberately slow key derivation: tens to hundreds of ms of CPU per call.
    "hashlib.pbkdf2_hmac": "key-derivation",
    "hashlib.scrypt": "key-derivation",
    "bcrypt.hashpw": "key-derivation",
    "bcrypt.checkpw": "key-derivation",
    "bcrypt.kdf": "key-derivation",
}

# Methods whose name alone says what they do, whatever the receiver (`folder.rglob("*")`).
_BLOCKING_METHODS: dict[str, str] = {
    "rglob": "file-bulk",
    "storbinary": "network",
    "retrbinary": "network",
    "storlines": "network",
    "retrlines": "network",
    "sendmail": "network",
}

# Every call into these modules blocks (UI automation talks to other processes synchronously).
_BLOCKING_PREFIXES: dict[str, str] = {
    "uiautomation.": "ui-automation",
    "pywinauto.": "ui-automation",
    "pyautogui.": "ui-automation",
    "win32gui.": "ui-automation",
    "mss.": "screen-capture",
    # Sessions: every method of a connected client object does a network round trip.
    "smtplib.SMTP.": "network",
    "smtplib.SMTP_SSL.": "network",
    "imaplib.IMAP4.": "network",
    "imaplib.IMAP4_SSL.": "network",
    "poplib.POP3.": "network",
    "poplib.POP3_SSL.": "network",
    "ftplib.FTP.": "network",
    "ftplib.FTP_TLS.": "network",
    "paramiko.": "network",
    "sqlite3.Connection.": "sqlite",
    "zipfile.ZipFile.": "file-bulk",
    "tarfile.TarFile.": "file-bulk",
    "pyperclip.": "clipboard",
    "win32clipboard.": "clipboard",
}

# Calls under a blocking prefix that do not block (constructors of plain data, constants,
# setters that only store a value). An entry names one callable and every callable whose
# name continues it ("win32gui.GetWindow" covers GetWindowText and GetWindowRect), but not
# the methods of what it builds: "paramiko.SSHClient" (building the client) leaves
# "paramiko.SSHClient.connect" blocking. An entry ending in "." covers a whole namespace.
_NOT_BLOCKING = frozenset(
    {
        # Setters of a client object: they store a flag, the next command uses it.
        "ftplib.FTP.set_pasv",
        "ftplib.FTP.set_debuglevel",
        "ftplib.FTP_TLS.set_pasv",
        "ftplib.FTP_TLS.set_debuglevel",
        "smtplib.SMTP.set_debuglevel",
        "smtplib.SMTP_SSL.set_debuglevel",
        "poplib.POP3.set_debuglevel",
        "poplib.POP3_SSL.set_debuglevel",
        # The archive's directory is read when it is opened: listing it reads memory.
        "zipfile.ZipFile.namelist",
        "zipfile.ZipFile.infolist",
        "zipfile.ZipFile.getinfo",
        "zipfile.ZipFile.setpassword",
        "sqlite3.Connection.cursor",
        "sqlite3.Connection.create_function",
        "sqlite3.Connection.create_aggregate",
        "sqlite3.Connection.set_trace_callback",
        # GDI handle bookkeeping returns at once: releasing a DC is not waiting on a window.
        "win32gui.ReleaseDC",
        "win32gui.DeleteObject",
        "win32gui.DeleteDC",
        "win32gui.SelectObject",
        "win32gui.GetDC",
        "win32gui.GetWindowDC",
        "win32gui.CreateCompatibleDC",
        "win32ui.CreateDCFromHandle",
        # Single user32 calls on a window handle return in microseconds: showing, raising,
        # moving or reading a window's state is not waiting on the window's process.
        # Freeing an icon handle and walking the top-level window list stay in this
        # process too. (SendMessage, modal boxes and message pumps stay blocking.)
        "win32gui.DestroyIcon",
        "win32gui.EnumWindows",
        "win32gui.EnumChildWindows",
        "win32gui.ShowWindow",
        "win32gui.SetForegroundWindow",
        "win32gui.BringWindowToTop",
        "win32gui.SetActiveWindow",
        "win32gui.SetFocus",
        "win32gui.GetForegroundWindow",
        "win32gui.GetWindow",  # GetWindowText, GetWindowRect, GetWindowPlacement, ...
        "win32gui.GetClientRect",
        "win32gui.GetClassName",
        "win32gui.GetParent",
        "win32gui.GetDesktopWindow",
        "win32gui.GetCursorPos",
        "win32gui.FindWindow",
        "win32gui.WindowFromPoint",
        "win32gui.IsWindow",
        "win32gui.IsIconic",
        "win32gui.IsZoomed",
        "win32gui.ClientToScreen",
        "win32gui.ScreenToClient",
        "win32gui.MoveWindow",
        "win32gui.SetWindowPos",
        "win32gui.SetWindowPlacement",
        "win32gui.SetWindowLong",
        "win32gui.PostMessage",
        "uiautomation.SetGlobalSearchTimeout",
        "uiautomation.UIAutomationInitializerInThread",
        "pyautogui.size",
        "pyautogui.position",
        "pyautogui.onScreen",
        "paramiko.RSAKey",
        "paramiko.RSAKey.",
        "paramiko.AutoAddPolicy",
        "paramiko.WarningPolicy",
        "paramiko.RejectPolicy",
        "paramiko.SSHClient",
        "paramiko.SSHClient.set_missing_host_key_policy",
        "paramiko.ssh_exception.",
        "pywinauto.Application",
        "pywinauto.application.Application",
        "pywinauto.Desktop",
        "win32clipboard.CF_",
    }
)
# `auto.WindowControl(Name=...)` only records what to search for: the search runs when the
# control is first used (`.Exists()`, `.Click()`). `GetRootControl()` and friends query
# UI Automation at once.
_LAZY_CONTROL = re.compile(r"uiautomation\.(?!Get)\w*Control")
# Raising a library's error builds an object; it never waits on anything.
_EXCEPTION_CLASS = re.compile(r"[A-Z]\w*(?:Error|Exception|Warning)")


def _exempt(qualname: str) -> bool:
    """Whether `qualname`, under a blocking prefix, names a call that does not block."""
    _, _, last = qualname.rpartition(".")
    if _EXCEPTION_CLASS.fullmatch(last) or _LAZY_CONTROL.fullmatch(qualname):
        return True
    for entry in _NOT_BLOCKING:
        if qualname.startswith(entry) and (
            entry.endswith(".") or "." not in qualname[len(entry) :]
        ):
            return True
    return False


# What each consumer treats as blocking. Plain file I/O is left out of the async/GUI sets:
# small config reads are everywhere and a flood of them hides the real stalls; area 8's
# node rules judge file I/O in node code.
# Bulk file work (copies, tree walks, archives, fsync), waits on threads, key derivation and
# clipboard tools are in: each costs time proportional to data or to another thread's work.
BLOCKING_KINDS_ASYNC = frozenset(
    {
        "sleep",
        "network",
        "subprocess",
        "sqlite",
        "ui-automation",
        "screen-capture",
        "console",
        "file-bulk",
        "thread-wait",
        "key-derivation",
        "clipboard",
    }
)
# Bulk file work is left out of the GUI set: on the GUI thread it is almost always a one-off
# user action on a file the user picked (judged trivial on electrum's plugin dialog).
BLOCKING_KINDS_GUI = frozenset(
    {
        "sleep",
        "network",
        "subprocess",
        "ui-automation",
        "console",
        "thread-wait",
        "loop-wait",
        "key-derivation",
    }
)

# How long one call typically holds the thread. Most kinds are unbounded: they wait on a
# network peer, another process or thread, a timeout, or do work that grows with the data.
# A few calls are one round trip to the OS, the clipboard or the window manager: a few ms
# per call, a hitch rather than a freeze, so rules rank them MEDIUM at most and say so.
_MS_SCALE_KINDS = frozenset({"clipboard"})
# One small syscall filed under a costlier kind (`statvfs`/`GetDiskFreeSpaceEx`), and opening
# an SQLite file: the open is lazy, the first statement reads the file and waits on locks
# (the queries, `sqlite3.Connection.execute` and friends, stay unbounded).
_MS_SCALE_CALLS = frozenset({"shutil.disk_usage", "sqlite3.connect"})
# ... and calls of an ms-scale kind that wait for something to happen (a clipboard change).
_UNBOUNDED_CALLS = ("pyperclip.waitFor",)
MS_SCALE_NOTE = "a few ms per call, a short hitch rather than a freeze"
# `time.sleep(0.1)` in `for _ in range(3):` (CallSite guard "short-retry").
SHORT_RETRY_NOTE = "a short retry pause: under a second in all, a hitch rather than a freeze"

# Handing a URL or file to the desktop (the browser, the file manager, the default app): the
# call starts the opener and returns; a helper that calls one of these on one platform and
# runs `xdg-open`/`open`/`start` through subprocess on another is the same hand-off there.
_DESKTOP_OPENERS = frozenset(
    {"webbrowser.open", "webbrowser.open_new", "webbrowser.open_new_tab", "os.startfile"}
)
OPENER_NOTE = "it hands the target to the desktop opener, which returns within ms"


def is_desktop_opener(qualname: str) -> bool:
    """`webbrowser.open`, `os.startfile`, `QDesktopServices.openUrl` (any Qt binding)."""
    return qualname in _DESKTOP_OPENERS or qualname.endswith("QDesktopServices.openUrl")


def blocking_cost(kind: str, qualname: str = "") -> str:
    """How long one blocking call holds the thread: "ms" (a few ms) or "unbounded"."""
    if qualname in _MS_SCALE_CALLS:
        return "ms"
    if kind in _MS_SCALE_KINDS and not qualname.startswith(_UNBOUNDED_CALLS):
        return "ms"
    return "unbounded"


# Opening an archive to read one member (`tarfile.open(p).extractfile(name)`,
# `ZipFile(p).read(name)`): one small read, unlike extracting or writing the whole archive.
_ARCHIVE_OPENS = frozenset({"tarfile.open", "tarfile.TarFile", "zipfile.ZipFile"})
_MEMBER_READS = frozenset(
    {"extractfile", "getnames", "getmembers", "getmember", "namelist", "infolist", "getinfo"}
    | {"read", "open", "close", "__enter__", "__exit__"}
)
MEMBER_READ_NOTE = "it opens an archive to read one member, a short hitch unless it is huge"
# Whatever the receiver's type: unpacking or writing an archive (or any file) is not one read.
_BULK_METHODS = frozenset(
    {"extractall", "extract", "add", "addfile", "write", "writestr", "unpack_archive"}
)


def reads_one_member(project: ProjectModel, fn: FunctionInfo) -> bool:
    """Every archive call `fn` makes opens an archive or reads single members of it: no
    `extractall`, `add`, `write`."""
    opened = False
    for call in fn.calls:
        if call.target.rsplit(".", 1)[-1] in _BULK_METHODS:
            return False
        if call.awaited or project.call_blocking_kind(fn, call.target) != "file-bulk":
            continue
        typed = project.typed_target(fn, call.target)
        if typed in _ARCHIVE_OPENS or call.target in _ARCHIVE_OPENS:
            opened = True
        elif not (
            typed.startswith(("tarfile.TarFile.", "zipfile.ZipFile."))
            and typed.rsplit(".", 1)[-1] in _MEMBER_READS
        ):
            return False
    return opened


# Converting, importing or loading a whole document (`import_graph`, `load_workflow`,
# `_convert_ui_workflow`, `restore_session`) runs once per file the user opens. Not `parse`
# or `read`: `parse_message` and `read_packet` run per event.
_PER_LOAD = re.compile(r"^_*(?:convert|import|load|migrate|upgrade|restore)", re.I)


def is_loader(name: str) -> bool:
    """`import_graph`, `_load_file`, `convert_saved`: a function that loads one document."""
    return _PER_LOAD.match(name) is not None


# Coroutines that handle closing a tab, window or view run once per close, not per event.
_CLOSE_HANDLER = re.compile(r"(?:on_?)?close(?:_?event)?", re.I)


def is_close_handler(name: str) -> bool:
    """`onClose`, `on_close`, `closeEvent`, `close`: runs once when the user closes something."""
    return _CLOSE_HANDLER.fullmatch(name) is not None


KIND_ADVICE: dict[str, str] = {
    "sleep": "use `await asyncio.sleep(...)` (or a QTimer on the GUI thread)",
    "network": "use an async client (aiohttp/httpx.AsyncClient/aiosmtplib) or "
    "`await asyncio.to_thread(...)`",
    "subprocess": "use `asyncio.create_subprocess_exec` or `await asyncio.to_thread(...)`",
    "sqlite": "use aiosqlite or `await asyncio.to_thread(...)`",
    "ui-automation": "run the UI-automation call in a worker thread "
    "(`await asyncio.to_thread(...)`) with its own COM initialisation",
    "screen-capture": "capture in a worker thread (`await asyncio.to_thread(...)`)",
    "console": "never read the console on the event loop",
    "file": "use `await asyncio.to_thread(...)` or aiofiles",
    "file-bulk": "run the copy/walk/archive in a worker (`await asyncio.to_thread(...)`, or a "
    "QThreadPool task on the GUI thread)",
    "thread-wait": "await the other thread's result instead of blocking on it "
    "(`await asyncio.wrap_future(fut)`, `loop.run_in_executor`, a Qt signal on completion)",
    "loop-wait": "let the coroutine report back (a Qt signal or a done callback) instead of "
    "waiting for its result",
    "key-derivation": "derive keys in a worker thread (`await asyncio.to_thread(...)`) and "
    "cache the derived key",
    "clipboard": "use QClipboard on the GUI thread, or `await asyncio.to_thread(...)`",
    "lock": "use `asyncio.Lock` for state shared between coroutines, or keep the "
    "critical section tiny and never call it from a coroutine",
}


# Factories whose result is an object of a catalogued class: `conn = sqlite3.connect(p)` types
# `conn.execute` as `sqlite3.connect.execute`, which is `sqlite3.Connection.execute`.
_RETURNS = {"sqlite3.connect.": "sqlite3.Connection."}


# Asked for every call of every function on each pass over the project (CIA001/002/003...):
# the same few thousand names again and again, each through every prefix of the catalogue.
@lru_cache(maxsize=65536)
def blocking_kind(qualname: str) -> str | None:
    """How a call to `qualname` blocks the calling thread, or None if it does not."""
    for factory, cls in _RETURNS.items():
        if qualname.startswith(factory):
            qualname = cls + qualname[len(factory) :]
    kind = _BLOCKING_EXACT.get(qualname)
    if kind is not None:
        return kind
    for prefix, kind in _BLOCKING_PREFIXES.items():
        if qualname.startswith(prefix):
            return None if _exempt(qualname) else kind
    owner, _, method = qualname.rpartition(".")
    if owner and owner not in ("self", "cls"):
        return _BLOCKING_METHODS.get(method)
    return None


def dotted_name(expr: cst.CSTNode | None) -> str | None:
    """`self._queue.put` for a Name/Attribute chain, else None."""
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        base = dotted_name(expr.value)
        return f"{base}.{expr.attr.value}" if base is not None else None
    return None


def qualified_name(rule: Rule, node: cst.CSTNode) -> str | None:
    """The qualified name of a Name/Attribute (first one libcst metadata gives), else None.

    Needs `QualifiedNameProvider` in the rule's METADATA_DEPENDENCIES; resolution is the
    cheap import-table one from `analyzers.metadata`, so calling this per Call is fine.
    """
    try:
        found = rule.get_metadata(QualifiedNameProvider, node, set())
    except KeyError:
        return None
    for q in found:
        return q.name
    return None


def short_name(qualname: str) -> str:
    """`pkg.mod.Class.method` -> `Class.method`, `pkg.mod.func` -> `func` (for messages)."""
    parts = qualname.split(".")
    if len(parts) > 2 and parts[-2][:1].isupper():
        return ".".join(parts[-2:])
    return parts[-1]

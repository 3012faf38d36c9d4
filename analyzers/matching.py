"""Shared name-matching helpers for rules: dotted names, qualified names, blocking-call catalogue.

Rules match callees by *qualified* name, so `import time as t; t.sleep(1)` and
`from time import sleep; sleep(1)` both resolve to `time.sleep`. In a libcst rule use
`qualified_name(rule, node)` (the rule must list `QualifiedNameProvider` in
METADATA_DEPENDENCIES); the project model (ast based) resolves names with the same table.

`blocking_kind(qualname)` says whether a call blocks the calling thread and how
("sleep", "network", "subprocess", "file", "sqlite", "ui-automation", "screen-capture",
"console"); `BLOCKING_KINDS_*` name the sets the async and GUI rules care about.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst
from libcst.metadata import QualifiedNameProvider

if TYPE_CHECKING:
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
    "json.load": "file",
    "pickle.load": "file",
    "shutil.copy": "file",
    "shutil.copy2": "file",
    "shutil.copyfile": "file",
    "shutil.copytree": "file",
    "shutil.rmtree": "file",
    "shutil.move": "file",
    "os.walk": "file",
    "builtins.open": "file",
}

# Every call into these modules blocks (UI automation talks to other processes synchronously).
_BLOCKING_PREFIXES: dict[str, str] = {
    "requests.": "network",
    "uiautomation.": "ui-automation",
    "pywinauto.": "ui-automation",
    "pyautogui.": "ui-automation",
    "win32gui.": "ui-automation",
    "mss.": "screen-capture",
}

# Calls under a blocking prefix that do not block (constructors of plain data, constants).
_NOT_BLOCKING = frozenset(
    {
        "requests.exceptions",
        "requests.Session",
        "requests.adapters.HTTPAdapter",
        "requests.auth.HTTPBasicAuth",
        "uiautomation.SetGlobalSearchTimeout",
        "uiautomation.UIAutomationInitializerInThread",
        "pyautogui.size",
    }
)

# What each consumer treats as blocking. Plain file I/O is left out of the async/GUI sets:
# small config reads are everywhere and a flood of them hides the real stalls; area 8's
# node rules judge file I/O in node code.
BLOCKING_KINDS_ASYNC = frozenset(
    {"sleep", "network", "subprocess", "sqlite", "ui-automation", "screen-capture", "console"}
)
BLOCKING_KINDS_GUI = frozenset({"sleep", "network", "subprocess", "ui-automation", "console"})

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
    "lock": "use `asyncio.Lock` for state shared between coroutines, or keep the "
    "critical section tiny and never call it from a coroutine",
}


def blocking_kind(qualname: str) -> str | None:
    """How a call to `qualname` blocks the calling thread, or None if it does not."""
    kind = _BLOCKING_EXACT.get(qualname)
    if kind is not None:
        return kind
    for prefix, kind in _BLOCKING_PREFIXES.items():
        if qualname.startswith(prefix):
            if any(qualname.startswith(n) for n in _NOT_BLOCKING):
                return None
            return kind
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


def call_qualified_name(rule: Rule, call: cst.Call) -> str | None:
    return qualified_name(rule, call.func)


def last_part(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def short_name(qualname: str) -> str:
    """`pkg.mod.Class.method` -> `Class.method`, `pkg.mod.func` -> `func` (for messages)."""
    parts = qualname.split(".")
    if len(parts) > 2 and parts[-2][:1].isupper():
        return ".".join(parts[-2:])
    return parts[-1]

"""CIA203: a server, watcher or session stored on `self` that no method of the class ever closes."""

from __future__ import annotations

from collections.abc import Iterable

from analyzers.project import FunctionInfo
from analyzers.project_rule import ProjectRule
from analyzers.rule import Invalid, Valid
from analyzers.single_instance import made_once, runs_once_per_instance, runs_once_per_program

# Constructor (qualified name, or prefix ending in ".") -> what it opens.
_OPENERS: dict[str, str] = {
    "aiohttp.ClientSession": "HTTP session",
    "aiohttp.web.AppRunner": "web server",
    "aiohttp.web.TCPSite": "web server site",
    "asyncio.start_server": "TCP server",
    "websockets.serve": "websocket server",
    "websockets.connect": "websocket",
    "watchdog.observers.Observer": "filesystem watcher",
    "imaplib.IMAP4_SSL": "IMAP connection",
    "imaplib.IMAP4": "IMAP connection",
    "smtplib.SMTP": "SMTP connection",
    "smtplib.SMTP_SSL": "SMTP connection",
    "httpx.AsyncClient": "HTTP client",
    "httpx.Client": "HTTP client",
    "requests.Session": "HTTP session",
    "http.server.HTTPServer": "HTTP server",
    "http.server.ThreadingHTTPServer": "HTTP server",
    "uvicorn.Server": "web server",
    "apscheduler.schedulers.asyncio.AsyncIOScheduler": "scheduler",
    "apscheduler.schedulers.background.BackgroundScheduler": "scheduler",
    "PySide6.QtCore.QFileSystemWatcher": "filesystem watcher",
}
_CLOSERS = frozenset(
    {
        "close",
        "aclose",
        "stop",
        "cleanup",
        "shutdown",
        "logout",
        "quit",
        "join",
        "wait_closed",
        "unschedule_all",
        "__aexit__",
        "__exit__",
        "cancel",
        "server_close",
        "removePaths",
        "deleteLater",
    }
)


def _closes_local(fn: FunctionInfo) -> bool:
    """Whether teardown method `fn` calls a closer on a plain local name that it neither
    built (`c = Client()`), took as a parameter, nor loops over."""
    if fn.name.strip("_") not in _CLOSERS and fn.name.strip("_") not in ("disconnect", "dispose"):
        return False
    for call in fn.calls:
        head, _, verb = call.target.rpartition(".")
        if (
            verb in _CLOSERS
            and head
            and "." not in head
            and head not in ("self", "cls")
            and head not in fn.params
            and head not in fn.local_types
            and not call.in_loop
        ):
            return True
    return False


class OpenedWithoutClose(ProjectRule):
    """Every start/stop cycle leaks a socket, thread or file handle."""

    ID = "CIA203"
    AREA = 2
    TITLE = "Server, watcher or session opened but never closed"
    RATIONALE = (
        "The object is created and kept on `self`, but no method of the class closes, stops "
        "or cleans it up. Each enable/disable of the trigger (or each new instance) leaks "
        "its socket, watcher thread or connection, and the port or handle stays busy."
    )
    IMPACT = 4
    FREQUENCY = 2
    DIFFICULTY = 2
    RECOMMENDATION = (
        "Close it in the class's stop()/close() (and on the start() error path): "
        "`await self._runner.cleanup()`, `self._observer.stop(); self._observer.join()`, "
        "`await self._session.close()`; set the attribute to None afterwards."
    )
    EXAMPLE_BEFORE = (
        "async def start(self):\n    self._runner = web.AppRunner(app)\n"
        "    await self._runner.setup()\n\nasync def stop(self):\n    self._running = False"
    )
    EXAMPLE_AFTER = (
        "async def stop(self):\n    self._running = False\n    if self._runner:\n"
        "        await self._runner.cleanup()\n        self._runner = None"
    )
    TAGS = ("leak", "lifecycle")
    TRIGGERS = tuple(sorted({k.rsplit(".", 1)[-1] for k in _OPENERS}))
    VALID = (
        # close() takes the client off `self` first, then closes it through the local name.
        Valid(
            "import httpx\nclass Camera:\n"
            "    async def open(self):\n"
            "        if self._client is None:\n"
            "            self._client = httpx.AsyncClient()\n"
            "    async def close(self):\n"
            "        if self._client is not None:\n"
            "            c = self._client\n"
            "            self._client = None\n"
            "            await c.aclose()\n"
        ),
        # A Qt watcher made once per window, in the set-up its __init__ runs: it lives and
        # dies with the window; there is no start/stop cycle to leak it in.
        Valid(
            "from PySide6.QtCore import QFileSystemWatcher\n"
            "from PySide6.QtWidgets import QMainWindow\n"
            "class Editor(QMainWindow):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.init_ui()\n"
            "    def init_ui(self):\n"
            "        self.tree = self.create_tree_panel()\n"
            "    def create_tree_panel(self):\n"
            "        self.watcher = QFileSystemWatcher()\n"
            "        self.watcher.directoryChanged.connect(self.refresh)\n"
            "        return None\n"
            "    def refresh(self, path):\n"
            "        pass\n"
        ),
        Valid(
            "from watchdog.observers import Observer\nclass W:\n    def start(self):\n"
            "        self._observer = Observer()\n        self._observer.start()\n"
            "    def stop(self):\n        self._observer.stop()\n"
        ),
        # The session is handed in: its owner (`async with ClientSession()`) closes it.
        Valid(
            "import aiohttp\nclass RpcClient:\n"
            "    def __init__(self, session: aiohttp.ClientSession, url: str):\n"
            "        self.session = session\n        self.url = url\n"
            "    async def request(self, body):\n"
            "        return await self.session.post(self.url, json=body)\n"
        ),
        Valid(
            "import aiohttp\nasync def fetch(url):\n"
            "    async with aiohttp.ClientSession() as s:\n        return await s.get(url)\n"
        ),
        # Assigned through a property whose setter stores `self._session`; close() closes it.
        Valid(
            "import aiohttp\nclass RemoteApi:\n"
            "    @property\n    def session(self):\n        return self._session\n"
            "    @session.setter\n    def session(self, value):\n        self._session = value\n"
            "    async def connect(self):\n        self.session = aiohttp.ClientSession()\n"
            "    async def close(self):\n        await self._session.close()\n"
        ),
        # The site is created on the runner, and the runner's cleanup() stops every site on it.
        Valid(
            "from aiohttp import web\nclass Api:\n    async def start(self):\n"
            "        self._runner = web.AppRunner(self._app)\n        await self._runner.setup()\n"
            "        self._site = web.TCPSite(self._runner, 'localhost', 8080)\n"
            "        await self._site.start()\n"
            "    async def stop(self):\n        await self._runner.cleanup()\n"
        ),
        # Opened once per object, in `__init__`, and the class has no start/stop: no cycle
        # opens it again (it lives as long as its owner).
        Valid(
            "import requests\n"
            "class RoleChecker:\n"
            "    def __init__(self, token):\n"
            "        self.http = requests.Session()\n"
            "        self.http.headers['Authorization'] = token\n"
            "    def allowed(self, user):\n"
            "        return self.http.get(f'/members/{user}').ok\n"
            "class App:\n"
            "    def __init__(self, factory):\n"
            "        self.checkers = [factory() for _ in range(3)]\n"
            "        self.roles = RoleChecker('t')\n"
        ),
        # Made once (in the service's __init__, which main() runs once) and served once: no
        # start/stop cycle, the runner lives as long as the process.
        Valid(
            "import asyncio\nfrom aiohttp import web\n"
            "class RpcServer:\n"
            "    async def serve(self):\n"
            "        self._runner = web.AppRunner(web.Application())\n"
            "        await self._runner.setup()\n"
            "class Service:\n"
            "    def __init__(self):\n"
            "        self.rpc = RpcServer()\n"
            "        asyncio.ensure_future(self.rpc.serve())\n"
            "def main():\n"
            "    Service()\n"
        ),
    )
    INVALID = (
        Invalid(
            "from aiohttp import web\n"
            "class WebhookTrigger:\n"
            "    async def start(self):\n"
            "        self._runner = web.AppRunner(self._app)\n"
            "        await self._runner.setup()\n"
            "    async def stop(self):\n"
            "        self._running = False\n",
            line=4,
            message_contains="self._runner",
        ),
        # Made once, but a toggle serves again after each stop: each cycle leaks a runner.
        Invalid(
            "import asyncio\nfrom aiohttp import web\n"
            "class RpcServer:\n"
            "    async def serve(self):\n"
            "        self._runner = web.AppRunner(web.Application())\n"
            "        await self._runner.setup()\n"
            "class Service:\n"
            "    def __init__(self):\n"
            "        self.rpc = RpcServer()\n"
            "    def on_enabled(self, enabled):\n"
            "        if enabled:\n"
            "            asyncio.ensure_future(self.rpc.serve())\n"
            "def main():\n"
            "    Service()\n",
            line=5,
            message_contains="self._runner",
        ),
    )

    def check_project(self) -> None:
        project = self.project
        summary = project.by_path.get(self.context.relpath)
        if summary is None:
            return
        for klass in summary.classes:
            closed: set[str] = set()
            for name in klass.methods.values():
                fn = project.functions.get(name)
                if fn is None:
                    continue
                for call in fn.calls:
                    parts = call.target.split(".")
                    if len(parts) == 3 and parts[0] == "self" and parts[2] in _CLOSERS:
                        closed.add(parts[1])
                    # Handing it to a helper (`await close_all(self._session)`) counts too.
                    if call.target.rsplit(".", 1)[-1] in _CLOSERS or "close" in call.target:
                        closed.update(c[5:] for c in call.callables if c.startswith("self."))
            self._closed_with_owner(klass.methods.values(), klass.attr_types, closed)
            self._closed_through_alias(klass.methods.values(), klass.attr_types, closed)
            # `self.session = ClientSession()` through a property stores `self._session`:
            # closing the backing attribute closes what the property was given.
            closed.update(
                name for name in klass.methods if not name.startswith("_") and f"_{name}" in closed
            )
            for attr, ctor in klass.attr_types.items():
                what = _OPENERS.get(ctor)
                if what is None or attr in closed or attr in klass.injected:
                    continue  # closed here, or handed in by an owner that closes it
                line = klass.attr_lines.get(attr, klass.line)
                if self._opened_once(klass.qualname, line, ctor):
                    continue
                self.report_at(
                    line,
                    f"`self.{attr}` ({what}, `{ctor}`) is opened here but no method of "
                    f"{klass.name} closes or stops it: every start/stop cycle leaks it; "
                    "close it in stop() and on the start() error path.",
                    symbol=klass.qualname.removeprefix(klass.module + "."),
                )

    def _opened_once(self, cls: str, line: int, ctor: str = "") -> bool:
        """The program makes one instance of the class and opens the resource once on it
        (in `__init__`, or in a method only once-only code calls): there is no start/stop
        cycle to leak in, and the resource lives as long as the process. Anything made once
        per owner (in its `__init__` or set-up) goes with the owner: no cycle leaks it either."""
        fn = self.project.function_at(self.context.relpath, line)
        if fn is None:
            return False
        # Opened in `__init__` (or set-up only it runs): once per object, never again, so no
        # start/stop cycle re-creates it; a cycle needs a method that opens it anew.
        if runs_once_per_instance(self.project, fn):
            return True
        if made_once(self.project, cls) is None:
            return False
        return runs_once_per_program(self.project, fn)

    def _closed_through_alias(
        self, methods: Iterable[str], attr_types: dict[str, str], closed: set[str]
    ) -> None:
        """`c = self._client; self._client = None; await c.aclose()` in a close()/stop():
        a closer called on a local name the method did not build nor loop over closes the
        attribute it was taken from. Counted when exactly one opened attribute is left
        unclosed, so which one it closes is not in doubt."""
        left = [a for a, ctor in attr_types.items() if ctor in _OPENERS and a not in closed]
        if len(left) != 1:
            return
        for name in methods:
            fn = self.project.functions.get(name)
            if fn is not None and _closes_local(fn):
                closed.add(left[0])
                return

    def _closed_with_owner(
        self, methods: Iterable[str], attr_types: dict[str, str], closed: set[str]
    ) -> None:
        """Add to `closed` what goes with a closed owner: created from it
        (`web.TCPSite(self._runner, ...)`) or registered on it (`self._runner.add(self._site)`).
        Closing the runner, pool or container releases what it holds."""
        owned: list[tuple[str, str]] = []  # (owner attr, owned attr)
        for name in methods:
            fn = self.project.functions.get(name)
            if fn is None:
                continue
            for call in fn.calls:
                owners = [
                    c[5:] for c in call.callables if c.startswith("self.") and "." not in c[5:]
                ]
                created = [a for a, ctor in attr_types.items() if ctor == call.target]
                owned += [(o, a) for o in owners for a in created if o != a]
                parts = call.target.split(".")
                if len(parts) == 3 and parts[0] == "self":
                    owned += [(parts[1], o) for o in owners if o != parts[1]]
        changed = True
        while changed:
            changed = False
            for owner, attr in owned:
                if owner in closed and attr not in closed:
                    closed.add(attr)
                    changed = True

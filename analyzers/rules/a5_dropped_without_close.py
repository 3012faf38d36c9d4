"""CIA507: a page, browser, socket or process removed from its tracking dict and never closed."""

from __future__ import annotations

import re

from analyzers.project import FunctionInfo
from analyzers.project_rule import ProjectRule
from analyzers.rule import Invalid, Valid

# Containers whose values are live OS resources, whatever the module imports.
_RESOURCE_NAME = re.compile(
    r"(^|_)(sockets|websockets|processes|procs|subprocesses)$",
    re.I,
)
# "Pages", "drivers" and "contexts" are browser objects only next to a browser library:
# elsewhere they are a settings dialog's pages, device drivers or plain records (a dict of
# preference pages holding widget classes has nothing to close).
_BROWSER_NAME = re.compile(r"(^|_)(pages|browsers|browser_contexts|drivers)$", re.I)
_BROWSER_LIBS = ("playwright", "pyppeteer", "selenium", "undetected_chromedriver", "nodriver")
# ... or next to code that opens them (`await browser.new_page()`), whatever it imports.
_BROWSER_OPENERS = frozenset({"new_page", "new_context", "newPage", "launch_persistent_context"})
# "Observers" and "watchers" are most often callbacks (observer pattern: functions, handlers,
# flags), which have nothing to close; they are threads or OS watches only next to a library
# that makes them so.
_WATCHER_NAME = re.compile(r"(^|_)(watchers|observers)$", re.I)
_WATCHER_LIBS = ("watchdog", "pyinotify", "inotify", "inotify_simple", "asyncinotify")
# Connections are resources only next to a library that opens them.
_CONNECTION_NAME = re.compile(r"(^|_)(connections|conns|ws_clients)$", re.I)
_CONNECTION_LIBS = ("websockets", "socket", "aiohttp", "asyncpg", "psycopg", "paramiko")
_CLOSING = re.compile(
    r"(close|quit|logout|terminate|kill|release|cleanup|dispose|shutdown|stop|disconnect|"
    r"unroute)",
    re.I,
)


class DroppedWithoutClose(ProjectRule):
    """`del self.pages[name]` in `close_page()` forgets the page but leaves it open."""

    ID = "CIA507"
    AREA = 5
    TITLE = "Resource removed from its registry without being closed"
    RATIONALE = (
        "The method removes a page, browser, socket or process from the dict that tracks it, "
        "but nothing in that method closes it. Once forgotten, nobody can close it any more: "
        "the browser page, its renderer process and memory, or the socket stay open until "
        "the whole browser or process exits."
    )
    IMPACT = 5
    FREQUENCY = 4
    DIFFICULTY = 1
    RECOMMENDATION = (
        "Pop it and close it in the same place: `page = self.pages.pop(name, None)` then "
        "`await page.close()` (in `finally`/with suppression of close errors)."
    )
    EXAMPLE_BEFORE = "def close_page(self, name):\n    del self.pages[name]"
    EXAMPLE_AFTER = (
        "async def close_page(self, name):\n    page = self.pages.pop(name, None)\n"
        "    if page is not None:\n        await page.close()"
    )
    TAGS = ("resources", "leak")
    TRIGGERS = ("del self.", ".pop(")
    VALID = (
        Valid(
            "class Pages:\n    def __init__(self):\n        self.pages = {}\n"
            "    async def close_page(self, name):\n"
            "        page = self.pages.pop(name)\n        await page.close()\n"
        ),
        # Plain data named like a resource is not one (no connection library imported).
        Valid(
            "class Book:\n    def __init__(self):\n        self._connections = {}\n"
            "    def forget(self, key):\n        del self._connections[key]\n"
        ),
        # Observers of the observer pattern are callbacks: nothing to close.
        Valid(
            "class Notifier:\n    def __init__(self):\n        self.observers = {}\n"
            "    def add_observer(self, callback):\n        self.observers[callback] = True\n"
            "    def remove_observer(self, callback):\n"
            "        self.observers.pop(callback, None)\n"
        ),
        # A settings dialog's pages (widget classes and options, no browser library): a
        # record of what to build, nothing open to close.
        Valid(
            "class Preferences:\n    def __init__(self):\n        self.config_pages = {}\n"
            "    def register(self, plugin, page_class):\n"
            "        self.config_pages[plugin.NAME] = (page_class, plugin)\n"
            "    def deregister(self, plugin):\n        self.config_pages.pop(plugin.NAME)\n"
        ),
        # The popped object is handed on: its new owner closes it.
        Valid(
            "class Pool:\n    def __init__(self):\n        self._browsers = {}\n"
            "    def take(self, key):\n        return self._browsers.pop(key)\n"
        ),
    )
    INVALID = (
        Invalid(
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n"
            "    from playwright.async_api import Page\n"
            "class BrowserResources:\n"
            "    def __init__(self):\n"
            "        self.pages: dict[str, Page] = {}\n"
            "    def close_page(self, name):\n"
            "        if name in self.pages:\n"
            "            del self.pages[name]\n",
            line=9,
            message_contains="self.pages",
        ),
        Invalid(
            "import websockets\n"
            "class Hub:\n"
            "    def __init__(self):\n"
            "        self._connections = {}\n"
            "    def evict(self, robot_id):\n"
            "        self._connections.pop(robot_id, None)\n",
            line=6,
        ),
        Invalid(
            "from watchdog.observers import Observer\n"
            "class Folders:\n"
            "    def __init__(self):\n"
            "        self._observers = {}\n"
            "    def unwatch(self, path):\n"
            "        del self._observers[path]\n",
            line=6,
        ),
    )

    def check_project(self) -> None:
        summary = self.project.by_path.get(self.context.relpath)
        if summary is None:
            return
        libs = {v.split(".", 1)[0] for v in summary.imports.values()}
        connections_are_resources = any(lib in libs for lib in _CONNECTION_LIBS)
        watchers_are_resources = any(lib in libs for lib in _WATCHER_LIBS)
        functions = self.functions()
        browsers_are_resources = (
            any(lib in libs for lib in _BROWSER_LIBS)
            or any("WebEngine" in v for v in summary.imports.values())
            or any(
                c.target.rsplit(".", 1)[-1] in _BROWSER_OPENERS for f in functions for c in f.calls
            )
        )
        for klass in summary.classes:
            for attr, use in klass.containers.items():
                if not (
                    _RESOURCE_NAME.search(attr)
                    or (browsers_are_resources and _BROWSER_NAME.search(attr))
                    or (connections_are_resources and _CONNECTION_NAME.search(attr))
                    or (watchers_are_resources and _WATCHER_NAME.search(attr))
                ):
                    continue
                for line, how in use.removes:
                    if how not in ("pop", "del", "popitem"):
                        continue
                    fn = next(
                        (
                            f
                            for f in functions
                            if f.cls == klass.qualname and f.line <= line <= f.end_line
                        ),
                        None,
                    )
                    if fn is None or not self._forgets(fn, line, how):
                        continue
                    verb = "deletes" if how == "del" else "pops"
                    self.report_at(
                        line,
                        f"`{fn.name}` {verb} an entry of `self.{attr}` without closing it: the "
                        "resource stays open with nothing left to close it; close what you "
                        "remove.",
                    )
                    break

    @staticmethod
    def _forgets(fn: FunctionInfo, line: int, how: str) -> bool:
        """Removed here, the value not kept, and nothing in the method closes anything."""
        if how != "del":
            pops = [c for c in fn.calls if c.line == line and c.target.rsplit(".", 1)[-1] == how]
            if not pops or not pops[0].discarded:
                return False
        return not any(_CLOSING.search(c.target.rsplit(".", 1)[-1]) for c in fn.calls)

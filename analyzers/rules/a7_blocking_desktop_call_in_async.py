"""CIA701: UI Automation work called synchronously from a coroutine."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import body_nodes, call_name, import_map, is_awaited, source_of

# Sync methods of desktop-automation wrapper objects (element/window/context) that search the
# UI Automation tree, poll with sleeps, or run a private event loop per call.
_DESKTOP_SYNC_METHODS = frozenset(
    {
        "find_child",
        "find_children",
        "find_element",
        "find_window",
        "get_all_windows",
        "type_text",
        "launch_application",
        "close_application",
        "send_keys",
        "send_hotkey",
        "click_mouse",
        "move_mouse",
        "drag_mouse",
        "select_from_dropdown",
        "check_checkbox",
        "select_radio_button",
        "select_tab",
        "expand_tree_item",
        "scroll_element",
        "capture_screenshot",
        "capture_element_image",
        "ocr_extract_text",
        "wait_for_element",
        "wait_for_window",
        "element_exists",
        "verify_element_property",
        "maximize_window",
        "minimize_window",
        "restore_window",
        "resize_window",
        "move_window",
        # uiautomation's Control.SetFocus: re-finds the element (a tree search with sleeps)
        # when it is not bound yet, then a cross-process COM call into the target.
        "SetFocus",
    }
)
# ... of which these are one window-manager or property round trip on an element or window
# the caller already holds: moving, resizing or changing a window's state, reading one
# property, sending one key chord. A few ms per call through the sync wrapper (its thread
# hand-off included): MEDIUM at most. Searches, waits with timeouts, typing text (one
# interval per character), clicks (the libraries sleep after each), form interactions (they
# open lists and wait for them), captures and OCR stay unbounded.
_QUICK_DESKTOP_METHODS = frozenset(
    {
        "move_window",
        "resize_window",
        "maximize_window",
        "minimize_window",
        "restore_window",
        "verify_element_property",
        "send_hotkey",
        "move_mouse",
        # one focus request to a window or element already in hand (no search, no wait)
        "SetFocus",
        "set_focus",
    }
)
# A mouse move given a duration animates over it (sleeping per step): unbounded.
_ANIMATED = frozenset({"duration", "interval", "timeout", "wait", "wait_time", "waitTime"})
# One such call through a wrapper is a hitch, not a freeze: with the rule's frequency and
# difficulty it scores MEDIUM (2*10 + 4*5 - 4*2 = 32) and stays below the hot-path promotion.
_MS_IMPACT = 2
_METHOD_CALL = re.compile(r"\.(" + "|".join(sorted(_DESKTOP_SYNC_METHODS)) + r")\(")
# Not win32gui/win32api: those are single Win32 calls that return in microseconds.
_UIA_MODULES = ("uiautomation.", "pywinauto.", "pyautogui.")


def _quick(call: cst.Call) -> bool:
    """One quick round trip: a method of `_QUICK_DESKTOP_METHODS` that is not told to animate
    (`move_mouse(x, y)`, but not `move_mouse(x, y, duration)` or `move_mouse(x, y, duration=1)`)."""
    if call_name(call) not in _QUICK_DESKTOP_METHODS or not isinstance(call.func, cst.Attribute):
        return False
    if call_name(call) != "move_mouse":
        return True
    positional = [a for a in call.args if a.keyword is None and not a.star]
    named = {a.keyword.value for a in call.args if a.keyword is not None}
    return len(positional) <= 2 and not named & _ANIMATED and not any(a.star for a in call.args)


class BlockingDesktopCallInAsync(Rule):
    """The whole event loop (and with qasync, the UI) freezes while UIA searches."""

    ID = "CIA701"
    AREA = 7
    TITLE = "Blocking UI Automation call inside async code"
    RATIONALE = (
        "UI Automation searches walk the accessibility tree over COM and wait for elements "
        "with sleeps; a single `find_child` can take seconds. Called synchronously from an "
        "`async def` (a node's `execute`), it blocks the asyncio loop, which under qasync is "
        "also the Qt GUI loop: the canvas freezes and every other running node stalls."
    )
    IMPACT = 5
    FREQUENCY = 4
    DIFFICULTY = 4
    RECOMMENDATION = (
        "Await the async variant (`await ctx.async_find_window(...)`, the managers' "
        "`asyncio.to_thread`-based methods) or wrap the sync call: `await asyncio.to_thread("
        "window.find_child, selector, timeout)`. Keep COM apartment rules in mind: use one "
        "dedicated worker thread (initialized with CoInitialize) for all UIA calls."
    )
    EXAMPLE_BEFORE = """\
async def execute(self, context):
    element = window.find_child(selector, timeout=timeout)
"""
    EXAMPLE_AFTER = """\
async def execute(self, context):
    element = await asyncio.to_thread(window.find_child, selector, timeout)
"""
    TAGS = ("async", "blocking", "desktop")
    TRIGGERS = ("uiautomation", "pywinauto", "pyautogui", *_DESKTOP_SYNC_METHODS)
    VALID = (
        Valid(
            """\
            import asyncio
            async def execute(self, context):
                element = await asyncio.to_thread(window.find_child, selector, 5)
                text = await ctx.async_find_window("Notepad")
            """
        ),
        # A sync helper passed to to_thread: runs on a worker thread.
        Valid(
            """\
            import asyncio
            import uiautomation as auto
            async def find(self):
                def _search():
                    return auto.GetRootControl().GetChildren()
                return await asyncio.to_thread(_search)
            """
        ),
        Valid(
            """\
            def execute(self, context):
                return window.find_child(selector)
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            async def execute(self, context):
                window = self.get_input_value("window")
                element = window.find_child(selector, timeout=timeout)
                element.click()
            """,
            line=3,
            message_contains="window.find_child",
        ),
        Invalid(
            """\
            import uiautomation as ui
            async def scroll(self, x, y):
                ui.WheelDown(x, y, wheelTimes=3)
            """,
            line=3,
            message_contains="uiautomation.WheelDown",
        ),
        # The window handle calls next to it are quick; focusing through UIA is not.
        Invalid(
            """\
            import win32gui
            async def activate(self, window):
                window._control.SetFocus()
                win32gui.SetForegroundWindow(window.handle)
            """,
            line=3,
            message_contains="window._control.SetFocus",
        ),
        # Moving a window the node already holds: one round trip, a hitch (MEDIUM).
        Invalid(
            """\
            async def execute(self, context):
                ctx.move_window(self.window, 10, 10)
            """,
            line=2,
            message_contains="for a few ms per call",
        ),
        # A key chord next to typed text: the typing (one interval per character) keeps the
        # full rank, and the finding names it.
        Invalid(
            """\
            async def execute(self, context):
                ctx.send_hotkey("Ctrl", "a")
                ctx.send_keys(self.text, 0.05)
            """,
            line=2,
            message_contains="(and 1 more such call, among them `ctx.send_keys(...)`)",
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        # A desktop method called without `await` on its line, in a file with coroutines.
        if not super().wants(source) or "async def" not in source:
            return False
        if re.search(r"\b(uiautomation|pywinauto|pyautogui)\b", source):
            return True
        return any(
            "await" not in line and _METHOD_CALL.search(line) for line in source.splitlines()
        )

    def visit_Module(self, node: cst.Module) -> None:
        self._imports = import_map(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.asynchronous is None:
            return
        blocking: list[tuple[cst.Call, str]] = []
        for sub, ancestors in body_nodes(node):
            if not isinstance(sub, cst.Call) or is_awaited(ancestors):
                continue
            qualified = self._imports.qualify(sub.func) or ""
            if qualified.startswith(_UIA_MODULES):
                blocking.append((sub, qualified))
            elif (
                call_name(sub) in _DESKTOP_SYNC_METHODS
                and isinstance(sub.func, cst.Attribute)
                and not qualified
            ):
                blocking.append((sub, source_of(sub.func)))
        if not blocking:
            return
        first, name = blocking[0]
        slow = [label for call, label in blocking if not _quick(call)]
        others = len(blocking) - 1
        cost = (
            ""
            if slow
            else " for a few ms per call (one window or property round trip through a sync "
            "wrapper; longer only if the target window hangs): a short hitch, not a freeze"
        )
        # The first call is quick (a key chord) but a later one is not: name that one.
        which = f", among them `{slow[0]}(...)`" if slow and _quick(first) else ""
        self.report(
            first,
            f"`{name}(...)` blocks the event loop inside async {node.name.value}(){cost}"
            + (
                f" (and {others} more such call{'s' if others > 1 else ''}{which})"
                if others
                else ""
            )
            + ": await the async variant or run it via asyncio.to_thread.",
            impact=None if slow else _MS_IMPACT,
        )

"""CIA702: waiting for a UI element by searching and sleeping in a loop."""

from __future__ import annotations

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import body_nodes, call_name, enclosing_loop, import_map, source_of

# UI Automation / desktop lookups: the thing being polled for.
_LOOKUPS = frozenset(
    {
        "Exists",
        "GetChildren",
        "Control",
        "FindFirst",
        "FindAll",
        "find_child",
        "find_element",
        "find_window",
        "GetFocusedControl",
        "ControlFromPoint",
        "WindowControl",
        "element_exists",
    }
)
_SLEEPS = frozenset({"time.sleep", "asyncio.sleep"})


class SleepPollingForElement(Rule):
    """Fixed-interval polling re-walks the UIA tree every 100 ms until timeout."""

    ID = "CIA702"
    AREA = 7
    TITLE = "Element wait implemented as search + sleep polling"
    RATIONALE = (
        "Each iteration re-runs a full UI Automation search (a COM round trip per visited "
        "element) and then sleeps a fixed interval. The search cost is paid 10 times a "
        "second for the whole timeout, the sleep adds up to one interval of latency after "
        "the element appears, and with `time.sleep` the calling thread (often the event "
        "loop) is blocked the entire time."
    )
    IMPACT = 5
    FREQUENCY = 5
    DIFFICULTY = 4
    RECOMMENDATION = (
        "Let UIA wait: `control.Exists(maxSearchSeconds=timeout, searchIntervalSeconds=...)` "
        "or an automation event (StructureChanged/WindowOpened) instead of a Python loop; "
        "if polling is unavoidable, narrow the search root and depth, back off the interval "
        "(0.05 s doubling to 1 s), and run the loop off the event loop (`asyncio.to_thread`)."
    )
    EXAMPLE_BEFORE = """\
while time.time() - start < timeout:
    control = parent.Control(Name=name, searchDepth=10)
    if control.Exists(0, 0):
        return control
    time.sleep(0.1)
"""
    EXAMPLE_AFTER = """\
control = parent.Control(Name=name, searchDepth=3)
if control.Exists(maxSearchSeconds=timeout, searchIntervalSeconds=0.2):
    return control
"""
    TAGS = ("desktop", "polling", "blocking")
    TRIGGERS = ("sleep(",)
    VALID = (
        Valid(
            """\
            def find(parent, name, timeout):
                control = parent.Control(Name=name)
                return control if control.Exists(maxSearchSeconds=timeout) else None
            """
        ),
        # Sleeping in a loop without a UI lookup is some other polling.
        Valid(
            """\
            import time
            def wait_file(path):
                while not path.exists():
                    time.sleep(0.5)
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            import time
            def find_element(parent, name, timeout=5.0):
                start = time.time()
                while time.time() - start < timeout:
                    control = parent.Control(Name=name, searchDepth=10)
                    if control.Exists(0, 0):
                        return control
                    time.sleep(0.1)
            """,
            line=8,
            message_contains="time.sleep(0.1)",
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        return super().wants(source) and any(name in source for name in _LOOKUPS)

    def visit_Module(self, node: cst.Module) -> None:
        self._imports = import_map(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        for sub, ancestors in body_nodes(node):
            if not isinstance(sub, cst.Call) or self._imports.qualify(sub.func) not in _SLEEPS:
                continue
            loop = enclosing_loop(sub, ancestors)
            if loop is None:
                continue
            lookups = sorted(
                {
                    call_name(c)
                    for c, _ in body_nodes(loop)
                    if isinstance(c, cst.Call) and call_name(c) in _LOOKUPS
                }
            )
            if not lookups:
                continue
            self.report(
                sub,
                f"{node.name.value}() polls {', '.join(lookups)}() with `{source_of(sub)}` "
                f"in a loop: use UIA's own wait (Exists(maxSearchSeconds=...)) or an "
                f"automation event, or back off and run it off the event loop.",
            )
            return

"""CIA1004: metrics collection that walks every object on the heap."""

from __future__ import annotations

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import body_nodes, import_map

_SCANS = frozenset(
    {
        "gc.get_objects",
        "gc.get_referrers",
        "gc.get_referents",
        "tracemalloc.take_snapshot",
        "objgraph.count",
        "objgraph.most_common_types",
        "objgraph.show_growth",
    }
)


_DIAGNOSTIC_WORDS = (
    "debug",
    "dump",
    "leak",
    "snapshot",
    "diagnos",
    "count_objects",
    "census",
    "profil",
)


class FullHeapScan(Rule):
    """A stop-the-world walk of the heap disguised as a cheap metric."""

    ID = "CIA1004"
    AREA = 10
    TITLE = "Metrics sample walks the whole heap (gc.get_objects and friends)"
    RATIONALE = (
        "`gc.get_objects()` builds a list of every tracked object (hundreds of thousands in "
        "a Qt + Playwright process, tens of MB) while holding the GIL; sampled periodically "
        "it pauses every thread, the event loop and the UI for milliseconds to tens of "
        "milliseconds per sample, just to produce a count."
    )
    IMPACT = 6
    FREQUENCY = 4
    DIFFICULTY = 1
    RECOMMENDATION = (
        "Use the O(1) counters instead: `sum(gc.get_count())`, `gc.get_stats()`, process "
        "RSS from psutil; keep full object scans behind an explicit debug action, never on "
        "the sampling timer."
    )
    EXAMPLE_BEFORE = 'metrics["gc_objects"] = len(gc.get_objects())\n'
    EXAMPLE_AFTER = 'metrics["gc_tracked"] = sum(gc.get_count())\n'
    TAGS = ("metrics", "cpu", "gil")
    TRIGGERS = ("gc.", "import gc", "tracemalloc", "objgraph")
    VALID = (
        Valid(
            """\
            import gc
            def sample(metrics):
                metrics["gc"] = sum(gc.get_count())
            """
        ),
        Valid(
            """\
            import gc
            def debug_dump_leaks():
                return gc.get_objects()
            """
        ),
        # A leak finder run on request walks the heap by design.
        Valid(
            """\
            import gc
            def count_objects_in_memory(classes):
                found = {}
                for obj in gc.get_objects():
                    if type(obj) in classes:
                        found.setdefault(type(obj), []).append(obj)
                return found
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            import gc
            def _sample_system_metrics(self):
                metrics = {}
                metrics["gc_objects"] = len(gc.get_objects())
                return metrics
            """,
            line=4,
            message_contains="gc.get_objects",
        ),
    )

    def visit_Module(self, node: cst.Module) -> None:
        self._imports = import_map(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        # Diagnostic helpers (a leak finder, an object census) walk the heap on request;
        # that is their job, not a per-sample cost.
        name = node.name.value.lower()
        if any(word in name for word in _DIAGNOSTIC_WORDS):
            return
        if any(word in self.context.relpath.lower() for word in _DIAGNOSTIC_WORDS):
            return
        for sub, _ in body_nodes(node):
            if isinstance(sub, cst.Call) and (q := self._imports.qualify(sub.func)) in _SCANS:
                self.report(
                    sub,
                    f"`{q}()` in {node.name.value}() walks every object on the heap under "
                    f"the GIL each time it runs: use gc.get_count()/gc.get_stats() or RSS.",
                )
                return

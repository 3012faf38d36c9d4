"""The live panels fed by agent records: event bus, repaint, pools, event loop, memory.

Each is a `LivePanelView` with its tables declared; the numbers come from
`inspector.core.live_metrics` summaries for the selected time range.
"""

from __future__ import annotations

from typing import Any

from inspector.gui.panels.base import LivePanelView
from inspector.gui.panels.rows_table import Column, TableSpec, fmt_int, fmt_ms, fmt_rate


def _where(row: dict[str, Any]) -> str:
    return f"{row.get('file', '')}:{row.get('line', '')}" if row.get("file") else ""


class EventBusPanelView(LivePanelView):
    """Event rate by type, handler latency p50/p95, slowest handlers, subscribers."""

    name = "event_bus"
    title = "Event bus"
    tables = (
        TableSpec(
            "Event types",
            "types",
            (
                Column("Event type", "event", width=200),
                Column("Count", "count", fmt_int, 70),
                Column("Rate /s", "rate", fmt_rate, 70),
                Column("Subscribers", "subscribers", fmt_int, 80),
                Column("Handler p50 ms", "p50_ms", fmt_ms, 100),
                Column("Handler p95 ms", "p95_ms", fmt_ms, 100),
            ),
        ),
        TableSpec(
            "Slowest handlers (by p95)",
            "handlers",
            (
                Column("Handler", "handler", width=230),
                Column("Event", "event", width=140),
                Column("Calls", "count", fmt_int, 60),
                Column("p50 ms", "p50_ms", fmt_ms, 60),
                Column("p95 ms", "p95_ms", fmt_ms, 60),
                Column("Max ms", "max_ms", fmt_ms, 60),
                Column("Errors", "errors", fmt_int, 50),
                Column("Where", _where, width=200),
            ),
        ),
    )

    def headline(self, summary: dict[str, Any]) -> str:
        types = summary.get("types", [])
        total = sum(r["count"] for r in types)
        span = summary.get("span_s", 1.0) or 1.0
        worst = summary.get("handlers", [{}])[0] if summary.get("handlers") else {}
        text = (
            f"<b>{total:,}</b> events in {span:.0f} s (<b>{total / span:.1f}</b>/s), "
            f"{len(types)} types"
        )
        if worst:
            text += (
                f" · slowest handler p95 <b>{worst.get('p95_ms', 0):.1f} ms</b>"
                f" ({worst.get('handler', '')})"
            )
        return text


class RepaintPanelView(LivePanelView):
    """Paints per second and paint time by widget; the canvas's frame time."""

    name = "repaint"
    title = "Repaint"
    tables = (
        TableSpec(
            "Widgets",
            "widgets",
            (
                Column("Widget", "widget", width=200),
                Column("Object", "object_name", width=120),
                Column("Canvas", lambda r: "yes" if r.get("is_canvas") else "", width=55),
                Column("Paints", "paints", fmt_int, 70),
                Column("Paints/s", "paints_per_s", fmt_rate, 70),
                Column("update()", "update_requests", fmt_int, 70),
                Column("Full", "full_updates", fmt_int, 55),
                Column("p50 ms", "p50_ms", fmt_ms, 60),
                Column("p95 ms", "p95_ms", fmt_ms, 60),
                Column("Max ms", "max_ms", fmt_ms, 60),
            ),
        ),
    )

    def headline(self, summary: dict[str, Any]) -> str:
        canvas = [r for r in summary.get("widgets", []) if r.get("is_canvas")]
        paints = sum(r["paints"] for r in summary.get("widgets", []))
        text = f"<b>{paints:,}</b> paints across {len(summary.get('widgets', []))} widgets"
        if canvas:
            c = canvas[0]
            budget = "over" if c["p95_ms"] > 16.7 else "within"
            text += (
                f" · canvas frame p95 <b>{c['p95_ms']:.1f} ms</b> ({budget} the 16.7 ms budget),"
                f" {c['paints_per_s']:.1f} paints/s"
            )
        return text


class PoolsPanelView(LivePanelView):
    """Connections in use / idle / waiters per pool, acquire waits and leak suspects."""

    name = "pools"
    title = "Pools"
    tables = (
        TableSpec(
            "Pools",
            "pools",
            (
                Column("Pool", "pool", width=200),
                Column("Id", "pool_id", width=60),
                Column("Size", "size", fmt_int, 50),
                Column("In use", "in_use", fmt_int, 55),
                Column("Idle", "idle", fmt_int, 50),
                Column("Waiters max", "max_waiters", fmt_int, 80),
                Column("Acquires", "acquires", fmt_int, 70),
                Column("Wait p95 ms", "wait_p95_ms", fmt_ms, 85),
                Column("Leaks", "leaks", fmt_int, 50),
            ),
        ),
        TableSpec(
            "Leak suspects (held longest)",
            "leaks",
            (
                Column("Pool", "pool", width=180),
                Column("Held s", "held_s", fmt_ms, 60),
                Column("Acquired at", lambda r: (r.get("stack") or [""])[-1], width=260),
            ),
            detail_key="stack",
            empty_text="none: no connection was held longer than the profile's leak_s",
        ),
    )

    def headline(self, summary: dict[str, Any]) -> str:
        pools = summary.get("pools", [])
        leaks = summary.get("leaks", [])
        waiting = max((p.get("max_waiters", 0) for p in pools), default=0)
        return (
            f"<b>{len(pools)}</b> pools · peak waiters <b>{waiting}</b> · "
            f"<b>{len(leaks)}</b> leak suspects"
        )


class EventLoopPanelView(LivePanelView):
    """Event-loop lag, and the stretches it was blocked with what blocked it."""

    name = "event_loop"
    title = "Event loop"
    tables = (
        TableSpec(
            "Blocked stretches (slow callbacks, longest first)",
            "slow_callbacks",
            (
                Column("ms", "duration_ms", fmt_ms, 60),
                Column("Callable", "callable", width=260),
                Column("Where", _where, width=240),
                Column("Source", "source", width=70),
                Column("Task", "task", width=120),
            ),
            detail_key="stack",
        ),
        TableSpec(
            "Hazards (nested loops, wrong thread)",
            "hazards",
            (
                Column("Hazard", "hazard", width=110),
                Column("Detail", "detail", width=300),
            ),
            detail_key="stack",
            empty_text="none seen: no nested event loop, no Qt call from a wrong thread",
        ),
    )

    def headline(self, summary: dict[str, Any]) -> str:
        loops = ", ".join(summary.get("loops", [])) or "loop"
        return (
            f"{loops} lag p50 <b>{summary.get('lag_p50_ms', 0):.1f} ms</b>, "
            f"p95 <b>{summary.get('lag_p95_ms', 0):.1f} ms</b>, max "
            f"<b>{summary.get('lag_max_ms', 0):.1f} ms</b> · "
            f"{len(summary.get('slow_callbacks', []))} blocked stretches · "
            f"{len(summary.get('hazards', []))} hazards"
        )


class MemoryPanelView(LivePanelView):
    """RSS over time, GC pauses, and the tracked containers' sizes and growth."""

    name = "memory"
    title = "Memory"
    tables = (
        TableSpec(
            "Tracked containers (growth in range)",
            "containers",
            (
                Column("Container", "name", width=260),
                Column("Length", "len", fmt_int, 80),
                Column("Growth", "growth", fmt_int, 80),
            ),
        ),
        TableSpec(
            "tracemalloc top (latest snapshot)",
            "tracemalloc",
            (
                Column("Where", _where, width=260),
                Column("Size diff", "size_diff", fmt_int, 90),
                Column("Count diff", "count_diff", fmt_int, 80),
            ),
            empty_text="no tracemalloc snapshot: the agent's tracemalloc probe is off "
            "(it slows the target; `casare-inspector record --tracemalloc` turns it on)",
        ),
    )

    def headline(self, summary: dict[str, Any]) -> str:
        if "rss_mb" not in summary:
            return ""
        gc = summary.get("gc_counts") or []
        return (
            f"RSS <b>{summary['rss_mb']:.0f} MB</b>"
            f" ({summary.get('rss_growth_mb', 0):+.1f} MB in range)"
            f" · GC pause p95 <b>{summary.get('gc_pause_p95_ms', 0):.1f} ms</b>, max "
            f"{summary.get('gc_pause_max_ms', 0):.1f} ms · gc counts {gc}"
        )

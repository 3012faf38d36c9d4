"""The live panels fed by agent records: event bus, repaint, pools, event loop, memory.

Each is a `LivePanelView` with its tables declared; the numbers come from
`inspector.core.live_metrics` summaries for the selected time range.
"""

from __future__ import annotations

import html
from typing import Any

from inspector.gui.panels.base import LivePanelView
from inspector.gui.panels.pool_sweep import PoolSweepView
from inspector.gui.panels.rows_table import (
    Column,
    TableSpec,
    duration_text,
    fmt_duration,
    fmt_int,
    fmt_rate,
)

VIEWPORT_PAINT_TARGET = 60.0  # paints/s: the canvas viewport's target, not any other widget's


def _where(row: dict[str, Any]) -> str:
    if row.get("file"):
        place = f"{row.get('file', '')}:{row.get('line', '')}"
        return f"{place} ({row['where']})" if row.get("where") else place
    return str(row.get("where") or "-")


def _knee_text(sweep: dict[str, Any]) -> str:
    name = html.escape(str(sweep.get("pool", "?")))
    knee = sweep.get("knee")
    if knee is None:
        return f"{name} no knee"
    if sweep.get("size") and float(knee) >= max(sweep["size"]):
        # throughput still rising at the largest size tried: the real knee lies beyond
        return f"{name} knee at {knee}, the largest size tried (widen the sweep)"
    return f"{name} knee at {knee}"


def _split_by_driver(rows: list[dict[str, Any]], what: str) -> str:
    ours = sum(1 for r in rows if str(r.get("source") or "app") != "app")
    if not ours:
        return f"{len(rows)} {what}"
    return f"{len(rows)} {what} ({len(rows) - ours} the app's, {ours} while our workloads ran)"


def _short_tail(name: Any, parts: int = 2) -> str:
    return ".".join(str(name or "?").split(".")[-parts:])


def _short_class(name: Any) -> str:
    return str(name or "?").rsplit(".", 1)[-1]


def _origin(row: dict[str, Any]) -> str:
    source = str(row.get("source") or "app")
    return "app" if source == "app" else source.removeprefix("workload:")


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
                Column("Handler p50", "p50_ms", fmt_duration, 90),
                Column("Handler p95", "p95_ms", fmt_duration, 90),
            ),
        ),
        TableSpec(
            "Slowest handlers (by p95)",
            "handlers",
            (
                Column("Handler", "handler", width=230),
                Column("Event", "event", width=140),
                Column("Calls", "count", fmt_int, 60),
                Column("p50", "p50_ms", fmt_duration, 70),
                Column("p95", "p95_ms", fmt_duration, 70),
                Column("Max", "max_ms", fmt_duration, 70),
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
        ours = int(summary.get("workload_events", 0) or 0)
        if total == 0:
            return (
                f"<b>no events</b> published in {span:.0f} s; {len(types)} event types have "
                "subscribers (below)"
            )
        text = (
            f"<b>{total:,}</b> events in {span:.0f} s (<b>{total / span:.1f}</b>/s), "
            f"{len(types)} types"
        )
        if ours:
            # figures from our own workloads' traffic are never the app's
            text += f" · <b>{ours:,}</b> of them published while our workloads drove the app"
        if worst and worst.get("p95_ms") is not None:
            text += (
                f" · slowest handler p95 <b>{duration_text(worst['p95_ms'])}</b>"
                f" ({html.escape(_short_tail(worst.get('handler', '')))})"
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
                Column("Paint p50", "p50_ms", fmt_duration, 75),
                Column("Paint p95", "p95_ms", fmt_duration, 75),
                Column("Paint max", "max_ms", fmt_duration, 75),
            ),
            empty_text="no widget painted in this range",
        ),
    )

    def headline(self, summary: dict[str, Any]) -> str:
        widgets = summary.get("widgets", [])
        if not widgets:
            return ""
        canvas = [r for r in widgets if r.get("is_canvas")]
        parts = []
        if canvas:
            c = canvas[0]
            rate = c["paints_per_s"]
            # the <= 60/s target is the viewport's: other widgets' paints are not frames
            verdict = "over" if rate > VIEWPORT_PAINT_TARGET else "within"
            parts.append(
                f"viewport <b>{html.escape(str(c['widget']))}</b> "
                f"<b>{rate:.1f}</b> paints/s ({verdict} the &lt;= "
                f"{VIEWPORT_PAINT_TARGET:.0f}/s target)"
            )
            if c.get("p95_ms") is not None:
                budget = "over" if c["p95_ms"] > 16.7 else "within"
                parts.append(
                    f"frame p95 <b>{duration_text(c['p95_ms'])}</b> ({budget} the 16.7 ms budget)"
                )
        else:
            parts.append("no canvas viewport among the painted widgets")
        others = sorted(
            (r for r in widgets if not r.get("is_canvas")), key=lambda r: -r["paints_per_s"]
        )
        if others:
            top = others[0]
            parts.append(
                f"busiest other widget {html.escape(_short_class(top['widget']))} "
                f"{top['paints_per_s']:.1f} paints/s (per widget; see the table)"
            )
        return " · ".join(parts)


class PoolsPanelView(LivePanelView):
    """Connections in use / idle / waiters per pool, acquire waits and leak suspects."""

    name = "pools"
    title = "Pools"
    tables = (
        TableSpec(
            "Pools",
            "pools",
            (
                Column("Pool", lambda r: _short_class(r.get("pool")), width=150),
                Column("Driven by", _origin, width=90),
                Column("Id", lambda r: str(r.get("pool_id") or "-")[-6:], width=60),
                Column("Size", "size", fmt_int, 45),
                Column("In use", "in_use", fmt_int, 50),
                Column("Idle", "idle", fmt_int, 45),
                Column("Waiters max", "max_waiters", fmt_int, 75),
                Column("Acquires", "acquires", fmt_int, 65),
                Column("Wait p95", "wait_p95_ms", fmt_duration, 75),
                Column("Leaks", "leaks", fmt_int, 45),
            ),
        ),
        TableSpec(
            "Leak suspects (held longest)",
            "leaks",
            (
                Column("Pool", lambda r: _short_class(r.get("pool")), width=150),
                Column("Held", lambda r: r["held_s"] * 1000.0, fmt_duration, 70),
                Column("Acquired at", lambda r: (r.get("stack") or [""])[-1], width=260),
            ),
            detail_key="stack",
            empty_text="none: no connection was held longer than the profile's leak_s",
        ),
    )

    def extra_top(self, layout: Any) -> None:
        self.sweep_view = PoolSweepView()
        layout.addWidget(self.sweep_view, 1)

    def apply_summary(self, summary: dict[str, Any]) -> None:
        super().apply_summary(summary)
        self.sweep_view.set_sweeps(summary.get("sweeps") or [])

    def headline(self, summary: dict[str, Any]) -> str:
        pools = summary.get("pools", [])
        app = [p for p in pools if str(p.get("source") or "app") == "app"]
        leaks = summary.get("leaks", [])
        acquires = sum(int(p.get("acquires") or 0) for p in app)
        if not app:
            text = "no pool of the app's own was seen"
        elif acquires == 0:
            text = f"<b>{len(app)}</b> app pools, <b>no acquires from the app</b> in this range"
        else:
            waiting = max((p.get("max_waiters", 0) for p in app), default=0)
            text = (
                f"<b>{len(app)}</b> app pools · <b>{acquires:,}</b> acquires from the app · "
                f"peak waiters <b>{waiting}</b>"
            )
        text += f" · <b>{len(leaks)}</b> leak suspects"
        sweeps = summary.get("sweeps") or []
        if sweeps:
            knees = ", ".join(_knee_text(s) for s in sweeps)
            text += f" · pools workload sweep (our load, not the app's): {knees}"
        return text


class EventLoopPanelView(LivePanelView):
    """Event-loop lag, and the stretches it was blocked with what blocked it."""

    name = "event_loop"
    title = "Event loop"
    tables = (
        TableSpec(
            "Blocked stretches (slow callbacks, longest first)",
            "slow_callbacks",
            (
                Column("Blocked", "duration_ms", fmt_duration, 65),
                Column("Callable", "callable", width=190),
                Column("Where", _where, width=200),
                Column("Origin", "origin", width=60),
                Column("Driven by", _origin, width=120),
                Column("Task", "task", width=70),
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
            f"{loops} lag p50 <b>{duration_text(summary.get('lag_p50_ms', 0))}</b>, "
            f"p95 <b>{duration_text(summary.get('lag_p95_ms', 0))}</b>, max "
            f"<b>{duration_text(summary.get('lag_max_ms', 0))}</b> · "
            f"{_split_by_driver(summary.get('slow_callbacks', []), 'blocked stretches')} · "
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
                Column("Container", "name", width=200),
                Column("Length", "len", fmt_int, 65),
                Column("Growth", "growth", fmt_int, 65),
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
        collections = (
            "collections in range " + " / ".join(f"gen{i} {n:,}" for i, n in enumerate(gc))
            if gc
            else "no collection counts reported"
        )
        pauses = summary.get("gc_pauses", 0)
        pause_text = (
            f"{pauses:,} GC pauses, p95 <b>{duration_text(summary.get('gc_pause_p95_ms', 0))}"
            f"</b>, max {duration_text(summary.get('gc_pause_max_ms', 0))}"
            if pauses
            else "no GC pause timed"
        )
        return (
            f"RSS <b>{summary['rss_mb']:.0f} MB</b>"
            f" ({summary.get('rss_growth_mb', 0):+.1f} MB in range)"
            f" · {pause_text} · {collections}"
        )

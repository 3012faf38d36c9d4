"""Live metrics for the inspector's panels: bounded buffers fed from session records.

The window never plots straight from the wire. A `SessionFollower` thread reads new records
from the session (`session.records(after_id=...)`), and `LiveMetrics` folds them into:

* binned series (one bin per `bin_s` seconds, at most `max_bins` per series, oldest evicted),
  which the plots draw; counts become rates, durations keep their mean and max per bin;
* bounded per-kind record windows (at most `max_records_per_kind` each), from which the
  panels' tables are summarised for any time range (`summary(panel, since, until)`).

Live and reopened sessions go through exactly this path, so a reopened session looks the same
as it did live. Everything here is Qt-free and thread-safe behind one lock.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from inspector.core.session import Session, SessionError
from inspector.core.stats import percentile

PANELS = ("event_bus", "repaint", "pools", "event_loop", "cpu", "memory")
"""The live panels, by name; the GUI has one view per name."""

PANEL_KINDS: Mapping[str, tuple[str, ...]] = {
    "event_bus": ("bus", "handler"),
    "repaint": ("repaint",),
    "pools": ("pool", "pool_leak"),
    "event_loop": ("loop_lag", "slow_callback", "hazard"),
    "cpu": (),
    "memory": ("memory", "tracemalloc"),
}
"""Which record kinds feed which panel (CPU is fed from py-spy samples, not records)."""

MAX_KEYS_PER_FAMILY = 48
"""Series keys beyond this per family (event types, widgets, pools) fold into "(other)", so a
target that invents a new event name per message cannot grow the inspector without bound."""


@dataclass(frozen=True)
class TimeRange:
    """A selected stretch of session time (epoch seconds); None on a side means open."""

    since: float | None = None
    until: float | None = None

    def contains(self, t: float) -> bool:
        return (self.since is None or t >= self.since) and (self.until is None or t <= self.until)

    @property
    def is_all(self) -> bool:
        return self.since is None and self.until is None

    def label(self, t0: float | None) -> str:
        if self.is_all:
            return "whole session"
        base = t0 or 0.0
        lo = "start" if self.since is None else f"{self.since - base:.1f} s"
        hi = "now" if self.until is None else f"{self.until - base:.1f} s"
        return f"{lo} .. {hi}"


class TimeRangeModel:
    """The one shared time-range selection: every panel reads it, any panel may set it.

    Observers are plain callables (the GUI adapts them to signals); setting the same range
    again notifies nobody, which stops panels echoing each other's region moves forever.
    """

    def __init__(self) -> None:
        self._range = TimeRange()
        self._observers: list[Callable[[TimeRange], None]] = []

    @property
    def range(self) -> TimeRange:
        return self._range

    def subscribe(self, observer: Callable[[TimeRange], None]) -> None:
        self._observers.append(observer)

    def unsubscribe(self, observer: Callable[[TimeRange], None]) -> None:
        if observer in self._observers:
            self._observers.remove(observer)

    def set_range(self, since: float | None, until: float | None) -> None:
        if since is not None and until is not None and since > until:
            since, until = until, since
        new = TimeRange(since, until)
        if new == self._range:
            return
        self._range = new
        for observer in list(self._observers):
            observer(new)

    def clear(self) -> None:
        self.set_range(None, None)


class BinnedSeries:
    """One series in fixed-width time bins: per bin a sum, a count, a max and a last value.

    At most `max_bins` bins are kept; a new bin beyond that evicts the oldest, so memory is
    fixed whatever the record rate or session length.
    """

    __slots__ = ("_bins", "bin_s", "max_bins", "total")

    def __init__(self, bin_s: float, max_bins: int) -> None:
        self.bin_s = bin_s
        self.max_bins = max_bins
        self.total = 0.0  # over everything ever added, to pick the keys worth drawing
        # bin index -> [sum, count, max, last]
        self._bins: dict[int, list[float]] = {}

    def add(self, t: float, value: float, weight: float = 1.0, peak: float | None = None) -> None:
        idx = int(t // self.bin_s)
        cell = self._bins.get(idx)
        if cell is None:
            if len(self._bins) >= self.max_bins:
                oldest = min(self._bins)  # once per new bin, over at most max_bins keys
                if idx < oldest:
                    return  # older than everything kept: it would be evicted at once
                del self._bins[oldest]
            self._bins[idx] = cell = [0.0, 0.0, -math.inf, 0.0]
        cell[0] += value
        cell[1] += weight
        self.total += abs(value)
        top = value if peak is None else peak
        if top > cell[2]:
            cell[2] = top
        cell[3] = value

    def __len__(self) -> int:
        return len(self._bins)

    def points(self, stat: str) -> tuple[list[float], list[float]]:
        """(bin start times, values) sorted by time; stat is rate|sum|mean|max|last."""
        xs: list[float] = []
        ys: list[float] = []
        for idx in sorted(self._bins):
            total, count, top, last = self._bins[idx]
            if stat == "rate":
                y = total / self.bin_s
            elif stat == "sum":
                y = total
            elif stat == "mean":
                y = total / count if count else 0.0
            elif stat == "max":
                y = top if top != -math.inf else 0.0
            else:
                y = last
            xs.append(idx * self.bin_s)
            ys.append(y)
        return xs, ys


@dataclass(frozen=True)
class SeriesSpec:
    """How one plotted family is drawn: its title, unit and which statistic of the bins."""

    family: str
    title: str
    unit: str
    stat: str


PANEL_SERIES: Mapping[str, tuple[SeriesSpec, ...]] = {
    "event_bus": (
        SeriesSpec("bus.events", "Events published per second, by type", "events/s", "rate"),
        SeriesSpec("handler.ms", "Handler latency (max per second)", "ms", "max"),
    ),
    "repaint": (
        SeriesSpec("repaint.paints", "Paints per second, by widget", "paints/s", "rate"),
        SeriesSpec("repaint.canvas_ms", "Canvas frame time (mean and max)", "ms", "max"),
    ),
    "pools": (
        SeriesSpec("pool.in_use", "Connections in use, by pool", "conns", "last"),
        SeriesSpec("pool.waiters", "Waiters and acquire wait (max ms)", "waiters / ms", "last"),
    ),
    "event_loop": (
        SeriesSpec("loop.lag_ms", "Event-loop lag (max per second)", "ms", "max"),
        SeriesSpec("loop.blocked_ms", "Blocked stretches (slow callbacks)", "ms", "max"),
    ),
    "memory": (
        SeriesSpec("memory.rss_mb", "Resident memory", "MB", "last"),
        SeriesSpec("memory.gc_pause_ms", "GC pauses (max per second)", "ms", "max"),
    ),
    "cpu": (
        SeriesSpec("cpu.active", "Sampled activity (busy threads, from py-spy)", "threads", "mean"),
    ),
}


def _frozen(value: Any) -> Any:
    """The record with its lists made tuples, so the garbage collector stops tracking it.

    Kept records are many and long-lived; as dicts of lists every one stays tracked and each
    full collection walks them all (measured: 400 ms pauses at 20,000 records/s, stalling
    the GUI thread). Tuples and dicts holding only atomic values are untracked by CPython.
    """
    if isinstance(value, dict):
        return {k: _frozen(v) for k, v in value.items()}
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


def _durations(rec: Mapping[str, Any], key: str) -> list[float]:
    raw = rec.get(key) or ()
    out = []
    for v in raw:
        try:
            out.append(float(v))
        except (TypeError, ValueError):
            continue
    return out


def _num(rec: Mapping[str, Any], key: str, default: float = 0.0) -> float:
    try:
        return float(rec.get(key, default) or 0.0)
    except (TypeError, ValueError):
        return default


class LiveMetrics:
    """Bounded, thread-safe aggregation of session records for the live panels."""

    def __init__(
        self, bin_s: float = 1.0, max_bins: int = 600, max_records_per_kind: int = 4_000
    ) -> None:
        self.bin_s = bin_s
        self.max_bins = max_bins
        self.max_records_per_kind = max_records_per_kind
        self.lock = threading.RLock()
        self.t0: float | None = None
        self.t_last: float | None = None
        self.counts: dict[str, int] = {}
        self.dropped_by_window: dict[str, int] = {}
        self.agent_events: deque[dict[str, Any]] = deque(maxlen=200)
        self.workloads: deque[dict[str, Any]] = deque(maxlen=200)
        self._records: dict[str, deque[dict[str, Any]]] = {}
        self._series: dict[str, dict[str, BinnedSeries]] = {}
        self.version = 0  # bumps on every ingest, so views can skip redraws when nothing changed

    # -- ingest ------------------------------------------------------------------------------
    def ingest(self, records: Iterable[dict[str, Any]]) -> int:
        """Fold records in; returns how many were taken. Unknown kinds are counted, not kept."""
        n = 0
        with self.lock:
            for rec in records:
                try:
                    t = float(rec["t"])
                    kind = str(rec["kind"])
                except (KeyError, TypeError, ValueError):
                    continue
                n += 1
                self.counts[kind] = self.counts.get(kind, 0) + 1
                if self.t0 is None or t < self.t0:
                    self.t0 = t
                if self.t_last is None or t > self.t_last:
                    self.t_last = t
                handler = getattr(self, f"_on_{kind}", None)
                if handler is None:
                    continue
                window = self._records.get(kind)
                if window is None:
                    window = self._records[kind] = deque(maxlen=self.max_records_per_kind)
                if len(window) == window.maxlen:
                    self.dropped_by_window[kind] = self.dropped_by_window.get(kind, 0) + 1
                window.append(_frozen(rec))
                handler(t, rec)
            if n:
                self.version += 1
        return n

    def _series_for(self, family: str, key: str) -> BinnedSeries:
        fam = self._series.setdefault(family, {})
        series = fam.get(key)
        if series is None:
            if len(fam) >= MAX_KEYS_PER_FAMILY:
                key = "(other)"
                series = fam.get(key)
            if series is None:
                series = fam[key] = BinnedSeries(self.bin_s, self.max_bins)
        return series

    def _on_bus(self, t: float, rec: Mapping[str, Any]) -> None:
        events = rec.get("events") or {}
        total = 0.0
        for name, count in events.items():
            value = float(count or 0)
            total += value
            self._series_for("bus.events", str(name)).add(t, value)
        self._series_for("bus.events_total", "all").add(t, total)

    def _on_handler(self, t: float, rec: Mapping[str, Any]) -> None:
        durations = _durations(rec, "durations_ms")
        peak = max([*durations, _num(rec, "max_ms")]) if durations or "max_ms" in rec else 0.0
        name = str(rec.get("handler", "?"))
        self._series_for("handler.ms", name).add(t, sum(durations), len(durations) or 1, peak)

    def _on_repaint(self, t: float, rec: Mapping[str, Any]) -> None:
        widget = str(rec.get("widget_class", "?"))
        self._series_for("repaint.paints", widget).add(t, _num(rec, "paints"))
        if rec.get("is_canvas"):
            ms = _durations(rec, "paint_ms")
            if ms:
                self._series_for("repaint.canvas_ms", "max").add(t, max(ms))
                self._series_for("repaint.canvas_ms", "mean").add(t, sum(ms), len(ms), max(ms))

    def _on_pool(self, t: float, rec: Mapping[str, Any]) -> None:
        if record_source(rec) != "app":
            return  # a pool our pools workload built: shown as its sweep, not over time
        # legend names: the class's own name and the id's tail, not a 60-character qualname
        short_id = str(rec.get("pool_id") or "")[-4:]  # no "#None" for a pool without an id
        name = f"{pool_name(rec).rsplit('.', 1)[-1]}#{short_id}".rstrip("#")
        self._series_for("pool.in_use", name).add(t, _num(rec, "in_use"))
        self._series_for("pool.idle", name).add(t, _num(rec, "idle"))
        self._series_for("pool.waiters", f"waiters {name}").add(t, _num(rec, "waiters"))
        waits = _durations(rec, "wait_ms")
        if waits:
            self._series_for("pool.waiters", f"wait ms {name}").add(t, max(waits))

    def _on_pool_leak(self, t: float, rec: Mapping[str, Any]) -> None:
        pass  # kept in the record window for the leak table; nothing to plot

    def _on_loop_lag(self, t: float, rec: Mapping[str, Any]) -> None:
        lags = _durations(rec, "lag_ms")
        peak = max([*lags, _num(rec, "max_ms")])
        self._series_for("loop.lag_ms", "max lag").add(t, peak, 1, peak)

    def _on_slow_callback(self, t: float, rec: Mapping[str, Any]) -> None:
        ms = _num(rec, "duration_ms")
        # `origin` since the agent's records carry provenance in `source` (older: source=origin)
        self._series_for("loop.blocked_ms", _callback_origin(rec)).add(t, ms, 1, ms)

    def _on_hazard(self, t: float, rec: Mapping[str, Any]) -> None:
        pass  # table only

    def _on_memory(self, t: float, rec: Mapping[str, Any]) -> None:
        self._series_for("memory.rss_mb", "RSS").add(t, _num(rec, "rss_bytes") / 1e6)
        pauses = _durations(rec, "gc_pause_ms")
        if pauses:
            self._series_for("memory.gc_pause_ms", "gc pause").add(t, max(pauses))

    def _on_tracemalloc(self, t: float, rec: Mapping[str, Any]) -> None:
        pass

    def _on_workload(self, t: float, rec: Mapping[str, Any]) -> None:
        self.workloads.append(dict(rec))

    def _on_agent(self, t: float, rec: Mapping[str, Any]) -> None:
        self.agent_events.append(dict(rec))

    # -- reading -----------------------------------------------------------------------------
    def series(
        self, family: str, stat: str, top: int | None = None
    ) -> dict[str, tuple[list[float], list[float]]]:
        """The (x, y) points of one family's keys, x in epoch seconds; with `top`, only the
        `top` keys with the largest totals (a plot with 40 lines says nothing)."""
        with self.lock:
            fam = self._series.get(family, {})
            keys = sorted(fam, key=lambda k: -fam[k].total)
            if top is not None:
                keys = keys[:top]
            return {key: fam[key].points(stat) for key in keys}

    def panel_series(
        self, panel: str, top: int = 8
    ) -> list[tuple[SeriesSpec, dict[str, tuple[list[float], list[float]]]]]:
        """The plotted families of a panel with their points (see PANEL_SERIES)."""
        out = []
        for spec in PANEL_SERIES.get(panel, ()):
            if spec.family == "repaint.canvas_ms":
                with self.lock:
                    fam = self._series.get(spec.family, {})
                    data = {k: s.points("max" if k == "max" else "mean") for k, s in fam.items()}
            else:
                data = self.series(spec.family, spec.stat, top)
            out.append((spec, data))
        return out

    def kind_count(self, *kinds: str) -> int:
        # no lock: the GUI thread calls this every tick and must never wait for an ingest;
        # reading ints from a dict another thread updates is safe in CPython
        return sum(self.counts.get(k, 0) for k in kinds)

    def window(self, kind: str, time_range: TimeRange | None = None) -> list[dict[str, Any]]:
        """The kept records of one kind inside the range (a copy, safe to use unlocked)."""
        with self.lock:
            recs = list(self._records.get(kind, ()))
        if time_range is None or time_range.is_all:
            return recs
        return [r for r in recs if time_range.contains(float(r["t"]))]

    def summary(self, panel: str, time_range: TimeRange | None = None) -> dict[str, Any]:
        """The panel's tables for a time range: plain rows the views show as they are."""
        tr = time_range or TimeRange()
        builder = _SUMMARIES.get(panel)
        return builder(self, tr) if builder else {}

    def empty_reason(self, panel: str, profile_has: Callable[[str], bool] | None = None) -> str:
        """Why a panel has nothing to show, in one sentence; "" when it has data."""
        kinds = PANEL_KINDS.get(panel, ())
        if not kinds or self.kind_count(*kinds):
            return ""
        if self.t0 is None:
            return "no records yet: the agent has not reported (attach or open a session)"
        reasons = {
            "event_bus": "no event-bus traffic: the target published no events the agent saw",
            "repaint": "no repaints recorded: no widget painted (offscreen targets do not paint "
            "OpenGL viewports; use Xvfb or a real display)",
            "pools": "no pool traffic: the target created no pools the profile names",
            "event_loop": "no event-loop records: the agent found no asyncio/qasync loop to probe",
            "memory": "no memory records: the agent's memory probe is off or not reporting",
        }
        return reasons.get(panel, "no data")


def _span(recs: Sequence[Mapping[str, Any]], tr: TimeRange, bin_s: float) -> float:
    if not recs:
        return 1.0
    lo = tr.since if tr.since is not None else float(recs[0]["t"]) - bin_s
    hi = tr.until if tr.until is not None else float(recs[-1]["t"])
    return max(hi - lo, bin_s)


def _summary_event_bus(m: LiveMetrics, tr: TimeRange) -> dict[str, Any]:
    bus = m.window("bus", tr)
    span = _span(bus, tr, m.bin_s)
    per_type: dict[str, dict[str, Any]] = {}
    for rec in bus:
        subs = rec.get("subscribers") or {}
        for name, count in (rec.get("events") or {}).items():
            row = per_type.setdefault(name, {"event": name, "count": 0, "subscribers": 0})
            row["count"] += int(count or 0)
        for name, n in subs.items():
            row = per_type.setdefault(name, {"event": name, "count": 0, "subscribers": 0})
            row["subscribers"] = int(n or 0)
    handlers: dict[tuple[str, str], dict[str, Any]] = {}
    by_event_ms: dict[str, list[float]] = {}
    for rec in m.window("handler", tr):
        key = (str(rec.get("event", "?")), str(rec.get("handler", "?")))
        row = handlers.setdefault(
            key,
            {
                "event": key[0],
                "handler": key[1],
                "file": rec.get("file", ""),
                "line": rec.get("line", 0),
                "count": 0,
                "errors": 0,
                "ms": [],
                "max_ms": 0.0,
            },
        )
        ms = _durations(rec, "durations_ms")
        row["count"] += int(rec.get("count", len(ms)) or 0)
        row["errors"] += int(rec.get("errors", 0) or 0)
        if len(row["ms"]) < 4096:
            row["ms"].extend(ms)
        row["max_ms"] = max(row["max_ms"], _num(rec, "max_ms"), *(ms or [0.0]))
        bucket = by_event_ms.setdefault(key[0], [])
        if len(bucket) < 4096:
            bucket.extend(ms)
    types = []
    for name, row in per_type.items():
        ms = by_event_ms.get(name, [])
        types.append(
            {
                **row,
                "rate": row["count"] / span,
                # None: no handler of this type was timed (shown as "-", not 0)
                "p50_ms": percentile(ms, 50) if ms else None,
                "p95_ms": percentile(ms, 95) if ms else None,
            }
        )
    types.sort(key=lambda r: -r["count"])
    slow = []
    for row in handlers.values():
        ms = row.pop("ms")
        slow.append({**row, "p50_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95)})
    slow.sort(key=lambda r: -r["p95_ms"])
    ours = sum(
        int(n or 0)
        for rec in bus
        if record_source(rec) != "app"
        for n in (rec.get("events") or {}).values()
    )
    return {"types": types, "handlers": slow, "span_s": span, "workload_events": ours}


def _summary_repaint(m: LiveMetrics, tr: TimeRange) -> dict[str, Any]:
    recs = m.window("repaint", tr)
    span = _span(recs, tr, m.bin_s)
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for rec in recs:
        key = (str(rec.get("widget_class", "?")), str(rec.get("object_name", "")))
        row = rows.setdefault(
            key,
            {
                "widget": key[0],
                "object_name": key[1],
                "paints": 0,
                "update_requests": 0,
                "full_updates": 0,
                "partial_updates": 0,
                "is_canvas": bool(rec.get("is_canvas")),
                "ms": [],
                "area_px": 0,
            },
        )
        row["paints"] += int(rec.get("paints", 0) or 0)
        row["update_requests"] += int(rec.get("update_requests", 0) or 0)
        row["full_updates"] += int(rec.get("full_updates", 0) or 0)
        row["partial_updates"] += int(rec.get("partial_updates", 0) or 0)
        row["area_px"] = int(rec.get("area_px", 0) or 0)
        if len(row["ms"]) < 4096:
            row["ms"].extend(_durations(rec, "paint_ms"))
    out = []
    for row in rows.values():
        ms = row.pop("ms")
        out.append(
            {
                **row,
                "paints_per_s": row["paints"] / span,
                # None: this widget's paints were counted but not timed ("-" in the table)
                "p50_ms": percentile(ms, 50) if ms else None,
                "p95_ms": percentile(ms, 95) if ms else None,
                "max_ms": max(ms) if ms else None,
            }
        )
    out.sort(key=lambda r: (-r["is_canvas"], -r["paints"]))
    return {"widgets": out, "span_s": span}


def pool_name(rec: Mapping[str, Any]) -> str:
    """The pool's class as `module.Class`: the agent names a class it watches `module:Class`
    and a live pool `module.Class`, which are one pool to the reader."""
    return str(rec.get("pool", "?")).replace(":", ".")


def _summary_pools(m: LiveMetrics, tr: TimeRange) -> dict[str, Any]:
    pools: dict[str, dict[str, Any]] = {}
    for rec in m.window("pool", tr):
        key = f"{pool_name(rec)}#{rec.get('pool_id') or ''}"
        row = pools.setdefault(
            key,
            {
                "pool": pool_name(rec),
                "pool_id": rec.get("pool_id") or "",
                # "app", or "workload:<name>#<run>" for pools our own workloads built
                "source": record_source(rec),
                "acquires": 0,
                "releases": 0,
                "wait": [],
                "max_waiters": 0,
                "leaks": 0,
            },
        )
        for field in ("size", "in_use", "idle", "waiters", "created", "closed", "evicted"):
            row[field] = rec.get(field, 0)
        row["acquires"] += int(rec.get("acquires", 0) or 0)
        row["releases"] += int(rec.get("releases", 0) or 0)
        row["max_waiters"] = max(row["max_waiters"], int(rec.get("waiters", 0) or 0))
        if len(row["wait"]) < 4096:
            row["wait"].extend(_durations(rec, "wait_ms"))
    leaks = m.window("pool_leak", tr)
    for leak in leaks:
        key = f"{pool_name(leak)}#{leak.get('pool_id') or ''}"
        if key in pools:
            pools[key]["leaks"] += 1
    rows = []
    for row in pools.values():
        wait = row.pop("wait")
        rows.append(
            {
                **row,
                "wait_p50_ms": percentile(wait, 50) if wait else None,
                "wait_p95_ms": percentile(wait, 95) if wait else None,
            }
        )
    rows.sort(key=lambda r: (r["source"] != "app", -r["acquires"]))
    leak_rows = [
        {
            "pool": lk.get("pool", "?"),
            "pool_id": lk.get("pool_id", ""),
            "held_s": _num(lk, "held_s"),
            "stack": list(lk.get("stack") or ()),
            "t": lk["t"],
        }
        for lk in leaks
    ]
    leak_rows.sort(key=lambda r: -r["held_s"])
    app = [r for r in rows if r["source"] == "app"]
    return {
        "pools": rows,
        "leaks": leak_rows[:200],
        "app_pools": len(app),
        "app_acquires": sum(r["acquires"] for r in app),
        "sweeps": pool_sweeps(m),
    }


def pool_sweeps(m: LiveMetrics) -> list[dict[str, Any]]:
    """Each pool of the last finished pools workload as one sweep: size against throughput
    and acquire wait p95, with its knee (see `inspector.core.pool_sizing`)."""
    from inspector.core.pool_sizing import size_pools

    runs = [w for w in list(m.workloads) if w.get("name") == "pools" and w.get("results")]
    if not runs:
        return []
    return [
        {
            "pool": sizing.pool,
            "class": sizing.pool_class,
            "knee": sizing.knee,
            "recommended": sizing.recommended,
            "size": list(sizing.series["size"]),
            "throughput_rps": list(sizing.series["throughput_rps"]),
            "wait_ms_p95": list(sizing.series["wait_ms_p95"]),
        }
        for sizing in size_pools(runs[-1])
        if sizing.series.get("size")
    ]


def _summary_event_loop(m: LiveMetrics, tr: TimeRange) -> dict[str, Any]:
    lags: list[float] = []
    max_lag = 0.0
    loops: set[str] = set()
    for rec in m.window("loop_lag", tr):
        values = _durations(rec, "lag_ms")
        if len(lags) < 20_000:
            lags.extend(values)
        max_lag = max(max_lag, _num(rec, "max_ms"), *(values or [0.0]))
        loops.add(str(rec.get("loop", "")))
    slow = [
        {
            "t": rec["t"],
            "duration_ms": _num(rec, "duration_ms"),
            "callable": rec.get("callable", "?"),
            "file": rec.get("file", ""),
            "line": rec.get("line", 0),
            "task": rec.get("task", ""),
            # what ran it (asyncio, qt-event) and who drove it (the app, or our workload)
            "origin": _callback_origin(rec),
            "source": record_source(rec),
            "stack": list(rec.get("stack") or ()),
            # why a stretch has no stack, when the attribution could not find one
            "stack_reason": str(rec.get("stack_reason") or ""),
        }
        for rec in m.window("slow_callback", tr)
    ]
    slow.sort(key=lambda r: -r["duration_ms"])
    hazards = [
        {
            "t": rec["t"],
            "hazard": rec.get("hazard", "?"),
            "detail": rec.get("detail", ""),
            "stack": list(rec.get("stack") or ()),
        }
        for rec in m.window("hazard", tr)
    ]
    return {
        "lag_p50_ms": percentile(lags, 50),
        "lag_p95_ms": percentile(lags, 95),
        "lag_max_ms": max_lag,
        "loops": sorted(x for x in loops if x),
        "slow_callbacks": slow[:500],
        "hazards": hazards[-200:],
    }


def _summary_memory(m: LiveMetrics, tr: TimeRange) -> dict[str, Any]:
    recs = m.window("memory", tr)
    if not recs:
        return {"containers": [], "tracemalloc": []}
    first, last = recs[0], recs[-1]
    pauses: list[float] = []
    for rec in recs:
        if len(pauses) < 20_000:
            pauses.extend(_durations(rec, "gc_pause_ms"))
    start = first.get("containers") or {}
    containers = [
        {"name": name, "len": int(n or 0), "growth": int(n or 0) - int(start.get(name, 0) or 0)}
        for name, n in (last.get("containers") or {}).items()
    ]
    containers.sort(key=lambda r: (-r["growth"], -r["len"]))
    tm = m.window("tracemalloc", tr)
    top = list((tm[-1].get("top") if tm else None) or ())
    return {
        "rss_mb": _num(last, "rss_bytes") / 1e6,
        "rss_growth_mb": (_num(last, "rss_bytes") - _num(first, "rss_bytes")) / 1e6,
        # each record holds the collections since the previous one: sum them over the range
        "gc_counts": _summed_counts(recs, "gc_counts"),
        "gc_pauses": len(pauses),
        "gc_pause_p95_ms": percentile(pauses, 95),
        "gc_pause_max_ms": max(pauses) if pauses else 0.0,
        "containers": containers,
        "tracemalloc": top[:50],
    }


def _summed_counts(recs: Sequence[Mapping[str, Any]], key: str) -> list[int]:
    total: list[int] = []
    for rec in recs:
        for i, n in enumerate(rec.get(key) or ()):
            if i >= len(total):
                total.append(0)
            try:
                total[i] += int(n or 0)
            except (TypeError, ValueError):
                continue
    return total


_SUMMARIES: Mapping[str, Callable[[LiveMetrics, TimeRange], dict[str, Any]]] = {
    "event_bus": _summary_event_bus,
    "repaint": _summary_repaint,
    "pools": _summary_pools,
    "event_loop": _summary_event_loop,
    "memory": _summary_memory,
}


def _callback_origin(rec: Mapping[str, Any]) -> str:
    """What ran a slow callback: "asyncio" or "qt-event" (older records kept it in `source`)."""
    origin = rec.get("origin")
    if isinstance(origin, str) and origin:
        return origin
    src = rec.get("source")
    return src if src in ("asyncio", "qt-event") else "asyncio"


def record_source(rec: Mapping[str, Any]) -> str:
    """ "app", or the workload label the agent stamped on a record made while one drove the
    target (older records used `source` for a callback's origin: those are the app's)."""
    src = rec.get("source")
    return src if isinstance(src, str) and src.startswith("workload:") else "app"


@dataclass(frozen=True)
class AppTraffic:
    """What the app itself did on its bus and pools, apart from what our workloads drove.

    The report and the panels state these plainly: "the app published no events and used
    none of its pools" is a finding about the app, and a rate taken from workload traffic is
    never the app's.
    """

    app_events: int
    workload_events: int
    app_handler_calls: int
    workload_handler_calls: int
    app_acquires: int
    workload_acquires: int
    app_event_rate: float  # per second over the records' span
    span_s: float
    workloads: tuple[str, ...]  # labels of the workloads that drove traffic

    @property
    def app_bus_silent(self) -> bool:
        return self.app_events == 0 and self.app_handler_calls == 0

    @property
    def app_pools_silent(self) -> bool:
        return self.app_acquires == 0

    def sentences(self) -> list[str]:
        """Plain statements for the report, one per fact."""
        out = []
        if self.app_bus_silent:
            out.append(
                f"The app published no events on its bus in {self.span_s:.0f} s"
                + (
                    f"; the {self.workload_events} events seen were our workloads'"
                    if self.workload_events
                    else ""
                )
                + "."
            )
        if self.app_pools_silent:
            out.append(
                "The app acquired nothing from its pools"
                + (
                    f"; the {self.workload_acquires} acquires seen were our workloads'"
                    if self.workload_acquires
                    else ""
                )
                + "."
            )
        return out


def app_traffic(records: Iterable[Mapping[str, Any]]) -> AppTraffic:
    """Split bus, handler and pool traffic by provenance (see `record_source`)."""
    events = {"app": 0, "workload": 0}
    calls = {"app": 0, "workload": 0}
    acquires = {"app": 0, "workload": 0}
    labels: set[str] = set()
    lo = hi = None
    for rec in records:
        kind = rec.get("kind")
        if kind not in ("bus", "handler", "pool"):
            continue
        try:
            t = float(rec["t"])
        except (KeyError, TypeError, ValueError):
            continue
        lo = t if lo is None else min(lo, t)
        hi = t if hi is None else max(hi, t)
        src = record_source(rec)
        side = "app" if src == "app" else "workload"
        if side == "workload":
            labels.update(x for x in src.split(",") if x)
        if kind == "bus":
            events[side] += sum(int(n or 0) for n in (rec.get("events") or {}).values())
        elif kind == "handler":
            calls[side] += int(rec.get("count") or 0)
        else:
            acquires[side] += int(rec.get("acquires") or 0)
    span = (hi - lo) if lo is not None and hi is not None else 0.0
    return AppTraffic(
        app_events=events["app"],
        workload_events=events["workload"],
        app_handler_calls=calls["app"],
        workload_handler_calls=calls["workload"],
        app_acquires=acquires["app"],
        workload_acquires=acquires["workload"],
        app_event_rate=events["app"] / span if span > 0 else 0.0,
        span_s=span,
        workloads=tuple(sorted(labels)),
    )


class SessionFollower:
    """Reads a session's new records on a background thread into a `LiveMetrics`.

    `poll()` does one incremental read (records after `last_id`, at most `max_batch`) and
    can be called directly (tests, headless); `start()` polls every `interval_s` on a daemon
    thread so the GUI thread never parses JSON.
    """

    def __init__(
        self,
        session: Session,
        metrics: LiveMetrics,
        interval_s: float = 0.1,
        max_batch: int = 5_000,
    ) -> None:
        self.session = session
        self.max_batch = max_batch
        self.backlog = 0  # records written but not read yet, as of the last full batch
        self.metrics = metrics
        self.interval_s = interval_s
        self.last_id = 0
        self.error: str | None = None
        self.caught_up = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._listeners: list[Callable[[int], None]] = []

    def add_listener(self, listener: Callable[[int], None]) -> None:
        """Called (on the follower thread) with the number of records each non-empty poll."""
        self._listeners.append(listener)

    def _read_batch(self) -> list[dict[str, Any]]:
        """Up to `max_batch` records after `last_id`, like `Session.records(after_id=...)`
        but bounded, so a follower that fell behind (or a large reopened session) never
        holds more than one batch in memory."""
        out = self.session.records(after_id=self.last_id, limit=self.max_batch)
        if len(out) == self.max_batch:  # a full batch: say how far behind we are
            self.backlog = max(self.session.last_record_id() - int(out[-1]["_id"]), 0)
        else:
            self.backlog = 0
        return out

    def poll(self) -> int:
        try:
            recs = self._read_batch()
        except (SessionError, Exception) as exc:  # a closed or broken file mid-read
            self.error = f"cannot read session records: {exc}"
            return 0
        if recs:
            self.last_id = int(recs[-1]["_id"])
            self.metrics.ingest(recs)
            for listener in list(self._listeners):
                listener(len(recs))
        else:
            self.caught_up.set()
        return len(recs)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="session-follower", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.poll() < self.max_batch:  # a full batch means more is waiting: no pause
                self._stop.wait(self.interval_s)

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

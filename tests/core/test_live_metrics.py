"""LiveMetrics: bounded buffers, rates, summaries per time range, the follower thread."""

from __future__ import annotations

from pathlib import Path

from inspector.core.live_metrics import (
    BinnedSeries,
    LiveMetrics,
    SessionFollower,
    TimeRange,
    TimeRangeModel,
    app_traffic,
    percentile,
)
from inspector.core.session import Session

T0 = 1_700_000_000.0


def _bus(t: float, **events: int) -> dict:
    return {
        "t": t,
        "kind": "bus",
        "bus": "B",
        "events": events,
        "subscribers": {"A": 2},
        "interval_s": 0.25,
    }


def test_percentile_nearest_rank() -> None:
    assert percentile([], 95) == 0.0
    assert percentile([5.0], 50) == 5.0
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95


def test_binned_series_keeps_at_most_max_bins() -> None:
    series = BinnedSeries(bin_s=1.0, max_bins=10)
    for i in range(100):
        series.add(T0 + i, 1.0)
    xs, _ys = series.points("sum")
    assert len(xs) == 10
    assert xs[0] == T0 + 90  # the oldest were evicted
    series.add(T0 + 5, 1.0)  # older than everything kept: ignored, not re-grown
    assert len(series) == 10


def test_event_rates_per_type_and_total() -> None:
    m = LiveMetrics(bin_s=1.0)
    m.ingest([_bus(T0 + 0.25 * i, A=2, B=1) for i in range(1, 9)])  # 2 s of flushes
    rates = m.series("bus.events", "rate")
    assert set(rates) == {"A", "B"}
    assert sum(rates["A"][1]) == 16  # 8 flushes * 2 events, 1 s bins -> events/s summed
    summary = m.summary("event_bus")
    by_type = {r["event"]: r for r in summary["types"]}
    assert by_type["A"]["count"] == 16 and by_type["B"]["count"] == 8
    assert by_type["A"]["subscribers"] == 2


def test_handler_latency_percentiles_and_slowest_first() -> None:
    m = LiveMetrics()
    m.ingest(
        [
            {
                "t": T0 + 1,
                "kind": "handler",
                "event": "A",
                "handler": "fast",
                "count": 3,
                "durations_ms": [1, 1, 2],
                "max_ms": 2,
            },
            {
                "t": T0 + 1,
                "kind": "handler",
                "event": "A",
                "handler": "slow",
                "count": 3,
                "durations_ms": [40, 50, 90],
                "max_ms": 90,
                "file": "x.py",
                "line": 3,
            },
        ]
    )
    handlers = m.summary("event_bus")["handlers"]
    assert [h["handler"] for h in handlers] == ["slow", "fast"]
    assert handlers[0]["p95_ms"] == 90 and handlers[0]["p50_ms"] == 50


def test_time_range_filters_summaries() -> None:
    m = LiveMetrics()
    m.ingest([_bus(T0 + i, A=1) for i in range(100)])
    full = m.summary("event_bus")["types"][0]["count"]
    part = m.summary("event_bus", TimeRange(T0 + 10, T0 + 19))["types"][0]["count"]
    assert full == 100 and part == 10


def test_record_windows_are_bounded() -> None:
    m = LiveMetrics(max_records_per_kind=50)
    m.ingest([_bus(T0 + i * 0.01, A=1) for i in range(500)])
    assert len(m.window("bus")) == 50
    assert m.dropped_by_window["bus"] == 450
    assert m.counts["bus"] == 500


def test_series_keys_fold_into_other_beyond_the_cap() -> None:
    m = LiveMetrics()
    m.ingest([_bus(T0, **{f"E{i}": 1 for i in range(200)})])
    assert len(m.series("bus.events", "sum")) <= 49
    assert "(other)" in m.series("bus.events", "sum")


def test_malformed_records_are_skipped() -> None:
    m = LiveMetrics()
    assert m.ingest([{"kind": "bus"}, {"t": "x", "kind": "bus"}, _bus(T0, A=1)]) == 1


def test_empty_reasons_name_the_cause() -> None:
    m = LiveMetrics()
    assert "not reported" in m.empty_reason("pools")
    m.ingest([_bus(T0, A=1)])
    assert m.empty_reason("event_bus") == ""
    assert "no pool traffic" in m.empty_reason("pools")


def test_pool_and_loop_summaries() -> None:
    m = LiveMetrics()
    m.ingest(
        [
            {
                "t": T0 + 1,
                "kind": "pool",
                "pool": "P",
                "pool_id": "1",
                "size": 4,
                "in_use": 3,
                "idle": 1,
                "waiters": 2,
                "acquires": 5,
                "wait_ms": [1, 9],
            },
            {
                "t": T0 + 2,
                "kind": "pool_leak",
                "pool": "P",
                "pool_id": "1",
                "held_s": 40,
                "stack": ["a.py:1 f"],
            },
            {"t": T0 + 1, "kind": "loop_lag", "lag_ms": [1, 2, 30], "max_ms": 30, "loop": "qasync"},
            {
                "t": T0 + 1,
                "kind": "slow_callback",
                "duration_ms": 120,
                "callable": "f",
                "file": "a.py",
                "line": 3,
                "source": "asyncio",
            },
        ]
    )
    pools = m.summary("pools")
    assert pools["pools"][0]["max_waiters"] == 2 and pools["pools"][0]["leaks"] == 1
    assert pools["leaks"][0]["stack"] == ["a.py:1 f"]
    loop = m.summary("event_loop")
    assert loop["lag_max_ms"] == 30 and loop["slow_callbacks"][0]["duration_ms"] == 120


def test_time_range_model_notifies_once_per_change() -> None:
    model = TimeRangeModel()
    seen: list[TimeRange] = []
    model.subscribe(seen.append)
    model.set_range(T0 + 5, T0 + 1)  # reversed: normalised
    model.set_range(T0 + 1, T0 + 5)  # same: no echo
    model.clear()
    assert seen == [TimeRange(T0 + 1, T0 + 5), TimeRange()]


def test_follower_reads_incrementally(tmp_path: Path) -> None:
    session = Session.create(tmp_path / "s.session")
    metrics = LiveMetrics()
    follower = SessionFollower(session, metrics)
    session.append([_bus(T0 + i, A=1) for i in range(10)])
    assert follower.poll() == 10
    assert follower.poll() == 0
    session.append([_bus(T0 + 20, A=1)])
    assert follower.poll() == 1
    assert metrics.counts["bus"] == 11


def test_follower_thread_catches_up(tmp_path: Path) -> None:
    session = Session.create(tmp_path / "s.session")
    session.append([_bus(T0 + i, A=1) for i in range(10)])
    metrics = LiveMetrics()
    follower = SessionFollower(session, metrics, interval_s=0.01)
    follower.start()
    try:
        assert follower.caught_up.wait(5)
    finally:
        follower.stop()
    assert metrics.counts["bus"] == 10


def test_follower_reads_in_bounded_batches(tmp_path: Path) -> None:
    session = Session.create(tmp_path / "s.session")
    session.append([_bus(T0 + i, A=1) for i in range(25)])
    follower = SessionFollower(session, LiveMetrics(), max_batch=10)
    assert [follower.poll() for _ in range(4)] == [10, 10, 5, 0]
    assert follower.metrics.counts["bus"] == 25


def _pool(t: float, pool_id, source: str = "app", acquires: int = 0, waits=()) -> dict:
    return {
        "t": t,
        "kind": "pool",
        "pool": "app.pools.ConnectionPool",
        "pool_id": pool_id,
        "size": 4,
        "in_use": 1,
        "idle": 3,
        "waiters": 0,
        "acquires": acquires,
        "wait_ms": list(waits),
        "source": source,
    }


def test_pools_split_app_from_workload_and_name_without_none() -> None:
    m = LiveMetrics()
    m.ingest(
        [
            _pool(T0 + 1, None),
            _pool(T0 + 2, "abc123", source="workload:pools#7", acquires=40, waits=[2, 4]),
            {
                "t": T0 + 3,
                "kind": "workload",
                "name": "pools",
                "status": "ok",
                "results": {
                    "pools": [
                        {
                            "pool": "http",
                            "class": "app.pools.ConnectionPool",
                            "status": "ok",
                            "points": [
                                {
                                    "size": s,
                                    "throughput_rps": {"p50": r, "min": r, "max": r},
                                    "wait_ms_p95": {"p50": w},
                                }
                                for s, r, w in ((1, 100, 50), (2, 200, 20), (4, 205, 2))
                            ],
                        }
                    ]
                },
            },
        ]
    )
    # the app's pool over time, by its short name; the workload's pools only as a sweep
    assert set(m.series("pool.in_use", "last")) == {"ConnectionPool"}
    pools = m.summary("pools")
    assert [(r["pool_id"], r["source"]) for r in pools["pools"]] == [
        ("", "app"),
        ("abc123", "workload:pools#7"),
    ]
    assert pools["app_pools"] == 1 and pools["app_acquires"] == 0
    assert pools["pools"][0]["wait_p95_ms"] is None  # no acquire: no wait figure, not 0
    assert pools["pools"][1]["wait_p95_ms"] == 4
    sweep = pools["sweeps"][0]
    assert sweep["size"] == [1.0, 2.0, 4.0]
    assert sweep["throughput_rps"] == [100.0, 200.0, 205.0]
    assert sweep["wait_ms_p95"] == [50.0, 20.0, 2.0]
    assert sweep["knee"] == 2


def test_untimed_widgets_have_no_paint_time_and_gc_counts_sum_over_the_range() -> None:
    m = LiveMetrics()
    m.ingest(
        [
            {
                "t": T0 + 1,
                "kind": "repaint",
                "widget_class": "View",
                "is_canvas": True,
                "paints": 10,
                "paint_ms": [4.0, 6.0],
            },
            {"t": T0 + 1, "kind": "repaint", "widget_class": "NodeWidget", "paints": 500},
            {
                "t": T0 + 1,
                "kind": "memory",
                "rss_bytes": 1e8,
                "gc_counts": [3, 1, 0],
                "gc_pause_ms": [180.0],
            },
            {"t": T0 + 2, "kind": "memory", "rss_bytes": 1e8, "gc_counts": [2, 0, 1]},
            {"t": T0 + 3, "kind": "memory", "rss_bytes": 1e8, "gc_counts": [0, 0, 0]},
        ]
    )
    widgets = {r["widget"]: r for r in m.summary("repaint")["widgets"]}
    assert widgets["View"]["p95_ms"] == 6.0
    assert widgets["NodeWidget"]["p95_ms"] is None and widgets["NodeWidget"]["max_ms"] is None
    memory = m.summary("memory")
    assert memory["gc_counts"] == [5, 1, 1]
    assert memory["gc_pauses"] == 1


def test_app_traffic_keeps_the_apps_own_use_apart_from_our_workloads() -> None:
    ours = "workload:pools#2"
    records = [
        {"t": 100.0, "kind": "bus", "events": {}, "source": "app"},
        {"t": 101.0, "kind": "bus", "events": {"NODE_ADDED": 40}, "source": "workload:canvas#1"},
        {"t": 102.0, "kind": "handler", "count": 80, "source": "workload:canvas#1"},
        {"t": 103.0, "kind": "pool", "acquires": 12, "source": ours},
        {"t": 104.0, "kind": "pool", "acquires": 0, "source": "app"},
        # an older record: `source` was the callback's origin, so it is the app's
        {"t": 150.0, "kind": "bus", "events": {"WORKFLOW_STARTED": 0}, "source": "asyncio"},
    ]
    traffic = app_traffic(records)
    assert (traffic.app_events, traffic.workload_events) == (0, 40)
    assert (traffic.app_handler_calls, traffic.workload_handler_calls) == (0, 80)
    assert (traffic.app_acquires, traffic.workload_acquires) == (0, 12)
    assert traffic.span_s == 50.0
    assert traffic.workloads == ("workload:canvas#1", ours)
    assert traffic.app_bus_silent and traffic.app_pools_silent
    assert traffic.sentences() == [
        "The app published no events on its bus in 50 s; the 40 events seen were our workloads'.",
        "The app acquired nothing from its pools; the 12 acquires seen were our workloads'.",
    ]
    busy = app_traffic([*records, {"t": 120.0, "kind": "bus", "events": {"X": 5}}])
    assert (busy.app_events, busy.app_bus_silent, busy.app_event_rate) == (5, False, 0.1)


def test_a_watched_pool_class_and_its_live_pools_share_one_name() -> None:
    m = LiveMetrics()
    m.ingest(
        [
            {**_pool(T0 + 1, None), "pool": "app.pools:ConnectionPool"},
            {**_pool(T0 + 2, None), "pool": "app.pools.ConnectionPool"},
        ]
    )
    assert set(m.series("pool.in_use", "last")) == {"ConnectionPool"}
    assert [r["pool"] for r in m.summary("pools")["pools"]] == ["app.pools.ConnectionPool"]

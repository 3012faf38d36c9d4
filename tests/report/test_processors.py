"""Processors decide each conclusion once; these pin their exact outcomes on small inputs."""

from __future__ import annotations

from analyzers.findings import Evidence, Priority, Severity
from inspector.report.processors import measured_share, severity_from_share
from tests.report.builders import ENGINE, finding


def _pop0(priority: Priority, share: float):
    return finding(ENGINE, "linear-dequeue", rule="T102", priority=priority).with_evidence(
        Evidence("py-spy", "list.pop(0) in the loop thread", {"share": share})
    )


def test_a_small_measured_share_is_not_critical():
    # A pop(0) at 0.18 % of sampled time: CRITICAL on its defaults (6, 9, 6) alone.
    before = _pop0(Priority(6, 9, 6), 0.0018)
    assert (before.score, before.severity) == (93, Severity.CRITICAL)
    (after,) = severity_from_share([before])
    p = after.priority
    assert (p.impact, p.frequency, p.difficulty, after.score) == (4, 4, 6, 48)
    assert after.severity is Severity.MEDIUM and p.source == "measured"
    assert p.basis == (
        "measured share 0.18 % of sampled time -> impact 4; frequency capped at 4: the share "
        "already counts repetitions"
    )


def test_a_measured_priority_is_the_samplers_decision_and_is_kept():
    measured = Priority(4, 9, 6, source="measured", basis="py-spy: 0.18% of loop samples")
    finding_ = _pop0(measured, 0.0018)
    assert severity_from_share([finding_]) == [finding_]


def test_a_large_share_stays_high_and_findings_without_a_share_are_untouched():
    (big,) = severity_from_share([_pop0(Priority(3, 5, 2), 0.31)])
    assert (big.priority.impact, big.priority.frequency, big.score) == (10, 5, 121)
    plain = finding(ENGINE, "linear-dequeue", priority=Priority(6, 9, 6))
    assert severity_from_share([plain]) == [plain]
    assert measured_share(plain) is None


def _memory_session(workload_from: float) -> dict:
    """RSS over 300 s: flat 100 MB while the app runs alone, +1 MB every 10 s once our
    workload starts creating things at `workload_from`."""
    memory = [
        {
            "t": 1000.0 + 10 * i,
            "kind": "memory",
            "rss_bytes": 100_000_000 + max(0, 10 * i - workload_from) * 100_000,
        }
        for i in range(31)
    ]
    end = 1300.0
    workload = {
        "t": end,
        "kind": "workload",
        "name": "canvas",
        "params": {},
        "status": "ok",
        "reason": "",
        "results": {"elapsed_s": end - 1000.0 - workload_from},
    }
    return {"memory": memory, "workload": [workload]}


def test_growth_while_our_workload_ran_is_never_a_leak_rate():
    from inspector.report.model import build_model
    from tests.report.builders import TREE

    short_alone = build_model(
        [], kind="session", records_by_kind=_memory_session(100.0), source_root=TREE, plots=False
    ).conclusion("memory")
    assert short_alone.status == "workload_driven" and short_alone.figure("memory.rate") is None
    assert "no growth rate: the app ran on its own for less than 120 s" in short_alone.statement
    long_alone = build_model(
        [], kind="session", records_by_kind=_memory_session(200.0), source_root=TREE, plots=False
    ).conclusion("memory")
    # 0-190 s alone at a flat 100 MB: the app's own rate is 0, whatever the workload added.
    rate = long_alone.figure("memory.rate")
    assert rate is not None and rate.text == "0.0 MB/h"
    assert rate.source.describe() == "memory (20 records), 0-190 s"


def test_a_channel_without_traffic_gets_words_not_a_flat_plot():
    from inspector.report.model import build_model
    from tests.report.builders import TREE

    records = {
        "bus": [
            {"t": 1.0 + i, "kind": "bus", "events": {}, "subscribers": {"A": 2}, "interval_s": 1}
            for i in range(5)
        ],
        "memory": [{"t": 1.0 + i, "kind": "memory", "rss_bytes": 10**8} for i in range(5)],
    }
    model = build_model([], kind="session", records_by_kind=records, source_root=TREE)
    assert model.conclusion("bus").statement == (
        "The event bus was instrumented but no event was published in this session."
    )
    assert [p.name for p in model.plots] == ["memory"]


def test_workload_results_are_cells_not_json():
    from inspector.report.processors import _flatten

    results = {
        "node_types": ["a.A", "b.B", "c.C", "d.D"],
        "nodes": 20,
        "paints_per_s": {"p50": 11.4, "min": 11.4, "max": 11.4, "n": 1},
        "create_ms": {"p50": 30.0, "min": 28.0, "max": 35.5, "n": 3},
        "frame_ms": {"p50": 57.413, "p95": 180.63, "max": 652.939, "n": 91},
        "service": {"service_ms": 5.0, "capacity": 4},
        "sizes": [1, 2, 4],
    }
    assert _flatten(results) == [
        ("node_types", "4 entries"),
        ("nodes", "20"),
        ("paints_per_s", "11.4"),
        ("create_ms", "30 (p50 of 3; 28-35.5)"),
        ("frame_ms", "p50 57.413 / p95 180.63 / max 652.939 (n 91)"),
        ("service.service_ms", "5"),
        ("service.capacity", "4"),
        ("sizes", "1, 2, 4"),
    ]


def test_a_pool_named_two_ways_is_one_row_and_workload_use_is_not_the_apps():
    from inspector.report.model import build_model
    from tests.report.builders import TREE

    cls = "app.pooling.http_pool"
    records = {
        "pool": [
            {
                "t": 1.0,
                "kind": "pool",
                "pool": f"{cls}:HttpPool",
                "pool_id": None,
                "hooked": False,
                "size": 0,
                "acquires": 0,
                "source": "app",
            },
            {
                "t": 5.0,
                "kind": "pool",
                "pool": f"{cls}.HttpPool",
                "pool_id": "p1",
                "size": 8,
                "in_use": 8,
                "acquires": 40,
                "source": "workload:pools#1",
            },
        ]
    }
    pools = build_model(
        [], kind="session", records_by_kind=records, source_root=TREE, plots=False
    ).conclusion("pools")
    assert pools.table is not None
    assert pools.table.rows == (
        (f"`{cls}.HttpPool`", "1", "8", "8", "40", "used by our workload only"),
    )
    assert pools.status == "no_app_traffic"


def test_tracemalloc_growth_lists_the_apps_sites_not_our_agents():
    from inspector.report.model import build_model
    from tests.report.builders import BUS, TREE

    top = [
        {"file": "/x/inspector/agent/runtime.py", "line": 9, "size_diff": 9_000, "count_diff": 9},
        {"file": str(TREE / BUS), "line": 12, "size_diff": 2_400_000, "count_diff": 30_000},
    ]
    records = {
        "memory": [{"t": 1.0 + i, "kind": "memory", "rss_bytes": 10**8} for i in range(3)],
        "tracemalloc": [{"t": 3.0, "kind": "tracemalloc", "top": top}],
    }
    memory = build_model(
        [], kind="session", records_by_kind=records, source_root=TREE, plots=False
    ).conclusion("memory")
    assert memory.table is not None
    assert memory.table.rows == ((f"`{BUS}:12`", "2,400,000 B", "30,000"),)

"""The pure parts of the workloads: spec parsing, sweeps, mixes, templates, knee, sizing."""

from __future__ import annotations

import pytest

from inspector.agent.workloads.event_bus import weighted_sequence
from inspector.agent.workloads.job_queue import fill
from inspector.agent.workloads.pools import parse_sweep
from inspector.agent.workloads.summary import find_knee, spread
from inspector.core.pool_sizing import recommend, size_pools
from inspector.core.workload_specs import (
    WorkloadSpecError,
    format_workload_spec,
    parse_workload_spec,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("canvas:nodes=200", ("canvas", {"nodes": 200})),
        ("pools:sweep=1..16", ("pools", {"sweep": "1..16"})),
        ("pools:sweep=1,2,4,clients=8", ("pools", {"sweep": "1,2,4", "clients": 8})),
        ("bus", ("event_bus", {})),
        ("queue:jobs=500", ("job_queue", {"jobs": 500})),
        ("event-bus:rate=50.5", ("event_bus", {"rate": 50.5})),
    ],
)
def test_parse_workload_spec(text: str, expected: tuple) -> None:
    assert parse_workload_spec(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nope:x=1", "unknown workload 'nope'"),
        ("canvas:bogus=1", "unknown parameter(s) bogus"),
        ("canvas:nodes=abc", "nodes='abc' is not a int"),
        ("canvas:200", "expected KEY=VALUE"),
        ("pools:sweep=0..3", "each at least 1"),
        (":nodes=1", "unknown workload"),
    ],
)
def test_bad_specs_say_why_in_one_line(text: str, message: str) -> None:
    with pytest.raises(WorkloadSpecError) as err:
        parse_workload_spec(text)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_format_is_the_inverse_of_parse() -> None:
    name, params = parse_workload_spec("pools:sweep=1..8,clients=4")
    assert parse_workload_spec(format_workload_spec(name, params)) == (name, params)


def test_sweeps() -> None:
    assert parse_sweep("1..4") == [1, 2, 3, 4]
    assert parse_sweep("1..16:5") == [1, 6, 11, 16]
    assert parse_sweep("8,2,4,2") == [2, 4, 8]
    with pytest.raises(ValueError):
        parse_sweep("1..100")


def test_weighted_mix_keeps_the_weights_and_interleaves() -> None:
    seq = weighted_sequence({"a": 3, "b": 2, "c": 1})
    assert sorted(seq) == ["a", "a", "a", "b", "b", "c"]
    assert seq[:2] != ["a", "a"]  # interleaved, not grouped


def test_template_fill_keeps_types_of_lone_placeholders() -> None:
    out = fill(
        {"id": "job-{i}", "priority": "{priority}", "env": "{env}", "n": 3},
        {"i": 7, "priority": 2, "env": "prod"},
    )
    assert out == {"id": "job-7", "priority": 2, "env": "prod", "n": 3}


def test_knee_is_where_throughput_stops_rising_beyond_noise() -> None:
    sizes = [1, 2, 4, 8, 16]
    knee, why = find_knee(sizes, [100, 195, 380, 400, 398], [5, 5, 8, 10, 9])
    assert knee == 4 and "size 4" in why
    knee, why = find_knee(sizes, [100, 200, 400, 800, 1600])
    assert knee == 16 and "still rising" in why
    assert find_knee([], [])[0] is None
    assert find_knee([1, 2], [0, 0])[0] is None


def test_spread_reports_median_and_range() -> None:
    assert spread([3.0, 1.0, 2.0]) == {"p50": 2.0, "min": 1.0, "max": 3.0, "n": 3}


def _point(size: int, tput: float, p95: float, noise: float = 5.0) -> dict:
    cell = lambda v, d=0.0: {"p50": v, "min": v - d, "max": v + d, "n": 3}  # noqa: E731
    return {
        "size": size,
        "throughput_rps": cell(tput, noise),
        "wait_ms_p50": cell(p95 / 4),
        "wait_ms_p95": cell(p95),
        "exhausted": cell(100.0 / size),
        "timeouts": cell(0.0),
    }


def test_pool_sizing_recommends_the_knee_and_says_why() -> None:
    result = {
        "results": {
            "clients": 16,
            "service": {"service_ms": 5.0, "capacity": 4},
            "pools": [
                {
                    "pool": "http",
                    "class": "app.HttpPool",
                    "status": "ok",
                    "default_size": 10,
                    "points": [
                        _point(1, 100, 600),
                        _point(2, 190, 300),
                        _point(4, 380, 30),
                        _point(8, 390, 12),
                        _point(16, 385, 10),
                    ],
                },
                {
                    "pool": "db",
                    "class": "app.DbPool",
                    "status": "unsupported",
                    "reason": "the target has no aiosqlite installed",
                },
            ],
        }
    }
    http, db = size_pools(result)
    assert http.recommended == 4 and http.knee == 4
    assert "Recommended max size 4" in http.reasoning and "default (10) is above" in http.reasoning
    assert "16 concurrent clients" in http.reasoning
    assert http.series["size"] == [1, 2, 4, 8, 16]
    assert http.series["throughput_rps"][2] == 380
    assert db.recommended is None and db.status == "unsupported" and "aiosqlite" in db.reasoning


def test_pool_sizing_moves_past_the_knee_only_to_meet_the_wait_budget() -> None:
    pool = {
        "pool": "p",
        "class": "C",
        "status": "ok",
        "points": [
            _point(1, 100, 900),
            _point(2, 200, 400),
            _point(4, 205, 200),
            _point(8, 204, 20),
        ],
    }
    sizing = recommend(pool, wait_budget_ms=50)
    assert sizing.knee == 2 and sizing.recommended == 8
    assert "above the 50 ms budget" in sizing.reasoning

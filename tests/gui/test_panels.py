"""What the panels print and draw: adaptive units, "-" for untimed, legends, gaps, sweeps."""

from __future__ import annotations

import math

from inspector.gui.panels.base import distinct_labels, with_gaps
from inspector.gui.panels.rows_table import duration_text, fmt_duration


def test_durations_in_the_unit_that_shows_them() -> None:
    assert [duration_text(v) for v in (0.0, 0.004, 0.0123, 0.04, 3.456, 16.74, 180.0, 2500.0)] == [
        "0",
        "4.0 us",
        "12 us",
        "40 us",
        "3.46 ms",
        "16.7 ms",
        "180.0 ms",
        "2.50 s",
    ]
    assert fmt_duration(None) == "-"  # not measured is not zero


def test_legend_labels_keep_the_distinguishing_end() -> None:
    keys = [
        "casare_rpa.presentation.canvas.visual_nodes.PropertiesPanel.refresh",
        "casare_rpa.presentation.canvas.visual_nodes.MinimapPanel.refresh",
        "casare_rpa.domain.events.EventBus.publish",
    ]
    assert distinct_labels(keys) == {
        keys[0]: "PropertiesPanel.refresh",
        keys[1]: "MinimapPanel.refresh",
        keys[2]: "EventBus.publish",
    }
    long = ["x" * 50 + ".a", "y" * 50 + ".a"]
    labels = distinct_labels(long, limit=20)
    assert len(set(labels.values())) == 2 and all(len(v) == 20 for v in labels.values())


def test_a_stretch_without_data_stays_a_gap() -> None:
    xs, ys = with_gaps([0, 1, 2, 3, 20, 21], [5, 5, 5, 5, 9, 9])
    assert xs == [0, 1, 2, 3, 11.5, 20, 21]
    assert ys[:4] == [5, 5, 5, 5] and math.isnan(ys[4]) and ys[5:] == [9, 9]
    assert with_gaps([0, 1, 2, 3], [1, 1, 1, 1]) == ([0, 1, 2, 3], [1, 1, 1, 1])


def _summary_repaint() -> dict:
    return {
        "widgets": [
            {
                "widget": "NodeCanvasView.viewport",
                "object_name": "",
                "is_canvas": True,
                "paints": 600,
                "paints_per_s": 75.0,
                "update_requests": 0,
                "full_updates": 600,
                "p50_ms": 4.0,
                "p95_ms": 9.0,
                "max_ms": 12.0,
            },
            {
                "widget": "app.nodes.NodeWidget",
                "object_name": "",
                "is_canvas": False,
                "paints": 53_000,
                "paints_per_s": 1600.0,
                "update_requests": 0,
                "full_updates": 0,
                "p50_ms": None,
                "p95_ms": None,
                "max_ms": None,
            },
        ],
        "span_s": 8.0,
    }


def test_repaint_panel_compares_only_the_viewport_and_dashes_untimed(qtbot) -> None:
    from inspector.gui.panels.record_panels import RepaintPanelView

    panel = RepaintPanelView()
    qtbot.addWidget(panel)
    panel.apply_summary(_summary_repaint())
    text = panel.headline_label.text()
    assert "viewport <b>NodeCanvasView.viewport</b> <b>75.0</b> paints/s" in text
    assert "(over the &lt;= 60/s target)" in text
    assert "frame p95 <b>9.00 ms</b> (within the 16.7 ms budget)" in text
    assert "busiest other widget NodeWidget 1600.0 paints/s" in text
    model = panel.table_views[0].rows_model
    headers = [model.horizontalHeaderItem(c).text() for c in range(model.columnCount())]
    p95 = headers.index("Paint p95")
    assert model.item(0, p95).text() == "9.00 ms" and model.item(1, p95).text() == "-"


def test_pools_panel_states_no_app_acquires_and_draws_the_sweep(qtbot) -> None:
    from inspector.gui.panels.record_panels import PoolsPanelView

    panel = PoolsPanelView()
    qtbot.addWidget(panel)
    panel.show()
    panel.set_empty("")
    sweep = {
        "pool": "http",
        "class": "C",
        "knee": 4,
        "recommended": 4,
        "size": [1.0, 2.0, 4.0, 8.0],
        "throughput_rps": [100.0, 190.0, 300.0, 305.0],
        "wait_ms_p95": [80.0, 30.0, 5.0, 4.0],
    }
    panel.apply_summary(
        {
            "pools": [
                {
                    "pool": "app.pools.ConnectionPool",
                    "pool_id": "",
                    "source": "app",
                    "acquires": 0,
                    "wait_p95_ms": None,
                    "max_waiters": 0,
                    "leaks": 0,
                },
                {
                    "pool": "app.pools.ConnectionPool",
                    "pool_id": "abc",
                    "leaks": 0,
                    "source": "workload:pools#3",
                    "acquires": 50,
                    "wait_p95_ms": 4.0,
                    "max_waiters": 2,
                },
            ],
            "leaks": [],
            "sweeps": [sweep],
        }
    )
    text = panel.headline_label.text()
    assert "<b>1</b> app pools, <b>no acquires from the app</b> in this range" in text
    assert "http knee at 4" in text
    assert panel.sweep_view.isVisible()
    assert [line.value() for line in panel.sweep_view.throughput.knee_lines] == [4.0]
    model = panel.table_views[0].rows_model
    assert [model.item(r, 1).text() for r in range(2)] == ["app", "pools#3"]
    assert model.item(0, 2).text() == "-"  # no id, never "None"


def test_headlines_keep_our_workloads_apart_from_the_app(qtbot) -> None:
    from inspector.gui.panels.record_panels import EventBusPanelView, EventLoopPanelView

    bus = EventBusPanelView()
    qtbot.addWidget(bus)
    idle = {"types": [{"event": "NODE_ADDED", "count": 0, "subscribers": 2}], "span_s": 40.0}
    bus.apply_summary({**idle, "handlers": []})
    assert bus.headline_label.text() == (
        "<b>no events</b> published in 40 s; 1 event types have subscribers (below)"
    )
    busy = {"types": [{"event": "NODE_ADDED", "count": 300, "subscribers": 2}], "span_s": 10.0}
    bus.apply_summary({**busy, "handlers": [], "workload_events": 280})
    assert "<b>280</b> of them published while our workloads drove the app" in (
        bus.headline_label.text()
    )
    loop = EventLoopPanelView()
    qtbot.addWidget(loop)
    rows = [
        {"duration_ms": 90.0, "source": "app", "origin": "qt-event", "stack": []},
        {"duration_ms": 70.0, "source": "workload:canvas#1", "origin": "asyncio", "stack": []},
    ]
    loop.apply_summary({"slow_callbacks": rows, "hazards": [], "lag_p50_ms": 0.04})
    text = loop.headline_label.text()
    assert "lag p50 <b>40 us</b>" in text
    assert "2 blocked stretches (1 the app's, 1 while our workloads ran)" in text
    model = loop.table_views[0].rows_model
    assert [model.item(0, c).text() for c in (0, 3, 4)] == ["90.0 ms", "qt-event", "app"]
    assert [model.item(1, c).text() for c in (0, 3, 4)] == ["70.0 ms", "asyncio", "canvas#1"]


def test_memory_plot_breaks_its_line_across_a_gap_and_marks_sparse_points(qtbot) -> None:
    from inspector.core.live_metrics import PANEL_SERIES
    from inspector.gui.panels.base import TimePlotView

    spec = next(s for s in PANEL_SERIES["memory"] if s.family == "memory.rss_mb")
    plot = TimePlotView(spec)
    qtbot.addWidget(plot)
    plot.set_points({"RSS": ([100.0, 101.0, 102.0, 103.0, 120.0], [5, 5, 6, 6, 9])}, 100.0)
    curve = plot.curves["RSS"]
    ys = list(curve.yData)
    assert list(curve.xData) == [0.0, 1.0, 2.0, 3.0, 11.5, 20.0]
    assert math.isnan(ys[4]) and ys[5] == 9
    assert curve.opts["connect"] == "finite"
    assert curve.opts["symbol"] == "o"  # five points: each one marked
    assert plot.getAxis("left").labelText == "MB"

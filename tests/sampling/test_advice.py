"""What the measured code is decides the advice: never asyncio.to_thread for a Qt item."""

from __future__ import annotations

from inspector.sampling.advice import advice, code_kind, repaint_advice
from inspector.sampling.chrometrace import Frame

PAINTING = (Frame("native Qt paint of NodeViewer.viewport", "<native>", 0),)


def test_kinds_from_the_function_and_its_callers() -> None:
    assert code_kind("CasareNodeItem.boundingRect", (), "qt") == "graphics-item"
    assert code_kind("CasareNodeItem.boundingRect", (), "asyncio") == "graphics-item"
    assert code_kind("PipeItem.paint") == "graphics-item"
    assert code_kind("NodeViewer.paintEvent") == "widget-paint"
    assert code_kind("CasareNodeItem._draw_text", PAINTING, "qt") == "graphics-item"
    assert code_kind("VisualNode.__init__", (), "qt") == "qt-handler"
    assert code_kind("refresh_status", (), "asyncio") == "coroutine"


def test_only_coroutines_are_told_to_use_a_thread() -> None:
    for kind in ("graphics-item", "widget-paint", "qt-handler", "bus-handler"):
        assert "to_thread" not in advice(kind).recommendation, kind
    assert "to_thread" in advice("coroutine").recommendation
    assert "DeviceCoordinateCache" in advice("graphics-item").recommendation
    assert "levelOfDetailFromTransform" in advice("graphics-item").recommendation


def test_repaint_advice_reads_the_live_viewport() -> None:
    gl = {"opengl": True, "update_mode": "SmartViewportUpdate", "samples_requested": 4}
    text = repaint_advice({**gl, "proxy_widgets": 188}, full=37, partial=0).recommendation
    assert "(here SmartViewportUpdate)" in text
    assert "4x multisampling" in text and "188 embedded widgets" in text
    raster = repaint_advice({"update_mode": "FullViewportUpdate"}, full=9, partial=0)
    assert "switch to SmartViewportUpdate" in raster.recommendation

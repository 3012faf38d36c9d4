"""CIA405: a QGraphicsView set to repaint its whole viewport on any change."""

from __future__ import annotations

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import arg, call_name, dotted


class FullViewportUpdateMode(Rule):
    """FullViewportUpdate repaints every visible item for any one-item change."""

    ID = "CIA405"
    AREA = 4
    TITLE = "QGraphicsView uses FullViewportUpdate"
    RATIONALE = (
        "With `FullViewportUpdate` a hover highlight or one moving port repaints the whole "
        "viewport: every visible node and pipe runs `paint()` again. On a 100+ node graph "
        "this makes frame time proportional to the scene instead of to what changed."
    )
    IMPACT = 5
    FREQUENCY = 6
    DIFFICULTY = 1
    RECOMMENDATION = (
        "Use `QGraphicsView.ViewportUpdateMode.SmartViewportUpdate` (or "
        "`MinimalViewportUpdate`) and give items accurate `boundingRect()`s; use "
        "`BoundingRectViewportUpdate` only when many small regions change at once."
    )
    EXAMPLE_BEFORE = "view.setViewportUpdateMode(QGraphicsView.FullViewportUpdate)\n"
    EXAMPLE_AFTER = (
        "view.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)\n"
    )
    TAGS = ("qt", "rendering")
    TRIGGERS = ("FullViewportUpdate",)
    VALID = (
        Valid("view.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)\n"),
        Valid("mode = QGraphicsView.FullViewportUpdate\n"),
    )
    INVALID = (
        Invalid(
            """\
            def setup(view):
                view.setViewportUpdateMode(
                    QGraphicsView.ViewportUpdateMode.FullViewportUpdate
                )
            """,
            line=2,
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        if call_name(node) != "setViewportUpdateMode":
            return
        mode = dotted(arg(node, 0)) or ""
        if mode.endswith("FullViewportUpdate"):
            self.report(
                node,
                f"`setViewportUpdateMode({mode})` repaints every visible item on any change: "
                f"use SmartViewportUpdate or MinimalViewportUpdate.",
            )

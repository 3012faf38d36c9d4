"""CIA404: paint()/boundingRect() building pens, brushes, fonts and paths on every call."""

from __future__ import annotations

from collections import Counter

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import body_nodes, import_map

_PAINT_METHODS = frozenset(
    {"paint", "paintEvent", "drawBackground", "drawForeground", "boundingRect", "shape"}
)
# Costly to build: a font is resolved against the font database, a path tessellated,
# a gradient rebuilt; a pen or brush is cheap alone but adds up per item and per frame.
_HEAVY = frozenset(
    {
        "QFont",
        "QFontMetrics",
        "QFontMetricsF",
        "QPainterPath",
        "QLinearGradient",
        "QRadialGradient",
        "QConicalGradient",
        "QPixmap",
        "QImage",
        "QStaticText",
    }
)
_LIGHT = frozenset({"QPen", "QBrush", "QColor"})
_QT_MODULES = ("PySide6.", "PyQt5.", "PyQt6.", "PySide2.", "qtpy.")


class PaintAllocations(Rule):
    """Per-item, per-frame object construction in the paint path."""

    ID = "CIA404"
    AREA = 4
    TITLE = "paint() allocates Qt drawing objects on every call"
    RATIONALE = (
        "`paint()` runs for every visible item on every repaint (hover, drag, animation "
        "tick). Building QFont/QPainterPath/QPen/QBrush/QColor objects there allocates and "
        "frees C++ objects per item per frame, and QFont construction resolves the font "
        "each time; on a 100+ node canvas this is a large share of frame time."
    )
    # A QPen or QBrush costs microseconds; it adds up only in paints of many items per frame.
    IMPACT = 2
    FREQUENCY = 7
    DIFFICULTY = 3
    RECOMMENDATION = (
        "Build pens, brushes, colors and fonts once (class attributes or `__init__`) and "
        "select between the prebuilt ones in `paint()`; cache shapes such as rounded-rect "
        "QPainterPaths and rebuild them only when the geometry changes (in `setRect`/"
        "`prepareGeometryChange`); cache formatted text when the value changes, not per paint."
    )
    EXAMPLE_BEFORE = """\
def paint(self, painter, option, widget):
    painter.setPen(QPen(QColor(80, 80, 80), 1))
    painter.setFont(QFont("Segoe UI", 9))
    path = QPainterPath()
    path.addRoundedRect(self.boundingRect(), 8, 8)
    painter.drawPath(path)
"""
    EXAMPLE_AFTER = """\
_BORDER_PEN = QPen(QColor(80, 80, 80), 1)
_TITLE_FONT = QFont("Segoe UI", 9)

def setRect(self, rect):
    super().setRect(rect)
    self._path = QPainterPath()
    self._path.addRoundedRect(rect, 8, 8)

def paint(self, painter, option, widget):
    painter.setPen(_BORDER_PEN)
    painter.setFont(_TITLE_FONT)
    painter.drawPath(self._path)
"""
    TAGS = ("qt", "rendering", "allocation")
    TRIGGERS = (
        "def paint",
        "def boundingRect",
        "def drawForeground",
        "def drawBackground",
        "def shape",
    )
    VALID = (
        Valid(
            """\
            from PySide6.QtGui import QPen
            PEN = QPen()

            class Item:
                def paint(self, painter, option, widget):
                    painter.setPen(PEN)
                    painter.drawPath(self._path)
            """
        ),
        # One cheap pen is not worth a finding.
        Valid(
            """\
            from PySide6.QtGui import QPen
            class Item:
                def paint(self, painter, option, widget):
                    painter.setPen(QPen(self._color, 2))
            """
        ),
        # Not Qt's QFont (no Qt import): a project class of the same name.
        Valid(
            """\
            from myfonts import QFont
            class Item:
                def paint(self, painter, option, widget):
                    painter.setFont(QFont("x"))
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            from PySide6.QtGui import QFont, QPainterPath as Path
            class Item:
                def paint(self, painter, option, widget):
                    path = Path()
                    path.addRoundedRect(self.rect(), 8, 8)
                    painter.setFont(QFont("Segoe UI", 9))
            """,
            line=4,
            message_contains="QPainterPath",
        ),
        Invalid(
            """\
            from PySide6 import QtGui
            class Item:
                def paint(self, painter, option, widget):
                    painter.setBrush(QtGui.QBrush(QtGui.QColor(40, 40, 40)))
                    painter.setPen(QtGui.QPen(QtGui.QColor(80, 80, 80), 1))
            """,
            line=4,
        ),
    )

    def visit_Module(self, node: cst.Module) -> None:
        self._imports = import_map(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.name.value not in _PAINT_METHODS:
            return
        counts: Counter[str] = Counter()
        first: cst.Call | None = None
        for sub, _ in body_nodes(node):
            if not isinstance(sub, cst.Call):
                continue
            qualified = self._imports.qualify(sub.func) or ""
            if not qualified.startswith(_QT_MODULES):
                continue
            name = qualified.rsplit(".", 1)[-1]
            if name not in _HEAVY and name not in _LIGHT:
                continue
            counts[name] += 1
            if first is None and name != "QColor":
                first = sub
        heavy = sum(n for name, n in counts.items() if name in _HEAVY)
        # QColor is a small value type: it only adds weight to a finding, never makes one.
        tools = counts["QPen"] + counts["QBrush"]
        if first is None or (heavy == 0 and tools < 2):
            return
        listed = ", ".join(f"{n} {name}" for name, n in counts.most_common())
        self.report(
            first,
            f"{node.name.value}() constructs {listed} on every call: build them once "
            f"(class attributes or __init__) and reuse; rebuild paths only when the "
            f"geometry changes.",
        )

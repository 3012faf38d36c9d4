"""CIA404: paint()/boundingRect() building pens, brushes, fonts and paths on every call.

Each of these objects costs microseconds, so the finding is LOW: it matters only where the
method runs for many objects per frame. That is an item's `paint`/`boundingRect`/`shape`
(QGraphicsItem, item delegates: once per visible item or row on every repaint). A widget's
`paintEvent` or a view's `drawForeground`/`drawBackground` runs once per repaint, where a pen
or a path is nothing; there only a pixel buffer allocated per repaint (a QImage or a sized
QPixmap) is reported. `QPixmap(path)` goes through QPixmapCache, so it is not a decode.
"""

from __future__ import annotations

from collections import Counter

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import body_nodes, dotted, import_map

_PAINT_METHODS = frozenset(
    {"paint", "paintEvent", "drawBackground", "drawForeground", "boundingRect", "shape"}
)
# Called per item (or per row) on every repaint: QGraphicsItem and item-delegate API.
_PER_ITEM_METHODS = frozenset({"boundingRect", "shape"})
# `paint(self, painter, option, widget|index)`; a helper `paint(self, painter)` is not.
_PER_ITEM_PAINT_PARAMS = 4
# A pixel buffer: allocated and filled per repaint unless loaded from a file (cached).
_BUFFERS = frozenset({"QImage", "QPixmap"})
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
        "frees C++ objects per item per frame. Each costs microseconds, so it matters only "
        "where many items repaint together (a canvas of hundreds of nodes and pipes during "
        "a drag or an animation)."
    )
    # A QPen, QBrush or QPainterPath costs microseconds; it adds up only in paints of many
    # items per frame, so it ranks LOW (score 29) beside real stalls.
    IMPACT = 1
    FREQUENCY = 5
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
        # A widget paints once per repaint: one gradient or path there is nothing.
        Valid(
            """\
            from PySide6.QtGui import QLinearGradient, QPainterPath, QPen
            class Shadow:
                def paintEvent(self, event):
                    gradient = QLinearGradient(0, 0, self.width(), 0)
                    path = QPainterPath()
                    path.addRoundedRect(self.rect(), 8, 8)
                    self._painter.setPen(QPen(self._color, 1))
            """
        ),
        # A pixmap loaded from a file comes out of QPixmapCache after the first paint.
        Valid(
            """\
            from PyQt6.QtGui import QPixmap
            class Badge:
                def paintEvent(self, event):
                    pixmap = QPixmap(icon_path("warning.png"))
            """
        ),
        # The scaled pixmap is kept and rebuilt only when it is missing or the width changed.
        Valid(
            """\
            from qtpy.QtGui import QPixmap
            class FigureCanvas:
                def paintEvent(self, event):
                    rect = self.rect()
                    if self._scaled is None or self._scaled.width() != rect.width():
                        self._scaled = QPixmap(render_svg(self.fig, rect.size()))
                    self._painter.drawPixmap(rect, self._scaled)
            """
        ),
        # A drawing helper's paint(painter) is called from one widget's paintEvent.
        Valid(
            """\
            from PyQt5.QtGui import QPainterPath
            class IconDrawer:
                def paint(self, painter):
                    path = QPainterPath()
                    painter.drawPath(path)
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
            message_contains="every visible item",
        ),
        # A delegate paints once per visible row.
        Invalid(
            """\
            from PySide6.QtGui import QFontMetrics
            class Delegate:
                def paint(self, painter, option, index):
                    metrics = QFontMetrics(option.font)
            """,
            line=4,
            message_contains="QFontMetrics",
        ),
        # A widget-sized pixel buffer allocated and filled on every repaint.
        Invalid(
            """\
            from PySide6.QtGui import QImage
            class Chart:
                def paintEvent(self, event):
                    image = QImage(self.size(), QImage.Format.Format_ARGB32)
            """,
            line=4,
            message_contains="pixel buffer",
        ),
    )

    def visit_Module(self, node: cst.Module) -> None:
        self._imports = import_map(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        name = node.name.value
        if name not in _PAINT_METHODS:
            return
        per_item = name in _PER_ITEM_METHODS or (name == "paint" and _takes_item_args(node))
        counts: Counter[str] = Counter()
        first: cst.Call | None = None
        buffer: tuple[cst.Call, str] | None = None
        for sub, ancestors in body_nodes(node):
            if not isinstance(sub, cst.Call):
                continue
            qualified = self._imports.qualify(sub.func) or ""
            if not qualified.startswith(_QT_MODULES):
                continue
            made = qualified.rsplit(".", 1)[-1]
            if not per_item:
                if (
                    buffer is None
                    and made in _BUFFERS
                    and _allocates_pixels(sub)
                    and not _rebuilt_on_change(ancestors)
                ):
                    buffer = (sub, made)
                continue
            if made not in _HEAVY and made not in _LIGHT:
                continue
            counts[made] += 1
            if first is None and made != "QColor":
                first = sub
        if not per_item:
            if buffer is not None:
                self.report(
                    buffer[0],
                    f"{name}() allocates a {buffer[1]} pixel buffer on every repaint: keep "
                    "one buffer and redraw it only when the size or the content changes.",
                )
            return
        heavy = sum(n for made, n in counts.items() if made in _HEAVY)
        # QColor is a small value type: it only adds weight to a finding, never makes one.
        tools = counts["QPen"] + counts["QBrush"]
        if first is None or (heavy == 0 and tools < 2):
            return
        listed = ", ".join(f"{n} {made}" for made, n in counts.most_common())
        when = "on every repaint" if name == "paint" else "on every repaint and hit test"
        self.report(
            first,
            f"{name}() constructs {listed} on every call; each is cheap, but {name}() runs "
            f"for every visible item {when}, so on a scene of many items it adds up: "
            "build them once (class attributes or __init__) and reuse; rebuild paths only "
            "when the geometry changes.",
        )


def _rebuilt_on_change(ancestors: tuple[cst.CSTNode, ...]) -> bool:
    """`if self._scaled is None or self._scaled.width() != rect.width(): self._scaled = ...`:
    a buffer kept on the object and rebuilt only when it is missing or the size changed."""
    kept = {
        name
        for anc in ancestors
        if isinstance(anc, cst.Assign)
        for t in anc.targets
        if (name := dotted(t.target)) and name.startswith("self.")
    }
    if not kept:
        return False
    for anc in ancestors:
        if isinstance(anc, cst.If):
            tested = {dotted(n) for n, _ in body_nodes(anc.test) if isinstance(n, cst.Attribute)}
            if kept & tested:
                return True
    return False


def _takes_item_args(node: cst.FunctionDef) -> bool:
    """`paint(self, painter, option, widget)` (QGraphicsItem) or `(..., index)` (delegate)."""
    params = node.params
    positional = len(params.posonly_params) + len(params.params)
    return positional >= _PER_ITEM_PAINT_PARAMS or isinstance(params.star_arg, cst.Param)


_FILE_WORDS = ("path", "icon", "file", "resource")


def _allocates_pixels(call: cst.Call) -> bool:
    """`QImage(size, fmt)` or `QPixmap(w, h)`; not `QPixmap()` (null) nor `QPixmap(path)`."""
    if not call.args:
        return False
    value = call.args[0].value
    if isinstance(value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
        return False
    target = value.func if isinstance(value, cst.Call) else value
    named = target.attr.value if isinstance(target, cst.Attribute) else ""
    if isinstance(target, cst.Name):
        named = target.value
    return not any(word in named.lower() for word in _FILE_WORDS)

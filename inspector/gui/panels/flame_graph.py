"""An icicle (top-down flame) graph of sampled stacks: width is time, depth is the stack.

Click a frame to select it (its file:line is emitted, so the window can open the source);
double-click to zoom into it; double-click the root to zoom back out.
"""

from __future__ import annotations

import zlib
from typing import Any

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import (
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QWidget,
)

ROW_H = 18.0


def _color(node: Any) -> QColor:
    """Warm colours, stable per file so a module keeps its hue across refreshes."""
    key = (getattr(node, "file", "") or getattr(node, "function", "")).encode()
    h = zlib.crc32(key)
    return QColor.fromHsv(10 + h % 45, 120 + h % 90, 225 + h % 30)


class _FrameItem(QGraphicsRectItem):
    def __init__(self, node: Any, rect: QRectF) -> None:
        super().__init__(rect)
        self.node = node


class FlameGraphView(QGraphicsView):
    """Draws a `FlameNode` tree (inspector.sampling.profile_data) as an icicle graph."""

    frame_clicked = Signal(str, int, str)  # file, line, function

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.root: Any = None
        self.focus: Any = None
        self.focus_path: tuple[tuple[str, str, int], ...] = ()
        self.font_ = QFont(self.font())
        self.font_.setPointSize(8)
        self.setMinimumHeight(160)

    def set_tree(self, root: Any) -> None:
        self.root = root
        # a refreshed tree has new node objects: find the zoomed frame again by its path
        self.focus = self._find(root, self.focus_path) if self.focus_path else None
        self.redraw()

    @staticmethod
    def _find(root: Any, path: tuple[tuple[str, str, int], ...]) -> Any:
        node = root
        for key in path:
            node = next((c for c in node.children if (c.function, c.file, c.line) == key), None)
            if node is None:
                return None
        return node

    def _path_to(self, target: Any) -> tuple[tuple[str, str, int], ...]:
        def walk(node: Any, trail: tuple) -> tuple | None:
            if node is target:
                return trail
            for c in node.children:
                found = walk(c, (*trail, (c.function, c.file, c.line)))
                if found is not None:
                    return found
            return None

        return walk(self.root, ()) or ()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.redraw()

    def redraw(self) -> None:
        scene = self.scene()
        scene.clear()
        node = self.focus or self.root
        if node is None or not getattr(node, "total_s", 0):
            return
        width = max(self.viewport().width() - 2, 100)
        metrics = QFontMetrics(self.font_)
        self._draw(node, 0.0, 0, width, width / node.total_s, metrics)
        scene.setSceneRect(0, 0, width, scene.itemsBoundingRect().height() + 4)

    def _draw(
        self, node: Any, x: float, depth: int, total_w: float, scale: float, metrics: QFontMetrics
    ) -> None:
        w = node.total_s * scale
        if w < 1.0 or depth > 120:
            return
        item = _FrameItem(node, QRectF(x, depth * ROW_H, w, ROW_H - 1))
        item.setBrush(QBrush(QColor("#d0d7e2") if depth == 0 else _color(node)))
        item.setPen(QPen(QColor("#ffffff")))
        share = node.total_s / (self.root.total_s or 1.0) * 100
        where = (
            f"{node.file}:{node.line}" if getattr(node, "line", 0) else getattr(node, "file", "")
        )
        item.setToolTip(
            f"{node.function}\n{where}\ntotal {node.total_s:.3f} s ({share:.1f}%),"
            f" self {node.self_s:.3f} s"
        )
        self.scene().addItem(item)
        if w > 30:
            label = f"{node.function.rsplit('.', 1)[-1]} ({share:.0f}%)"
            text = metrics.elidedText(label, Qt.TextElideMode.ElideRight, int(w - 6))
            t = QGraphicsSimpleTextItem(text, item)
            t.setFont(self.font_)
            t.setPos(x + 3, depth * ROW_H + 2)
        cx = x
        for child in node.children:
            self._draw(child, cx, depth + 1, total_w, scale, metrics)
            cx += child.total_s * scale

    def mousePressEvent(self, event) -> None:
        item = self.itemAt(event.position().toPoint())
        if isinstance(item, QGraphicsSimpleTextItem):
            item = item.parentItem()
        if isinstance(item, _FrameItem) and getattr(item.node, "file", ""):
            self.frame_clicked.emit(item.node.file, int(item.node.line or 0), item.node.function)
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        item = self.itemAt(event.position().toPoint())
        if isinstance(item, QGraphicsSimpleTextItem):
            item = item.parentItem()
        if isinstance(item, _FrameItem):
            self.focus = None if item.node is (self.focus or self.root) else item.node
            self.focus_path = self._path_to(self.focus) if self.focus is not None else ()
            self.redraw()

"""The demo's node canvas: a `QGraphicsView` of node items joined by pipes, like NodeGraphQt.

The viewport is a plain `QWidget` (not a `QOpenGLWidget` as in CasareRPA) so the canvas also
paints on the offscreen platform the tests use. Deliberate defects the inspector should find:
the view repaints the whole viewport on every change (`FullViewportUpdate`), and
`NodeItem.paint` builds a new `QPen` and `QFont` on every paint instead of caching them.
Planted faults the live inspector must measure (tests pin their lines and numbers): deleted
nodes stay referenced from `_undo_stack`, each with a PREVIEW_BYTES preview (retained memory),
and `drawForeground` costs OVERLAY_MS_PER_NODE per node from OVERLAY_FROM_NODES nodes on (an
over-budget viewport paint).
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsView,
    QStyleOptionGraphicsItem,
    QWidget,
)

from inspector.demo.event_bus import NODE_ADDED, NODE_REMOVED, SELECTION_CHANGED, EventBus

VIEWPORT_OBJECT_NAME = "demo-canvas-viewport"

# Node type identifier -> (label, fill colour); identifiers are spelled like NodeGraphQt's
# "package.ClassName" so a workload can create "real node types" the same way on both targets.
NODE_TYPES: dict[str, tuple[str, str]] = {
    "demo.basic.StartNode": ("Start", "#2e7d32"),
    "demo.basic.EndNode": ("End", "#c62828"),
    "demo.browser.ClickNode": ("Click", "#1565c0"),
    "demo.browser.TypeTextNode": ("Type Text", "#1565c0"),
    "demo.data.SetVariableNode": ("Set Variable", "#6a1b9a"),
    "demo.data.HttpRequestNode": ("HTTP Request", "#ef6c00"),
    "demo.control.IfNode": ("If", "#00838f"),
    "demo.control.WaitNode": ("Wait", "#5d4037"),
}

PREVIEW_BYTES = 32 * 1024  # planted: per node, and never freed (see NodeCanvasView.delete_node)
OVERLAY_FROM_NODES = 40
OVERLAY_MS_PER_NODE = 0.5
NODE_WIDTH = 160.0
NODE_HEIGHT = 64.0
COLLAPSED_HEIGHT = 26.0
PORT_RADIUS = 5.0


class NodeItem(QGraphicsItem):
    """One node: a rounded box with a title, an input port left and an output port right."""

    _ids = itertools.count(1)

    def __init__(self, identifier: str, name: str | None = None) -> None:
        super().__init__()
        label, colour = NODE_TYPES[identifier]
        self.identifier = identifier
        self.node_id = f"node-{next(self._ids)}"
        self.name = name or label
        self._fill = QColor(colour)
        self._collapsed = False
        self.pipes: list[PipeItem] = []
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
        )

    @property
    def collapsed(self) -> bool:
        return self._collapsed

    def set_collapsed(self, collapsed: bool) -> None:
        if collapsed != self._collapsed:
            self.prepareGeometryChange()
            self._collapsed = collapsed
            for pipe in self.pipes:
                pipe.update_path()

    def height(self) -> float:
        return COLLAPSED_HEIGHT if self._collapsed else NODE_HEIGHT

    def boundingRect(self) -> QRectF:
        pad = PORT_RADIUS + 2
        return QRectF(-pad, -2, NODE_WIDTH + 2 * pad, self.height() + 4)

    def input_pos(self) -> QPointF:
        return self.mapToScene(QPointF(0, self.height() / 2))

    def output_pos(self) -> QPointF:
        return self.mapToScene(QPointF(NODE_WIDTH, self.height() / 2))

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        # Deliberate defect: a new pen and font on every paint of every node; they never change
        # between paints and belong in __init__ (or a class-level cache).
        border = QPen(QColor("#ffd54f") if self.isSelected() else QColor("#1b1b1b"), 2)
        font = QFont("Sans Serif", 9, QFont.Weight.Bold)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(border)
        painter.setBrush(QBrush(self._fill))
        painter.drawRoundedRect(QRectF(0, 0, NODE_WIDTH, self.height()), 6, 6)
        painter.setFont(font)
        painter.setPen(QPen(QColor("#ffffff")))
        painter.drawText(
            QRectF(8, 2, NODE_WIDTH - 16, COLLAPSED_HEIGHT - 4),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            self.name,
        )
        if not self._collapsed:
            painter.drawText(
                QRectF(8, COLLAPSED_HEIGHT, NODE_WIDTH - 16, NODE_HEIGHT - COLLAPSED_HEIGHT - 4),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                self.identifier.rsplit(".", 1)[-1],
            )
        painter.setBrush(QBrush(QColor("#eeeeee")))
        painter.setPen(QPen(QColor("#1b1b1b"), 1))
        mid = self.height() / 2
        painter.drawEllipse(QPointF(0, mid), PORT_RADIUS, PORT_RADIUS)
        painter.drawEllipse(QPointF(NODE_WIDTH, mid), PORT_RADIUS, PORT_RADIUS)

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for pipe in self.pipes:
                pipe.update_path()
        return super().itemChange(change, value)


class PipeItem(QGraphicsPathItem):
    """A connection from one node's output port to another node's input port."""

    def __init__(self, source: NodeItem, target: NodeItem) -> None:
        super().__init__()
        self.source = source
        self.target = target
        self.setPen(QPen(QColor("#90a4ae"), 2))
        self.setZValue(-1)
        source.pipes.append(self)
        target.pipes.append(self)
        self.update_path()

    def update_path(self) -> None:
        start, end = self.source.output_pos(), self.target.input_pos()
        dx = max(40.0, abs(end.x() - start.x()) / 2)
        path = QPainterPath(start)
        path.cubicTo(start + QPointF(dx, 0), end - QPointF(dx, 0), end)
        self.setPath(path)

    def detach(self) -> None:
        for node in (self.source, self.target):
            if self in node.pipes:
                node.pipes.remove(self)


class NodeCanvasView(QGraphicsView):
    """The canvas: a scene of nodes and pipes, with NodeGraphQt-like create/connect/delete."""

    def __init__(self, bus: EventBus | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bus = bus
        self._scene = QGraphicsScene(-5000, -5000, 10000, 10000, self)
        self.setScene(self._scene)
        viewport = QWidget()
        viewport.setObjectName(VIEWPORT_OBJECT_NAME)
        self.setViewport(viewport)
        # Deliberate defect: repaint the whole viewport on any change, however small.
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setBackgroundBrush(QColor("#263238"))
        self._scene.selectionChanged.connect(self._on_selection_changed)
        self._undo_stack: list[NodeItem] = []

    # --- NodeGraphQt-shaped API -------------------------------------------------------
    def create_node(
        self, identifier: str, name: str | None = None, pos: tuple[float, float] | None = None
    ) -> NodeItem:
        """Create a node of a registered type; raises KeyError for an unknown identifier."""
        node = NodeItem(identifier, name)
        node.preview = bytearray(PREVIEW_BYTES)  # planted fault: a thumbnail nobody frees
        if pos is None:
            count = len(self.all_nodes())
            pos = ((count % 6) * 200.0, (count // 6) * 100.0)
        node.setPos(*pos)
        self._scene.addItem(node)
        if self._bus is not None:
            self._bus.emit(NODE_ADDED, {"identifier": identifier}, node_id=node.node_id)
        return node

    def connect_nodes(self, source: NodeItem, target: NodeItem) -> PipeItem:
        pipe = PipeItem(source, target)
        self._scene.addItem(pipe)
        return pipe

    def delete_node(self, node: NodeItem) -> None:
        for pipe in list(node.pipes):
            pipe.detach()
            self._scene.removeItem(pipe)
        self._scene.removeItem(node)
        # Planted fault: "undo" keeps every deleted node (and its preview) for good.
        self._undo_stack.append(node)
        if self._bus is not None:
            self._bus.emit(NODE_REMOVED, None, node_id=node.node_id)

    def all_nodes(self) -> list[NodeItem]:
        return [item for item in self._scene.items() if isinstance(item, NodeItem)]

    def all_pipes(self) -> list[PipeItem]:
        return [item for item in self._scene.items() if isinstance(item, PipeItem)]

    def select_all(self) -> None:
        for node in self.all_nodes():
            node.setSelected(True)

    def clear_selection(self) -> None:
        self._scene.clearSelection()

    def selected_nodes(self) -> list[NodeItem]:
        return [item for item in self._scene.selectedItems() if isinstance(item, NodeItem)]

    def pan(self, dx: int, dy: int) -> None:
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + dx)
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + dy)

    def zoom(self, factor: float) -> None:
        self.scale(factor, factor)

    def reset_zoom(self) -> None:
        self.resetTransform()

    # --- painting -----------------------------------------------------------------------
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        super().drawBackground(painter, rect)
        painter.setPen(QPen(QColor("#37474f"), 1))
        step = 40
        left = int(rect.left()) - int(rect.left()) % step
        top = int(rect.top()) - int(rect.top()) % step
        for x in range(left, int(rect.right()) + 1, step):
            painter.drawLine(x, int(rect.top()), x, int(rect.bottom()))
        for y in range(top, int(rect.bottom()) + 1, step):
            painter.drawLine(int(rect.left()), y, int(rect.right()), y)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        # Planted fault: an "overlay" whose cost grows with the node count and, from
        # OVERLAY_FROM_NODES nodes on, takes the paint past a 16.7 ms frame.
        nodes = sum(1 for item in self._scene.items() if isinstance(item, NodeItem))
        if nodes >= OVERLAY_FROM_NODES:
            deadline = time.perf_counter() + nodes * OVERLAY_MS_PER_NODE / 1000.0
            while time.perf_counter() < deadline:
                pass

    def _on_selection_changed(self) -> None:
        if self._bus is not None:
            self._bus.emit(SELECTION_CHANGED, {"selected": len(self._scene.selectedItems())})

"""A node item, a minimap and a results panel shaped like a NodeGraphQt canvas."""

from NodeGraphQt import NodeGraph
from PySide6.QtCore import QTimer
from PySide6.QtGui import QBrush, QColor, QFont, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsView, QTreeWidget, QTreeWidgetItem

BORDER_PEN = QPen(QColor(80, 80, 80), 1)


class NodeItem(QGraphicsItem):
    def paint(self, painter, option, widget):
        path = QPainterPath()  # expect: CIA404
        path.addRoundedRect(self.boundingRect(), 8, 8)
        painter.setFont(QFont("Segoe UI", 9))
        painter.fillPath(path, QBrush(self._color))
        painter.setPen(BORDER_PEN)


class PortItem(QGraphicsItem):
    def paint(self, painter, option, widget):
        painter.setPen(BORDER_PEN)
        painter.drawEllipse(self.boundingRect())


class Pulse:
    def __init__(self, view):
        self._view = view
        self._timer = QTimer()
        self._timer.timeout.connect(self._tick)
        self._timer.start(16)  # expect: CIA403

    def _tick(self):
        for item in self._view.running_items():
            item.advance()


class Minimap(QGraphicsView):
    def __init__(self, graph):
        super().__init__()
        self._graph = graph
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._refresh)
        self._timer.start(200)

    def _refresh(self):
        if not self.isVisible():
            return
        self._count = len(self._graph.all_nodes())  # expect: CIA406


class Canvas(QGraphicsView):
    def __init__(self, graph: NodeGraph):
        super().__init__()
        self._graph = graph
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)  # expect: CIA405

    def mouseMoveEvent(self, event):
        self._highlight_near(event.pos())

    def _highlight_near(self, pos):
        for node in self._graph.all_nodes():  # expect: CIA406
            node.view.set_hovered(node.view.contains(pos))

    def select_many(self, nodes):
        for node in nodes:
            node.set_selected(True)
            self.viewport().update()  # expect: CIA401

    def paste(self, specs):
        for spec in specs:
            self._graph.create_node(spec["type"])  # expect: CIA407

    def refresh(self):
        self._graph.node_selected.connect(self._on_selected)  # expect: CIA402

    def _on_selected(self, node):
        self.centerOn(node.view)

    def find_node(self, node_id):
        for node in self._graph.all_nodes():  # expect: CIA408
            if node.get_property("node_id") == node_id:
                return node
        return None


class JobsPanel(QTreeWidget):
    def populate(self, jobs):
        self.clear()
        for job in jobs:
            self.addTopLevelItem(QTreeWidgetItem([job.name]))

    def populate_fast(self, jobs):
        self.setUpdatesEnabled(False)
        try:
            for job in jobs:
                self._tree.addTopLevelItem(QTreeWidgetItem([job.name]))
        finally:
            self.setUpdatesEnabled(True)

    def rebuild(self, jobs):
        self._tree.clear()
        for job in jobs:
            self._tree.addTopLevelItem(QTreeWidgetItem([job.name]))


class JobsTable:
    def __init__(self, table):
        self._table = table
        self._table.setSortingEnabled(True)

    def refresh(self, jobs):
        self._table.setRowCount(len(jobs))
        for row, job in enumerate(jobs):
            self._table.setItem(row, 0, job.name_item())  # expect: CIA407
            self._table.setItem(row, 1, job.state_item())

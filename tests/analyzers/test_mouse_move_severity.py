"""CIA411 ranks per-move work by what it costs: a graph view's full repaint over a table's."""

from __future__ import annotations

import textwrap

from analyzers.context import FileContext
from analyzers.engine import analyze_source
from analyzers.rules.a4_mouse_move_work_unthrottled import MouseMoveWorkUnthrottled

CODE = textwrap.dedent(
    """
    class GraphView(QGraphicsView):
        def mouseMoveEvent(self, event):
            self._hover = self.mapToScene(event.pos())
            self.viewport().update()

    class LogTable(QTableView):
        def mouseMoveEvent(self, event):
            self._hover_row = self.indexAt(event.pos()).row()
            self.viewport().update()

    class Lasso(QGraphicsObject):
        def mouseMoveEvent(self, event):
            self._points.append(event.pos())
            self._path_item.setPath(QPainterPath([p for p in self._points]))
    """
)


def test_priority_follows_what_the_move_costs():
    found = analyze_source(CODE, FileContext(relpath="view.py"), [MouseMoveWorkUnthrottled])
    ranked = [(f.line, f.priority.impact, f.priority.frequency) for f in found]
    assert ranked == [(5, 5, 7), (10, 1, 5), (15, 3, 5)]

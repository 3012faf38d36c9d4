"""Gesture overlay and running-node animation: per-move work and whole-item animation ticks."""

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QPainterPath
from PySide6.QtWidgets import QWidget


class LassoTool(QObject):
    """Draws a lasso while the mouse is dragged over the graph."""

    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.MouseMove and self._dragging:
            self._extend(event.position())
            return True
        return False

    def _extend(self, pos):
        self._points.append(pos)
        path = QPainterPath(self._points[0])
        for point in self._points[1:]:  # expect: CIA411
            path.lineTo(point)
        self._lasso_item.setPath(path)


class ThrottledHover(QObject):
    """Hover highlighting, at most once per 30 ms."""

    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.HoverMove:
            if self._hover_timer.isActive():
                return False
            self._hover_timer.start(30)
            for pipe in self._pipes:
                pipe.set_hovered(pipe.contains(event.pos()))
        return False


class RunAnimator:
    """One timer moves the dashed border of every running node."""

    def __init__(self):
        self._nodes = set()
        self._offset = 0
        self._timer = QTimer()
        self._timer.timeout.connect(self._step)
        self._timer.start(40)  # expect: CIA403

    def _step(self):
        self._offset = (self._offset + 2) % 16
        for node in self._nodes:
            node._dash_offset = self._offset
            node.update()  # expect: CIA412


class BusyDot(QWidget):
    """A 10-pixel dot: repainting the whole widget is repainting the dot."""

    def __init__(self):
        super().__init__()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._blink)
        self._timer.start(500)

    def _blink(self):
        self._blink_on = not self._blink_on
        self.update()

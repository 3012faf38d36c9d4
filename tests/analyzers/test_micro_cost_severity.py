"""Findings that are true but cost microseconds rank LOW after the whole audit's calibration."""

from __future__ import annotations

from analyzers.runner import audit

PIPE = """\
from PySide6.QtGui import QColor, QPen


class Pipe:
    def paint(self, painter, option, widget):
        painter.setPen(QPen(QColor(80, 80, 80), 2))
        painter.drawPath(self.path())
        painter.setPen(QPen(self._highlight, 1))
"""

ROUTER = """\
from loguru import logger


def get_next_nodes(connections):
    for conn in connections:
        logger.debug(f"route {conn.source} -> {conn.target}")
"""


def test_paint_allocations_and_eager_debug_lines_are_low(tmp_path):
    (tmp_path / "pipe.py").write_text(PIPE)
    (tmp_path / "router.py").write_text(ROUTER)
    result = audit(tmp_path, use_cache=False, jobs=1)
    got = {(f.rule, f.path, f.line, f.severity.value, f.score) for f in result.findings}
    assert got == {
        ("CIA404", "pipe.py", 6, "LOW", 29),
        ("CIA305", "router.py", 6, "LOW", 28),
    }

"""The source viewer: a finding's file at its line, with explanation, chain and evidence.

Left: the file, read-only, syntax highlighted, the finding's lines marked, and lines that
py-spy found hot shaded with their share of samples in the gutter. Right: what the finding
says (root cause, recommendation with its code example), its call chain as links that jump
the viewer to each step, and the measured evidence attached to it.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path

from PySide6.QtCore import QRect, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase, QPainter, QTextCursor, QTextFormat
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from analyzers.findings import Finding
from inspector.gui.python_highlighter import PythonHighlighter

SEVERITY_COLORS = {
    "CRITICAL": "#b71c1c",
    "HIGH": "#e65100",
    "MEDIUM": "#f9a825",
    "LOW": "#607d8b",
}


class _Gutter(QWidget):
    def __init__(self, editor: CodeView) -> None:
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self) -> QSize:
        return QSize(self.editor.gutter_width(), 0)

    def paintEvent(self, event) -> None:
        self.editor.paint_gutter(event)


class CodeView(QPlainTextEdit):
    """Read-only code with line numbers, a marked finding range and hot-line shading."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSize(10)
        self.setFont(font)
        self.highlighter = PythonHighlighter(self.document())
        self.gutter = _Gutter(self)
        self.hot_lines: dict[int, float] = {}  # line -> share of samples (0..1)
        self.marked: tuple[int, int] = (0, 0)
        self.blockCountChanged.connect(lambda _n: self._update_margins())
        self.updateRequest.connect(self._scroll_gutter)
        self._update_margins()

    def gutter_width(self) -> int:
        digits = max(4, len(str(self.blockCount())))
        return 14 + self.fontMetrics().horizontalAdvance("9") * (digits + 5)

    def _update_margins(self) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _scroll_gutter(self, rect: QRect, dy: int) -> None:
        if dy:
            self.gutter.scroll(0, dy)
        else:
            self.gutter.update(0, rect.y(), self.gutter.width(), rect.height())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        cr = self.contentsRect()
        self.gutter.setGeometry(QRect(cr.left(), cr.top(), self.gutter_width(), cr.height()))

    def paint_gutter(self, event) -> None:
        painter = QPainter(self.gutter)
        painter.fillRect(event.rect(), QColor("#f3f3f3"))
        block = self.firstVisibleBlock()
        number = block.blockNumber() + 1
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = self.fontMetrics().height()
        width = self.gutter.width()
        while block.isValid() and top <= event.rect().bottom():
            if block.isVisible():
                share = self.hot_lines.get(number)
                if share:
                    painter.fillRect(0, top, 5, height, QColor("#d32f2f"))
                    painter.setPen(QColor("#b71c1c"))
                    painter.drawText(
                        8, top, width, height, Qt.AlignmentFlag.AlignLeft, f"{share * 100:.0f}%"
                    )
                lo, hi = self.marked
                painter.setPen(QColor("#1a1a1a") if lo <= number <= hi else QColor("#9e9e9e"))
                painter.drawText(
                    0, top, width - 6, height, Qt.AlignmentFlag.AlignRight, str(number)
                )
            block = block.next()
            top += round(self.blockBoundingRect(block).height()) if block.isValid() else height
            number += 1

    def show_text(self, text: str) -> None:
        self.setPlainText(text)

    def mark(self, line: int, end_line: int, hot_lines: Mapping[int, float]) -> None:
        """Mark the finding's lines, shade hot lines and scroll `line` into the middle."""
        self.marked = (line, max(end_line, line))
        self.hot_lines = dict(hot_lines)
        selections = []
        for number, share in self.hot_lines.items():
            sel = QTextEdit.ExtraSelection()
            sel.format.setBackground(QColor(255, 82, 82, int(25 + 90 * min(share * 4, 1.0))))
            sel.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            sel.cursor = self._cursor_at(number)
            selections.append(sel)
        for number in range(line, max(end_line, line) + 1):
            sel = QTextEdit.ExtraSelection()
            sel.format.setBackground(QColor("#fff59d"))
            sel.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            sel.cursor = self._cursor_at(number)
            selections.append(sel)
        self.setExtraSelections(selections)
        self.goto_line(line)

    def _cursor_at(self, line: int) -> QTextCursor:
        block = self.document().findBlockByNumber(max(line - 1, 0))
        cursor = QTextCursor(block)
        cursor.clearSelection()
        return cursor

    def goto_line(self, line: int) -> None:
        cursor = self._cursor_at(line)
        self.setTextCursor(cursor)
        self.centerCursor()
        self.gutter.update()

    @property
    def current_line(self) -> int:
        return self.textCursor().blockNumber() + 1


def _esc(text: str) -> str:
    return html.escape(text or "")


def finding_html(finding: Finding) -> str:
    """The right-hand explanation of a finding, as simple HTML for a QTextBrowser."""
    color = SEVERITY_COLORS.get(finding.severity.value, "#607d8b")
    parts = [
        f"<h3 style='margin:0'>{_esc(finding.title or finding.rule)}</h3>",
        f"<p><span style='background:{color};color:white;padding:2px 6px'>&nbsp;"
        f"{finding.severity.value} {finding.score}&nbsp;</span> &nbsp;"
        f"<code>{_esc(finding.rule)}</code> · area {finding.area} · {finding.kind}"
        f" · priority {finding.priority.source}</p>",
        f"<p><b>{_esc(finding.message)}</b></p>",
    ]
    if finding.root_cause:
        parts.append(f"<h4>Why it is slow</h4><p>{_esc(finding.root_cause)}</p>")
    if finding.recommendation:
        parts.append(f"<h4>Recommendation</h4><p>{_esc(finding.recommendation)}</p>")
    if finding.example_before or finding.example_after:
        style = "background:#f6f8fa;border:1px solid #ddd;padding:6px;font-family:monospace"
        if finding.example_before:
            parts.append(
                f"<p><i>Before</i></p><pre style='{style}'>{_esc(finding.example_before)}</pre>"
            )
        if finding.example_after:
            parts.append(
                f"<p><i>After</i></p><pre style='{style}'>{_esc(finding.example_after)}</pre>"
            )
    if finding.chain:
        parts.append("<h4>Call chain</h4><ol style='margin-left:-20px'>")
        for i, step in enumerate(finding.chain):
            note = f" — {_esc(step.note)}" if step.note else ""
            parts.append(
                f"<li><a href='chain:{i}'>{_esc(step.symbol)}</a> "
                f"<span style='color:#666'>{_esc(step.path)}:{step.line}</span>{note}</li>"
            )
        parts.append("</ol>")
    parts.append("<h4>Measured evidence</h4>")
    if finding.evidence:
        parts.append("<ul style='margin-left:-20px'>")
        for ev in finding.evidence:
            metrics = ", ".join(f"{k}={v:g}" for k, v in ev.metrics.items())
            parts.append(
                f"<li><b>{_esc(ev.source)}</b>: {_esc(ev.summary)}"
                + (f"<br><span style='color:#666'>{_esc(metrics)}</span>" if metrics else "")
                + "</li>"
            )
        parts.append("</ul>")
    else:
        parts.append(
            "<p style='color:#666'>None yet: this finding is from static analysis only. "
            "Attach to the running target and exercise it to measure it.</p>"
        )
    if finding.priority.basis:
        parts.append(f"<p style='color:#666'>Priority basis: {_esc(finding.priority.basis)}</p>")
    return "\n".join(parts)


class SourceViewerView(QWidget):
    """Code on the left, the finding's explanation on the right; see module docstring."""

    open_in_editor_requested = Signal(str, int)  # absolute path, line
    location_shown = Signal(str, int)  # relative path, line

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source_root: Path | None = None
        self.finding: Finding | None = None
        self.shown_path: str = ""
        self.shown_line: int = 0
        self.hot_lines_for = lambda _path: {}  # replaced by the window: relpath -> {line: share}

        self.header = QLabel("Select a finding to see its source.")
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.header.font()
        font.setBold(True)
        self.header.setFont(font)
        self.editor_button = QPushButton("Open in editor")
        self.editor_button.setEnabled(False)
        self.editor_button.clicked.connect(self._open_in_editor)
        top = QHBoxLayout()
        top.setContentsMargins(4, 2, 4, 2)
        top.addWidget(self.header, 1)
        top.addWidget(self.editor_button)

        self.code = CodeView()
        self.explanation = QTextBrowser()
        self.explanation.setOpenLinks(False)
        self.explanation.anchorClicked.connect(self._on_anchor)
        self.explanation.setHtml("<p style='color:#666'>No finding selected.</p>")
        base = QFont(self.explanation.font())
        base.setPointSize(max(base.pointSize(), 10))
        self.explanation.setFont(base)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.code)
        splitter.addWidget(self.explanation)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

    def show_finding(self, finding: Finding) -> None:
        self.finding = finding
        self.explanation.setHtml(finding_html(finding))
        self.show_location(finding.path, finding.line, finding.end_line)

    def show_location(self, relpath: str, line: int, end_line: int = 0) -> None:
        """Load `relpath` (relative to the source root) and mark `line`..`end_line`."""
        path = self._resolve(relpath)
        self.shown_path, self.shown_line = relpath, line
        if path is None or not path.is_file():
            where = "no source root set" if self.source_root is None else str(self.source_root)
            self.header.setText(f"{relpath}:{line} — file not found ({where})")
            self.code.show_text(
                f"# {relpath} is not under the source root ({where}).\n"
                "# Set the source root (Session > Set source root…) to the target's checkout."
            )
            self.editor_button.setEnabled(False)
            self.location_shown.emit(relpath, line)
            return
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            text = f"# cannot read {path}: {exc}"
        if self.code.toPlainText() != text:
            self.code.show_text(text)
        self.code.mark(line, end_line or line, self.hot_lines_for(relpath))
        self.header.setText(f"{relpath}:{line}")
        self.editor_button.setEnabled(True)
        self.location_shown.emit(relpath, line)

    def _resolve(self, relpath: str) -> Path | None:
        candidate = Path(relpath)
        if candidate.is_absolute():
            return candidate
        if self.source_root is None:
            return None
        return self.source_root / relpath

    def _on_anchor(self, url: QUrl) -> None:
        text = url.toString()
        if text.startswith("chain:") and self.finding is not None:
            step = self.finding.chain[int(text.split(":", 1)[1])]
            self.show_location(step.path, step.line)

    def _open_in_editor(self) -> None:
        path = self._resolve(self.shown_path)
        if path is not None:
            self.open_in_editor_requested.emit(str(path), self.code.current_line)

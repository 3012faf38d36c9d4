"""Python syntax highlighting for the source viewer (keywords, builtins, strings, comments)."""

from __future__ import annotations

import keyword
import re

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument


def _fmt(color: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(color))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    fmt.setFontItalic(italic)
    return fmt


_BUILTINS = [
    "print",
    "len",
    "range",
    "list",
    "dict",
    "set",
    "tuple",
    "int",
    "float",
    "str",
    "bool",
    "bytes",
    "object",
    "type",
    "super",
    "isinstance",
    "getattr",
    "setattr",
    "hasattr",
    "open",
    "sorted",
    "enumerate",
    "zip",
    "map",
    "filter",
    "any",
    "all",
    "min",
    "max",
    "sum",
    "abs",
    "self",
    "cls",
    "None",
    "True",
    "False",
]


class PythonHighlighter(QSyntaxHighlighter):
    """A line-based highlighter; triple-quoted strings carry state across blocks."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self.rules: list[tuple[re.Pattern[str], QTextCharFormat]] = [
            (
                re.compile(r"\b(" + "|".join(keyword.kwlist + keyword.softkwlist) + r")\b"),
                _fmt("#0033b3", bold=True),
            ),
            (re.compile(r"\b(" + "|".join(_BUILTINS) + r")\b"), _fmt("#871094")),
            (re.compile(r"@\w+(\.\w+)*"), _fmt("#9e880d")),
            (re.compile(r"\bdef\s+(\w+)|\bclass\s+(\w+)"), _fmt("#00627a", bold=True)),
            (re.compile(r"\b\d+(\.\d+)?\b"), _fmt("#1750eb")),
            (
                re.compile(
                    r"[rbfu]{0,2}\"[^\"\\\n]*(\\.[^\"\\\n]*)*\"|[rbfu]{0,2}'[^'\\\n]*(\\.[^'\\\n]*)*'",
                    re.IGNORECASE,
                ),
                _fmt("#067d17"),
            ),
            (re.compile(r"#[^\n]*"), _fmt("#8c8c8c", italic=True)),
        ]
        self.triple = _fmt("#067d17")

    def highlightBlock(self, text: str) -> None:
        for pattern, fmt in self.rules:
            for match in pattern.finditer(text):
                start, end = match.span(1) if match.lastindex and match.group(1) else match.span()
                if pattern.pattern.startswith(r"\bdef"):
                    group = 1 if match.group(1) else 2
                    start, end = match.span(group)
                self.setFormat(start, end - start, fmt)
        self._triple_quotes(text)

    def _triple_quotes(self, text: str) -> None:
        self.setCurrentBlockState(0)
        start = 0
        if self.previousBlockState() != 1:
            found = re.search(r'"""|\'\'\'', text)
            if not found:
                return
            start = found.start()
            search_from = found.end()
        else:
            search_from = 0
        while True:
            end = re.search(r'"""|\'\'\'', text[search_from:])
            if end is None:
                self.setCurrentBlockState(1)
                self.setFormat(start, len(text) - start, self.triple)
                return
            stop = search_from + end.end()
            self.setFormat(start, stop - start, self.triple)
            nxt = re.search(r'"""|\'\'\'', text[stop:])
            if nxt is None:
                return
            start = stop + nxt.start()
            search_from = stop + nxt.end()

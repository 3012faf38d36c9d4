"""Markdown renderer: the report a team reads, `docs/performance/PERFORMANCE_AUDIT_REPORT.md`.

It formats the blocks `ReportLayout` lays out from the model; it decides no content.
"""

from __future__ import annotations

import posixpath

from inspector.report.layout import (
    SECTION_HEADINGS,
    Block,
    Code,
    Heading,
    Image,
    Items,
    Paragraph,
    ReportLayout,
    TableBlock,
)
from inspector.report.model import ReportModel

__all__ = ["SECTION_HEADINGS", "MarkdownRenderer", "cell"]


def cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


class MarkdownRenderer:
    """Formats a ReportModel as Markdown.

    `link_base` is the relative path from the report's folder to the audited root (POSIX);
    None renders plain `file:line`. `plot_dir` is the folder (relative to the report) where
    the PNG plots are written.
    """

    def __init__(self, link_base: str | None = "", plot_dir: str = "") -> None:
        self.link_base = link_base
        self.plot_dir = plot_dir

    def render(self, model: ReportModel) -> str:
        doc = ReportLayout(model, self.link_base).document()
        out: list[str] = []
        for block in doc.blocks:
            out += self.block(block, "")
        return "\n".join(out).rstrip() + "\n"

    def block(self, block: Block, indent: str) -> list[str]:
        if isinstance(block, Heading):
            text = "#" * block.level + " " + block.text
            if block.anchor:
                text += f' <a id="{block.anchor}"></a>'
            return [text, ""]
        if isinstance(block, Paragraph):
            return [indent + block.text, ""]
        if isinstance(block, TableBlock):
            lines = [
                "| " + " | ".join(cell(c) for c in block.columns) + " |",
                "|" + "---|" * len(block.columns),
            ]
            lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in block.rows]
            return [*(indent + ln for ln in lines), ""]
        if isinstance(block, Code):
            lines = [f"{block.label}", ""] if block.label else []
            lines += ["```python", *block.text.splitlines(), "```"]
            return [*(indent + ln if ln else "" for ln in lines), ""]
        if isinstance(block, Image):
            src = (
                posixpath.join(self.plot_dir, f"{block.name}.png")
                if self.plot_dir
                else f"{block.name}.png"
            )
            return [f"![{block.title}]({src})", "", f"_{block.caption}_", ""]
        if isinstance(block, Items):
            return self._items(block, indent)
        raise TypeError(f"unknown block {type(block).__name__}")

    def _items(self, items: Items, indent: str) -> list[str]:
        out: list[str] = []
        for i, entry in enumerate(items.entries, 1):
            marker = f"{i}. " if items.ordered else "- "
            head, *rest = entry
            first = self.block(head, "")
            out.append(indent + marker + first[0])
            inner = indent + " " * len(marker)
            nested: list[str] = []
            for block in rest:
                nested += self.block(block, inner)
            if nested:
                out.append("")
                out += nested
        out.append("")
        return out

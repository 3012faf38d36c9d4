"""Self-contained HTML renderer: the report's blocks as one page, plots embedded as data URIs.

It formats the same `ReportLayout` blocks the Markdown renderer formats, straight from the
model (it never reads Markdown output). Every text is escaped; inline markup is the closed
subset the layout writes (code spans, **strong**, _emphasis_, [text](href)). A conclusion's
paragraph carries `data-topic`, so a reader (or a test) can see which decision it quotes. No
external URL is referenced: styles are inline and images are `data:` URIs.
"""

from __future__ import annotations

import base64
import html
import re

from inspector.report.layout import (
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

_STYLE = """
body{font:14px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222}
h1{border-bottom:2px solid #444}h2{border-bottom:1px solid #bbb;margin-top:2em}
h3{margin-top:1.4em}table{border-collapse:collapse;margin:.6em 0;font-size:13px}
td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top}th{background:#f2f2f2}
code{background:#f4f4f4;padding:0 3px;border-radius:3px;font-size:12.5px}
pre{background:#f6f8fa;padding:8px;overflow-x:auto;border-radius:4px}pre code{background:none}
img{max-width:100%;border:1px solid #ddd}
p.conclusion{border-left:3px solid #4a7;padding-left:8px}
.sev-CRITICAL{color:#fff;background:#b2182b;padding:0 4px;border-radius:3px}
.sev-HIGH{color:#fff;background:#d6604d;padding:0 4px;border-radius:3px}
.sev-MEDIUM{background:#fddbc7;padding:0 4px;border-radius:3px}
.sev-LOW{background:#d1e5f0;padding:0 4px;border-radius:3px}
"""


def slug(text: str) -> str:
    """GitHub-style heading id, so in-report links work in both formats."""
    text = re.sub(r"[^\w\- ]", "", text.lower()).strip()
    return re.sub(r" ", "-", text)


def inline(text: str, images: dict[str, str] | None = None) -> str:
    """Escape `text` and turn the layout's inline markup into tags."""
    spans: list[str] = []

    def keep(m: re.Match[str]) -> str:
        spans.append(f"<code>{html.escape(m.group(1))}</code>")
        return f"\x00{len(spans) - 1}\x00"

    text = re.sub(r"`([^`]+)`", keep, text)
    text = html.escape(text, quote=False)
    text = re.sub(
        r"\[([^\]]+)\]\(([^)\s]+)\)",
        lambda m: f'<a href="{html.escape(m.group(2))}">{m.group(1)}</a>',
        text,
    )
    text = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"(?<![\w/])_([^_]+)_(?![\w/])", r"<em>\1</em>", text)
    text = re.sub(r"\[(CRITICAL|HIGH|MEDIUM|LOW)\]", r'<span class="sev-\1">\1</span>', text)
    return re.sub(r"\x00(\d+)\x00", lambda m: spans[int(m.group(1))], text)


class HtmlRenderer:
    """Formats a ReportModel as one self-contained HTML page."""

    def __init__(self, link_base: str | None = "") -> None:
        self.link_base = link_base
        self._images: dict[str, str] = {}

    def render(self, model: ReportModel) -> str:
        self._images = {
            p.name: "data:image/png;base64," + base64.b64encode(p.png).decode("ascii")
            for p in model.plots
        }
        doc = ReportLayout(model, self.link_base).document()
        body = "\n".join(self.block(b) for b in doc.blocks)
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(model.title)}</title><style>{_STYLE}</style></head>"
            f"<body>\n{body}\n</body></html>\n"
        )

    def block(self, block: Block) -> str:
        if isinstance(block, Heading):
            ident = block.anchor or slug(block.text.replace("`", ""))
            return (
                f'<h{block.level} id="{html.escape(ident)}">{inline(block.text)}</h{block.level}>'
            )
        if isinstance(block, Paragraph):
            if block.topic:
                return (
                    f'<p class="conclusion" data-topic="{html.escape(block.topic)}">'
                    f"{inline(block.text)}</p>"
                )
            return f"<p>{inline(block.text)}</p>"
        if isinstance(block, TableBlock):
            topic = f' data-topic="{html.escape(block.topic)}"' if block.topic else ""
            head = "".join(f"<th>{inline(c)}</th>" for c in block.columns)
            rows = "".join(
                "<tr>" + "".join(f"<td>{inline(c)}</td>" for c in row) + "</tr>"
                for row in block.rows
            )
            return f"<table{topic}><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
        if isinstance(block, Code):
            label = f"<p>{inline(block.label)}</p>" if block.label else ""
            return f"{label}<pre><code>{html.escape(block.text)}</code></pre>"
        if isinstance(block, Image):
            src = self._images.get(block.name, "")
            return (
                f'<figure><img alt="{html.escape(block.title)}" src="{src}">'
                f"<figcaption>{inline(block.caption)}</figcaption></figure>"
            )
        if isinstance(block, Items):
            tag = "ol" if block.ordered else "ul"
            entries = "".join(
                "<li>" + "".join(self._inner(b) for b in entry) + "</li>" for entry in block.entries
            )
            return f"<{tag}>{entries}</{tag}>"
        raise TypeError(f"unknown block {type(block).__name__}")

    def _inner(self, block: Block) -> str:
        """Inside a list item a plain paragraph is inline text, so items stay compact."""
        if isinstance(block, Paragraph) and not block.topic:
            return f"<div>{inline(block.text)}</div>"
        return self.block(block)

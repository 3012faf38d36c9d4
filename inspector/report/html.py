"""Self-contained HTML renderer: the Markdown report's content, plots embedded as data URIs.

It converts the Markdown renderer's output (a known, small subset: headings, paragraphs,
lists, tables, fenced code, images, links, emphasis) rather than laying the report out a
second time, so the two formats cannot drift apart. No external URL is referenced: styles
are inline and images are `data:` URIs.
"""

from __future__ import annotations

import base64
import html
import re

from inspector.report.markdown import MarkdownRenderer
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
.sev-CRITICAL{color:#fff;background:#b2182b;padding:0 4px;border-radius:3px}
.sev-HIGH{color:#fff;background:#d6604d;padding:0 4px;border-radius:3px}
.sev-MEDIUM{background:#fddbc7;padding:0 4px;border-radius:3px}
.sev-LOW{background:#d1e5f0;padding:0 4px;border-radius:3px}
"""

_ANCHOR = re.compile(r'\s*<a id="([\w-]+)"></a>\s*$')
_TABLE_SEP = re.compile(r"^\|(\s*:?-+:?\s*\|)+\s*$")


def slug(text: str) -> str:
    """GitHub-style heading id, so in-report links work in both formats."""
    text = re.sub(r"[^\w\- ]", "", text.lower()).strip()
    return re.sub(r" ", "-", text)


class HtmlRenderer:
    """Formats a ReportModel as one self-contained HTML page."""

    def __init__(self, link_base: str | None = "") -> None:
        self.link_base = link_base

    def render(self, model: ReportModel) -> str:
        images = {
            f"{p.name}.png": "data:image/png;base64," + base64.b64encode(p.png).decode("ascii")
            for p in model.plots
        }
        md = MarkdownRenderer(link_base=self.link_base, plot_dir="").render(model)
        body = markdown_to_html(md, images)
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(model.title)}</title><style>{_STYLE}</style></head>"
            f"<body>\n{body}\n</body></html>\n"
        )


def _inline(text: str, images: dict[str, str]) -> str:
    # Code spans first, kept out of the other substitutions by placeholders.
    spans: list[str] = []

    def keep(m: re.Match[str]) -> str:
        spans.append(f"<code>{html.escape(m.group(1))}</code>")
        return f"\x00{len(spans) - 1}\x00"

    text = re.sub(r"`([^`]+)`", keep, text)
    text = html.escape(text, quote=False)

    def image(m: re.Match[str]) -> str:
        src = images.get(m.group(2), "")
        return f'<img alt="{html.escape(m.group(1))}" src="{src}">'

    text = re.sub(r"!\[([^\]]*)\]\(([^)\s]+)\)", image, text)
    text = re.sub(
        r"\[([^\]]+)\]\(([^)\s]+)\)",
        lambda m: f'<a href="{html.escape(m.group(2))}">{m.group(1)}</a>',
        text,
    )
    text = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"(?<![\w/])_([^_]+)_(?![\w/])", r"<em>\1</em>", text)
    text = re.sub(r"\[(CRITICAL|HIGH|MEDIUM|LOW)\]", r'<span class="sev-\1">\1</span>', text)
    return re.sub(r"\x00(\d+)\x00", lambda m: spans[int(m.group(1))], text)


def _cells(row: str) -> list[str]:
    parts = re.split(r"(?<!\\)\|", row.strip().strip("|"))
    return [p.strip().replace("\\|", "|") for p in parts]


def markdown_to_html(md: str, images: dict[str, str] | None = None) -> str:
    """Convert the subset of Markdown our renderer writes."""
    images = images or {}
    lines = md.splitlines()
    out: list[str] = []
    i = 0
    list_stack: list[tuple[str, int]] = []  # (tag, indent)

    def close_lists(to_indent: int = -1) -> None:
        while list_stack and list_stack[-1][1] > to_indent:
            out.append(f"</li></{list_stack.pop()[0]}>")

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        indent = len(line) - len(line.lstrip(" "))
        if stripped.startswith("```"):
            code = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                code.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
                i += 1
            out.append(f"<pre><code>{html.escape(chr(10).join(code))}</code></pre>")
            i += 1
            continue
        if not stripped:
            i += 1
            continue
        heading = re.match(r"^(#{1,6}) (.*)$", line)
        if heading:
            close_lists()
            level, text = len(heading.group(1)), heading.group(2)
            anchor = _ANCHOR.search(text)
            if anchor:
                text = text[: anchor.start()]
            ident = anchor.group(1) if anchor else slug(re.sub(r"`", "", text))
            out.append(f'<h{level} id="{ident}">{_inline(text, images)}</h{level}>')
            i += 1
            continue
        if (
            stripped.startswith("|")
            and i + 1 < len(lines)
            and _TABLE_SEP.match(lines[i + 1].strip())
        ):
            header = _cells(stripped)
            rows = []
            i += 2
            while i < len(lines) and lines[i].strip().startswith("|"):
                rows.append(_cells(lines[i].strip()))
                i += 1
            table = ["<table><thead><tr>"]
            table += [f"<th>{_inline(c, images)}</th>" for c in header]
            table.append("</tr></thead><tbody>")
            for row in rows:
                table.append(
                    "<tr>" + "".join(f"<td>{_inline(c, images)}</td>" for c in row) + "</tr>"
                )
            table.append("</tbody></table>")
            out.append("".join(table))
            continue
        item = re.match(r"^(\s*)(- |\d+\. )(.*)$", line)
        if item:
            tag = "ul" if item.group(2) == "- " else "ol"
            level = len(item.group(1))
            if list_stack and list_stack[-1][1] == level:
                out.append("</li>")
            elif not list_stack or list_stack[-1][1] < level:
                out.append(f"<{tag}>")
                list_stack.append((tag, level))
            else:
                close_lists(level)
                if list_stack and list_stack[-1][1] == level:
                    out.append("</li>")
                else:
                    out.append(f"<{tag}>")
                    list_stack.append((tag, level))
            out.append(f"<li>{_inline(item.group(3), images)}")
            i += 1
            continue
        if list_stack and indent > list_stack[-1][1]:
            out.append(f"<p>{_inline(stripped, images)}</p>")  # continuation inside an item
            i += 1
            continue
        close_lists()
        para = [stripped]
        i += 1
        while (
            i < len(lines)
            and lines[i].strip()
            and not re.match(r"^(#|\||```|\s*- |\s*\d+\. )", lines[i])
        ):
            para.append(lines[i].strip())
            i += 1
        out.append(f"<p>{_inline(' '.join(para), images)}</p>")
    close_lists()
    return "\n".join(out)

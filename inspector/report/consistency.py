"""Checks that a rendered report says only what its model decided, the same way everywhere.

Given a `ReportModel` and its rendered formats, `check_report` returns every problem found:

- a figure a conclusion's statement quotes that is none of its own sourced figures, table
  cells, targets or stated constants;
- a figure (a number with a unit: ms, s, MB, MB/h, %, /s, Hz, or "max_size N") in the
  Markdown or HTML that no sourced text of the model contains: not a conclusion's
  statement, table or figure, not a finding's own text, evidence or metrics, not a target;
- a conclusion shown differently in two places: every paragraph or table the HTML marks with
  a topic must be that conclusion's statement or table, the Markdown must contain each
  statement verbatim, and JSON and SARIF must carry the same status and statement;
- a claim a conclusion does not support: "max_size N" when pool sizing was not measured, a
  growth rate in MB/h when the memory trend gives none, a subscriber limit when no handler
  was timed, native frames when py-spy ran without native unwinding;
- a session-wide figure (one value on every finding that shows it) repeated as a
  per-finding metric.

The checks read only public outputs (the rendered text and the model), so a renderer that
decides content on its own is caught whatever its code looks like.
"""

from __future__ import annotations

import html
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from inspector.report.conclusions import MEASURED
from inspector.report.measured import FRAME_BUDGET_MS, MIN_MEMORY_SPAN_S
from inspector.report.model import ReportModel

# Figures the report states as definitions, not measurements.
STATED_CONSTANTS = (f"{FRAME_BUDGET_MS:.1f} ms", f"{MIN_MEMORY_SPAN_S:.0f} s")

_FIGURE = re.compile(
    r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)\s?(MB/h|ms|MB|KiB|KB|GB|Hz|/s|%|s)(?![\w/])"
    r"|max[_ ]size (\d+)"
)
_TAG = re.compile(r"<[^>]+>")
# Claims only a conclusion in the given state may make: (topic, pattern, allowed when).
_CLAIMS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("pool_sizing", re.compile(r"max[_ ]size \d+", re.I), "measured"),
    ("memory", re.compile(r"\d MB/h"), "rate"),
    ("subscriber_budget", re.compile(r"at most \d+ subscribers"), "measured"),
    ("sampling", re.compile(r"(?<!no )native frames(?! only)", re.I), "native"),
)


@dataclass(frozen=True)
class Problem:
    kind: str  # "unsourced", "differs", "unsupported", "repeated"
    where: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind} in {self.where}: {self.detail}"


def figures_in(text: str) -> set[tuple[str, str]]:
    """(number, unit) of every figure in `text`; "max_size N" has unit "max_size"."""
    out = set()
    for m in _FIGURE.finditer(text):
        if m.group(3):
            out.add((m.group(3), "max_size"))
        else:
            out.add((m.group(1).replace(",", ""), m.group(2)))
    return out


def _finding_texts(model: ReportModel) -> list[str]:
    out: list[str] = []
    for f in model.findings:
        out += [f.message, f.title, f.root_cause, f.recommendation, f.example_before]
        out += [f.example_after, f.priority.basis]
        out += [e.summary for e in f.evidence]
        out += [s.note for s in f.chain]
        for row in model.metrics.get(f.fingerprint, ()):
            out += [row.name, row.current, row.expected, row.source]
    for c in model.cascades:
        out.append(c.summary())
    for c in model.conflicts:
        out.append(c.resolution)
    return [t for t in out if t]


def _sourced_texts(model: ReportModel) -> list[str]:
    out: list[str] = []
    for c in model.conclusions.values():
        out.append(c.statement)
        out += [f.text for f in c.figures]
        out += [f.source.describe() for f in c.figures]
        if c.table is not None:
            out += [cell for row in c.table.rows for cell in row]
            out.append(c.table.source.describe())
    out += _target_texts(model)
    for p in model.plots:
        out += [p.title, p.caption]
    a = model.audit
    out.append(f"{a.elapsed_s:.1f} s")
    out += [g.finding.location for g in model.gaps]
    out += [f"{g.file_percent:.0f}%" for g in model.gaps]
    return out


def _target_texts(model: ReportModel) -> list[str]:
    out = []
    for value in model.targets.values():
        out += [f"{value:.0f} ms", f"{value:.1f} ms", f"{value:g} ms", f"{value:.0f} MB/h"]
    return out


def _visible_text(html_text: str) -> str:
    body = html_text.split("<body>", 1)[-1]
    body = re.sub(r"<style>.*?</style>", "", body, flags=re.S)
    return html.unescape(_TAG.sub(" ", body))


def _without(text: str, parts: Iterable[str]) -> str:
    """`text` with every occurrence of each part removed (longest first)."""
    for part in sorted({p for p in parts if len(p) > 3}, key=len, reverse=True):
        text = text.replace(part, " ")
    return text


def check_unsourced(model: ReportModel, where: str, text: str) -> list[Problem]:
    allowed: set[tuple[str, str]] = set()
    for t in _sourced_texts(model) + _finding_texts(model):
        allowed |= figures_in(t)
    missing = sorted(figures_in(text) - allowed)
    return [
        Problem("unsourced", where, f"{num} {unit} has no source in the model")
        for num, unit in missing
    ]


def _claim_allowed(model: ReportModel, topic: str, when: str) -> bool:
    c = model.conclusions.get(topic)
    if c is None:
        return False
    if when == "measured":
        return c.status == MEASURED
    if when == "rate":
        return c.figure("memory.rate") is not None
    if when == "native":
        return "native frames," in c.statement
    return False


def check_claims(model: ReportModel, where: str, text: str) -> list[Problem]:
    """Claims outside the findings' own text that the deciding conclusion does not support."""
    scrubbed = _without(text, _finding_texts(model))
    problems = []
    for topic, pattern, when in _CLAIMS:
        if _claim_allowed(model, topic, when):
            continue
        for m in pattern.finditer(scrubbed):
            start = max(m.start() - 60, 0)
            problems.append(
                Problem(
                    "unsupported",
                    where,
                    f"{m.group(0)!r} while {topic} is "
                    f"{model.conclusions[topic].status}: …{scrubbed[start : m.end() + 20]}…",
                )
            )
    return problems


def check_topics_html(model: ReportModel, html_text: str) -> list[Problem]:
    """Every element the HTML marks with a topic shows exactly that conclusion."""
    from inspector.report.html import inline

    problems = []
    for m in re.finditer(r'<p class="conclusion" data-topic="([\w-]+)">(.*?)</p>', html_text):
        topic, shown = m.group(1), m.group(2)
        c = model.conclusions.get(topic)
        if c is None:
            problems.append(Problem("differs", "html", f"unknown topic {topic}"))
        elif shown != inline(c.statement):
            problems.append(
                Problem("differs", "html", f"{topic} shown as {_visible_text(shown)[:120]!r}")
            )
    for m in re.finditer(r'<table data-topic="([\w-]+)">(.*?)</table>', html_text):
        topic, shown = m.group(1), m.group(2)
        c = model.conclusions.get(topic)
        rows = re.findall(r"<tr>(.*?)</tr>", shown)[1:]
        if c is None or c.table is None or len(rows) != len(c.table.rows):
            problems.append(Problem("differs", "html", f"table of {topic} differs from the model"))
            continue
        for row, expected in zip(rows, c.table.rows, strict=True):
            cells = re.findall(r"<td>(.*?)</td>", row)
            if cells != [inline(x) for x in expected]:
                problems.append(Problem("differs", "html", f"table of {topic}: row {cells[:3]}"))
    topics_shown = set(re.findall(r'data-topic="([\w-]+)"', html_text))
    md_topics = {"session"} if model.kind != "session" else {"session", "provenance", "loop"}
    problems += [
        Problem("differs", "html", f"conclusion {t} is not shown")
        for t in sorted(md_topics - topics_shown)
    ]
    return problems


def check_statements(model: ReportModel, where: str, text: str) -> list[Problem]:
    """Each conclusion a section shows is its statement verbatim (Markdown)."""
    shown = [
        "severity",
        "session",
        "baseline",
        "projections",
        "memory",
        "pool_sizing",
        "subscriber_budget",
        "workloads",
    ]
    if model.kind == "session":
        shown += ["provenance", "loop", "repaint", "handler_errors", "pools", "sampling"]
    if model.cascades:
        shown.append("cascades")
    return [
        Problem("differs", where, f"{t}: its statement is not in the output verbatim")
        for t in shown
        if model.conclusions[t].statement not in text
    ]


def check_data(model: ReportModel, json_text: str, sarif_text: str) -> list[Problem]:
    problems = []
    data = json.loads(json_text)["conclusions"]
    props = json.loads(sarif_text)["runs"][0]["properties"]["conclusions"]
    for topic, c in model.conclusions.items():
        for where, got in (("json", data.get(topic)), ("sarif", props.get(topic))):
            if got is None or (got["status"], got["statement"]) != (c.status, c.statement):
                problems.append(Problem("differs", where, f"{topic} differs from the model"))
    return problems


def check_metrics(model: ReportModel) -> list[Problem]:
    """A metric with one value on every finding that shows it (more than two) is a
    session-wide figure repeated, not a figure of those findings."""
    where: dict[str, set[str]] = defaultdict(set)
    count: dict[str, int] = defaultdict(int)
    for f in model.findings:
        for row in model.metrics.get(f.fingerprint, ()):
            where[row.name].add(row.current)
            count[row.name] += 1
    return [
        Problem("repeated", "metrics", f"{name} = {next(iter(vals))} on {count[name]} findings")
        for name, vals in sorted(where.items())
        if len(vals) == 1 and count[name] > 2
    ]


def check_model(model: ReportModel) -> list[Problem]:
    """Inside the model: every figure a conclusion's statement quotes is one of its own
    figures (each with a source), a cell of its table, a target or a stated constant."""
    constants: set[tuple[str, str]] = set()
    for t in _target_texts(model) + list(STATED_CONSTANTS):
        constants |= figures_in(t)
    problems = []
    for topic, c in model.conclusions.items():
        own = set(constants)
        for f in c.figures:
            own |= figures_in(f.text)
        if c.table is not None:
            own |= {tok for row in c.table.rows for cell in row for tok in figures_in(cell)}
        if topic == "answers":  # quotes the other conclusions, checked there
            continue
        problems += [
            Problem("unsourced", f"conclusion {topic}", f"{num} {unit} is none of its figures")
            for num, unit in sorted(figures_in(c.statement) - own)
        ]
    return problems


def check_report(model: ReportModel, rendered: Mapping[str, str]) -> list[Problem]:
    """Every problem in `rendered` ({"md", "html", "json", "sarif"} -> text) against `model`."""
    problems: list[Problem] = check_model(model)
    md, page = rendered.get("md"), rendered.get("html")
    if md is not None:
        problems += check_unsourced(model, "md", md)
        problems += check_claims(model, "md", md)
        problems += check_statements(model, "md", md)
    if page is not None:
        text = _visible_text(page)
        problems += check_unsourced(model, "html", text)
        problems += check_claims(model, "html", text)
        problems += check_topics_html(model, page)
    if "json" in rendered and "sarif" in rendered:
        problems += check_data(model, rendered["json"], rendered["sarif"])
    problems += check_metrics(model)
    return problems

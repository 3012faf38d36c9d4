"""The report's outline as format-neutral blocks, laid out from a `ReportModel`.

The layout decides nothing about content: every statement about the session is a
`Conclusion` the processors decided, placed here verbatim (marked with its topic), and every
finding is shown as the model holds it. `MarkdownRenderer` and `HtmlRenderer` each format
these blocks; neither reads the other's output.

Inline text uses a closed subset of Markdown written only by this module: `code`,
**strong**, _emphasis_ and [text](href).
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union
from urllib.parse import quote

from analyzers.findings import Finding, Severity
from inspector.report.conclusions import Conclusion
from inspector.report.model import NOT_MEASURED, TAG_LABELS, AreaSection, ReportModel, in_tree
from inspector.report.synthesis import relative_to_root

SECTION_HEADINGS = (
    "Executive Summary",
    *(f"Area {a}:" for a in range(1, 11)),
    "Cross-Cutting Concerns",
    "Prioritized Action Plan",
    "Benchmarks & Metrics",
    "Appendices",
    "Answers to the Open Questions",
)

# Per area, this many findings get a full entry; the rest go to a compact table (all linked).
DETAIL_PER_AREA = 10


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str = ""


@dataclass(frozen=True)
class Paragraph:
    text: str
    topic: str = ""  # set when the paragraph is a conclusion's statement


@dataclass(frozen=True)
class TableBlock:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    topic: str = ""


@dataclass(frozen=True)
class Code:
    text: str
    label: str = ""


@dataclass(frozen=True)
class Image:
    name: str  # the plot's file stem
    title: str
    caption: str


@dataclass(frozen=True)
class Items:
    """A list; each entry is its own blocks (the first is the entry's line)."""

    entries: tuple[tuple[Block, ...], ...]
    ordered: bool = False


Block = Union[Heading, Paragraph, TableBlock, Code, Image, Items]  # noqa: UP007


@dataclass
class Document:
    title: str
    blocks: list[Block] = field(default_factory=list)


def short_symbol(symbol: str) -> str:
    """`pkg.module.Class.method` -> `Class.method`: the file link already names the module."""
    parts = symbol.split(".")
    if len(parts) <= 2:
        return symbol
    tail = parts[-2:]
    return ".".join(tail) if tail[0][:1].isupper() else parts[-1]


def score_range(findings: Sequence[Finding]) -> str:
    hi, lo = max(f.score for f in findings), min(f.score for f in findings)
    return str(hi) if hi == lo else f"{hi}-{lo}"


def plural(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


_SENTENCE_END = re.compile(r"[.;]\s+")
_ABBREVIATIONS = ("e.g", "i.e", "etc", "vs", "approx")


def first_sentence(text: str) -> str:
    """The first sentence: not cut inside parentheses/backticks or after "e.g." and the like."""
    text = " ".join(text.split())
    for m in _SENTENCE_END.finditer(text):
        head = text[: m.start()]
        if head.lower().endswith(_ABBREVIATIONS):
            continue
        if head.count("(") != head.count(")") or head.count("`") % 2:
            continue
        return head + "."
    return text


def _sentence(text: str) -> str:
    """A message as a sentence, so the figures that follow it do not run into it."""
    text = text.strip()
    return text if not text or text.endswith((".", "!", "?", ":")) else text + "."


def P(text: str) -> Paragraph:
    return Paragraph(text)


def bullets(*lines: str) -> Items:
    return Items(tuple((Paragraph(line),) for line in lines))


def anchor(f: Finding) -> str:
    return f"f-{f.fingerprint}"


class ReportLayout:
    """Lays a ReportModel out as blocks.

    `link_base` is the relative path from the report's folder to the audited root (POSIX),
    so `file:line` references are relative links `base/path#Lline`; None renders plain
    `file:line`.
    """

    def __init__(self, model: ReportModel, link_base: str | None = "") -> None:
        self.model = model
        self.link_base = link_base
        self._tree: dict[str, bool] = {}
        self._said: dict[str, Finding] = {}

    # -- small pieces -------------------------------------------------------------------------
    def link(self, path: str, line: int) -> str:
        if self.link_base is None or not self._linkable(path):
            return f"`{path}:{line}`"
        target = posixpath.join(self.link_base, path) if self.link_base else path
        # Encoded so spaces and parentheses in paths cannot break the link.
        return f"[{path}:{line}]({quote(target, safe='/.')}#L{line})"

    def _linkable(self, path: str) -> bool:
        """Only files of the audited tree get a link; py-spy also names stdlib and
        site-packages frames, which a relative link would send nowhere."""
        if path not in self._tree:
            self._tree[path] = in_tree(path, self.model.source_root)
        return self._tree[path]

    def measured_link(self, file: str, line: int) -> str:
        """A file:line the agent measured: linked when it lies under the audited root."""
        norm = file.replace("\\", "/")
        rel = relative_to_root(norm, self.model.source_root)
        if rel != norm or not Path(file).is_absolute():
            return self.link(rel, line)
        return f"`{Path(file).name}:{line}`"

    def ref(self, f: Finding) -> str:
        return f"{self.link(f.path, f.line)} ([details](#{anchor(f)}))"

    def conclusion(self, topic: str, with_table: bool = True) -> list[Block]:
        """A conclusion as the model decided it: statement, sources, table."""
        c: Conclusion = self.model.conclusion(topic)
        out: list[Block] = [Paragraph(c.statement, topic)]
        sources = list(dict.fromkeys(f.source.describe() for f in c.figures))
        if sources:
            out.append(Paragraph("_Source: " + "; ".join(sources) + "._"))
        if with_table and c.table is not None and c.table.rows:
            out.append(TableBlock(c.table.columns, c.table.rows, topic))
            if c.table.source.records and not c.figures:
                out.append(Paragraph(f"_Source: {c.table.source.describe()}._"))
        return out

    # -- document -----------------------------------------------------------------------------
    def document(self) -> Document:
        doc = Document(self.model.title)
        b = doc.blocks
        b += self._header()
        b += self._executive_summary()
        shown_examples: set[str] = set()
        for section in self.model.areas:
            b += self._area(section, shown_examples)
        b += self._cross_cutting()
        b += self._action_plan()
        b += self._benchmarks()
        b += self._appendices()
        b += self._answers()
        return doc

    def _header(self) -> list[Block]:
        model = self.model
        source = (
            f"session `{model.session_name}`"
            if model.kind == "session"
            else "a static-only audit (no runtime session)"
        )
        return [
            Heading(1, model.title),
            P(
                f"Target: **{model.target}** · profile `{model.profile}` · generated "
                f"{model.generated} by casare-inspector from {source}."
            ),
            *self.conclusion("session"),
            P(
                "Every finding is ranked by one formula across all ten areas: "
                "**Score = Impact×10 + Frequency×5 − Difficulty×2** (inputs 1-10; CRITICAL ≥ 70, "  # noqa: RUF001
                "HIGH 50-69, MEDIUM 30-49, LOW < 30). Each finding states whether its inputs were "
                "measured in the session or are the rule's defaults; when a finding's share of "
                "sampled time was measured, Impact follows that share. File references are "
                "relative to the audited root and link to the line."
            ),
        ]

    def _executive_summary(self) -> list[Block]:
        model = self.model
        n = len(model.findings)
        areas_hit = sum(1 for a in model.areas if a.findings)
        out: list[Block] = [Heading(2, "Executive Summary")]
        scope = ""
        if model.audit.known:
            scope = f" in {model.audit.files} files ({model.audit.lines:,} lines)"
        out.append(P(f"**{n} findings**{scope} across {areas_hit} of 10 areas."))
        out += self.conclusion("severity")
        leak_records = len(model.measurements.pools.leaks)
        out.append(
            bullets(
                f"**Critical bottlenecks:** {len(model.critical)}",
                f"**Memory-leak risks:** {plural(len(model.memory_risks), 'finding')}"
                + (
                    f", plus {leak_records} pool leak(s) observed at runtime"
                    if leak_records
                    else ""
                ),
                f"**Async anti-patterns:** {len(model.async_patterns)}",
                f"**Correlated groups:** {len(model.groups)} · **cascades across areas:** "
                f"{len(model.cascades)} · **conflicting recommendations resolved:** "
                f"{len(model.conflicts)}",
            )
        )
        if model.kind == "session":
            out.append(Heading(3, "Runtime in one look"))
            topics = ("session", "provenance", "loop", "repaint", "handler_errors", "memory")
            out.append(Items(tuple((Paragraph(model.conclusion(t).statement, t),) for t in topics)))
        out += self._top_table(
            "Top 3 quick wins (high score, low difficulty)",
            model.quick_wins,
            "No finding with difficulty ≤ 3.",
        )
        out += self._top_table(
            "Top 3 long-term optimizations (high impact, high difficulty)",
            model.long_term,
            "No finding is both high-impact (≥ 6) and hard (difficulty ≥ 5).",
        )
        spread = [w for w in model.widespread if w[0] not in {f.rule for f in model.long_term}]
        if spread:
            items = ", ".join(
                f"`{rule}` {f.title or rule} at {sites} sites" for rule, sites, f in spread[:3]
            )
            out.append(
                P(
                    f"Architectural candidates by spread: {items}. A pattern repeated that often "
                    "is cheaper to remove once at its source (a shared async wrapper, a base "
                    "class, one helper) than site by site; plan that in phase 4 even though "
                    "each site is an easy fix."
                )
            )
        return out

    def _top_table(self, title: str, findings: Sequence[Finding], empty: str) -> list[Block]:
        out: list[Block] = [Heading(3, title)]
        if not findings:
            return [*out, P(empty)]
        rows = tuple(
            (
                str(i),
                f"[{f.severity.value}] {f.title or f.rule} (`{f.rule}`)",
                self.link(f.path, f.line),
                str(self.model.sites(f.rule)),
                str(f.score),
                f"{f.priority.impact} / {f.priority.difficulty}",
                first_sentence(f.recommendation or f.message),
            )
            for i, f in enumerate(findings, 1)
        )
        cols = ("#", "Finding", "Worst site", "Sites", "Score", "Impact / Difficulty", "Change")
        return [*out, TableBlock(cols, rows)]

    # -- areas --------------------------------------------------------------------------------
    def _area(self, section: AreaSection, shown_examples: set[str]) -> list[Block]:
        out: list[Block] = [Heading(2, f"Area {section.area}: {section.name}")]
        checked = f"_Checked:_ {section.checked}."
        if section.rules:
            checked += f" _Rules:_ {', '.join(r.split(' ', 1)[0] for r in section.rules)}."
        out.append(P(checked))
        if not section.findings:
            return [*out, P("No findings.")]
        counts = self.model.severity_counts(section.findings)
        out.append(
            P(
                f"{plural(len(section.findings), 'finding')}: "
                + ", ".join(f"{counts[s]} {s.value}" for s in Severity if counts[s])
                + "."
            )
        )
        for f in section.findings[:DETAIL_PER_AREA]:
            out += self._finding(f, shown_examples)
        rest = section.findings[DETAIL_PER_AREA:]
        if rest:
            out.append(Heading(4, f"Further findings in area {section.area} ({len(rest)})"))
            out.append(
                TableBlock(
                    ("Severity", "Score", "Location", "Rule", "Finding", "Inputs"),
                    tuple(
                        (
                            f.severity.value,
                            str(f.score),
                            self.link(f.path, f.line),
                            f.rule,
                            f.message,
                            f.priority.source,
                        )
                        for f in rest
                    ),
                )
            )
        return out

    def _seen(self, kind: str, text: str) -> Finding | None:
        if not text:
            return None
        return self._said.get(f"{kind}:{' '.join(text.split())}")

    def _once(self, kind: str, text: str, f: Finding) -> str:
        """Text a reader has already seen (a rule's rationale at its 20th site) becomes a
        pointer to the first entry that said it."""
        text = " ".join(text.split())
        first = self._said.setdefault(f"{kind}:{text}", f)
        if first is f:
            return text
        return f"as for [`{first.location}`](#{anchor(first)}) ({first.rule})."

    def _finding(self, f: Finding, shown_examples: set[str]) -> list[Block]:
        model = self.model
        p = f.priority
        where = f"{self.link(f.path, f.line)}" + (f" in `{f.symbol}`" if f.symbol else "")
        if f.fingerprint in model.outside:
            where += " (outside the audited tree: fix it where the tree calls into it)"
        inputs = (
            f"measured — {p.basis}"
            if p.source == "measured"
            else "rule defaults" + (f" — {p.basis}" if p.basis else "")
        )
        entries: list[tuple[Block, ...]] = [
            (P(f"**Where:** {where} · rule `{f.rule}` · {f.kind}"),),
            (
                P(
                    f"**Impact:** {_sentence(f.message)} Impact {p.impact}/10 × frequency "  # noqa: RUF001
                    f"{p.frequency}/10, difficulty {p.difficulty}/10 → **score {f.score}** "
                    f"(inputs: {inputs})."
                ),
            ),
        ]
        cause_seen = self._seen("cause", f.root_cause)
        rec_seen = self._seen("rec", f.recommendation)
        example_seen = f.rule in shown_examples or not (f.example_before or f.example_after)
        conflict = model.reconciled.get(f.fingerprint)
        if cause_seen and rec_seen and example_seen and (f.root_cause or f.recommendation):
            first = cause_seen if f.root_cause else rec_seen
            entries.append(
                (
                    P(
                        f"**Root cause, fix and example:** as for [`{first.location}`]"
                        f"(#{anchor(first)}) ({first.rule}); the impact line names this site."
                    ),
                )
            )
        else:
            if f.root_cause:
                entries.append((P(f"**Root cause:** {self._once('cause', f.root_cause, f)}"),))
            if f.recommendation:
                entries.append(
                    (P(f"**Recommendation:** {self._once('rec', f.recommendation, f)}"),)
                )
        if conflict is not None:
            knobs = " / ".join(dict.fromkeys((conflict.knob, conflict.other_knob)))
            entries.append(
                (
                    P(
                        f"**Reconciled with `{conflict.kept.location}`:** this recommendation "
                        f"pulls against that one on {knobs}; follow the resolution in "
                        "[Conflicting recommendations]"
                        "(#conflicting-recommendations-and-their-resolution) instead of "
                        "applying it alone."
                    ),
                )
            )
        if f.example_before or f.example_after:
            if f.rule in shown_examples:
                if not (cause_seen and rec_seen):
                    entries.append(
                        (P(f"**Example:** same before/after as the first `{f.rule}` entry above."),)
                    )
            else:
                shown_examples.add(f.rule)
                blocks: list[Block] = [P("**Example:**")]
                if f.example_before:
                    blocks.append(Code(f.example_before.strip("\n"), "Before:"))
                if f.example_after:
                    blocks.append(Code(f.example_after.strip("\n"), "After:"))
                entries.append(tuple(blocks))
        if f.chain:
            steps = []
            for i, s in enumerate(f.chain, 1):
                nxt = f.chain[i].symbol if i < len(f.chain) else ""
                # A note that only names the next hop repeats it; keep notes that add facts.
                note = "" if not s.note or s.note == nxt else f" — {s.note}"
                steps.append(
                    (P(f"`{short_symbol(s.symbol)}` at {self.link(s.path, s.line)}{note}"),)
                )
            entries.append((P("**Call chain:**"), Items(tuple(steps), ordered=True)))
        if f.related:
            entries.append(
                (
                    P("**Related lines:**"),
                    bullets(
                        *(
                            f"{self.link(s.path, s.line)}"
                            + (f" in `{short_symbol(s.symbol)}`" if s.symbol else "")
                            + (f" — {s.note}" if s.note else "")
                            for s in f.related
                        )
                    ),
                )
            )
        if "unassigned-area" in f.tags:
            entries.append(
                (
                    P(
                        "**Area:** the profile maps this file to no area; it is listed under "
                        "the rule's own area."
                    ),
                )
            )
        if f.evidence:
            entries.append(
                (
                    P("**Measured evidence:**"),
                    bullets(*(f"{e.source}: {e.summary}" for e in f.evidence)),
                )
            )
        rows = model.metrics.get(f.fingerprint, ())
        if rows:
            entries.append(
                (
                    P("**Metrics specific to this finding:**"),
                    TableBlock(
                        ("Metric", "Current", "Expected", "Source"),
                        tuple((r.name, r.current, r.expected, r.source) for r in rows),
                    ),
                )
            )
        return [
            Heading(3, f"[{f.severity.value}] {f.title or f.rule} — `{f.location}`", anchor(f)),
            Items(tuple(entries)),
        ]

    # -- cross-cutting ------------------------------------------------------------------------
    def _cross_cutting(self) -> list[Block]:
        model = self.model
        out: list[Block] = [Heading(2, "Cross-Cutting Concerns")]
        for tag, label in TAG_LABELS.items():
            tagged = model.tagged(*((tag, "leak") if tag == "memory" else (tag,)))
            out.append(Heading(3, label))
            if tagged:
                out += self._rule_breakdown(tagged)
            else:
                out.append(P(f"No findings tagged `{tag}`."))
            if model.kind != "session":
                continue
            if tag == "async":
                out += self.conclusion("loop", with_table=False)
            if tag == "memory":
                out += self.conclusion("memory", with_table=False)
            if tag == "pooling":
                out += self.conclusion("pools", with_table=False)
                out += self.conclusion("pool_sizing", with_table=False)
            if tag == "algorithmic":
                out += self.conclusion("sampling")
        out.append(Heading(3, "Correlated findings (shared root cause or call chain)"))
        if model.groups:
            lines = []
            for g in model.groups[:15]:
                areas = ", ".join(str(a) for a in g.areas)
                lines.append(
                    f"**{g.reason}** — {len(g.findings)} findings, areas {areas}, "
                    f"top score {g.score}: "
                    + ", ".join(self.link(f.path, f.line) + f" `{f.rule}`" for f in g.findings[:6])
                    + (" …" if len(g.findings) > 6 else "")
                )
            if len(model.groups) > 15:
                lines.append(f"and {len(model.groups) - 15} smaller group(s) in the JSON report.")
            out.append(bullets(*lines))
        else:
            out.append(P("No two findings share a call-chain end or an enclosing function."))
        out.append(Heading(3, "Cascades across areas"))
        if model.cascades:
            lines = []
            for c in model.cascades:
                cause = (
                    f"{self.ref(c.cause)} (area {c.cause_area}, `{c.cause.rule}`)"
                    if c.cause
                    else f"`{c.location}` (no static finding at this line)"
                )
                symptoms = ", ".join(f"area {a}" for a in c.symptom_areas) or "same area"
                lines.append(
                    f"Cause {cause} → symptoms in {symptoms} (event loop and canvas "
                    f"repaint): {c.summary()}."
                )
            out.append(bullets(*lines))
            out += self.conclusion("cascades")
        elif model.measurements.any:
            out.append(
                P(
                    "No blocking handler or callback over "
                    f"{model.targets['slow_callback_ms']:.0f} ms coincided with loop lag or "
                    "repaint stalls in this session."
                )
            )
        else:
            out.append(P(f"Cascades need a session: {NOT_MEASURED} (static-only audit)."))
        out.append(Heading(3, "Conflicting recommendations and their resolution"))
        if model.conflicts:
            out.append(
                bullets(
                    *(
                        f"**{c.knob}**"
                        + (f" / **{c.other_knob}**" if c.other_knob != c.knob else "")
                        + f": {c.resolution}"
                        for c in model.conflicts
                    )
                )
            )
        else:
            out.append(
                P(
                    f"None: no two of the {len(model.findings)} findings push the same (or a "
                    "coupled) tuning setting in opposite directions, by the direction table in "
                    "`inspector.report.synthesis`."
                )
            )
        out.append(Heading(3, "Patterns repeated across areas"))
        if model.patterns:
            out.append(
                TableBlock(
                    ("Rule", "Pattern", "Findings", "Areas"),
                    tuple(
                        (p.rule, p.title, str(p.count), ", ".join(str(a) for a in p.areas))
                        for p in model.patterns
                    ),
                )
            )
        else:
            out.append(P("No rule fires in more than one area."))
        return out

    def _rule_breakdown(self, findings: Sequence[Finding]) -> list[Block]:
        per: dict[str, list[Finding]] = defaultdict(list)
        for f in findings:
            per[f.rule].append(f)
        rows = []
        for rule, fs in sorted(per.items(), key=lambda kv: (-max(f.score for f in kv[1]), kv[0])):
            worst = max(fs, key=lambda f: f.score)
            rows.append(
                (
                    rule,
                    worst.title or rule,
                    str(len(fs)),
                    ", ".join(str(a) for a in sorted({f.area for f in fs})),
                    f"{self.link(worst.path, worst.line)} ({worst.score})",
                )
            )
        return [
            P(f"{plural(len(findings), 'finding')}."),
            TableBlock(("Rule", "Pattern", "Count", "Areas", "Worst location"), tuple(rows)),
        ]

    # -- action plan --------------------------------------------------------------------------
    def _action_plan(self) -> list[Block]:
        model = self.model
        out: list[Block] = [
            Heading(2, "Prioritized Action Plan"),
            P(
                "Items are grouped by rule (one fix pattern, applied at each site); phase 4 "
                "takes architecture-sized work (difficulty ≥ 7) whatever its score, and the LOW "
                "backlog."
            ),
        ]
        for phase in model.phases:
            out.append(Heading(3, f"{phase.name} ({phase.window})"))
            if phase.name.startswith("Phase 4") and model.widespread:
                out.append(
                    P(
                        "Structural fixes for the most widespread patterns (the phase 1-3 items "
                        "fix the sites; these remove the pattern's source so it does not come "
                        "back):"
                    )
                )
                out.append(
                    bullets(
                        *(
                            f"**{rule} — {f.title or rule}** at {sites} sites: one shared "
                            "helper or base-class change instead of per-site edits, plus a lint "
                            "rule in CI to keep new code from reintroducing it."
                            for rule, sites, f in model.widespread[:3]
                        )
                    )
                )
            if not phase.findings:
                out.append(P("No individual finding in this phase."))
                continue
            per: dict[str, list[Finding]] = defaultdict(list)
            for f in phase.findings:
                per[f.rule].append(f)
            ordered = sorted(per.items(), key=lambda kv: (-max(f.score for f in kv[1]), kv[0]))
            lines = []
            for rule, fs in ordered:
                top = fs[0]
                sites = ", ".join(self.link(f.path, f.line) for f in fs[:6])
                more = f" and {len(fs) - 6} more (see the area sections)" if len(fs) > 6 else ""
                rec = first_sentence(top.recommendation or top.message)
                lines.append(
                    f"**{rule} — {top.title or top.message}** (score "
                    f"{score_range(fs)}, {plural(len(fs), 'site')}): {rec} "
                    f"Sites: {sites}{more}."
                )
            out.append(Items(tuple((P(x),) for x in lines), ordered=True))
        return out

    # -- benchmarks ---------------------------------------------------------------------------
    def _benchmarks(self) -> list[Block]:
        model = self.model
        out: list[Block] = [Heading(2, "Benchmarks & Metrics"), Heading(3, "Baseline measurements")]
        out += self.conclusion("baseline")
        if model.kind == "session":
            for heading, topic in (
                ("What the app did vs what our workloads drove", "provenance"),
                ("Workloads", "workloads"),
                ("Workload results", "workload_results"),
                ("Event bus", "bus"),
                ("Bus handlers", "handlers"),
                ("Handler exceptions", "handler_errors"),
                ("Repaints", "repaint"),
                ("Pools", "pools"),
                ("Pool sizing", "pool_sizing"),
            ):
                if not model.conclusion(topic).statement:
                    continue  # nothing of this kind in the session (no workload results)
                out.append(Heading(3, heading))
                out += self.conclusion(topic)
            queues = model.measurements.queues
            if queues:
                out.append(Heading(3, "Queues"))
                out.append(
                    TableBlock(
                        ("Queue", "Enqueues", "Dequeues", "Max depth", "Dequeue p95"),
                        tuple(
                            (
                                f"`{q.queue}`",
                                str(q.enqueues),
                                str(q.dequeues),
                                str(q.max_depth),
                                f"{q.dequeue_ms.p95:.1f} ms" if q.dequeue_ms.count else "—",
                            )
                            for q in queues
                        ),
                    )
                )
        if model.plots:
            out.append(Heading(3, "Plots"))
            out += [Image(p.name, p.title, p.caption) for p in model.plots]
        out.append(Heading(3, "Projected improvements"))
        out += self.conclusion("projections")
        return out

    # -- appendices ---------------------------------------------------------------------------
    def _appendices(self) -> list[Block]:
        model = self.model
        out: list[Block] = [Heading(2, "Appendices"), Heading(3, "A. Async anti-pattern catalog")]
        async_findings = model.async_patterns
        if async_findings:
            per: dict[str, list[Finding]] = defaultdict(list)
            for f in async_findings:
                per[f.rule].append(f)
            out.append(
                TableBlock(
                    ("Rule", "Anti-pattern", "Found", "Why it hurts", "Fix"),
                    tuple(
                        (
                            rule,
                            fs[0].title or rule,
                            str(len(fs)),
                            first_sentence(fs[0].root_cause),
                            first_sentence(fs[0].recommendation),
                        )
                        for rule, fs in sorted(per.items())
                    ),
                )
            )
        else:
            out.append(P("No async anti-pattern found."))
        found = {f.rule for f in async_findings}
        clean = [(rid, title) for rid, title in model.async_rules if rid not in found]
        if clean:
            out.append(
                P(
                    "Also checked, nothing found: "
                    + "; ".join(f"`{rid}` {title}" for rid, title in clean)
                    + "."
                )
            )
        out.append(Heading(3, "B. Memory profiling data"))
        out += self.conclusion("memory")
        if model.measurements.memory.measured and not model.measurements.memory.tracemalloc_top:
            out.append(P("tracemalloc: not enabled in this session."))
        if model.measurements.pools.leaks:
            out.append(P("Pool resources held too long:"))
            out.append(
                bullets(
                    *(
                        f"`{r.get('pool')}` held {float(r.get('held_s') or 0):.1f} s; "
                        f"acquired at {(r.get('stack') or ['?'])[-1]}"
                        for r in model.measurements.pools.leaks[:10]
                    )
                )
            )
        out.append(Heading(3, "C. Code quality metrics"))
        a = model.audit
        n = len(model.findings)
        if a.known:
            per_kloc = n / (a.lines / 1000.0) if a.lines else 0.0
            entries: list[tuple[Block, ...]] = [
                (
                    P(
                        f"Files analyzed: {a.files}; lines: {a.lines:,}; analysis time "
                        f"{a.elapsed_s:.1f} s; rules: {a.rules_run}."
                    ),
                ),
                (P(f"Findings per kLOC: {per_kloc:.2f} ({n} findings)."),),
            ]
            errors: tuple[Block, ...] = (
                P(f"Unparsable files: {len(a.errors)}" + (":" if a.errors else ".")),
            )
            if a.errors:
                errors += (bullets(*(f"`{p}`: {msg}" for p, msg in a.errors[:20])),)
            entries.append(errors)
            if a.unassigned_files:
                unassigned = sum(1 for f in model.findings if "unassigned-area" in f.tags)
                entries.append(
                    (
                        P(
                            f"Files the profile maps to no area: {a.unassigned_files} "
                            f"({plural(unassigned, 'finding')} there, listed under their "
                            "rule's own area)."
                        ),
                    )
                )
            unreachable = sum(1 for f in model.findings if "unreachable" in f.tags)
            if unreachable:
                entries.append(
                    (
                        P(
                            f"In code nothing in the tree reaches (a module nothing imports, a "
                            f"function nobody calls): {plural(unreachable, 'finding')}, ranked "
                            "LOW; each says why."
                        ),
                    )
                )
            if a.warnings:
                entries.append(
                    (
                        P(f"Profile entries that match nothing in this tree: {len(a.warnings)}:"),
                        bullets(*a.warnings[:20]),
                    )
                )
            out.append(Items(tuple(entries)))
        else:
            out.append(bullets(f"Static audit statistics are not in this session ({n} findings)."))
        out.append(
            TableBlock(
                ("Area", "Findings", "CRITICAL", "HIGH", "MEDIUM", "LOW"),
                tuple(
                    (
                        f"{s.area}. {s.name}",
                        str(len(s.findings)),
                        *(str(model.severity_counts(s.findings)[x]) for x in Severity),
                    )
                    for s in model.areas
                ),
            )
        )
        out.append(Heading(3, "D. Test coverage gaps"))
        if model.coverage is None:
            out.append(
                P(
                    "No coverage file was found (looked for coverage.xml / coverage.json at the "
                    "audited root); coverage gaps are not assessed."
                )
            )
        elif not model.gaps:
            out.append(
                P(f"From `{model.coverage.source}`: every finding's line is covered by tests.")
            )
        else:
            out.append(
                P(
                    f"From `{model.coverage.source}`: {len(model.gaps)} finding(s) sit in code "
                    "the tests do not run; add a test with each fix."
                )
            )
            out.append(
                TableBlock(
                    ("Finding", "Location", "File coverage", "Line covered"),
                    tuple(
                        (
                            g.finding.title or g.finding.rule,
                            self.link(g.finding.path, g.finding.line),
                            f"{g.file_percent:.0f}%",
                            "yes" if g.line_covered else "no",
                        )
                        for g in model.gaps[:50]
                    ),
                )
            )
        return out

    def _answers(self) -> list[Block]:
        out: list[Block] = [Heading(2, "Answers to the Open Questions")]
        table = self.model.conclusion("answers").table
        assert table is not None
        for question, answer, topic in table.rows:
            out += [Heading(3, question), Paragraph(answer, topic)]
        return out

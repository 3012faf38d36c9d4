"""Markdown renderer: the report a team reads, `docs/performance/PERFORMANCE_AUDIT_REPORT.md`."""

from __future__ import annotations

import json
import posixpath
import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from analyzers.findings import Finding, Severity
from inspector.report.measured import MIN_MEMORY_SPAN_S, Distribution
from inspector.report.model import NOT_MEASURED, TAG_LABELS, ReportModel, in_tree
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


def cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


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


def _dist(d: Distribution) -> str:
    if not d.count and not d.max:
        return "—"
    return f"p50 {d.p50:.1f} / p95 {d.p95:.1f} / max {d.max:.1f} ms"


def _status(value: float, target: float) -> str:
    return "meets target" if value <= target else "**over target**"


class MarkdownRenderer:
    """Formats a ReportModel as Markdown.

    `link_base` is the relative path from the report's folder to the audited root (POSIX),
    so `file:line` references are relative links `base/path#Lline` that open the line on
    GitHub/GitLab and in editors; None renders plain `file:line`. `plot_dir` is the folder
    (relative to the report) where the PNG plots are written.
    """

    def __init__(self, link_base: str | None = "", plot_dir: str = "") -> None:
        self.link_base = link_base
        self.plot_dir = plot_dir

    # -- small pieces -------------------------------------------------------------------------
    def link(self, path: str, line: int) -> str:
        if self.link_base is None or not self._linkable(path):
            return f"`{path}:{line}`"
        target = posixpath.join(self.link_base, path) if self.link_base else path
        # Encoded so spaces and parentheses in paths cannot break the Markdown link.
        return f"[{path}:{line}]({quote(target, safe='/.')}#L{line})"

    @staticmethod
    def anchor(f: Finding) -> str:
        return f"f-{f.fingerprint}"

    def _linkable(self, path: str) -> bool:
        """Only files of the audited tree get a link; py-spy also names stdlib and
        site-packages frames, which a relative link would send nowhere."""
        cache: dict[str, bool] = self.__dict__.setdefault("_tree_cache", {})
        if path not in cache:
            cache[path] = in_tree(path, getattr(self, "_root", ""))
        return cache[path]

    def measured_link(self, model: ReportModel, file: str, line: int) -> str:
        """A file:line the agent measured: linked when it lies under the audited root."""
        norm = file.replace("\\", "/")
        rel = relative_to_root(norm, model.source_root)
        if rel != norm or not Path(file).is_absolute():
            return self.link(rel, line)
        return f"`{Path(file).name}:{line}`"

    def ref(self, f: Finding) -> str:
        return f"{self.link(f.path, f.line)} ([details](#{self.anchor(f)}))"

    # -- document -------------------------------------------------------------------------------
    def render(self, model: ReportModel) -> str:
        out: list[str] = []
        out += self._header(model)
        out += self._executive_summary(model)
        shown_examples: set[str] = set()
        self._said: dict[str, Finding] = {}
        self._root = model.source_root
        self._tree_cache: dict[str, bool] = {}
        for section in model.areas:
            out += self._area(model, section, shown_examples)
        out += self._cross_cutting(model)
        out += self._action_plan(model)
        out += self._benchmarks(model)
        out += self._appendices(model)
        out += self._answers(model)
        return "\n".join(out).rstrip() + "\n"

    def _header(self, model: ReportModel) -> list[str]:
        source = (
            f"session `{model.session_name}`"
            if model.kind == "session"
            else "a static-only audit (no runtime session)"
        )
        return [
            f"# {model.title}",
            "",
            f"Target: **{model.target}** · profile `{model.profile}` · generated "
            f"{model.generated} by casare-inspector from {source}.",
            "",
            "Every finding is ranked by one formula across all ten areas: "
            "**Score = Impact×10 + Frequency×5 − Difficulty×2** (inputs 1-10; CRITICAL ≥ 70, "  # noqa: RUF001
            "HIGH 50-69, MEDIUM 30-49, LOW < 30). Each finding states whether its inputs were "
            "measured in the session or are the rule's defaults. File references are relative "
            "to the audited root and link to the line.",
            "",
        ]

    def _executive_summary(self, model: ReportModel) -> list[str]:
        counts = model.severity_counts()
        m = model.measurements
        n = len(model.findings)
        areas_hit = sum(1 for a in model.areas if a.findings)
        measured = sum(1 for f in model.findings if f.priority.source == "measured")
        out = ["## Executive Summary", ""]
        scope = ""
        if model.audit.known:
            scope = f" in {model.audit.files} files ({model.audit.lines:,} lines)"
        out.append(
            f"**{n} findings**{scope} across {areas_hit} of 10 areas: "
            + ", ".join(f"{counts[s]} {s.value}" for s in Severity)
            + f". {plural(measured, 'finding is', 'findings are')} ranked on measured inputs, "
            f"{n - measured} on rule defaults."
        )
        out.append("")
        critical_defaults = sum(1 for f in model.critical if f.priority.source != "measured")
        if n and critical_defaults > n / 2:
            out += [
                f"Note: {critical_defaults} of {n} findings are CRITICAL on the rules' default "
                "inputs alone. Defaults describe the pattern, not this codebase's load, so treat "
                "those scores as upper bounds; a recorded session replaces them with measured "
                "inputs and separates the hot sites from the cold ones.",
                "",
            ]
        leak_records = len(m.pools.leaks)
        out += [
            f"- **Critical bottlenecks:** {len(model.critical)}",
            f"- **Memory-leak risks:** {plural(len(model.memory_risks), 'finding')}"
            + (f", plus {leak_records} pool leak(s) observed at runtime" if leak_records else ""),
            f"- **Async anti-patterns:** {len(model.async_patterns)}",
            f"- **Correlated groups:** {len(model.groups)} · **cascades across areas:** "
            f"{len(model.cascades)} · **conflicting recommendations resolved:** "
            f"{len(model.conflicts)}",
        ]
        out.append(f"- **Runtime baseline:** {self._headline(model)}")
        out.append("")
        out += self._top_table(
            model,
            "Top 3 quick wins (high score, low difficulty)",
            model.quick_wins,
            "No finding with difficulty ≤ 3.",
        )
        out += self._top_table(
            model,
            "Top 3 long-term optimizations (high impact, high difficulty)",
            model.long_term,
            "No finding is both high-impact (≥ 6) and hard (difficulty ≥ 5).",
        )
        spread = [w for w in model.widespread if w[0] not in {f.rule for f in model.long_term}]
        if spread:
            items = ", ".join(
                f"`{rule}` {cell(f.title or rule)} at {sites} sites"
                for rule, sites, f in spread[:3]
            )
            out += [
                f"Architectural candidates by spread: {items}. A pattern repeated that often is "
                "cheaper to remove once at its source (a shared async wrapper, a base class, one "
                "helper) than site by site; plan that in phase 4 even though each site is an "
                "easy fix.",
                "",
            ]
        return out

    def _headline(self, model: ReportModel) -> str:
        m, t = model.measurements, model.targets
        if not m.any:
            return (
                "not measured — static-only audit; every runtime figure below says "
                f'"{NOT_MEASURED}".'
            )
        parts = []
        if m.loop.measured:
            parts.append(
                f"event-loop lag p95 {m.loop.lag_ms.p95:.1f} ms (target "
                f"{t['loop_lag_p95_ms']:.0f}), max {m.loop.lag_ms.max:.0f} ms"
            )
        if m.bus.measured:
            parts.append(
                f"{m.bus.events_per_s:.1f} bus events/s, handler p95 {m.bus.handler_p95_ms:.1f} ms"
            )
        if m.repaint.measured:
            parts.append(
                f"{m.repaint.paints_per_s:.1f} paints/s, paint p95 {m.repaint.paint_ms.p95:.1f} ms"
            )
        if m.pools.measured:
            parts.append("pools saw traffic" if m.pools.traffic else "pools saw no traffic")
        if m.memory.measured and m.memory.span_s:
            parts.append(f"RSS {m.memory.growth_bytes / 1e6:+.1f} MB over {m.memory.span_s:.0f} s")
        if m.samples:
            parts.append(f"py-spy: {m.sampled_s:.1f} s of sampled thread time")
        return "; ".join(parts) + "." if parts else "records present but none summarizable."

    def _top_table(
        self, model: ReportModel, title: str, findings: Sequence[Finding], empty: str
    ) -> list[str]:
        out = [f"### {title}", ""]
        if not findings:
            return [*out, empty, ""]
        out += [
            "| # | Finding | Worst site | Sites | Score | Impact / Difficulty | Change |",
            "|---|---|---|---|---|---|---|",
        ]
        for i, f in enumerate(findings, 1):
            out.append(
                f"| {i} | [{f.severity.value}] {cell(f.title or f.rule)} (`{f.rule}`) | "
                f"{self.link(f.path, f.line)} | {model.sites(f.rule)} | {f.score} | "
                f"{f.priority.impact} / {f.priority.difficulty} | "
                f"{cell(first_sentence(f.recommendation or f.message))} |"
            )
        return [*out, ""]

    # -- areas --------------------------------------------------------------------------------
    def _area(self, model: ReportModel, section, shown_examples: set[str]) -> list[str]:
        out = [f"## Area {section.area}: {section.name}", ""]
        checked = f"_Checked:_ {section.checked}."
        if section.rules:
            checked += f" _Rules:_ {', '.join(r.split(' ', 1)[0] for r in section.rules)}."
        out += [checked, ""]
        if not section.findings:
            return [*out, "No findings.", ""]
        counts = model.severity_counts(section.findings)
        out += [
            f"{plural(len(section.findings), 'finding')}: "
            + ", ".join(f"{counts[s]} {s.value}" for s in Severity if counts[s])
            + ".",
            "",
        ]
        for f in section.findings[:DETAIL_PER_AREA]:
            out += self._finding(model, f, shown_examples)
        rest = section.findings[DETAIL_PER_AREA:]
        if rest:
            out += [
                f"#### Further findings in area {section.area} ({len(rest)})",
                "",
                "| Severity | Score | Location | Rule | Finding | Inputs |",
                "|---|---|---|---|---|---|",
            ]
            for f in rest:
                out.append(
                    f"| {f.severity.value} | {f.score} | {self.link(f.path, f.line)} | "
                    f"{f.rule} | {cell(f.message)} | {f.priority.source} |"
                )
            out.append("")
        return out

    def _seen(self, kind: str, text: str) -> Finding | None:
        """The finding that already said this text, if any (does not record anything)."""
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
        return f"as for [`{first.location}`](#{self.anchor(first)}) ({first.rule})."

    def _finding(self, model: ReportModel, f: Finding, shown_examples: set[str]) -> list[str]:
        p = f.priority
        where = f"{self.link(f.path, f.line)}" + (f" in `{f.symbol}`" if f.symbol else "")
        if f.fingerprint in model.outside:
            where += " (outside the audited tree: fix it where the tree calls into it)"
        inputs = (
            f"measured — {p.basis}"
            if p.source == "measured"
            else "rule defaults" + (f" — {p.basis}" if p.basis else "")
        )
        out = [
            f"### [{f.severity.value}] {f.title or f.rule} — `{f.location}` "
            f'<a id="{self.anchor(f)}"></a>',
            "",
            f"- **Where:** {where} · rule `{f.rule}` · {f.kind}",
            f"- **Impact:** {f.message} Impact {p.impact}/10 × frequency {p.frequency}/10, "  # noqa: RUF001
            f"difficulty {p.difficulty}/10 → **score {f.score}** (inputs: {inputs}).",
        ]
        cause_seen = self._seen("cause", f.root_cause)
        rec_seen = self._seen("rec", f.recommendation)
        example_seen = f.rule in shown_examples or not (f.example_before or f.example_after)
        conflict = model.reconciled.get(f.fingerprint)
        if cause_seen and rec_seen and example_seen and (f.root_cause or f.recommendation):
            # The 20th site of a pattern: one pointer instead of three repeated paragraphs.
            first = cause_seen if f.root_cause else rec_seen
            out.append(
                f"- **Root cause, fix and example:** as for [`{first.location}`]"
                f"(#{self.anchor(first)}) ({first.rule}); the impact line names this site."
            )
        else:
            if f.root_cause:
                out.append(f"- **Root cause:** {self._once('cause', f.root_cause, f)}")
            if f.recommendation:
                out.append(f"- **Recommendation:** {self._once('rec', f.recommendation, f)}")
        if conflict is not None:
            knobs = " / ".join(dict.fromkeys((conflict.knob, conflict.other_knob)))
            out.append(
                f"- **Reconciled with `{conflict.kept.location}`:** this recommendation pulls "
                f"against that one on {knobs}; follow the resolution in "
                "[Conflicting recommendations](#conflicting-recommendations-and-their-resolution)"
                " instead of applying it alone."
            )
        if f.example_before or f.example_after:
            key = f.rule
            if key in shown_examples:
                if not (cause_seen and rec_seen):
                    out.append(
                        f"- **Example:** same before/after as the first `{f.rule}` entry above."
                    )
            else:
                shown_examples.add(key)
                out.append("- **Example:**")
                out.append("")
                if f.example_before:
                    out += [
                        "  Before:",
                        "",
                        "  ```python",
                        *("  " + ln for ln in f.example_before.strip("\n").splitlines()),
                        "  ```",
                        "",
                    ]
                if f.example_after:
                    out += [
                        "  After:",
                        "",
                        "  ```python",
                        *("  " + ln for ln in f.example_after.strip("\n").splitlines()),
                        "  ```",
                        "",
                    ]
        if f.chain:
            out.append("- **Call chain:**")
            out.append("")
            for i, s in enumerate(f.chain, 1):
                nxt = f.chain[i].symbol if i < len(f.chain) else ""
                # A note that only names the next hop repeats it; keep notes that add facts.
                note = "" if not s.note or s.note == nxt else f" — {s.note}"
                out.append(
                    f"  {i}. `{short_symbol(s.symbol)}` at {self.link(s.path, s.line)}{note}"
                )
            out.append("")
        if f.evidence:
            out.append("- **Measured evidence:**")
            out += [f"  - {e.source}: {e.summary}" for e in f.evidence]
        else:
            out.append(f"- **Measured evidence:** none — {NOT_MEASURED}.")
        rows = model.metrics.get(f.fingerprint, ())
        if rows and all(r.source == NOT_MEASURED for r in rows):
            out.append(
                "- **Metrics:** "
                + "; ".join(f"{r.name}: {NOT_MEASURED} (expected {r.expected})" for r in rows)
                + "."
            )
        elif rows:
            out += [
                "- **Metrics:**",
                "",
                "  | Metric | Current | Expected | Source |",
                "  |---|---|---|---|",
            ]
            out += [
                f"  | {cell(r.name)} | {cell(r.current)} | {cell(r.expected)} | "
                f"{'—' if r.source == NOT_MEASURED else cell(r.source)} |"
                for r in rows
            ]
        out.append("")
        return out

    # -- cross-cutting ------------------------------------------------------------------------
    def _cross_cutting(self, model: ReportModel) -> list[str]:
        m = model.measurements
        out = ["## Cross-Cutting Concerns", ""]
        for tag, label in TAG_LABELS.items():
            tagged = model.tagged(*((tag, "leak") if tag == "memory" else (tag,)))
            out += [f"### {label}", ""]
            if tagged:
                out += self._rule_breakdown(tagged)
            else:
                out += [f"No findings tagged `{tag}`.", ""]
            if tag == "async" and m.loop.measured:
                out += [
                    f"Measured event-loop lag: {_dist(m.loop.lag_ms)}; "
                    f"{m.loop.slow_callbacks} slow callback(s) over "
                    f"{model.targets['slow_callback_ms']:.0f} ms"
                    + (f"; hazards: {dict(m.loop.hazards)}" if m.loop.hazards else "")
                    + ".",
                    "",
                ]
            if tag == "memory":
                out += [self._memory_line(model), ""]
            if tag == "pooling":
                out += [self._pool_line(model), ""]
            if tag == "algorithmic":
                out += self._hot_functions(model)
        out += ["### Correlated findings (shared root cause or call chain)", ""]
        if model.groups:
            for g in model.groups[:15]:
                areas = ", ".join(str(a) for a in g.areas)
                out.append(
                    f"- **{cell(g.reason)}** — {len(g.findings)} findings, areas {areas}, "
                    f"top score {g.score}: "
                    + ", ".join(self.link(f.path, f.line) + f" `{f.rule}`" for f in g.findings[:6])
                    + (" …" if len(g.findings) > 6 else "")
                )
            if len(model.groups) > 15:
                out.append(f"- and {len(model.groups) - 15} smaller group(s) in the JSON report.")
            out.append("")
        else:
            out += ["No two findings share a call-chain end or an enclosing function.", ""]
        out += ["### Cascades across areas", ""]
        if model.cascades:
            for c in model.cascades:
                cause = (
                    f"{self.ref(c.cause)} (area {c.cause_area}, `{c.cause.rule}`)"
                    if c.cause
                    else f"`{c.location}` (no static finding at this line)"
                )
                symptoms = ", ".join(f"area {a}" for a in c.symptom_areas) or "same area"
                out.append(
                    f"- Cause {cause} → symptoms in {symptoms} (event loop and canvas "
                    f"repaint): {c.summary()}."
                )
            out.append("")
        elif m.any:
            out += [
                "No blocking handler or callback over "
                f"{model.targets['slow_callback_ms']:.0f} ms coincided with loop lag or "
                "repaint stalls in this session.",
                "",
            ]
        else:
            out += [f"Cascades need a session: {NOT_MEASURED} (static-only audit).", ""]
        out += ["### Conflicting recommendations and their resolution", ""]
        if model.conflicts:
            for c in model.conflicts:
                out.append(
                    f"- **{c.knob}**"
                    + (f" / **{c.other_knob}**" if c.other_knob != c.knob else "")
                    + f": {c.resolution}"
                )
            out.append("")
        else:
            out += [
                f"None: no two of the {len(model.findings)} findings push the same (or a "
                "coupled) tuning setting in opposite directions, by the direction table in "
                "`inspector.report.synthesis`.",
                "",
            ]
        out += ["### Patterns repeated across areas", ""]
        if model.patterns:
            out += ["| Rule | Pattern | Findings | Areas |", "|---|---|---|---|"]
            out += [
                f"| {p.rule} | {cell(p.title)} | {p.count} | {', '.join(str(a) for a in p.areas)} |"
                for p in model.patterns
            ]
            out.append("")
        else:
            out += ["No rule fires in more than one area.", ""]
        return out

    def _rule_breakdown(self, findings: Sequence[Finding]) -> list[str]:
        per: dict[str, list[Finding]] = defaultdict(list)
        for f in findings:
            per[f.rule].append(f)
        out = [
            f"{plural(len(findings), 'finding')}.",
            "",
            "| Rule | Pattern | Count | Areas | Worst location |",
            "|---|---|---|---|---|",
        ]
        for rule, fs in sorted(per.items(), key=lambda kv: (-max(f.score for f in kv[1]), kv[0])):
            worst = max(fs, key=lambda f: f.score)
            out.append(
                f"| {rule} | {cell(worst.title or rule)} | {len(fs)} | "
                f"{', '.join(str(a) for a in sorted({f.area for f in fs}))} | "
                f"{self.link(worst.path, worst.line)} ({worst.score}) |"
            )
        return [*out, ""]

    def _memory_line(self, model: ReportModel) -> str:
        mem = model.measurements.memory
        if not mem.measured:
            return f"Memory growth: {NOT_MEASURED}."
        text = (
            f"Measured RSS {mem.rss_first / 1e6:.1f} → {mem.rss_last / 1e6:.1f} MB "
            f"(peak {mem.rss_peak / 1e6:.1f} MB) over {mem.span_s:.0f} s"
        )
        if mem.judgeable:
            text += (
                f"; steady-state growth (after the first quarter) {mem.growth_mb_per_h:.1f} MB/h "
                f"(target ≤ {model.targets['rss_growth_mb_per_h']:.0f} MB/h)"
            )
        else:
            text += (
                " — too short to tell start-up growth from a leak (a rate needs ≥ "
                f"{MIN_MEMORY_SPAN_S:.0f} s)"
            )
        text += f"; GC pauses {_dist(mem.gc_pause_ms)}."
        grown = [(k, a, b) for k, (a, b) in mem.container_growth.items() if b > a][:5]
        if grown:
            text += (
                " Containers that grew: " + ", ".join(f"`{k}` {a}→{b}" for k, a, b in grown) + "."
            )
        return text

    def _pool_line(self, model: ReportModel) -> str:
        pools = model.measurements.pools
        if not pools.measured:
            return f"Pool usage: {NOT_MEASURED}."
        if not pools.traffic:
            return (
                "Pools were instrumented but saw no traffic in this session (no acquires), so "
                "pool behaviour is not measured here."
            )
        return (
            "Measured pools: "
            + "; ".join(
                f"`{p.pool}` peak {p.peak_in_use}/{p.max_size} in use, {p.acquires} acquires, "
                f"wait {_dist(p.wait_ms)}, {p.peak_waiters} peak waiters"
                for p in pools.pools
            )
            + (f". {len(pools.leaks)} leak(s) observed (held too long)." if pools.leaks else ".")
        )

    def _hot_functions(self, model: ReportModel) -> list[str]:
        if not model.hot_functions:
            return [model.hot_functions_note, ""]
        keys = list(model.hot_functions[0].keys())[:6]
        out = [
            "Sample-based hot functions (py-spy):",
            "",
            "| " + " | ".join(keys) + " |",
            "|" + "---|" * len(keys),
        ]
        out += [
            "| " + " | ".join(cell(r.get(k, "")) for k in keys) + " |" for r in model.hot_functions
        ]
        return [*out, ""]

    # -- action plan --------------------------------------------------------------------------
    def _action_plan(self, model: ReportModel) -> list[str]:
        out = [
            "## Prioritized Action Plan",
            "",
            "Items are grouped by rule (one fix pattern, applied at each site); phase 4 takes "
            "architecture-sized work (difficulty ≥ 7) whatever its score, and the LOW backlog.",
            "",
        ]
        for phase in model.phases:
            out += [f"### {phase.name} ({phase.window})", ""]
            if phase.name.startswith("Phase 4") and model.widespread:
                out.append(
                    "Structural fixes for the most widespread patterns (the phase 1-3 items fix "
                    "the sites; these remove the pattern's source so it does not come back):"
                )
                out.append("")
                out += [
                    f"- **{rule} — {cell(f.title or rule)}** at {sites} sites: one shared "
                    "helper or base-class change instead of per-site edits, plus a lint rule "
                    "in CI to keep new code from reintroducing it."
                    for rule, sites, f in model.widespread[:3]
                ]
                out.append("")
            if not phase.findings:
                out += ["No individual finding in this phase.", ""]
                continue
            per: dict[str, list[Finding]] = defaultdict(list)
            for f in phase.findings:
                per[f.rule].append(f)
            ordered = sorted(per.items(), key=lambda kv: (-max(f.score for f in kv[1]), kv[0]))
            for i, (rule, fs) in enumerate(ordered, 1):
                top = fs[0]
                sites = ", ".join(self.link(f.path, f.line) for f in fs[:6])
                more = f" and {len(fs) - 6} more (see the area sections)" if len(fs) > 6 else ""
                rec = first_sentence(top.recommendation or top.message)
                out.append(
                    f"{i}. **{rule} — {cell(top.title or top.message)}** (score "
                    f"{score_range(fs)}, {plural(len(fs), 'site')}): {rec} "
                    f"Sites: {sites}{more}."
                )
            out.append("")
        return out

    # -- benchmarks ---------------------------------------------------------------------------
    def _benchmarks(self, model: ReportModel) -> list[str]:
        m, t = model.measurements, model.targets
        out = ["## Benchmarks & Metrics", "", "### Baseline measurements", ""]
        if not m.any:
            out += [
                f"Static-only audit: runtime baselines are {NOT_MEASURED}. Record a session "
                "under the standard workload to fill this section.",
                "",
            ]
        else:
            span = (m.span[1] - m.span[0]) if m.span else 0.0
            out += [
                f"Session length {span:.0f} s; records: "
                + ", ".join(f"{k} {v}" for k, v in sorted(m.record_counts.items()))
                + (f"; py-spy {m.sampled_s:.1f} s of thread time" if m.samples else "")
                + ".",
                "",
                "| Metric | Measured | Target | Status |",
                "|---|---|---|---|",
            ]
            rows: list[tuple[str, str, str, str]] = []
            if m.loop.measured:
                rows.append(
                    (
                        "Event-loop lag p95",
                        f"{m.loop.lag_ms.p95:.1f} ms",
                        f"{t['loop_lag_p95_ms']:.0f} ms",
                        _status(m.loop.lag_ms.p95, t["loop_lag_p95_ms"]),
                    )
                )
                rows.append(
                    (
                        "Event-loop lag max",
                        f"{m.loop.lag_ms.max:.1f} ms",
                        f"{t['loop_lag_max_ms']:.0f} ms",
                        _status(m.loop.lag_ms.max, t["loop_lag_max_ms"]),
                    )
                )
                rows.append(
                    (
                        "Slow callbacks",
                        str(m.loop.slow_callbacks),
                        "0",
                        _status(m.loop.slow_callbacks, 0),
                    )
                )
            else:
                rows.append(("Event-loop lag", NOT_MEASURED, f"{t['loop_lag_p95_ms']:.0f} ms", "—"))
            if m.bus.measured:
                rows.append(("Bus events/s", f"{m.bus.events_per_s:.1f}", "—", "—"))
                rows.append(
                    (
                        "Handler p95",
                        f"{m.bus.handler_p95_ms:.2f} ms",
                        f"{t['handler_p95_ms']:.0f} ms",
                        _status(m.bus.handler_p95_ms, t["handler_p95_ms"]),
                    )
                )
                rows.append(("Handler max", f"{m.bus.handler_max_ms:.1f} ms", "—", "—"))
            else:
                rows.append(("Event bus", NOT_MEASURED, "—", "—"))
            if m.repaint.measured:
                rows.append(
                    (
                        "Paints/s (all widgets)",
                        f"{m.repaint.paints_per_s:.1f}",
                        "≤ 60",
                        _status(m.repaint.paints_per_s, 60.0),
                    )
                )
                rows.append(
                    (
                        "Paint time p95",
                        f"{m.repaint.paint_ms.p95:.2f} ms",
                        f"{t['paint_ms_p95']:.1f} ms",
                        _status(m.repaint.paint_ms.p95, t["paint_ms_p95"]),
                    )
                )
            else:
                rows.append(("Repaints", NOT_MEASURED, "—", "—"))
            if m.pools.measured and m.pools.traffic:
                worst = max(m.pools.pools, key=lambda p: p.wait_ms.p95)
                rows.append(
                    (
                        f"Pool wait p95 (worst: {worst.pool})",
                        f"{worst.wait_ms.p95:.1f} ms",
                        f"{t['pool_wait_p95_ms']:.0f} ms",
                        _status(worst.wait_ms.p95, t["pool_wait_p95_ms"]),
                    )
                )
            elif m.pools.measured:
                rows.append(("Pools", "instrumented, no traffic", "—", "—"))
            else:
                rows.append(("Pools", NOT_MEASURED, "—", "—"))
            if m.memory.measured and m.memory.judgeable:
                rows.append(
                    (
                        "RSS growth (steady state)",
                        f"{m.memory.growth_mb_per_h:.1f} MB/h",
                        f"{t['rss_growth_mb_per_h']:.0f} MB/h",
                        _status(m.memory.growth_mb_per_h, t["rss_growth_mb_per_h"]),
                    )
                )
            elif m.memory.measured and m.memory.span_s:
                rows.append(
                    (
                        "RSS change",
                        f"{m.memory.growth_bytes / 1e6:+.1f} MB in {m.memory.span_s:.0f} s",
                        f"{t['rss_growth_mb_per_h']:.0f} MB/h",
                        "session too short to judge",
                    )
                )
            else:
                rows.append(("Memory", NOT_MEASURED, "—", "—"))
            out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
            out.append("")
            if m.bus.handlers:
                out += [
                    "Slowest event-bus handlers:",
                    "",
                    "| Handler | Event | Calls | Durations | Location |",
                    "|---|---|---|---|---|",
                ]
                for h in m.bus.handlers[:10]:
                    out.append(
                        f"| `{cell(h.handler)}` | {cell(h.event)} | {h.calls} | "
                        f"{_dist(h.durations)} | {self.measured_link(model, h.file, h.line)} |"
                    )
                out.append("")
            if m.repaint.widgets:
                out += [
                    "Repaints per widget class:",
                    "",
                    "| Widget | Canvas | Paints/s | Update requests | Full updates | Paint time |",
                    "|---|---|---|---|---|---|",
                ]
                for w in m.repaint.widgets[:10]:
                    out.append(
                        f"| `{cell(w.widget_class)}` | {'yes' if w.is_canvas else 'no'} | "
                        f"{w.paints_per_s:.1f} | {w.update_requests} | {w.full_updates} | "
                        f"{_dist(w.paint_ms)} |"
                    )
                out.append("")
            if m.pools.pools:
                out += [
                    "Pools:",
                    "",
                    "| Pool | Max size | Peak in use | Peak waiters | Acquires | Wait | Evicted |",
                    "|---|---|---|---|---|---|---|",
                ]
                for p in m.pools.pools:
                    out.append(
                        f"| `{cell(p.pool)}` | {p.max_size} | {p.peak_in_use} | "
                        f"{p.peak_waiters} | {p.acquires} | {_dist(p.wait_ms)} | {p.evicted} |"
                    )
                if not m.pools.traffic:
                    out.append("")
                    out.append(
                        "The pools saw no traffic during this session: no acquire was "
                        "recorded, so their sizing is not measured here."
                    )
                out.append("")
            if m.queues:
                out += [
                    "Queues:",
                    "",
                    "| Queue | Enqueues | Dequeues | Max depth | Dequeue time |",
                    "|---|---|---|---|---|",
                ]
                out += [
                    f"| `{cell(q.queue)}` | {q.enqueues} | {q.dequeues} | {q.max_depth} | "
                    f"{_dist(q.dequeue_ms)} |"
                    for q in m.queues
                ]
                out.append("")
            if m.workloads:
                out += [
                    "Workloads:",
                    "",
                    "| Workload | Params | Status | Results |",
                    "|---|---|---|---|",
                ]
                out += [
                    f"| `{cell(w.get('name'))}` | {cell(json.dumps(w.get('params') or {}))} | "
                    f"{cell(w.get('status'))}"
                    f"{' — ' + cell(w.get('reason')) if w.get('reason') else ''} | "
                    f"{cell(json.dumps(w.get('results') or {}))} |"
                    for w in m.workloads
                ]
                out.append("")
            if model.pool_sizing:
                keys = list(model.pool_sizing[0].keys())
                out += [
                    "Pool sizing:",
                    "",
                    "| " + " | ".join(keys) + " |",
                    "|" + "---|" * len(keys),
                ]
                out += [
                    "| " + " | ".join(cell(r.get(k, "")) for k in keys) + " |"
                    for r in model.pool_sizing
                ]
                out.append("")
            elif model.pool_sizing_note:
                out += [model.pool_sizing_note, ""]
        if model.plots:
            out += ["### Plots", ""]
            for p in model.plots:
                src = (
                    posixpath.join(self.plot_dir, f"{p.name}.png")
                    if self.plot_dir
                    else f"{p.name}.png"
                )
                out += [f"![{p.title}]({src})", "", f"_{p.caption}_", ""]
        out += [
            "### Projected improvements",
            "",
            "| What | Current | Projected | How it was estimated |",
            "|---|---|---|---|",
        ]
        out += [
            f"| {cell(p.what)} | {cell(p.current)} | {cell(p.projected)} | {cell(p.method)} |"
            for p in model.projections
        ]
        out.append("")
        return out

    # -- appendices ---------------------------------------------------------------------------
    def _appendices(self, model: ReportModel) -> list[str]:
        out = ["## Appendices", "", "### A. Async anti-pattern catalog", ""]
        async_findings = model.async_patterns
        if async_findings:
            per: dict[str, list[Finding]] = defaultdict(list)
            for f in async_findings:
                per[f.rule].append(f)
            out += ["| Rule | Anti-pattern | Found | Why it hurts | Fix |", "|---|---|---|---|---|"]
            for rule, fs in sorted(per.items()):
                f = fs[0]
                out.append(
                    f"| {rule} | {cell(f.title or rule)} | {len(fs)} | "
                    f"{cell(first_sentence(f.root_cause))} | "
                    f"{cell(first_sentence(f.recommendation))} |"
                )
            out.append("")
        else:
            out += ["No async anti-pattern found.", ""]
        found = {f.rule for f in async_findings}
        clean = [(rid, title) for rid, title in model.async_rules if rid not in found]
        if clean:
            out += [
                "Also checked, nothing found: "
                + "; ".join(f"`{rid}` {cell(title)}" for rid, title in clean)
                + ".",
                "",
            ]
        out += ["### B. Memory profiling data", ""]
        mem = model.measurements.memory
        if mem.measured:
            out += [self._memory_line(model), ""]
            if mem.tracemalloc_top:
                out += [
                    "tracemalloc, top allocation growth (last snapshot):",
                    "",
                    "| Location | Size diff | Count diff |",
                    "|---|---|---|",
                ]
                out += [
                    f"| {self.measured_link(model, str(r.get('file', '')), int(r.get('line') or 0))}"  # noqa: E501
                    f" | {int(r.get('size_diff') or 0):,} B | {int(r.get('count_diff') or 0):,} |"
                    for r in mem.tracemalloc_top[:15]
                ]
                out.append("")
            else:
                out += ["tracemalloc: not enabled in this session.", ""]
        else:
            out += [f"Memory profiling data: {NOT_MEASURED}.", ""]
        if model.measurements.pools.leaks:
            out += ["Pool resources held too long:", ""]
            out += [
                f"- `{cell(r.get('pool'))}` held {float(r.get('held_s') or 0):.1f} s; "
                f"acquired at {cell((r.get('stack') or ['?'])[-1])}"
                for r in model.measurements.pools.leaks[:10]
            ]
            out.append("")
        out += ["### C. Code quality metrics", ""]
        a = model.audit
        n = len(model.findings)
        if a.known:
            per_kloc = n / (a.lines / 1000.0) if a.lines else 0.0
            out += [
                f"- Files analyzed: {a.files}; lines: {a.lines:,}; analysis time "
                f"{a.elapsed_s:.1f} s; rules: {a.rules_run}.",
                f"- Findings per kLOC: {per_kloc:.2f} ({n} findings).",
                f"- Unparsable files: {len(a.errors)}" + (":" if a.errors else "."),
            ]
            out += [f"  - `{p}`: {cell(msg)}" for p, msg in a.errors[:20]]
        else:
            out.append(f"- Static audit statistics are not in this session ({n} findings).")
        out.append("")
        out += ["| Area | Findings | CRITICAL | HIGH | MEDIUM | LOW |", "|---|---|---|---|---|---|"]
        for s in model.areas:
            c = model.severity_counts(s.findings)
            out.append(
                f"| {s.area}. {s.name} | {len(s.findings)} | "
                + " | ".join(str(c[x]) for x in Severity)
                + " |"
            )
        out += ["", "### D. Test coverage gaps", ""]
        if model.coverage is None:
            out += [
                "No coverage file was found (looked for "
                "coverage.xml / coverage.json at the audited root); coverage gaps are not "
                "assessed.",
                "",
            ]
        elif not model.gaps:
            out += [
                f"From `{model.coverage.source}`: every finding's line is covered by tests.",
                "",
            ]
        else:
            out += [
                f"From `{model.coverage.source}`: {len(model.gaps)} finding(s) sit in code the "
                "tests do not run; add a test with each fix.",
                "",
                "| Finding | Location | File coverage | Line covered |",
                "|---|---|---|---|",
            ]
            out += [
                f"| {cell(g.finding.title or g.finding.rule)} | "
                f"{self.link(g.finding.path, g.finding.line)} | {g.file_percent:.0f}% | "
                f"{'yes' if g.line_covered else 'no'} |"
                for g in model.gaps[:50]
            ]
            out.append("")
        return out

    def _answers(self, model: ReportModel) -> list[str]:
        out = ["## Answers to the Open Questions", ""]
        for question, answer in model.answers:
            out += [f"### {question}", "", answer, ""]
        return out

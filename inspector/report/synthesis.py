"""Report synthesis: correlated groups, cross-area cascades and conflicting recommendations.

Pure functions over findings and session records. Conflicts are found from data, not from
the wording of recommendations: `DIRECTIONS` says which tuning knob a rule or tag pushes and
which way, `KNOBS` says which knobs are coupled, and two findings conflict when they push the
same (or a coupled) knob in opposite directions within the knob's scope.

A rule or finding can also declare its direction with a tag `knob:<knob>:+` or `knob:<knob>:-`,
so new rules join the check without an edit here.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from analyzers.findings import Evidence, Finding

# -- the direction table --------------------------------------------------------------------


@dataclass(frozen=True)
class Knob:
    """A tuning setting recommendations move up (+1) or down (-1).

    `scope` is where two recommendations on the knob meet: "global" (one shared setting, or a
    shared resource), "file" or "symbol". `coupled` knobs must move together: pushing one up
    while another finding pushes a coupled one down is a conflict too.
    """

    name: str
    label: str
    scope: str = "global"
    coupled: tuple[str, ...] = ()
    resolution: str = ""


KNOBS: Mapping[str, Knob] = {
    k.name: k
    for k in (
        Knob(
            "concurrency.limit",
            "concurrency limit (semaphore / max_concurrency)",
            coupled=("pool.max_size",),
            resolution=(
                "Use one configurable limit for all fan-out instead of a hard-coded number here "
                "and no limit there: bound every gather with the same semaphore, read its size "
                "from configuration (larger than os.cpu_count() for I/O-bound nodes), and raise "
                "it only while pool waits and event-loop lag stay under target."
            ),
        ),
        Knob(
            "pool.max_size",
            "pool maximum size",
            coupled=("concurrency.limit",),
            resolution=(
                "Size the pool from measurement: max_size = measured peak in-use + 1, with the "
                "concurrency limit equal to it; shrink only pools whose peak in-use stays "
                "below max_size, grow only pools with measured waiters."
            ),
        ),
        Knob(
            "batch.window",
            "event batching window",
            resolution=(
                "Keep one batching window but exempt latency-sensitive event types from "
                "batching (dispatch them immediately); size the window for the rest from the "
                "measured event rate so a batch stays under one frame (16 ms)."
            ),
        ),
        Knob(
            "poll.interval",
            "polling interval",
            scope="file",
            resolution=(
                "Replace polling with notification (file-system events, asyncio.Event) where "
                "the platform offers it; otherwise poll with backoff: short after a change, "
                "long when idle."
            ),
        ),
        Knob(
            "cache.size",
            "cache / history size",
            scope="symbol",
            resolution=(
                "Bound the structure (LRU or deque(maxlen=...)) at a size chosen from the "
                "measured hit rate and memory growth, instead of either unbounded growth or "
                "no cache."
            ),
        ),
        Knob(
            "persist.interval",
            "persist / flush interval",
            scope="file",
            resolution=(
                "Persist on change with coalescing (dirty flag + debounce) rather than on a "
                "fixed short or long timer."
            ),
        ),
        Knob(
            "repaint.rate",
            "repaint / update frequency",
            resolution=(
                "Coalesce updates to one per frame (a single QTimer at 60 Hz or less) and "
                "update only the changed region, rather than either repainting on every "
                "change or throttling visible feedback."
            ),
        ),
        Knob(
            "timeout",
            "timeouts",
            scope="file",
            resolution=(
                "Use a short first attempt with bounded exponential backoff up to the longer "
                "limit, so the common case is fast and the slow case still succeeds."
            ),
        ),
        Knob(
            "retry.count",
            "retry count",
            scope="file",
            resolution="Retry only idempotent operations, with a bounded count and backoff.",
        ),
    )
}

# Which way a tag pushes a knob. Tags are the rule's TAGS plus any finding-specific ones.
DIRECTIONS_BY_TAG: Mapping[str, tuple[str, int]] = {
    "pool-undersized": ("pool.max_size", +1),
    "pool-exhaustion": ("pool.max_size", +1),
    "pool-oversized": ("pool.max_size", -1),
    "pool-idle": ("pool.max_size", -1),
    "concurrency-limit-low": ("concurrency.limit", +1),
    "hardcoded-concurrency": ("concurrency.limit", +1),
    "oversubscription": ("concurrency.limit", -1),
    "unbounded-gather": ("concurrency.limit", -1),
    "batch-latency": ("batch.window", -1),
    "event-fanout": ("batch.window", +1),
    "poll-overhead": ("poll.interval", +1),
    "stale-poll": ("poll.interval", -1),
    "unbounded-growth": ("cache.size", -1),
    "event-history": ("cache.size", -1),
    "missing-cache": ("cache.size", +1),
    "persist-overhead": ("persist.interval", +1),
    "data-loss-window": ("persist.interval", -1),
    "excessive-repaint": ("repaint.rate", -1),
    "stale-ui": ("repaint.rate", +1),
    "long-timeout": ("timeout", -1),
    "short-timeout": ("timeout", +1),
    "retry-storm": ("retry.count", -1),
}

# Rule ids whose direction does not follow from their tags; filled as rules land.
DIRECTIONS_BY_RULE: Mapping[str, tuple[str, int]] = {
    "CIA603": ("concurrency.limit", +1),  # hard-coded limit: make it configurable, larger
    "CIA604": ("concurrency.limit", -1),  # unbounded gather: put a bound on it
    "CIA401": ("repaint.rate", -1),  # one repaint per item: coalesce
    "CIA403": ("repaint.rate", -1),  # fast timer while hidden: tick less
}

# Resolutions for two coupled knobs pulled apart (the single-knob text is on the Knob).
PAIR_RESOLUTIONS: Mapping[frozenset[str], str] = {
    frozenset({"concurrency.limit", "pool.max_size"}): (
        "Tie the two together instead of moving them apart: set the concurrency limit to the "
        "pool's max_size, so no task waits on the pool after passing the semaphore; raise both "
        "only when pool waits are measured above target, otherwise keep both at the measured "
        "peak in-use."
    ),
}


def resolution_for(knob: str, other: str) -> str:
    if knob == other:
        return KNOBS[knob].resolution
    return PAIR_RESOLUTIONS.get(frozenset({knob, other}), KNOBS[knob].resolution)


def directions(finding: Finding) -> list[tuple[str, int]]:
    """The (knob, sign) pairs a finding's recommendation pushes, from the tables and its tags."""
    found: dict[str, int] = {}
    if finding.rule in DIRECTIONS_BY_RULE:
        knob, sign = DIRECTIONS_BY_RULE[finding.rule]
        found[knob] = sign
    for tag in finding.tags:
        if tag.startswith("knob:"):
            parts = tag.split(":")
            if len(parts) == 3 and parts[1] in KNOBS and parts[2] in ("+", "-"):
                found[parts[1]] = 1 if parts[2] == "+" else -1
        elif tag in DIRECTIONS_BY_TAG:
            knob, sign = DIRECTIONS_BY_TAG[tag]
            found.setdefault(knob, sign)
    return sorted(found.items())


def _scope_key(knob: Knob, finding: Finding) -> str:
    if knob.scope == "file":
        return finding.path
    if knob.scope == "symbol":
        return f"{finding.path}::{finding.symbol}"
    return ""


# -- conflicts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conflict:
    """Two recommendations that pull a knob (or coupled knobs) apart, and how we resolve it."""

    first: Finding
    second: Finding
    knob: str
    other_knob: str
    winner: Finding
    resolution: str

    @property
    def kept(self) -> Finding:
        return self.winner

    @property
    def reconciled(self) -> Finding:
        return self.second if self.winner is self.first else self.first


def _direction_words(knob: str, sign: int) -> str:
    return f"{'raise' if sign > 0 else 'lower'} the {KNOBS[knob].label}"


def _weight(finding: Finding) -> tuple[int, int]:
    return (1 if finding.priority.source == "measured" else 0, finding.score)


def detect_conflicts(findings: Sequence[Finding], context: str = "") -> list[Conflict]:
    """Pairs of findings that push a knob (or coupled knobs) in opposite directions.

    `context` is a sentence of measured facts appended to each resolution (e.g. pool peaks).
    The winner is the finding backed by measurement, then the higher score; the resolution
    says what to do instead of following either recommendation blindly.
    """
    by_knob: dict[tuple[str, str], list[tuple[Finding, int]]] = defaultdict(list)
    for f in findings:
        for knob, sign in directions(f):
            by_knob[(knob, _scope_key(KNOBS[knob], f))].append((f, sign))
    conflicts: list[Conflict] = []
    seen: set[tuple[str, str, str]] = set()
    for (knob, scope), pushes in sorted(by_knob.items()):
        partners = [(knob, pushes)]
        partners += [(c, by_knob.get((c, scope), [])) for c in KNOBS[knob].coupled]
        for a, sign_a in pushes:
            for other_knob, other_pushes in partners:
                for b, sign_b in other_pushes:
                    if a is b or sign_a == sign_b:
                        continue
                    key = (
                        *sorted((a.fingerprint, b.fingerprint)),
                        "|".join(sorted((knob, other_knob))),
                    )
                    if key in seen:
                        continue
                    seen.add(key)
                    winner = a if _weight(a) >= _weight(b) else b
                    text = (
                        f"`{a.location}` says {_direction_words(knob, sign_a)}; "
                        f"`{b.location}` says {_direction_words(other_knob, sign_b)}. "
                        f"Resolution: {resolution_for(knob, other_knob)}"
                    )
                    basis = (
                        "measured evidence"
                        if winner.priority.source == "measured"
                        else "the higher priority score"
                    )
                    text += (
                        f" Where the two still disagree, `{winner.location}` ({winner.rule}, "
                        f"score {winner.score}) takes precedence on {basis}."
                    )
                    if context:
                        text += f" {context}"
                    conflicts.append(Conflict(a, b, knob, other_knob, winner, text))
    return conflicts


# -- correlated groups ----------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """Findings that share a root cause: the same callee at the end of their call chains, or
    the same enclosing symbol hit by several rules."""

    reason: str
    findings: tuple[Finding, ...]

    @property
    def areas(self) -> tuple[int, ...]:
        return tuple(sorted({f.area for f in self.findings}))

    @property
    def score(self) -> int:
        return max(f.score for f in self.findings)


def correlate_groups(findings: Sequence[Finding]) -> list[Group]:
    """Union findings linked by a shared chain step (the same code on their call paths) or by
    the same file+symbol; groups of two or more, highest score first."""
    parent = list(range(len(findings)))
    reasons: dict[int, str] = {}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int, why: str) -> None:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[rj] = ri
            reasons.setdefault(ri, why)

    by_step: dict[tuple[str, int], int] = {}
    by_symbol: dict[tuple[str, str], int] = {}
    for i, f in enumerate(findings):
        if f.symbol:
            by_symbol.setdefault((f.path, f.symbol), i)
    for i, f in enumerate(findings):
        # A chain that passes through another finding's function: one path, two costs.
        for step in f.chain[:-1]:
            j = by_symbol.get((step.path, step.symbol))
            if j is not None and j != i:
                union(
                    j,
                    i,
                    f"the call chain of `{f.symbol or f.location}` passes through "
                    f"`{step.symbol}`, which has its own finding",
                )
        # The last chain step is the blocking/expensive call: shared callee, shared root cause.
        steps = f.chain[-1:] if f.chain else ()
        for step in steps:
            key = (step.path, step.line)
            if key in by_step:
                union(
                    by_step[key],
                    i,
                    f"call chains end at the same code `{step.path}:{step.line}` ({step.symbol})",
                )
            else:
                by_step[key] = i
        if f.symbol:
            first = by_symbol[(f.path, f.symbol)]
            if first != i:
                same_rule = findings[first].rule == f.rule
                what = f"`{f.rule}` fires more than once" if same_rule else "several rules fire"
                union(first, i, f"{what} in one function, `{f.symbol}` ({f.path}): fix together")
    members: dict[int, list[Finding]] = defaultdict(list)
    for i, f in enumerate(findings):
        members[find(i)].append(f)
    groups = [
        Group(reasons.get(root, "shared root cause"), tuple(sorted(fs, key=lambda f: -f.score)))
        for root, fs in members.items()
        if len(fs) > 1
    ]
    return sorted(groups, key=lambda g: (-g.score, -len(g.findings), g.reason))


@dataclass(frozen=True)
class Pattern:
    """A rule that fires in several areas: one fix pattern to apply across the codebase."""

    rule: str
    title: str
    areas: tuple[int, ...]
    count: int


def repeated_patterns(findings: Sequence[Finding]) -> list[Pattern]:
    per: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        per[f.rule].append(f)
    out = [
        Pattern(rule, fs[0].title or rule, tuple(sorted({f.area for f in fs})), len(fs))
        for rule, fs in per.items()
        if len({f.area for f in fs}) > 1
    ]
    return sorted(out, key=lambda p: (-len(p.areas), -p.count, p.rule))


# -- cascades -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cascade:
    """A blocking spot in one area measured as symptoms elsewhere (loop lag, repaint stalls).

    `cause` is the static finding at the blocking code when there is one; `location` is
    always the measured file:line (repo-relative when it lies under the audited root).
    """

    location: str
    label: str
    cause: Finding | None
    cause_area: int | None
    occurrences: int
    blocked_ms_total: float
    blocked_ms_max: float
    loop_lag_max_ms: float
    repaint_stalls: int
    symptom_areas: tuple[int, ...]
    sources: tuple[str, ...] = field(default=())

    def summary(self) -> str:
        parts = [
            f"{self.label} blocked the event-loop thread {self.occurrences} time(s), "
            f"{self.blocked_ms_total:.0f} ms in total (longest {self.blocked_ms_max:.0f} ms)"
        ]
        if self.loop_lag_max_ms:
            parts.append(f"loop lag reached {self.loop_lag_max_ms:.0f} ms in the same windows")
        if self.repaint_stalls:
            parts.append(
                f"{self.repaint_stalls} repaint interval(s) stalled "
                "(updates requested, frames late)"
            )
        return "; ".join(parts)


def relative_to_root(file: str, source_root: str) -> str:
    """A measured absolute file path as repo-relative POSIX, when it lies under the root."""
    norm = file.replace("\\", "/")
    root = source_root.replace("\\", "/").rstrip("/")
    if root and norm.startswith(root + "/"):
        return norm[len(root) + 1 :]
    return norm


def _match_finding(
    path: str, line: int, symbol: str, by_path: Mapping[str, Sequence[Finding]]
) -> Finding | None:
    candidates: list[Finding] = []
    for fpath, fs in by_path.items():
        if path == fpath or path.endswith("/" + fpath):
            candidates.extend(fs)
    if not candidates:
        return None
    best: Finding | None = None
    for f in candidates:
        hit = f.line <= line <= max(f.end_line, f.line) or (
            symbol and f.symbol and symbol.endswith(f.symbol)
        )
        hit = hit or any(step.line == line and path.endswith(step.path) for step in f.chain)
        if hit and (best is None or f.score > best.score):
            best = f
    if best is None:
        # Same file, enclosing symbol unknown: the closest finding above the measured line.
        above = [f for f in candidates if f.line <= line]
        best = max(above, key=lambda f: f.line) if above else None
    return best


# Our injected agent and its workloads: their frames are never a cause in the target.
OUR_CODE = re.compile(r"[/\\]inspector[/\\]agent[/\\]")


def detect_cascades(
    findings: Sequence[Finding],
    records_by_kind: Mapping[str, Sequence[Mapping[str, Any]]],
    source_root: str = "",
    threshold_ms: float = 50.0,
    window_s: float = 1.0,
) -> list[Cascade]:
    """Blocking handlers / slow callbacks matched to findings, with the loop lag and repaint
    stalls measured in the same time windows (area 4 symptoms of, e.g., an area 9 cause)."""
    events: list[tuple[float, str, int, str, float, str]] = []
    for rec in records_by_kind.get("handler", ()):
        ms = float(rec.get("max_ms") or 0.0)
        if ms >= threshold_ms and rec.get("file"):
            label = f"handler `{rec.get('handler', '?')}` for `{rec.get('event', '?')}`"
            events.append(
                (
                    float(rec["t"]),
                    str(rec["file"]),
                    int(rec.get("line") or 0),
                    str(rec.get("handler", "")),
                    ms,
                    label,
                )
            )
    for rec in records_by_kind.get("slow_callback", ()):
        ms = float(rec.get("duration_ms") or 0.0)
        if ms >= threshold_ms and rec.get("file"):
            label = f"callback `{rec.get('callable', '?')}`"
            events.append(
                (
                    float(rec["t"]),
                    str(rec["file"]),
                    int(rec.get("line") or 0),
                    str(rec.get("callable", "")),
                    ms,
                    label,
                )
            )
    # A block in our own agent or workload code (the pools workload's clients, its loopback
    # server) is ours, never a cause in the target: the report is about the target's code.
    events = [ev for ev in events if not OUR_CODE.search(ev[1])]
    if not events:
        return []
    # The agent reports one block as a handler record and as a slow callback: count it once.
    unique: dict[tuple[int, str, int], tuple[float, str, int, str, float, str]] = {}
    for ev in events:
        key = (round(ev[0] * 4), ev[1], ev[2])
        if key not in unique or ev[4] > unique[key][4]:
            unique[key] = ev
    events = sorted(unique.values())
    lag = sorted(records_by_kind.get("loop_lag", ()), key=lambda r: float(r["t"]))
    repaint = sorted(records_by_kind.get("repaint", ()), key=lambda r: float(r["t"]))
    by_path: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_path[f.path].append(f)
    acc: dict[str, dict[str, Any]] = {}
    for t, file, line, symbol, ms, label in events:
        rel = relative_to_root(file, source_root)
        cause = _match_finding(rel, line, symbol, by_path)
        key = f"{rel}:{line}"
        slot = acc.setdefault(
            key,
            {
                "label": label,
                "cause": cause,
                "n": 0,
                "total": 0.0,
                "max": 0.0,
                "lag": 0.0,
                "stall_ids": set(),
                "lag_seen": False,
            },
        )
        slot["n"] += 1
        slot["total"] += ms
        slot["max"] = max(slot["max"], ms)
        lo, hi = t - ms / 1000.0 - window_s, t + window_s
        for rec in lag:
            rt = float(rec["t"])
            if rt < lo:
                continue
            if rt > hi:
                break
            slot["lag"] = max(
                slot["lag"],
                float(rec.get("max_ms") or 0.0),
                *[float(v) for v in rec.get("lag_ms") or ()],
            )
        for rec in repaint:
            rt = float(rec["t"])
            if rt < lo:
                continue
            if rt > hi:
                break
            paint_ms = [float(v) for v in rec.get("paint_ms") or ()]
            pending = int(rec.get("update_requests") or 0) > int(rec.get("paints") or 0)
            if pending or any(v > 1000.0 / 60.0 for v in paint_ms):
                slot["stall_ids"].add(rec.get("_id", id(rec)))
    out = []
    for key, s in acc.items():
        lag_hit = s["lag"] >= 0.5 * s["max"]
        stalls = len(s["stall_ids"])
        if not lag_hit and not stalls:
            continue
        cause: Finding | None = s["cause"]
        symptoms = (4,) if cause is None or cause.area != 4 else ()
        out.append(
            Cascade(
                location=key,
                label=s["label"],
                cause=cause,
                cause_area=cause.area if cause else None,
                occurrences=s["n"],
                blocked_ms_total=s["total"],
                blocked_ms_max=s["max"],
                loop_lag_max_ms=s["lag"] if lag_hit else 0.0,
                repaint_stalls=stalls,
                symptom_areas=symptoms,
                sources=("agent",),
            )
        )
    return sorted(out, key=lambda c: -c.blocked_ms_total)


def cascade_evidence(cascade: Cascade) -> Evidence:
    """The cascade as evidence on its cause finding, so the finding's own entry shows it."""
    return Evidence(
        "agent",
        cascade.summary(),
        {
            "occurrences": float(cascade.occurrences),
            "blocked_ms_total": round(cascade.blocked_ms_total, 1),
            "blocked_ms_max": round(cascade.blocked_ms_max, 1),
            "loop_lag_max_ms": round(cascade.loop_lag_max_ms, 1),
            "repaint_stalls": float(cascade.repaint_stalls),
        },
    )

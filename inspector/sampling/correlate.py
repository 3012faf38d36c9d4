"""Join static findings with the samples: evidence and measured priority on every hit.

A static finding is *seen* in the samples when a sampled stack contains a frame at one of its
lines (path and line within [line, end_line]) or a frame of a function on its call chain
(ChainStep path + symbol, or path + line). For the stacks that match, the evidence gives:

  seconds / samples   thread time with the code on the stack (samples = seconds x rate)
  loop_share          that time on the event-loop thread / the loop thread's sampled time
  thread_share        that time / the sampled time of the threads it ran on
  entries, per_minute how often a thread *entered* the code (a run of matching samples
                      following a non-matching one), per minute of session
  block_max_ms, ...   when a blocked-loop finding is its twin (below)

The priority becomes `source="measured"`: Impact from loop_share (or thread_share off the
loop) and from the twin's longest block, Frequency from entries per minute (or the twin's
blocks per minute when larger), Difficulty kept; the table is in
inspector.sampling.measured_priority and `basis` spells out the figures.

A dynamic finding (blocked-loop, or any other dynamic finding in the session) has a static
twin when it names the same file and a line inside the static range or the same function,
or when either chain contains the other's location; its evidence then moves onto the static
finding and it is not kept separately. Dynamic findings without a twin stay as findings.
Results are stored back (static and dynamic kinds replaced) so GUI and report read them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from analyzers.findings import Evidence, Finding, rank
from inspector.core.session import Session
from inspector.sampling.attribution import (
    attributed_stacks,
    driven_stacks,
    own_share,
    workload_windows,
)
from inspector.sampling.blocking import RULE as BLOCKED_RULE
from inspector.sampling.blocking import blocked_loop_findings
from inspector.sampling.measured_priority import ONE_OFF, measured_priority
from inspector.sampling.profile_data import loop_thread, session_rate
from inspector.sampling.project_frames import relpath

_MAX_RANGE_LINES = 400  # a finding spanning a whole class is matched by its first lines only


def _short(symbol: str) -> str:
    return symbol.rsplit(".", 1)[-1].strip()


def same_function(a: str, b: str) -> bool:
    """Do two names denote one function? Qualified names must agree on the qualified part
    both spell out ("NodeItem.paint" is not "PortItem.paint"); a bare name matches by name."""
    a, b = a.strip(), b.strip()
    if not a or not b or _short(a) != _short(b):
        return False
    if "." in a and "." in b:
        return a == b or a.endswith("." + b) or b.endswith("." + a)
    return True


@dataclass
class _SampleIndex:
    """Stacks by the project (path, line) and (path, function) they contain, with per-stack
    time and thread-to-thread transitions, so measuring a finding costs its stacks, not the
    whole session."""

    by_line: dict[tuple[str, int], set[int]]
    by_function: dict[tuple[str, str], dict[str, set[int]]]  # (path, name) -> {qualname: stacks}
    stack_seconds: dict[int, dict[int, float]]  # stack -> {tid: seconds}
    entries_into: dict[int, dict[int | None, int]]  # stack -> {previous stack: count}
    entries_total: dict[int, int]
    loop_tid: int | None
    loop_seconds: float
    thread_seconds: dict[int, float]
    minutes: float
    rate: float
    row_count: int
    # stack -> seconds of it our workloads drove (a workload frame on it, or in a run's window)
    workload_seconds: dict[int, float] = field(default_factory=dict)

    @classmethod
    def build(cls, session: Session, root: str) -> _SampleIndex:
        # Aggregates come from SQLite (in C): per stack and thread time, and the thread
        # transitions into each stack (LAG over each thread's runs in time order).
        with session.lock:
            per_stack_thread = session.conn.execute(
                "SELECT stack_id, tid, SUM(weight) FROM samples GROUP BY stack_id, tid"
            ).fetchall()
            windows = workload_windows(session)
            driven = driven_stacks(session)
            inside = " OR ".join("(t < ? AND t + weight / 1e6 > ?)" for _ in windows) or "0"
            args = [x for lo, hi in windows for x in (hi, lo)]
            per_stack_workload = session.conn.execute(
                f"SELECT stack_id, SUM(CASE WHEN {inside} THEN weight ELSE 0 END) "
                "FROM samples GROUP BY stack_id",
                args,
            ).fetchall()
            transitions = session.conn.execute(
                "SELECT stack_id, prev, COUNT(*) FROM ("
                " SELECT stack_id, LAG(stack_id) OVER (PARTITION BY pid, tid ORDER BY t) AS prev"
                " FROM samples) WHERE prev IS NULL OR prev != stack_id GROUP BY stack_id, prev"
            ).fetchall()
        by_line: dict[tuple[str, int], set[int]] = defaultdict(set)
        by_function: dict[tuple[str, str], dict[str, set[int]]] = defaultdict(
            lambda: defaultdict(set)
        )
        for sid, stack in attributed_stacks(session).items():
            for frame in stack:
                rel = relpath(frame.file, root)
                if rel is not None:
                    by_line[(rel, frame.line)].add(sid)
                    by_function[(rel, _short(frame.function))][frame.function].add(sid)
        thread_seconds: dict[int, float] = defaultdict(float)
        stack_seconds: dict[int, dict[int, float]] = defaultdict(dict)
        for sid, tid, weight in per_stack_thread:
            seconds = weight / 1e6
            thread_seconds[tid] += seconds
            stack_seconds[sid][tid] = stack_seconds[sid].get(tid, 0.0) + seconds
        workload_seconds = {sid: w / 1e6 for sid, w in per_stack_workload if w}
        for sid in driven:
            workload_seconds[sid] = sum(stack_seconds.get(sid, {}).values())
        entries_into: dict[int, dict[int | None, int]] = defaultdict(dict)
        for sid, prev, count in transitions:
            entries_into[sid][prev] = count
        rows = per_stack_thread
        info = loop_thread(session) if rows else None
        span = session.time_span()
        minutes = max((span[1] - span[0]) / 60.0, 1e-9) if span else 1.0
        return cls(
            by_line=by_line,
            by_function=by_function,
            stack_seconds=stack_seconds,
            entries_into=entries_into,
            entries_total={sid: sum(into.values()) for sid, into in entries_into.items()},
            loop_tid=info.tid if info else None,
            loop_seconds=thread_seconds.get(info.tid, 0.0) if info else 0.0,
            thread_seconds=thread_seconds,
            minutes=minutes,
            rate=session_rate(session),
            row_count=len(rows),
            workload_seconds=workload_seconds,
        )

    def function_stacks(self, path: str, symbol: str) -> set[int]:
        found: set[int] = set()
        for qualname, sids in self.by_function.get((path, _short(symbol)), {}).items():
            if same_function(qualname, symbol):
                found |= sids
        return found

    def stacks_for(self, finding: Finding) -> tuple[set[int], str]:
        """The stacks that show the finding, and how they were matched ("line", "chain",
        "function": the finding's enclosing function, used only when nothing closer is)."""
        stacks: set[int] = set()
        last = min(finding.end_line, finding.line + _MAX_RANGE_LINES)
        for line in range(finding.line, last + 1):
            stacks |= self.by_line.get((finding.path, line), set())
        how = "line" if stacks else "chain"
        for step in finding.chain:
            stacks |= self.by_line.get((step.path, step.line), set())
            if step.symbol:
                stacks |= self.function_stacks(step.path, step.symbol)
        if stacks:
            return stacks, how
        if finding.symbol:
            return self.function_stacks(finding.path, finding.symbol), "function"
        return set(), ""

    def measure(self, stacks: set[int]) -> dict[str, float]:
        seconds = loop_s = driven_s = 0.0
        threads_hit: set[int] = set()
        entries = 0
        for sid in stacks:
            driven_s += self.workload_seconds.get(sid, 0.0)
            for tid, secs in self.stack_seconds.get(sid, {}).items():
                seconds += secs
                threads_hit.add(tid)
                if tid == self.loop_tid:
                    loop_s += secs
            # an entry: the thread's previous run was outside the matching stacks
            into = self.entries_into.get(sid, {})
            inner = sum(into[prev] for prev in into.keys() & stacks)
            entries += self.entries_total.get(sid, 0) - inner
        hit_thread_s = sum(self.thread_seconds[t] for t in threads_hit) or 1.0
        return {
            "seconds": round(seconds, 4),
            "samples": float(round(seconds * self.rate)),
            "loop_seconds": round(loop_s, 4),
            "loop_share": round(loop_s / self.loop_seconds, 5) if self.loop_seconds else 0.0,
            "thread_share": round(seconds / hit_thread_s, 5),
            "entries": float(entries),
            "per_minute": round(entries / self.minutes, 3),
            "workload_seconds": round(driven_s, 4),
            "under_workload": 1.0 if seconds and driven_s * 2 >= seconds else 0.0,
        }


def _located(finding: Finding, path: str, line: int, symbol: str) -> bool:
    """Does `finding` (its range, its symbol or its chain) name path:line or path+symbol?"""
    if finding.path == path and (
        finding.line <= line <= finding.end_line
        or (symbol and finding.symbol and same_function(finding.symbol, symbol))
    ):
        return True
    return any(
        step.path == path and (step.line == line or (symbol and same_function(step.symbol, symbol)))
        for step in finding.chain
    )


def is_twin(static: Finding, dynamic: Finding) -> bool:
    """Same place: the dynamic finding's line/function, or a step of its stack, is the static's."""
    if _located(static, dynamic.path, dynamic.line, dynamic.symbol):
        return True
    return any(_located(static, step.path, step.line, "") for step in dynamic.chain)


class _PlaceIndex:
    """Static findings by every (path, line) and (path, function) they name."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        self.by_line: dict[tuple[str, int], set[int]] = defaultdict(set)
        self.by_function: dict[tuple[str, str], set[int]] = defaultdict(set)
        for i, f in enumerate(findings):
            for line in range(f.line, min(f.end_line, f.line + _MAX_RANGE_LINES) + 1):
                self.by_line[(f.path, line)].add(i)
            if f.symbol:
                self.by_function[(f.path, _short(f.symbol))].add(i)
            for step in f.chain:
                self.by_line[(step.path, step.line)].add(i)
                if step.symbol:
                    self.by_function[(step.path, _short(step.symbol))].add(i)

    def candidates(self, dynamic: Finding) -> list[int]:
        found = set(self.by_line.get((dynamic.path, dynamic.line), ()))
        if dynamic.symbol:
            found |= self.by_function.get((dynamic.path, _short(dynamic.symbol)), set())
        for step in dynamic.chain:
            found |= self.by_line.get((step.path, step.line), set())
        return sorted(found)


def _strip_measured(finding: Finding) -> Finding:
    """Drop evidence from an earlier correlate() run so repeating it does not pile up."""
    kept = tuple(e for e in finding.evidence if e.source != "py-spy")
    return replace(finding, evidence=kept) if len(kept) != len(finding.evidence) else finding


def correlate(
    session: Session,
    source_root: str | Path,
    profile: Any = None,
    *,
    threshold_ms: float = 50.0,
) -> list[Finding]:
    """Static findings with sample evidence and measured priority, plus unmatched dynamic ones.

    Stores the result back into the session (static and dynamic kinds replaced) and returns
    it ranked. A session without samples returns its findings unchanged and stores nothing.
    """
    root = str(source_root)
    statics = [_strip_measured(f) for f in session.findings("static")]
    others = [f for f in session.findings("dynamic") if f.rule != BLOCKED_RULE]
    index = _SampleIndex.build(session, root)
    if not index.row_count:
        return rank(statics + others)
    own_share(session)  # stored as meta "attribution" for the report and the window
    dynamics = blocked_loop_findings(session, root, threshold_ms, profile)
    dynamics += others
    twins: dict[int, list[Finding]] = defaultdict(list)
    merged: set[int] = set()
    places = _PlaceIndex(statics)
    for di, dyn in enumerate(dynamics):
        for si in places.candidates(dyn):
            if is_twin(statics[si], dyn):  # the index narrows, the predicate decides
                twins[si].append(dyn)
                merged.add(di)
    out_static = [
        _with_measurements(static, index, twins.get(si, [])) for si, static in enumerate(statics)
    ]
    out_dynamic = [d for di, d in enumerate(dynamics) if di not in merged]
    out_static = session.put_findings(out_static, replace_kind="static")
    out_dynamic = session.put_findings(out_dynamic, replace_kind="dynamic")
    return rank(out_static + out_dynamic)


def _with_measurements(static: Finding, index: _SampleIndex, twins: Iterable[Finding]) -> Finding:
    twins = list(twins)
    stacks, how = index.stacks_for(static)
    if not stacks and not twins:
        return static
    m = index.measure(stacks)
    m["matched_by_line"] = 1.0 if how == "line" else 0.0
    on_loop = m["loop_seconds"] > 0
    share = m["loop_share"] if on_loop else m["thread_share"]
    evidence: list[Evidence] = []
    if stacks and m["seconds"] > 0:
        where = (
            f"{m['loop_share'] * 100:.1f}% of event-loop thread time"
            if on_loop
            else f"{m['thread_share'] * 100:.1f}% of its thread's time"
        )
        what = {
            "line": "its lines",
            "chain": "its call chain",
            "function": f"its function {static.symbol}",
        }[how]
        evidence.append(
            Evidence(
                "py-spy",
                f"py-spy saw {what} on the stack for {m['seconds']:.2f} s "
                f"(~{m['samples']:.0f} samples, {where}), entered {m['per_minute']:.1f}/min"
                + (
                    f", {m['workload_seconds']:.2f} s of it under the standard workload"
                    if m["workload_seconds"]
                    else ""
                ),
                m,
            )
        )
    block_ms = None
    per_minute = m["per_minute"]
    for twin in twins:
        evidence.extend(twin.evidence)
        if twin.rule != BLOCKED_RULE:
            continue  # other dynamic findings lend evidence, not loop-block figures
        for ev in twin.evidence:
            if float(ev.metrics.get("count", ONE_OFF)) < ONE_OFF:
                continue  # a one-off stall lends its evidence, not its length, to the score
            block_ms = max(block_ms or 0.0, float(ev.metrics.get("max_ms", 0.0)))
            per_minute = max(per_minute, float(ev.metrics.get("per_minute", 0.0)))
    if not evidence:
        return static
    basis = (
        f"impact from {'loop' if on_loop else 'thread'} share {share * 100:.2f}%"
        + (f" and max loop block {block_ms:.0f} ms" if block_ms else "")
        + f", frequency from {per_minute:.1f}/min"
        + (" under the standard workload" if m["under_workload"] else "")
        + f"; difficulty from rule {static.rule}"
    )
    priority = measured_priority(
        static.priority.difficulty,
        share=share if m["seconds"] > 0 else None,
        block_ms=block_ms,
        per_minute=per_minute,
        basis=basis,
    )
    tags = static.tags if "measured" in static.tags else (*static.tags, "measured")
    return replace(static, priority=priority, evidence=static.evidence + tuple(evidence), tags=tags)

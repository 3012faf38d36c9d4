"""Find stretches where one event-loop callback held the loop longer than a threshold.

On the thread that runs the asyncio/qasync loop, a sample is *in a callback* when its stack
passes through the loop machinery (`BaseEventLoop._run_once`, `Handle._run`, qasync) and
continues below it into something other than the selector wait; the first frame below the
deepest loop frame is the callback (for a task step, the coroutine itself). Consecutive runs
of samples in the same callback, with no time between them, form one stretch: the callback
held the loop for the stretch's duration (accurate to about one sampling period). Stretches
longer than `threshold_ms` are blocked-loop stretches; each is attributed to the deepest
project frame of its longest-lived stack (the line that was executing, e.g. the
`time.sleep` in a sync helper), and stretches with the same attribution become one finding.

Known limit: two callbacks of the same coroutine run back to back in one loop iteration,
without a sample in the selector between them, merge into one stretch; the agent's loop-lag
series, when present, is the cross-check (`lag_confirmed` in the evidence).
"""

from __future__ import annotations

import os
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from analyzers.findings import ChainStep, Evidence, Finding
from inspector.core.session import Session
from inspector.sampling.advice import advice, code_kind
from inspector.sampling.attribution import (
    OVERHEAD,
    driven_stacks,
    in_windows,
    workload_windows,
)
from inspector.sampling.chrometrace import Frame
from inspector.sampling.measured_priority import ONE_OFF, measured_priority
from inspector.sampling.profile_data import callback_index, loop_thread, session_rate
from inspector.sampling.project_frames import display_path, relpath
from inspector.sampling.store import SampleRow, load_samples

RULE = "DYN-BLOCKED-LOOP"
DEFAULT_DIFFICULTY = 3  # moving a sync call to an executor or making it async is usually local
_UI_WORDS = ("canvas", "graph", "widget", "view", "paint", "presentation", "ui", "gui", "scene")


QT_DISPATCH = Frame(function="Qt event dispatch", file="<qt>", line=0)
"""The callback of a stretch Qt dispatched itself (a paint, a timer, a signal) under `exec()`."""


@dataclass(frozen=True)
class BlockedStretch:
    """The loop thread ran one callback from `start` to `end` (epoch seconds).

    `culprit` is the deepest project frame on the stack for at least half the stretch (else
    the project frame on it the longest), or None when no project code was on it; `where`
    is the frame the time went to (the culprit, else the frame with the most self time:
    library code, or a named native paint).
    """

    start: float
    end: float
    callback: Frame
    frames: tuple[Frame, ...]  # the stretch's longest-lived stack, root first
    culprit: Frame | None
    where: Frame
    dispatch: str = "asyncio"  # "asyncio" (a Handle/task step) or "qt" (Qt's own dispatch)
    driven: bool = False  # our workload called into it, or it ran while a workload ran
    culprit_frames: tuple[Frame, ...] = ()  # the longest-lived stack the culprit is on

    @property
    def duration_ms(self) -> float:
        return (self.end - self.start) * 1000.0

    @property
    def is_own_work(self) -> bool:
        return self.where == OVERHEAD


def blocked_stretches(
    session: Session,
    source_root: str | Path,
    threshold_ms: float = 50.0,
    thread: str | int | None = None,
    *,
    rows: Sequence[SampleRow] | None = None,
) -> list[BlockedStretch]:
    """Blocked-loop stretches on the loop thread (found automatically unless `thread` given).

    `rows` lets a caller that already loaded every sample pass them in.
    """
    if thread is None:
        info = loop_thread(session)
        if info is None:
            return []
        thread = info.tid
    if rows is None:
        rows = load_samples(session, thread=thread)
    else:
        rows = [r for r in rows if (r.tid if isinstance(thread, int) else r.thread) == thread]
    stretches = _stretches(rows, str(source_root), threshold_ms, session_rate(session))
    driven = driven_stacks(session)
    windows = workload_windows(session)
    if not (driven or windows):
        return stretches
    by_start = {}
    for row in rows:
        if row.stack_id in driven:
            by_start[row.t] = row.duration_s
    out = []
    for s in stretches:
        inside = sum(d for t, d in by_start.items() if s.start <= t < s.end)
        is_driven = inside * 2 >= (s.end - s.start) or in_windows(s.start, windows)
        out.append(replace(s, driven=is_driven))
    return out


def dispatch_of(frames: tuple[Frame, ...]) -> tuple[str, Frame] | None:
    """("asyncio", callback) or ("qt", QT_DISPATCH) for a stack inside a loop callback.

    Under qasync, Qt's `exec()` runs inside the loop's `run_forever`; what Qt dispatches by
    itself (a paint, a timer, a slot) has no asyncio frame in between, and consecutive
    samples of it show whichever item is painting right then, so they are keyed together as
    one dispatch instead of being split per frame.
    """
    ci = callback_index(frames)
    if ci is None:
        return None
    if ci > 0 and "/qasync/" in frames[ci - 1].file.replace("\\", "/"):
        return "qt", QT_DISPATCH
    return "asyncio", frames[ci]


def _culprit_stack(group: Sequence[SampleRow], culprit: Frame | None) -> tuple[Frame, ...]:
    if culprit is None:
        return ()
    per_stack: dict[int, float] = defaultdict(float)
    frames: dict[int, tuple[Frame, ...]] = {}
    for row in group:
        if culprit in row.frames:
            per_stack[row.stack_id] += row.duration_s
            frames[row.stack_id] = row.frames
    return frames[max(per_stack, key=lambda sid: per_stack[sid])] if per_stack else ()


def _pick(group: Sequence[SampleRow], root: str) -> tuple[Frame | None, Frame]:
    """(culprit, where) of a stretch: see `BlockedStretch`."""
    total: dict[Frame, float] = defaultdict(float)
    depth: dict[Frame, int] = {}
    leaf: dict[Frame, float] = defaultdict(float)
    for row in group:
        ci = callback_index(row.frames) or 0
        seen = set()
        for i, frame in enumerate(row.frames[ci:]):
            if frame in seen:
                continue
            seen.add(frame)
            if relpath(frame.file, root) is not None:
                total[frame] += row.duration_s
                depth[frame] = max(depth.get(frame, 0), i)
        leaf[row.frames[-1]] += row.duration_s
    where = max(leaf, key=lambda fr: (leaf[fr], fr.function))
    if where == OVERHEAD and leaf[where] * 2 >= sum(leaf.values()):
        return None, OVERHEAD
    if not total:
        return None, where
    # the deepest project frame on the stack for at least half the stretch: the line that
    # was executing, not the callback above it; else the project frame seen the longest
    span = sum(leaf.values())
    most = [fr for fr in total if total[fr] * 2 >= span]
    if most:
        culprit = max(most, key=lambda fr: (depth[fr], round(total[fr], 6), fr.line))
    else:
        culprit = max(total, key=lambda fr: (round(total[fr], 6), depth[fr], fr.line))
    return culprit, culprit


def _stretches(
    rows: Sequence[SampleRow], root: str, threshold_ms: float, rate: float
) -> list[BlockedStretch]:
    tolerance = 0.5 / rate  # runs of one thread are contiguous; allow float noise only
    out: list[BlockedStretch] = []
    group: list[SampleRow] = []
    key: tuple[str, Frame] | None = None

    def flush() -> None:
        if not group or key is None:
            return
        start, end = group[0].t, group[-1].end
        if (end - start) * 1000.0 >= threshold_ms:
            per_stack: dict[int, float] = defaultdict(float)
            for row in group:
                per_stack[row.stack_id] += row.duration_s
            top = max(per_stack, key=lambda sid: per_stack[sid])
            frames = next(r.frames for r in group if r.stack_id == top)
            culprit, where = _pick(group, root)
            out.append(
                BlockedStretch(
                    start,
                    end,
                    key[1],
                    frames,
                    culprit,
                    where,
                    key[0],
                    culprit_frames=_culprit_stack(group, culprit),
                )
            )

    keys: dict[int, tuple[str, Frame] | None] = {}  # per stack: computed once
    for row in rows:
        if row.stack_id in keys:
            row_key = keys[row.stack_id]
        else:
            row_key = keys[row.stack_id] = dispatch_of(row.frames)
        if not row.active:
            row_key = None
        contiguous = bool(group) and row.t <= group[-1].end + tolerance
        if row_key is not None and row_key == key and contiguous:
            group.append(row)
            continue
        flush()
        group = [row] if row_key is not None else []
        key = row_key
    flush()
    return out


def _area(relative: str, profile: Any) -> int:
    if profile is not None:
        try:
            area = profile.area_for(relative)
        except Exception:  # a profile that cannot place the file falls back to the heuristic
            area = None
        if isinstance(area, int) and 1 <= area <= 10:
            return area
    words = relative.lower().replace("\\", "/").replace(".", "/").split("/")
    return 4 if any(w in _UI_WORDS or w.startswith("canvas") for w in words) else 3


def load_profile_or_none(profile: Any) -> Any:
    """A Profile object from a name/path, a Profile passed through, or None when unavailable."""
    if profile is None or not isinstance(profile, str | Path):
        return profile
    try:
        from analyzers.profile import load_profile
    except ImportError:
        return None
    try:
        return load_profile(str(profile))
    except Exception:
        return None


def _lag_confirmations(session: Session, stretches: Sequence[BlockedStretch]) -> tuple[int, int]:
    """(stretches confirmed by the agent's loop-lag series, stretches the series covers)."""
    lags = session.records("loop_lag")
    if not lags:
        return 0, 0
    times = [(float(r["t"]), float(r.get("max_ms") or max(r.get("lag_ms") or [0]))) for r in lags]
    lo, hi = times[0][0] - 1.0, times[-1][0]
    confirmed = covered = 0
    for s in stretches:
        if not lo <= s.start <= hi:
            continue
        covered += 1
        # a loop_lag record summarises the interval ending at its `t` (<= 250 ms, plus the
        # flush that may come after the stall), so look just past the stretch's end
        if any(s.start <= t <= s.end + 1.0 and m >= 0.5 * s.duration_ms for t, m in times):
            confirmed += 1
    return confirmed, covered


_AGENT_DIR = os.path.normcase(str(Path(__file__).resolve().parents[1] / "agent")) + os.sep


def _is_inspector_agent(frames: Sequence[Frame]) -> bool:
    """Is the inspector's injected agent on this stack (also when run from a bundle copy)?"""
    for frame in frames:
        file = os.path.normcase(frame.file)
        if file.startswith(_AGENT_DIR) or f"{os.sep}inspector{os.sep}agent{os.sep}" in file:
            return True
    return False


_TITLES = {
    "graphics-item": "Event loop held while Qt paints the scene's items",
    "widget-paint": "Event loop held by a widget's paint",
    "qt-handler": "Event loop held by a Qt-dispatched handler",
    "coroutine": "Event loop blocked by a synchronous call",
}


def blocked_loop_findings(
    session: Session,
    source_root: str | Path,
    threshold_ms: float = 50.0,
    profile: Any = None,
    *,
    rows: Sequence[SampleRow] | None = None,
) -> list[Finding]:
    """One dynamic finding per project function that held the loop longer than `threshold_ms`.

    Stretches with no project code on the stack (Qt painting in a library, the inspector's
    own work) make no finding: `samples --blocked` lists them with where their time went.
    `rows` lets a caller that already loaded every sample pass them in.
    """
    root = str(source_root)
    info = loop_thread(session)
    if info is None:
        return []
    stretches = blocked_stretches(session, root, threshold_ms, info.tid, rows=rows)
    if not stretches:
        return []
    prof = load_profile_or_none(profile)
    loop_seconds = info.seconds if info else 0.0
    span = session.time_span()
    minutes = max((span[1] - span[0]) / 60.0, 1e-9) if span else 1.0
    groups: dict[tuple[str, str], list[BlockedStretch]] = defaultdict(list)
    for s in stretches:
        if s.culprit is None or s.is_own_work or _is_inspector_agent((s.callback,)):
            continue
        groups[(display_path(s.culprit.file, root), s.culprit.function)].append(s)
    findings = []
    for (path, function), items in groups.items():
        app_items = [s for s in items if not s.driven]
        under_workload = not app_items
        counted = items if under_workload else app_items
        durations = [s.duration_ms for s in counted]
        count, total_ms, max_ms = len(counted), sum(durations), max(durations)
        per_min = count / minutes
        share = total_ms / 1000.0 / loop_seconds if loop_seconds else 0.0
        confirmed, covered = _lag_confirmations(session, items)
        longest = max(counted, key=lambda s: s.duration_ms)
        assert longest.culprit is not None
        line = longest.culprit.line
        # what called the culprit decides what it is (a paint of the scene, a slot, a task)
        stack = longest.culprit_frames or longest.frames
        callers = stack[: stack.index(longest.culprit)] if longest.culprit in stack else stack
        kind = code_kind(function, callers, longest.dispatch)
        fix = advice(kind)
        metrics = {
            "count": float(count),
            "max_ms": round(max_ms, 1),
            "mean_ms": round(total_ms / count, 1),
            "total_ms": round(total_ms, 1),
            "per_minute": round(per_min, 2),
            "loop_share": round(share, 5),
            "threshold_ms": float(threshold_ms),
            "lag_confirmed": float(confirmed),
            "lag_covered": float(covered),
            "qt_dispatch": 1.0 if longest.dispatch == "qt" else 0.0,
            "workload_driven": float(len(items) - len(app_items)),
            "under_workload": 1.0 if under_workload else 0.0,
        }
        lag_text = f"; agent loop lag confirms {confirmed} of {covered}" if covered else ""
        one_off = " (a one-off)" if count < ONE_OFF else ""
        if under_workload:
            one_off += " under the standard workload"
        elif len(items) > count:
            one_off += f" by the app (and {len(items) - count}x under our workloads)"
        summary = (
            f"py-spy saw the event loop blocked {count}x{one_off} with {function} at {path}:{line} "
            f"on the stack: mean {metrics['mean_ms']:.0f} ms, max {max_ms:.0f} ms, "
            f"{share * 100:.2f}% of loop time, {per_min:.1f}/min{lag_text}"
        )
        ci = callback_index(longest.frames) or 0
        chain = tuple(
            ChainStep(
                path=display_path(f.file, root),
                line=f.line,
                symbol=f.function,
                note="event-loop callback"
                if i == 0
                else ("" if relpath(f.file, root) else "library"),
            )
            for i, f in enumerate(longest.frames[ci:])
        )
        priority = measured_priority(
            fix.difficulty,
            share=share,
            block_ms=max_ms,
            per_minute=per_min,
            count=count,
            basis=(
                f"impact from {share * 100:.2f}% of loop time and max block {max_ms:.0f} ms, "
                f"frequency from {count} stretches ({per_min:.1f}/min"
                f"{', a one-off' if count < ONE_OFF else ''})"
                f"{' under the standard workload' if under_workload else ' by the app'}, "
                "py-spy samples"
            ),
        )
        caller = (
            "Qt's own event dispatch" if longest.dispatch == "qt" else longest.callback.function
        )
        findings.append(
            Finding(
                rule=RULE,
                area=_area(path, prof),
                path=path,
                line=line,
                symbol=function,
                kind="dynamic",
                title=_TITLES.get(kind, _TITLES["coroutine"]),
                message=f"Event loop held past the frame budget in {function}",
                root_cause=(
                    f"{caller} runs on the event loop's thread and reaches {function}; nothing "
                    "else on the loop, painting included, runs until it returns"
                ),
                recommendation=fix.recommendation,
                example_before=fix.example_before,
                example_after=fix.example_after,
                priority=priority,
                tags=("py-spy", "blocked-loop", kind)
                + (("under-workload",) if under_workload else ()),
                chain=chain,
                evidence=(Evidence("py-spy", summary, metrics),),
                anchor=function,
            )
        )
    return sorted(findings, key=lambda f: (-f.score, f.path, f.line))


@dataclass(frozen=True)
class Stall:
    """A stall the agent timed (a slow callback or paint), with the stack py-spy saw in it.

    `reason` is empty when a stack was found, else says why there is none.
    """

    end: float
    duration_ms: float
    callable: str
    source: str  # the record's provenance: "app" or "workload:<name>#<run>"
    culprit: Frame | None = None
    where: Frame | None = None
    frames: tuple[Frame, ...] = ()
    reason: str = ""


def stall_stacks(
    session: Session,
    source_root: str | Path,
    records: Sequence[dict[str, Any]] | None = None,
) -> list[Stall]:
    """Each slow_callback record joined with the loop thread's samples during it."""
    root = str(source_root)
    recs = session.records("slow_callback") if records is None else list(records)
    if not recs:
        return []
    info = loop_thread(session)
    rows = load_samples(session, thread=info.tid) if info is not None else []
    meta = session.meta.get("sampling")
    gaps = meta.get("gaps", []) if isinstance(meta, dict) else []
    starts = [r.t for r in rows]
    out = []
    for rec in recs:
        end = float(rec["t"])
        duration = float(rec.get("duration_ms") or 0.0)
        begin = end - duration / 1000.0
        src = rec.get("source")
        origin = src if isinstance(src, str) and src.startswith("workload:") else "app"
        base = Stall(end, duration, str(rec.get("callable") or "?"), origin)
        if not rows:
            reason = (
                "no py-spy samples in this session (recorded with --no-sample?)"
                if meta is None
                else "py-spy found no event-loop thread to sample"
            )
            out.append(replace(base, reason=reason))
            continue
        lo = bisect_right(starts, begin)
        inside = [r for r in rows[max(lo - 1, 0) :] if r.t < end and r.end > begin]
        # stop scanning once past the stall (rows are in time order)
        inside = [r for r in inside if r.t < end]
        busy = [r for r in inside if r.active and dispatch_of(r.frames) is not None]
        if not busy:
            if any(float(g[0]) <= end and float(g[1]) >= begin for g in gaps):
                reason = "it fell in a gap between py-spy's chunks"
            elif not inside or begin < rows[0].t or end > rows[-1].end:
                reason = "py-spy was not sampling then"
            else:
                reason = (
                    "py-spy saw the loop thread waiting or outside a callback throughout: "
                    "the time went to native code py-spy cannot see without --native"
                )
            out.append(replace(base, reason=reason))
            continue
        culprit, where = _pick(busy, root)
        per_stack: dict[int, float] = defaultdict(float)
        for row in busy:
            per_stack[row.stack_id] += row.duration_s
        top = max(per_stack, key=lambda sid: per_stack[sid])
        frames = next(r.frames for r in busy if r.stack_id == top)
        out.append(replace(base, culprit=culprit, where=where, frames=frames))
    return out

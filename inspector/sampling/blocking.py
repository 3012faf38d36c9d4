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
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analyzers.findings import ChainStep, Evidence, Finding
from inspector.core.session import Session
from inspector.sampling.chrometrace import Frame
from inspector.sampling.measured_priority import frequency_from_rate, measured_priority
from inspector.sampling.profile_data import callback_index, loop_thread, session_rate
from inspector.sampling.project_frames import display_path, relpath
from inspector.sampling.store import SampleRow, load_samples

RULE = "DYN-BLOCKED-LOOP"
DEFAULT_DIFFICULTY = 3  # moving a sync call to an executor or making it async is usually local
_UI_WORDS = ("canvas", "graph", "widget", "view", "paint", "presentation", "ui", "gui", "scene")


@dataclass(frozen=True)
class BlockedStretch:
    """The loop thread ran one callback from `start` to `end` (epoch seconds)."""

    start: float
    end: float
    callback: Frame
    frames: tuple[Frame, ...]  # the stretch's longest-lived stack, root first
    culprit: Frame  # deepest project frame of that stack (or the callback when none)

    @property
    def duration_ms(self) -> float:
        return (self.end - self.start) * 1000.0


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
    return _stretches(rows, str(source_root), threshold_ms, session_rate(session))


def _stretches(
    rows: Sequence[SampleRow], root: str, threshold_ms: float, rate: float
) -> list[BlockedStretch]:
    tolerance = 0.5 / rate  # runs of one thread are contiguous; allow float noise only
    out: list[BlockedStretch] = []
    group: list[SampleRow] = []
    key: tuple[str, str] | None = None

    def flush() -> None:
        if not group:
            return
        start, end = group[0].t, group[-1].end
        if (end - start) * 1000.0 >= threshold_ms:
            per_stack: dict[int, float] = defaultdict(float)
            for row in group:
                per_stack[row.stack_id] += row.duration_s
            top = max(per_stack, key=lambda sid: per_stack[sid])
            frames = next(r.frames for r in group if r.stack_id == top)
            ci = callback_index(frames) or 0
            culprit = next(
                (f for f in reversed(frames[ci:]) if relpath(f.file, root) is not None),
                frames[ci],
            )
            out.append(BlockedStretch(start, end, frames[ci], frames, culprit))

    keys: dict[int, tuple[str, str] | None] = {}  # per stack: computed once
    for row in rows:
        if row.stack_id in keys:
            row_key = keys[row.stack_id]
        else:
            ci = callback_index(row.frames)
            row_key = None if ci is None else (row.frames[ci].function, row.frames[ci].file)
            keys[row.stack_id] = row_key
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


def blocked_loop_findings(
    session: Session,
    source_root: str | Path,
    threshold_ms: float = 50.0,
    profile: Any = None,
    *,
    rows: Sequence[SampleRow] | None = None,
) -> list[Finding]:
    """One dynamic finding per project line that blocked the loop longer than `threshold_ms`.

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
    groups: dict[tuple[str, int, str], list[BlockedStretch]] = defaultdict(list)
    for s in stretches:
        if _is_inspector_agent(s.frames):
            continue  # our own agent installing its hooks: overhead, not the target's defect
        groups[(display_path(s.culprit.file, root), s.culprit.line, s.culprit.function)].append(s)
    findings = []
    for (path, line, function), items in groups.items():
        durations = [s.duration_ms for s in items]
        count, total_ms, max_ms = len(items), sum(durations), max(durations)
        per_min = count / minutes
        confirmed, covered = _lag_confirmations(session, items)
        metrics = {
            "count": float(count),
            "max_ms": round(max_ms, 1),
            "mean_ms": round(total_ms / count, 1),
            "total_ms": round(total_ms, 1),
            "per_minute": round(per_min, 2),
            "loop_share": round(total_ms / 1000.0 / loop_seconds, 4) if loop_seconds else 0.0,
            "threshold_ms": float(threshold_ms),
            "lag_confirmed": float(confirmed),
            "lag_covered": float(covered),
        }
        lag_text = f"; agent loop lag confirms {confirmed} of {covered}" if covered else ""
        summary = (
            f"py-spy saw the event loop blocked {count}x in {function} at {path}:{line}: "
            f"mean {metrics['mean_ms']:.0f} ms, max {max_ms:.0f} ms, "
            f"{per_min:.1f}/min{lag_text}"
        )
        longest = max(items, key=lambda s: s.duration_ms)
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
            DEFAULT_DIFFICULTY,
            block_ms=max_ms,
            per_minute=per_min,
            basis=(
                f"impact from max block {max_ms:.0f} ms, frequency from {per_min:.1f} blocks/min "
                f"(frequency {frequency_from_rate(per_min)}), py-spy samples"
            ),
        )
        findings.append(
            Finding(
                rule=RULE,
                area=_area(path, prof),
                path=path,
                line=line,
                symbol=function,
                kind="dynamic",
                title="Event loop blocked by a synchronous call",
                message=f"Event loop blocked up to {max_ms:.0f} ms ({count}x) in {function}",
                root_cause=(
                    f"{longest.callback.function} runs on the event loop and reaches "
                    f"{function}, which holds the loop for {metrics['mean_ms']:.0f} ms on average"
                ),
                recommendation=(
                    "Make the call asynchronous or run it off the loop "
                    "(await loop.run_in_executor(None, fn) / asyncio.to_thread(fn))."
                ),
                priority=priority,
                tags=("py-spy", "blocked-loop"),
                chain=chain,
                evidence=(Evidence("py-spy", summary, metrics),),
            )
        )
    return sorted(findings, key=lambda f: (-f.score, f.path, f.line))

"""Where and stack for the Event loop panel's blocked stretches, from the py-spy samples.

The agent times slow callbacks from inside the loop but cannot see what a Qt dispatch ran
(its records name "Qt event dispatch" and carry no stack). py-spy sampled the loop thread the
whole time, so `inspector.sampling.blocking.blocked_stretches` knows each stretch's stack and
the frame the time went to. This joins the two: an agent record takes the stack of the py-spy
stretch that matches it (the record is sent at the agent's next flush, so the stretch ended
shortly before the record's time, with about the same length); py-spy stretches that no agent
record matched are listed too. A row with no stack says why (`stack_reason`).

Qt-free and run off the GUI thread, like `cpu_snapshot`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from inspector.core.session import Session
from inspector.gui.cpu_snapshot import sample_count

FLUSH_SLACK_S = 1.5  # a record is sent at most this long after its callback ended
LENGTH_TOLERANCE = 0.35  # a match's length is within 35 % (py-spy sees 10 ms steps at 100 Hz)


@dataclass
class StretchCache:
    """The py-spy stretches computed for a sample count, reused until new samples arrive."""

    rows: int = -1
    stretches: list[Any] = field(default_factory=list)
    reason: str = ""


def _stack_lines(frames: Any, root: str) -> list[str]:
    from inspector.sampling.project_frames import display_path

    # innermost first, as a traceback's last lines read: where the time went is on top
    return [f"{display_path(f.file, root)}:{f.line} {f.function}" for f in reversed(frames)]


def _why_no_samples(session: Session) -> str:
    meta = session.meta.get("sampling")
    if isinstance(meta, dict) and meta.get("error"):
        return f"py-spy was not sampling ({meta['error']})"
    return "no py-spy samples in this session to take a stack from"


def py_spy_stretches(session: Session, root: str, cache: StretchCache) -> StretchCache:
    """The loop thread's blocked stretches, recomputed only when the sample count changed."""
    rows = sample_count(session)
    if rows == cache.rows:
        return cache
    if rows == 0:
        return StretchCache(0, [], _why_no_samples(session))
    from inspector.sampling.blocking import blocked_stretches

    try:
        found = blocked_stretches(session, root)
    except Exception as exc:  # a damaged sample table: say so in the rows, never fail the panel
        return StretchCache(rows, [], f"the samples could not be read ({exc})")
    reason = "" if found else "py-spy saw no blocked stretch on the loop thread"
    return StretchCache(rows, found, reason)


def _match(row: dict[str, Any], stretches: list[Any], used: set[int]) -> int | None:
    t = float(row.get("t") or 0.0)
    ms = float(row.get("duration_ms") or 0.0)
    best, best_gap = None, None
    for i, s in enumerate(stretches):
        if i in used or not (t - FLUSH_SLACK_S - ms / 1000.0 <= s.end <= t + 0.05):
            continue
        gap = abs(s.duration_ms - ms)
        if gap > max(20.0, LENGTH_TOLERANCE * ms):
            continue
        if best_gap is None or gap < best_gap:
            best, best_gap = i, gap
    return best


def with_stacks(
    summary: dict[str, Any],
    session: Session,
    root: str,
    cache: StretchCache,
    since: float | None = None,
    until: float | None = None,
) -> tuple[dict[str, Any], StretchCache]:
    """The event-loop summary with where/stack filled from py-spy, plus the py-spy stretches
    in [since, until] that no agent record matched."""
    cache = py_spy_stretches(session, root, cache)
    stretches = cache.stretches
    used: set[int] = set()
    rows = []
    for row in summary.get("slow_callbacks", []):
        row = dict(row)
        if not row.get("stack"):
            i = _match(row, stretches, used)
            if i is None:
                row["stack_reason"] = row.get("stack_reason") or (
                    cache.reason
                    or "py-spy saw no stretch of this length on the loop thread at that moment"
                )
            else:
                used.add(i)
                s = stretches[i]
                row["stack"] = _stack_lines(s.frames, root)
                if not row.get("file"):
                    row["file"], row["line"] = s.where.file, s.where.line
                    row["where"] = s.where.function
        rows.append(row)
    for i, s in enumerate(stretches):
        if (
            i in used
            or (since is not None and s.end < since)
            or (until is not None and s.start > until)
        ):
            continue
        rows.append(
            {
                "t": s.end,
                "duration_ms": s.duration_ms,
                "callable": s.callback.function,
                "file": s.where.file,
                "line": s.where.line,
                "task": "",
                "where": s.where.function,
                "origin": "py-spy",
                # a stretch our workload drove (or that ran while one did) is not the app's own
                "source": "workload:during a workload" if s.driven else "app",
                "stack": _stack_lines(s.frames, root),
                "stack_reason": "",
            }
        )
    rows.sort(key=lambda r: -float(r.get("duration_ms") or 0.0))
    out = dict(summary)
    out["slow_callbacks"] = rows[:500]
    return out, cache

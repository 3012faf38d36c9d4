"""What the CPU panel shows, computed off the GUI thread from the session's py-spy samples.

Qt-free; uses SAMPLING's `inspector.sampling.profile_data` when this build has it, otherwise
the snapshot carries the reason ("sampling not available: ...") and the panel says so.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from typing import Any

from inspector.core.live_metrics import TimeRange
from inspector.core.session import Session


def sample_count(session: Session) -> int:
    try:
        with session.lock:
            (n,) = session.conn.execute("SELECT COUNT(*) FROM samples").fetchone()
    except Exception:
        return 0
    return int(n)


def _relative(file: str, source_root: str) -> str:
    norm = file.replace("\\", "/")
    root = source_root.replace("\\", "/").rstrip("/")
    if root and norm.startswith(root + "/"):
        return norm[len(root) + 1 :]
    return norm


LOOP_THREAD = "loop"
ALL_THREADS = "all"


def cpu_snapshot(
    session: Session,
    time_range: TimeRange,
    source_root: str = "",
    bin_s: float = 1.0,
    thread: str | int = LOOP_THREAD,
) -> dict[str, Any]:
    """Hot functions/lines, flame tree, a busy-threads series and hot lines by file.

    `thread` is a thread id, ALL_THREADS, or LOOP_THREAD: the thread that ran the asyncio /
    qasync loop (the GUI thread for qasync targets), where a blocked loop shows; all threads
    when no loop was sampled.
    """
    from inspector.sampling import profile_data
    from inspector.sampling.store import load_samples

    meta = session.meta.get("sampling")
    if not sample_count(session):
        if isinstance(meta, dict) and meta.get("error"):
            return {"reason": f"py-spy not running: {meta['error']}"}
        if isinstance(meta, dict):
            return {
                "reason": "py-spy is running; no samples stored yet (the first chunk "
                "lands after a few seconds)"
            }
        return {
            "reason": "no py-spy samples in this session: sampling was not started "
            "(attach or launch a target, or record with `casare-inspector record`)"
        }
    since, until = time_range.since, time_range.until
    all_threads = profile_data.threads(session)
    choices = [(f"{t.name or t.tid} ({t.active_seconds:.1f} s active)", t.tid) for t in all_threads]
    selected: int | None
    if thread == LOOP_THREAD:
        loop = profile_data.loop_thread(session)
        selected = loop.tid if loop is not None else None
    elif thread == ALL_THREADS:
        selected = None
    else:
        selected = int(thread)
    label = next((name for name, tid in choices if tid == selected), "all threads")
    functions = profile_data.hot_functions(session, since, until, selected, limit=200)
    lines = profile_data.hot_lines(session, since, until, selected, limit=300)
    tree = profile_data.flame_tree(session, since, until, selected)
    busy: dict[int, float] = defaultdict(float)
    for row in load_samples(session, since, until, selected):
        if row.active:
            # spread each run over the bins it covers so long runs do not spike one bin
            t, end = row.t, row.end
            while t < end:
                idx = int(t // bin_s)
                step = min(end, (idx + 1) * bin_s) - t
                busy[idx] += step / bin_s
                t += step
    xs = sorted(busy)
    series = {"busy threads": ([i * bin_s for i in xs], [busy[i] for i in xs])}
    hot_by_file: dict[str, dict[int, float]] = defaultdict(dict)
    for entry in lines:
        if entry.self_share < 0.005:
            continue  # only lines that themselves burn time get a gutter mark
        rel = _relative(entry.file, source_root)
        hot_by_file[rel][entry.line] = max(entry.self_share, hot_by_file[rel].get(entry.line, 0))
    return {
        "functions": [asdict(e) for e in functions],
        "lines": [asdict(e) for e in lines],
        "tree": tree,
        "active_s": tree.total_s,
        "series": series,
        "hot_by_file": dict(hot_by_file),
        "threads": choices,
        "thread": label,
        "thread_id": selected,
        "error": (meta or {}).get("error") if isinstance(meta, dict) else None,
    }

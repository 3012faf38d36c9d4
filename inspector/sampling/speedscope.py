"""Export a session's samples as a speedscope file (https://www.speedscope.app).

One "evented" profile per thread: each run of identical stacks closes the frames that ended
and opens the ones that began, at the run's real time, so speedscope's time-order view shows
the session as it happened (blocked-loop stretches appear as wide bars).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from inspector.core.session import Session
from inspector.sampling.chrometrace import Frame
from inspector.sampling.store import SampleRow, load_samples

SCHEMA = "https://www.speedscope.app/file-format-schema.json"


def to_speedscope(
    session: Session,
    since: float | None = None,
    until: float | None = None,
    thread: str | int | None = None,
    name: str = "casare-inspector session",
) -> dict[str, Any]:
    rows = load_samples(session, since, until, thread)
    frame_ids: dict[Frame, int] = {}
    shared: list[dict[str, Any]] = []
    per_thread: dict[tuple[int, int, str], list[SampleRow]] = defaultdict(list)
    for row in rows:
        per_thread[(row.pid, row.tid, row.thread)].append(row)
    t0 = rows[0].t if rows else 0.0
    profiles = []
    for (pid, tid, tname), trows in sorted(per_thread.items()):
        events: list[dict[str, Any]] = []
        open_ids: list[int] = []
        last_end = trows[0].t - t0
        for row in trows:
            start, end = row.t - t0, row.end - t0
            if start > last_end + 1e-9:  # a gap: close everything where the data stopped
                _close_to(events, open_ids, 0, last_end)
            ids = []
            for frame in row.frames:
                fid = frame_ids.get(frame)
                if fid is None:
                    fid = frame_ids[frame] = len(shared)
                    shared.append({"name": frame.function, "file": frame.file, "line": frame.line})
                ids.append(fid)
            common = 0
            while common < min(len(ids), len(open_ids)) and ids[common] == open_ids[common]:
                common += 1
            _close_to(events, open_ids, common, start)
            for fid in ids[common:]:
                events.append({"type": "O", "frame": fid, "at": start})
                open_ids.append(fid)
            last_end = end
        _close_to(events, open_ids, 0, last_end)
        profiles.append(
            {
                "type": "evented",
                "name": f"{tname or 'thread'} (pid {pid}, tid {tid})",
                "unit": "seconds",
                "startValue": trows[0].t - t0,
                "endValue": last_end,
                "events": events,
            }
        )
    return {
        "$schema": SCHEMA,
        "shared": {"frames": shared},
        "profiles": profiles,
        "name": name,
        "activeProfileIndex": 0,
        "exporter": "casare-inspector",
    }


def _close_to(events: list[dict[str, Any]], open_ids: list[int], depth: int, at: float) -> None:
    while len(open_ids) > depth:
        events.append({"type": "C", "frame": open_ids.pop(), "at": at})


def write_speedscope(session: Session, out: str | Path, **kwargs: Any) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(to_speedscope(session, **kwargs)), encoding="utf-8")
    return out

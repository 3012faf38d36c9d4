"""The samples tables of a session: how runs are written and read back.

Layout (inside the session's schema):
  frames(id, function, file, line)   one row per distinct (function, file, line), interned
  stacks(id, frame_ids)              frame ids root-first, comma separated ("3,17,42")
  samples(t, pid, tid, thread, stack_id, active, weight)
      one row per *run*: the thread showed that stack from `t` (epoch seconds) for
      `weight` microseconds (see inspector.sampling.chrometrace for why runs, not ticks);
      `active` is 0 when the innermost frame is a known wait (inspector.sampling.activity).
Meta key "sampling" describes the recording: tool, version, format, rate, weight unit,
chunks, gaps.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from inspector.core.session import Session
from inspector.sampling.activity import is_idle
from inspector.sampling.attribution import (
    fill_native_paints,
    native_paint_windows,
    session_attribution,
)
from inspector.sampling.chrometrace import Frame, StackRun

WEIGHT_UNIT_US = 1_000_000  # weights are microseconds


class SampleRow(NamedTuple):
    """One stored run, with its stack resolved: root-first frames.

    A named tuple, not a dataclass: a 10-minute session loads tens of thousands of these.
    """

    t: float
    pid: int
    tid: int
    thread: str
    stack_id: int
    active: bool
    duration_s: float
    frames: tuple[Frame, ...]

    @property
    def end(self) -> float:
        return self.t + self.duration_s


class SampleWriter:
    """Interns frames and stacks and appends runs to a session in one transaction per batch."""

    def __init__(self, session: Session, keep_idle: bool = True) -> None:
        self.session = session
        self.keep_idle = keep_idle
        self._frames: dict[Frame, int] = {}
        self._stacks: dict[str, int] = {}
        self.rows_written = 0
        with session.lock:
            conn = session.conn
            for fid, function, file, line in conn.execute(
                "SELECT id, function, file, line FROM frames"
            ):
                self._frames[Frame(function, file, line)] = fid
            for sid, ids in conn.execute("SELECT id, frame_ids FROM stacks"):
                self._stacks[ids] = sid

    def write(
        self, runs: Iterable[StackRun], t0: float, lo: float | None = None, hi: float | None = None
    ) -> int:
        """Store runs whose times are `t0 + us/1e6`, clipped to [lo, hi]; returns rows written."""
        rows: list[tuple[float, int, int, str, int, int, int]] = []
        with self.session.lock, self.session.conn:
            conn = self.session.conn
            for run in runs:
                start = t0 + run.start_us / 1e6
                end = t0 + run.end_us / 1e6
                if lo is not None:
                    start = max(start, lo)
                if hi is not None:
                    end = min(end, hi)
                weight = round((end - start) * WEIGHT_UNIT_US)
                if weight <= 0:
                    continue
                idle = is_idle(run.frames)
                if idle and not self.keep_idle:
                    continue
                stack_id = self._stack_id(conn, run.frames)
                rows.append(
                    (
                        start,
                        run.pid,
                        run.tid,
                        run.thread,
                        stack_id,
                        0 if idle else 1,
                        weight,
                    )
                )
            conn.executemany(
                "INSERT INTO samples(t, pid, tid, thread, stack_id, active, weight) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        self.rows_written += len(rows)
        return len(rows)

    def _stack_id(self, conn: object, frames: Sequence[Frame]) -> int:
        ids = []
        for frame in frames:
            fid = self._frames.get(frame)
            if fid is None:
                cur = conn.execute(  # type: ignore[attr-defined]
                    "INSERT INTO frames(function, file, line) VALUES (?, ?, ?)",
                    (frame.function, frame.file, frame.line),
                )
                fid = self._frames[frame] = int(cur.lastrowid)
            ids.append(str(fid))
        key = ",".join(ids)
        sid = self._stacks.get(key)
        if sid is None:
            cur = conn.execute("INSERT INTO stacks(frame_ids) VALUES (?)", (key,))  # type: ignore[attr-defined]
            sid = self._stacks[key] = int(cur.lastrowid)
        return sid


def load_frames(session: Session) -> dict[int, Frame]:
    rows = session.read_rows("SELECT id, function, file, line FROM frames")
    return {fid: Frame(function, file, line) for fid, function, file, line in rows}


def load_stacks(session: Session) -> dict[int, tuple[int, ...]]:
    out = {}
    for sid, ids in session.read_rows("SELECT id, frame_ids FROM stacks"):
        try:
            out[sid] = tuple(int(x) for x in str(ids).split(",") if x)
        except ValueError:
            session.mark_unreadable("stacks", sid)  # skipped and counted, never fatal
    return out


def load_samples(
    session: Session,
    since: float | None = None,
    until: float | None = None,
    thread: str | int | None = None,
    *,
    raw: bool = False,
) -> list[SampleRow]:
    """Stored runs in time order, overlapping [since, until] (clipped to it), frames resolved.

    `thread` selects by thread name or OS thread id. Frames are attributed (the inspector's
    own frames transparent, native time named: `inspector.sampling.attribution`) unless
    `raw` is set.
    """
    sql = "SELECT t, pid, tid, thread, stack_id, active, weight FROM samples WHERE 1=1"
    args: list[object] = []
    if until is not None:
        sql += " AND t <= ?"
        args.append(until)
    if since is not None:
        # a run that started before `since` but lasts into the window still counts (clipped)
        sql += " AND t + weight / 1e6 >= ?"
        args.append(since)
    if isinstance(thread, int):
        sql += " AND tid = ?"
        args.append(thread)
    elif isinstance(thread, str):
        sql += " AND thread = ?"
        args.append(thread)
    sql += " ORDER BY t"
    # Samples first: a writer stores a run's stack and frames in the same transaction before
    # the run, so stacks read after the runs know every id they name (read the other way
    # round, runs stored in between looked like dangling stack ids while recording).
    rows = session.read_rows(sql, args)
    frames = load_frames(session)
    stacks = load_stacks(session)
    resolved: dict[int, tuple[Frame, ...]] = {}
    for sid, ids in stacks.items():
        if all(f in frames for f in ids):
            resolved[sid] = tuple(frames[f] for f in ids)
        else:
            session.mark_unreadable("stacks", sid)  # names a frame that is not there
    if not raw:
        attribution = session_attribution(session)
        resolved = {sid: attribution.stack(stack) for sid, stack in resolved.items()}
    out = []
    for t, pid, tid, name, sid, active, weight in rows:
        if sid not in resolved or not isinstance(t, (int, float)):
            session.mark_unreadable("samples", (t, tid, sid))  # dangling stack id
            continue
        start, end = t, t + weight / WEIGHT_UNIT_US
        if since is not None:
            start = max(start, since)
        if until is not None:
            end = min(end, until)
        if end <= start and weight > 0:
            continue
        out.append(
            SampleRow(
                t=start,
                pid=pid,
                tid=tid,
                thread=name,
                stack_id=sid,
                active=bool(active),
                duration_s=end - start,
                frames=resolved[sid],
            )
        )
    if not raw:
        # native paints look like waiting to a Python-only sampler: give them their time
        out = fill_native_paints(out, native_paint_windows(session))
    return out

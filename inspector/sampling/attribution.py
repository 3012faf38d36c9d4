"""Whose time is it: the inspector's own frames are transparent, native time gets a name.

The agent runs inside the target, so py-spy samples its frames too: probes, hooks, meters and
workloads. None of that is the target's code, and none of it may be blamed for the target's
time. Every view of the samples (hot code, flame tree, blocked stretches, correlation) reads
stacks through `attribute_stack`:

* a frame of ours (a file under an `inspector/agent/` folder) is dropped from the stack; what
  it called stays, so the time belongs to the target's code it reached;
* when our frame is the innermost *Python* frame and its line hands control to Qt (it calls
  `sendEvent`, `send`, `notify` or a `paintEvent`, or carries the comment `# target code
  runs here`), the thread was in native code below it: with py-spy's `--native` those frames
  are on the stack already; without them the time is named `native Qt paint of <widget>`
  (a paint filter, the widget taken from the repaint records' timed paints) or `native Qt
  event delivery`, never our frame;
* a workload's innermost line that calls something hands over too (`native Qt code a
  workload called`): driving the target is what a workload is for, and it is marked so;
* a wrapper's line that calls the target callable it wraps (`original(...)`,
  `self.handler(...)`: a timed bus handler, a thread-checked `loop.call_soon`, a pool's
  acquire) hands over as well (`native code of the target's own callable`), and so does the
  standard library below it (`Handle._run` running the target's callback);
* the standard library called by our frames with nothing of the target's below (a
  tracemalloc snapshot, json for the wire) is our work too;
* any other stack whose innermost Python frame is ours is the inspector's own work: it ends
  in the pseudo-frame `OVERHEAD`, which no finding can point at, and its share of the
  target's main-thread active time is `own_share` (stored as meta "attribution").

Native frames (py-spy `--native`) name a shared library instead of a Python file and have no
line: `is_native` tells them apart, so idle detection and project matching look at Python
frames only.
"""

from __future__ import annotations

import linecache
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from inspector.sampling.chrometrace import Frame

OWN_MARK = re.compile(r"[/\\]inspector[/\\]agent[/\\]")
# A wrapper's line that calls the target's own callable it wraps (a timed handler, a
# thread-checked loop method, a pool's acquire): what runs below it is the target's.
_WRAPPED = r"\b_?original\w*|\bself\.handler"
_CALLS_WRAPPED = re.compile(rf"({_WRAPPED})\s*\(")
_HANDOVER = re.compile(
    rf"(\bsendEvent|\bsend|\bnotify|\bpaintEvent|\._send|{_WRAPPED})\s*\("
    r"|#\s*target code runs here"
)
_WORKLOAD_MARK = re.compile(r"[/\\]workloads[/\\]")
_CALL = re.compile(r"[\w\])]\s*\(")
_NATIVE_FILE = re.compile(r"\.(so(\.\d+)*|pyd|dll|dylib)$", re.IGNORECASE)
NATIVE_FILE = "<native>"
OVERHEAD = Frame(function="inspector agent (own work)", file="<inspector>", line=0)
"""The pseudo-frame that ends a stack whose innermost Python frame is the inspector's own."""
NATIVE_EVENT = "native Qt event delivery"
NATIVE_WORKLOAD = "native Qt code a workload called"
NATIVE_WRAPPED = "native code of the target's own callable"
_NO_WIDGET = "Qt widget"


@lru_cache(maxsize=65536)
def is_own(file: str) -> bool:
    """A frame of the inspector's injected agent (probes, hooks, meters, workloads)."""
    return bool(OWN_MARK.search(file))


_STDLIB = re.compile(r"[/\\]lib[/\\]python3\.\d+[/\\]|[/\\]Lib[/\\]")  # POSIX | Windows
_THIRD_PARTY = re.compile(r"[/\\](site|dist)-packages[/\\]")


@lru_cache(maxsize=65536)
def is_stdlib(file: str) -> bool:
    """A file of the interpreter's standard library (not an installed package)."""
    return bool(_STDLIB.search(file)) and not _THIRD_PARTY.search(file)


@lru_cache(maxsize=65536)
def is_native(frame: Frame) -> bool:
    """A native frame from py-spy `--native` (a library, an address) or one we synthesised."""
    file = frame.file
    if file == NATIVE_FILE:
        return True
    if frame.line == 0 and (_NATIVE_FILE.search(file) or not file.endswith(".py")):
        return bool(file) and not file.startswith("<")
    return False


def python_frames(frames: Sequence[Frame]) -> tuple[Frame, ...]:
    """The stack without native frames (what a Python-only sampler would have seen)."""
    return tuple(f for f in frames if not is_native(f))


@lru_cache(maxsize=4096)
def _hands_over(file: str, line: int) -> bool:
    source = linecache.getline(file, line) if line > 0 else ""
    if _HANDOVER.search(source):
        return True
    # a workload exists to drive the target: a call on its innermost line is the target's work
    return bool(_WORKLOAD_MARK.search(file) and _CALL.search(source))


@lru_cache(maxsize=4096)
def _calls_wrapped(file: str, line: int) -> bool:
    source = linecache.getline(file, line) if line > 0 else ""
    return bool(_CALLS_WRAPPED.search(source))


def _paints(frame: Frame) -> bool:
    return "paint" in frame.function.lower() or "paint" in frame.file.lower().rsplit("/", 1)[-1]


def native_frame(label: str) -> Frame:
    return Frame(function=label, file=NATIVE_FILE, line=0)


@dataclass(frozen=True)
class Attribution:
    """How stacks are attributed in one session: which widget a native paint is of."""

    paint_widget: str = _NO_WIDGET

    def stack(self, frames: tuple[Frame, ...]) -> tuple[Frame, ...]:
        return attribute_stack(frames, self.paint_widget)


@lru_cache(maxsize=262144)
def attribute_stack(frames: tuple[Frame, ...], paint_widget: str = _NO_WIDGET) -> tuple[Frame, ...]:
    """The stack as the target's own: our frames dropped, native time named (module doc)."""
    if not any(is_own(f.file) for f in frames):
        return frames
    innermost_py = next((f for f in reversed(frames) if not is_native(f)), None)
    kept = tuple(f for f in frames if not is_own(f.file))
    if innermost_py is None or not is_own(innermost_py.file):
        last_own = max(i for i, f in enumerate(frames) if is_own(f.file))
        below = [f for f in frames[last_own + 1 :] if not is_native(f)]
        wrapper = frames[last_own]
        if (
            below
            and all(is_stdlib(f.file) for f in below)
            and not _calls_wrapped(wrapper.file, wrapper.line)
        ):
            # our code using the standard library (a tracemalloc snapshot, json for the
            # wire): our work, not the target's
            return (*(f for f in frames[:last_own] if not is_own(f.file)), OVERHEAD)
        return kept  # the target's Python (or native code under it) was running
    if frames[-1] is not innermost_py:
        return kept  # py-spy --native showed what ran below our frame
    if _hands_over(innermost_py.file, innermost_py.line):
        if _paints(innermost_py):
            label = f"native Qt paint of {paint_widget}"
        elif _WORKLOAD_MARK.search(innermost_py.file):
            label = NATIVE_WORKLOAD
        elif _calls_wrapped(innermost_py.file, innermost_py.line):
            label = NATIVE_WRAPPED
        else:
            label = NATIVE_EVENT
        return (*kept, native_frame(label))
    return (*kept, OVERHEAD)


def paint_widget(repaint_records: Sequence[Mapping[str, Any]]) -> str:
    """The widget whose paints the agent timed the longest (the canvas viewport, usually)."""
    totals: dict[str, float] = {}
    for rec in repaint_records:
        ms = rec.get("paint_ms") or ()
        if ms:
            name = str(rec.get("widget_class") or _NO_WIDGET)
            mean = sum(float(x) for x in ms) / len(ms)
            totals[name] = totals.get(name, 0.0) + mean * max(int(rec.get("paints") or 0), 1)
    return max(totals, key=lambda k: totals[k]) if totals else _NO_WIDGET


def session_attribution(session: Any) -> Attribution:
    """The session's attribution (cached per session object; records are read once)."""
    cached = getattr(session, "_attribution", None)
    if isinstance(cached, Attribution):
        return cached
    try:
        widget = paint_widget(session.records("repaint"))
    except Exception:  # a session without a records table (samples only) has no widgets
        widget = _NO_WIDGET
    found = Attribution(paint_widget=widget)
    if widget != _NO_WIDGET:  # a live session may time its first paint later: look again then
        try:
            session._attribution = found
        except AttributeError:
            pass
    return found


def attributed_stacks(session: Any) -> dict[int, tuple[Frame, ...]]:
    """Every stored stack by id, root first, attributed (stacks naming lost frames skipped)."""
    from inspector.sampling.store import load_frames, load_stacks

    frames = load_frames(session)
    attribution = session_attribution(session)
    out = {}
    for sid, ids in load_stacks(session).items():
        if all(i in frames for i in ids):
            out[sid] = attribution.stack(tuple(frames[i] for i in ids))
    return out


OWN_SHARE_LIMIT = 0.03
"""The most of the target's main-thread time the inspector may take (issue 12: 3 %)."""


@dataclass(frozen=True)
class OwnShare:
    """The inspector's own work and the named native time on the target's main thread."""

    thread_tid: int
    active_s: float  # main-thread time py-spy saw it working (not waiting)
    own_s: float  # of which the innermost Python frame was ours and not handing over
    native_s: float  # of which native Qt code ran (named: under our hook, or a timed paint)
    native_label: str  # the largest of them

    @property
    def share(self) -> float:
        return self.own_s / self.active_s if self.active_s else 0.0

    @property
    def within_limit(self) -> bool:
        return self.share <= OWN_SHARE_LIMIT

    def to_dict(self) -> dict[str, Any]:
        return {
            "thread_tid": self.thread_tid,
            "active_s": round(self.active_s, 3),
            "own_s": round(self.own_s, 3),
            "native_s": round(self.native_s, 3),
            "native_label": self.native_label,
            "own_share": round(self.share, 5),
            "limit": OWN_SHARE_LIMIT,
        }

    @classmethod
    def from_meta(cls, data: Any) -> OwnShare | None:
        """From the session's meta "attribution" (None when the session has none)."""
        if not isinstance(data, Mapping):
            return None
        try:
            return cls(
                int(data.get("thread_tid") or 0),
                float(data["active_s"]),
                float(data["own_s"]),
                float(data.get("native_s") or 0.0),
                str(data.get("native_label") or ""),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def line(self) -> str:
        """One line for `record` and `samples`."""
        verdict = "within" if self.within_limit else "OVER"
        native = (
            f"; {self.native_s:.2f} s was native Qt code (mostly {self.native_label}), "
            "charged to the target"
            if self.native_s
            else ""
        )
        return (
            f"inspector's own frames: {self.share * 100:.2f}% of the target's main-thread "
            f"samples ({self.own_s:.2f} of {self.active_s:.2f} s active; {verdict} the "
            f"{OWN_SHARE_LIMIT * 100:.0f}% limit){native}"
        )


def own_share(session: Any, *, store: bool = True) -> OwnShare | None:
    """The inspector's share of the target's main thread; None without samples.

    The main thread is the one whose OS thread id is the process id (py-spy reports it so on
    Linux, macOS and Windows alike for the thread that started the interpreter), else the
    busiest. Stored as meta "attribution" unless `store` is False.
    """
    from inspector.sampling.store import load_samples

    with session.lock:
        rows = session.conn.execute(
            "SELECT pid, tid, SUM(weight * active) FROM samples GROUP BY pid, tid"
        ).fetchall()
    if not rows:
        return None
    main = next((tid for pid, tid, _w in rows if tid == pid), None)
    if main is None:
        main = max(rows, key=lambda r: r[2])[1]
    active = own = native = 0.0
    by_label: dict[str, float] = {}
    for row in load_samples(session, thread=main):  # attributed, native paints filled in
        if not row.active or not row.frames:
            continue
        active += row.duration_s
        leaf = row.frames[-1]
        if leaf == OVERHEAD:
            own += row.duration_s
        elif leaf.file == NATIVE_FILE and leaf.function.startswith("native"):
            native += row.duration_s
            by_label[leaf.function] = by_label.get(leaf.function, 0.0) + row.duration_s
    label = max(by_label, key=lambda k: by_label[k]) if by_label else ""
    found = OwnShare(main, active, own, native, label)
    if store:
        session.set_meta(attribution=found.to_dict())
    return found


_WORKLOAD_FILE = re.compile(r"[/\\]inspector[/\\]agent[/\\]workloads[/\\]")


def driven_stacks(session: Any) -> set[int]:
    """Ids of the stored stacks on which one of our workloads' frames sits: the target's
    code on them ran because the workload called it."""
    from inspector.sampling.store import load_frames, load_stacks

    frames = load_frames(session)
    ours = {fid for fid, f in frames.items() if _WORKLOAD_FILE.search(f.file)}
    if not ours:
        return set()
    return {sid for sid, ids in load_stacks(session).items() if ours.intersection(ids)}


def workload_windows(session: Any) -> list[tuple[float, float]]:
    """[start, end] (epoch s) of every workload run the session recorded: what the target
    did meanwhile (a paint, a stall) happened under the standard workload."""
    out = []
    for rec in session.records("workload"):
        results = rec.get("results")
        elapsed = results.get("elapsed_s") if isinstance(results, Mapping) else None
        if isinstance(elapsed, int | float) and elapsed > 0:
            end = float(rec["t"])
            out.append((end - float(elapsed), end))
    return sorted(out)


def in_windows(t: float, windows: Sequence[tuple[float, float]]) -> bool:
    return any(lo <= t <= hi for lo, hi in windows)


def native_paint_windows(session: Any) -> list[tuple[float, float, str]]:
    """(start, end, label) of every paint the agent timed as a stall, oldest first.

    The agent times a viewport's paint from outside (Paint event to frameSwapped) and reports
    the slow ones as slow_callback records named "native Qt paint of <widget>" whose `t` is
    when the paint ended. While such a paint runs, a Python-only sampler sees the GUI thread
    sitting in Qt's `exec()`, which looks exactly like waiting: `fill_native_paints` gives
    that time back to the paint.
    """
    out = []
    try:
        records = session.records("slow_callback")
    except Exception:  # a session without records (samples only) has no timed paints
        return []
    for rec in records:
        name = str(rec.get("callable") or "")
        if not name.startswith("native Qt paint"):
            continue
        try:
            end, seconds = float(rec["t"]), float(rec.get("duration_ms") or 0.0) / 1000.0
        except (KeyError, TypeError, ValueError):
            continue
        if seconds > 0:
            out.append((end - seconds, end, name))
    return sorted(out)


def _waits_in_exec(frames: Sequence[Frame]) -> bool:
    python = [f for f in frames if not is_native(f)]
    if not python:
        return False
    leaf = python[-1]
    path = leaf.file.replace("\\", "/")
    return "/qasync/" in path or bool(_EXEC_LINE.search(linecache.getline(leaf.file, leaf.line)))


_EXEC_LINE = re.compile(r"\.exec_?\s*\(|\brun_forever\s*\(")
_LABEL_IDS: dict[str, int] = {}


def fill_native_paints(rows: list[Any], windows: Sequence[tuple[float, float, str]]) -> list[Any]:
    """Rows of the main thread idle in Qt's exec() during a timed paint become that paint.

    A row is cut at the window's edges; the piece inside is active, ends in the pseudo-frame
    `native Qt paint of <widget>` and gets a stack id of its own (negative, so it never
    collides with a stored one). Rows are `store.SampleRow`s; the others pass unchanged.
    """
    if not windows:
        return rows
    out = []
    for row in rows:
        if row.active or row.tid != row.pid or not _waits_in_exec(row.frames):
            out.append(row)
            continue
        cursor, end = row.t, row.t + row.duration_s
        for lo, hi, label in windows:
            if hi <= cursor or lo >= end:
                continue
            if lo > cursor:
                out.append(row._replace(t=cursor, duration_s=lo - cursor))
                cursor = lo
            stop = min(hi, end)
            index = _LABEL_IDS.setdefault(label, len(_LABEL_IDS) + 1)
            out.append(
                row._replace(
                    t=cursor,
                    duration_s=stop - cursor,
                    active=True,
                    stack_id=-(row.stack_id * 64 + index),
                    frames=(*row.frames, native_frame(label)),
                )
            )
            cursor = stop
            if cursor >= end:
                break
        if cursor < end:
            out.append(row._replace(t=cursor, duration_s=end - cursor))
    return out

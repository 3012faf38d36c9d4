"""Views of the stored samples as plain data: threads, hot functions, hot lines, flame tree.

Pure functions over a session's samples (no Qt), so the GUI, the CLI and the report show the
same figures. Times are seconds of thread time covered by samples (see store: a row is a run
of identical stacks); `samples` is that time expressed in sampling periods of the session's
rate, i.e. about how many py-spy samples it took. By default only *active* time counts
(threads waiting in a selector, a queue or Qt's `exec()` are left out); pass
`active_only=False` for wall-clock views.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from inspector.core.session import Session
from inspector.sampling.chrometrace import Frame
from inspector.sampling.store import SampleRow, load_samples


@dataclass(frozen=True)
class ThreadInfo:
    """One sampled thread: its time seen by py-spy and whether it runs an asyncio loop."""

    pid: int
    tid: int
    name: str
    seconds: float
    active_seconds: float
    loop_seconds: float  # time spent inside asyncio/qasync loop callbacks

    @property
    def runs_loop(self) -> bool:
        return self.loop_seconds > 0


@dataclass(frozen=True)
class HotEntry:
    """A function or line: self time (innermost frame) and total time (anywhere on the stack)."""

    function: str
    file: str
    line: int  # 0 for hot_functions (the function's first sampled line is not meaningful)
    self_s: float
    total_s: float
    self_samples: int
    total_samples: int
    self_share: float  # of the selected time
    total_share: float

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass
class FlameNode:
    """One node of a flame/icicle tree: a frame under its caller, with time and children."""

    function: str
    file: str = ""
    line: int = 0
    total_s: float = 0.0
    self_s: float = 0.0
    children: list[FlameNode] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "function": self.function,
            "file": self.file,
            "line": self.line,
            "total_s": self.total_s,
            "self_s": self.self_s,
            "children": [c.to_dict() for c in self.children],
        }


_ASYNCIO_LOOP_FRAMES = (("base_events.py", "_run_once"), ("events.py", "_run"))


def session_rate(session: Session) -> float:
    meta = session.meta.get("sampling")
    if isinstance(meta, dict) and meta.get("rate"):
        return float(meta["rate"])
    return 100.0


def is_loop_frame(frame: Frame) -> bool:
    """A frame of the asyncio/qasync machinery that runs callbacks (not the callback itself)."""
    path = frame.file.replace("\\", "/")
    base = path.rsplit("/", 1)[-1]
    func = frame.function.rsplit(".", 1)[-1]
    if "/asyncio/" in path and (base, func) in (
        ("base_events.py", "_run_once"),
        ("events.py", "_run"),
    ):
        return True
    return "/qasync/" in path


def _stack_times(
    rows: Iterable[SampleRow], active_only: bool
) -> tuple[dict[int, float], dict[int, tuple[Frame, ...]], float]:
    per_stack: dict[int, float] = defaultdict(float)
    frames: dict[int, tuple[Frame, ...]] = {}
    total = 0.0
    for row in rows:
        if active_only and not row.active:
            continue
        per_stack[row.stack_id] += row.duration_s
        frames[row.stack_id] = row.frames
        total += row.duration_s
    return per_stack, frames, total


def _hot(
    session: Session,
    since: float | None,
    until: float | None,
    thread: str | int | None,
    active_only: bool,
    by_line: bool,
) -> list[HotEntry]:
    """Every function (or line) seen, unsorted; callers sort and cut."""
    rows = load_samples(session, since, until, thread)
    per_stack, stacks, total = _stack_times(rows, active_only)
    rate = session_rate(session)
    self_t: dict[tuple[str, str, int], float] = defaultdict(float)
    total_t: dict[tuple[str, str, int], float] = defaultdict(float)
    for sid, seconds in per_stack.items():
        frames = stacks[sid]
        keys = [(f.function, f.file, f.line if by_line else 0) for f in frames]
        self_t[keys[-1]] += seconds
        for key in set(keys):  # recursion counts once per stack
            total_t[key] += seconds
    out = []
    denom = total or 1.0
    for key in total_t:
        s, t = self_t.get(key, 0.0), total_t[key]
        out.append(
            HotEntry(
                function=key[0],
                file=key[1],
                line=key[2],
                self_s=s,
                total_s=t,
                self_samples=round(s * rate),
                total_samples=round(t * rate),
                self_share=s / denom,
                total_share=t / denom,
            )
        )
    return out


def hot_functions(
    session: Session,
    since: float | None = None,
    until: float | None = None,
    thread: str | int | None = None,
    limit: int = 50,
    *,
    active_only: bool = True,
    sort: str = "self",
) -> list[HotEntry]:
    """Functions by self time (or `sort="total"`), in the window and thread chosen."""
    entries = _hot(session, since, until, thread, active_only, by_line=False)
    return _sorted(entries, sort)[:limit]


def hot_lines(
    session: Session,
    since: float | None = None,
    until: float | None = None,
    thread: str | int | None = None,
    limit: int = 50,
    *,
    active_only: bool = True,
    sort: str = "self",
) -> list[HotEntry]:
    """Lines (function, file, line) by self time (or `sort="total"`)."""
    entries = _hot(session, since, until, thread, active_only, by_line=True)
    return _sorted(entries, sort)[:limit]


def _sorted(entries: list[HotEntry], sort: str) -> list[HotEntry]:
    if sort == "total":
        return sorted(entries, key=lambda e: (-e.total_s, -e.self_s, e.file, e.line, e.function))
    if sort != "self":
        raise ValueError(f"sort must be 'self' or 'total', got {sort!r}")
    return sorted(entries, key=lambda e: (-e.self_s, -e.total_s, e.file, e.line, e.function))


# threads() per (session connection, newest sample row): samples are only ever appended, so
# a new row is the only thing that changes the answer. Small, as few sessions are open.
_THREADS_CACHE: dict[tuple[str, int, int], list[ThreadInfo]] = {}


def threads(session: Session) -> list[ThreadInfo]:
    """Every sampled thread with its sampled, active and in-loop-callback time."""
    with session.lock:
        (newest,) = session.conn.execute("SELECT MAX(rowid) FROM samples").fetchone()
    key = (str(session.path), id(session.conn), newest or 0)
    cached = _THREADS_CACHE.get(key)
    if cached is None:
        cached = _threads(session)
        if len(_THREADS_CACHE) > 16:
            _THREADS_CACHE.clear()
        _THREADS_CACHE[key] = cached
    return list(cached)


def _threads(session: Session) -> list[ThreadInfo]:
    from inspector.sampling.attribution import attributed_stacks

    with session.lock:
        rows = session.conn.execute(
            "SELECT pid, tid, thread, stack_id, active, SUM(weight) FROM samples "
            "GROUP BY pid, tid, thread, stack_id, active"
        ).fetchall()
    stacks = attributed_stacks(session)
    in_callback: dict[int, bool] = {}
    agg: dict[tuple[int, int, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for pid, tid, name, sid, active, weight in rows:
        seconds = weight / 1e6
        acc = agg[(pid, tid, name)]
        acc[0] += seconds
        if active:
            acc[1] += seconds
        hit = in_callback.get(sid)
        if hit is None:
            stack = stacks.get(sid, ())
            hit = in_callback[sid] = callback_index(stack) is not None
        if hit:
            acc[2] += seconds
    out = [
        ThreadInfo(k[0], k[1], k[2], seconds=v[0], active_seconds=v[1], loop_seconds=v[2])
        for k, v in agg.items()
    ]
    return sorted(out, key=lambda t: (-t.seconds, t.pid, t.tid))


@lru_cache(maxsize=65536)
def callback_index(frames: tuple[Frame, ...]) -> int | None:
    """Index of the frame a loop callback starts at: the first frame below the deepest loop frame.

    None when the stack is not inside a loop callback (e.g. waiting in the selector).
    """
    deepest = None
    for i, frame in enumerate(frames):
        if is_loop_frame(frame):
            deepest = i
    if deepest is None or deepest + 1 >= len(frames):
        return None
    nxt = frames[deepest + 1]
    # the selector wait below _run_once is the loop idling, not a callback
    if nxt.file.replace("\\", "/").endswith("selectors.py"):
        return None
    return deepest + 1


def loop_thread(session: Session) -> ThreadInfo | None:
    """The thread that ran the most asyncio/qasync callbacks (the main thread for qasync)."""
    candidates = [t for t in threads(session) if t.runs_loop]
    return max(candidates, key=lambda t: t.loop_seconds) if candidates else None


def flame_tree(
    session: Session,
    since: float | None = None,
    until: float | None = None,
    thread: str | int | None = None,
    *,
    active_only: bool = True,
    by_line: bool = False,
) -> FlameNode:
    """A tree rooted at "all", one child per thread, then frames root to leaf.

    Children are sorted by total time, largest first, so an icicle view can draw in order.
    """
    rows = load_samples(session, since, until, thread)
    root = FlameNode(function="all")
    index: dict[tuple[object, ...], FlameNode] = {}
    per_thread_stack: dict[tuple[str, int], float] = defaultdict(float)
    stacks: dict[int, tuple[Frame, ...]] = {}
    for row in rows:
        if active_only and not row.active:
            continue
        per_thread_stack[(row.thread or str(row.tid), row.stack_id)] += row.duration_s
        stacks[row.stack_id] = row.frames
    for (tname, sid), seconds in per_thread_stack.items():
        root.total_s += seconds
        path: tuple[object, ...] = (tname,)
        node = index.get(path)
        if node is None:
            node = index[path] = FlameNode(function=f"thread {tname}")
            root.children.append(node)
        node.total_s += seconds
        for frame in stacks[sid]:
            key = (frame.function, frame.file, frame.line if by_line else 0)
            path = (*path, key)
            child = index.get(path)
            if child is None:
                child = index[path] = FlameNode(
                    function=frame.function, file=frame.file, line=key[2]
                )
                node.children.append(child)
            child.total_s += seconds
            node = child
        node.self_s += seconds
    _sort_tree(root)
    return root


def _sort_tree(node: FlameNode) -> None:
    node.children.sort(key=lambda c: -c.total_s)
    for child in node.children:
        _sort_tree(child)

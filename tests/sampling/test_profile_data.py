"""Hot functions, hot lines, threads and the flame tree on a session with known runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.sampling import profile_data as pd
from inspector.sampling.store import load_samples
from tests.sampling.builders import LOOP, LOOP_WAIT, ROOT, STDLIB, SessionBuilder, f

PAINT = (f("main", f"{ROOT}/app.py", 10), f("Canvas.paint", f"{ROOT}/canvas.py", 30))
PAINT_NODE = (*PAINT, f("Node.paint", f"{ROOT}/node.py", 12))
WORKER_WAIT = (
    f("Thread.run", f"{STDLIB}/threading.py", 982),
    f("Queue.get", f"{STDLIB}/queue.py", 171),
)
WORKER_BUSY = (f("Thread.run", f"{STDLIB}/threading.py", 982), f("crunch", f"{ROOT}/jobs.py", 7))


@pytest.fixture
def built(tmp_path: Path) -> SessionBuilder:
    b = SessionBuilder(tmp_path / "s.db")
    b.run(PAINT, 300).run(PAINT_NODE, 200).run(PAINT, 100)
    b.run(WORKER_WAIT, 400, thread="worker", tid=200).run(
        WORKER_BUSY, 200, thread="worker", tid=200
    )
    return b


def test_hot_lines_self_and_total_match_the_runs(built: SessionBuilder) -> None:
    lines = {(e.function, e.line): e for e in pd.hot_lines(built.session)}
    assert lines[("Canvas.paint", 30)].self_s == pytest.approx(0.4)
    assert lines[("Canvas.paint", 30)].total_s == pytest.approx(0.6)
    assert lines[("Node.paint", 12)].self_s == pytest.approx(0.2)
    assert lines[("crunch", 7)].self_s == pytest.approx(0.2)
    # the worker's 400 ms in Queue.get is waiting, not work
    assert ("Queue.get", 171) not in lines
    assert lines[("Canvas.paint", 30)].self_samples == 40  # 0.4 s at 100 Hz
    top = pd.hot_lines(built.session, limit=1)[0]
    assert (top.function, top.self_share) == ("Canvas.paint", pytest.approx(0.4 / 0.8))


def test_wall_clock_view_counts_waiting_time(built: SessionBuilder) -> None:
    lines = {(e.function, e.line): e for e in pd.hot_lines(built.session, active_only=False)}
    assert lines[("Queue.get", 171)].self_s == pytest.approx(0.4)


def test_per_thread_and_time_window(built: SessionBuilder) -> None:
    only_worker = pd.hot_functions(built.session, thread="worker")
    assert {e.function for e in only_worker} == {"Thread.run", "crunch"}
    t0 = built.t0
    window = pd.hot_lines(built.session, since=t0 + 0.25, until=t0 + 0.35, thread="MainThread")
    by = {e.function: e for e in window}
    assert by["Canvas.paint"].self_s == pytest.approx(0.05)
    assert by["Node.paint"].self_s == pytest.approx(0.05)


def test_sort_by_total(built: SessionBuilder) -> None:
    top = pd.hot_functions(built.session, sort="total", limit=1)[0]
    assert top.function in ("main", "Canvas.paint")
    assert top.total_s == pytest.approx(0.6)
    with pytest.raises(ValueError, match="sort"):
        pd.hot_functions(built.session, sort="bogus")


def test_flame_tree_totals_add_up(built: SessionBuilder) -> None:
    tree = pd.flame_tree(built.session)
    assert tree.total_s == pytest.approx(0.8)
    main_thread = next(c for c in tree.children if c.function == "thread MainThread")
    (main,) = main_thread.children
    (canvas,) = main.children
    assert canvas.total_s == pytest.approx(0.6)
    assert canvas.self_s == pytest.approx(0.4)
    assert canvas.children[0].function == "Node.paint"
    assert tree.to_dict()["children"][0]["total_s"] == pytest.approx(0.6)


def test_threads_and_loop_thread(tmp_path: Path) -> None:
    b = SessionBuilder(tmp_path / "s.db")
    cb = (*LOOP, f("tick", f"{ROOT}/app.py", 20))
    b.run(LOOP_WAIT, 100).run(cb, 50).run(LOOP_WAIT, 100)
    b.run(WORKER_BUSY, 250, thread="worker", tid=200)
    infos = {t.name: t for t in pd.threads(b.session)}
    assert infos["MainThread"].loop_seconds == pytest.approx(0.05)
    assert infos["MainThread"].active_seconds == pytest.approx(0.05)
    assert infos["worker"].runs_loop is False
    assert pd.loop_thread(b.session).name == "MainThread"


def test_frames_and_stacks_are_interned(built: SessionBuilder) -> None:
    conn = built.session.conn
    assert conn.execute("SELECT COUNT(*) FROM frames").fetchone()[0] == 6
    assert conn.execute("SELECT COUNT(*) FROM stacks").fetchone()[0] == 4
    assert len(load_samples(built.session)) == 5


def test_writer_can_leave_idle_runs_out(tmp_path: Path) -> None:
    from inspector.sampling.chrometrace import StackRun
    from inspector.sampling.store import SampleWriter

    b = SessionBuilder(tmp_path / "s.db")
    writer = SampleWriter(b.session, keep_idle=False)
    runs = [
        StackRun(1, 2, "w", 0, 400_000, WORKER_WAIT),
        StackRun(1, 2, "w", 400_000, 600_000, WORKER_BUSY),
    ]
    assert writer.write(runs, b.t0) == 1
    (row,) = load_samples(b.session)
    assert (row.frames, row.active, row.duration_s) == (WORKER_BUSY, True, pytest.approx(0.2))


def test_writer_clips_runs_to_the_handover_window(tmp_path: Path) -> None:
    from inspector.sampling.chrometrace import StackRun
    from inspector.sampling.store import SampleWriter

    b = SessionBuilder(tmp_path / "s.db")
    writer = SampleWriter(b.session)
    runs = [StackRun(1, 2, "w", 0, 500_000, WORKER_BUSY)]
    assert writer.write(runs, b.t0, lo=b.t0 + 0.1, hi=b.t0 + 0.3) == 1
    assert writer.write(runs, b.t0, lo=b.t0 + 0.6) == 0  # entirely before the cut
    (row,) = load_samples(b.session)
    assert (row.t, row.duration_s) == (pytest.approx(b.t0 + 0.1), pytest.approx(0.2))

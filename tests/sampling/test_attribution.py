"""The inspector's own frames are transparent; native time under them is named, never ours.

Golden file: own_frames_over_native.chrometrace.json, written in py-spy 0.4.3's chrometrace
shape (native frames as `py-spy record --native` names them on the real canvas: a library
path and line 0). `{AGENT}` stands for the agent fixture folder, so the attribution reads the
fixture's source lines as it reads the real agent's. Main thread, 600 ms in five runs:

    300 ms  our paint filter's handover line is innermost (Python-only view of a native paint)
    100 ms  the app's NodeItem.paint under our filter
     10 ms  our own counting (PaintFilter.count)
    100 ms  --native: QCoreApplication::sendEvent > QWidget::event under our filter
     90 ms  the app's NodeItem.boundingRect on its own
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inspector.core.session import Session
from inspector.sampling.attribution import (
    OVERHEAD,
    attribute_stack,
    is_native,
    is_own,
    own_share,
)
from inspector.sampling.blocking import blocked_stretches
from inspector.sampling.chrometrace import Frame, StackRun, parse_events
from inspector.sampling.profile_data import hot_functions
from inspector.sampling.store import SampleWriter, load_samples

DATA = Path(__file__).resolve().parents[1] / "data" / "pyspy"
AGENT = DATA / "agent_fixture" / "inspector" / "agent"
T0 = 1_700_000_000.0


def _golden_session(tmp_path: Path, widget: str = "NodeViewer.viewport") -> Session:
    text = (DATA / "own_frames_over_native.chrometrace.json").read_text(encoding="utf-8")
    events = json.loads(text.replace("{AGENT}", AGENT.as_posix()))
    session = Session.create(tmp_path / "s.db")
    session.set_meta(sampling={"rate": 100, "weight_unit": "us"})
    session.append(
        [{"t": T0 + 0.5, "kind": "repaint", "widget_class": widget, "paints": 1,
          "paint_ms": [300.0], "is_canvas": True}]
    )  # fmt: skip
    SampleWriter(session).write(parse_events(events), T0)
    return session


def test_no_attributed_stack_holds_a_frame_of_ours(tmp_path: Path) -> None:
    session = _golden_session(tmp_path)
    rows = load_samples(session)
    assert len(rows) == 5
    assert not any(is_own(f.file) for r in rows for f in r.frames)
    raw = load_samples(session, raw=True)
    assert sum(any(is_own(f.file) for f in r.frames) for r in raw) == 4


def test_time_goes_to_what_our_frames_called(tmp_path: Path) -> None:
    session = _golden_session(tmp_path)
    hot = {e.function: round(e.self_s, 3) for e in hot_functions(session) if e.self_s}
    assert hot == {
        "native Qt paint of NodeViewer.viewport": 0.3,
        "NodeItem.paint": 0.1,
        "QWidget::event": 0.1,
        "NodeItem.boundingRect": 0.09,
        OVERHEAD.function: 0.01,
    }


def test_own_share_counts_only_our_own_work(tmp_path: Path) -> None:
    session = _golden_session(tmp_path)
    share = own_share(session)
    assert share is not None
    assert (share.thread_tid, round(share.active_s, 3)) == (4242, 0.6)
    assert round(share.own_s, 3) == 0.01
    assert round(share.native_s, 3) == 0.3
    assert share.share == pytest.approx(0.01 / 0.6)
    assert share.within_limit
    assert session.meta["attribution"]["own_share"] == 0.01667
    assert share.line().startswith("inspector's own frames: 1.67% of the target's main-thread")


def test_without_timed_paints_the_native_paint_names_no_widget(tmp_path: Path) -> None:
    session = _golden_session(tmp_path, widget="")
    names = {e.function for e in hot_functions(session)}
    assert "native Qt paint of Qt widget" in names


def test_a_paint_held_by_our_filter_is_one_qt_stretch_blamed_on_the_app(tmp_path: Path) -> None:
    session = _golden_session(tmp_path)
    (stretch,) = blocked_stretches(session, "/project", threshold_ms=50)
    assert (stretch.dispatch, round(stretch.duration_ms)) == ("qt", 600)
    # NodeItem.paint and boundingRect are the project's frames; paint is on the stack longer
    assert stretch.culprit == Frame("NodeItem.paint", "/project/canvas.py", 12)


def test_native_frames_are_told_apart_from_python_ones() -> None:
    assert is_native(Frame("poll", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0))
    assert is_native(Frame("0x7f4e38601ef4", "/venv/PySide6/QtWidgets.abi3.so", 0))
    assert not is_native(Frame("<module>", "/project/main.py", 0))
    assert not is_native(Frame("main", "/project/main.py", 9))


def test_a_frame_of_ours_that_is_not_innermost_just_disappears() -> None:
    app = Frame("main", "/project/main.py", 9)
    ours = Frame("Hook.wrapper", "/x/inspector/agent/hooks.py", 40)
    handler = Frame("on_event", "/project/bus.py", 3)
    assert attribute_stack((app, ours, handler)) == (app, handler)


def test_a_timed_paint_takes_back_the_time_that_looked_like_waiting_in_exec(
    tmp_path: Path,
) -> None:
    """The agent times the viewport's paint from outside: py-spy (Python frames only) sees
    the GUI thread in qasync's exec() throughout, which looks idle."""
    exec_wait = (
        Frame("<module>", "/project/main.py", 9),
        Frame("_QEventLoop.run_forever", str(DATA / "exec_fixture/qasync/__init__.py"), 6),
    )
    session = Session.create(tmp_path / "s.db")
    session.set_meta(sampling={"rate": 100, "weight_unit": "us"})
    SampleWriter(session).write([StackRun(7, 7, "MainThread", 0, 1_000_000, exec_wait)], T0)
    session.append(
        [{"t": T0 + 0.7, "kind": "slow_callback", "duration_ms": 400.0, "origin": "qt-event",
          "callable": "native Qt paint of GraphView.viewport", "file": "", "line": 0}]
    )  # fmt: skip
    assert [r.active for r in load_samples(session, raw=True)] == [False]
    rows = load_samples(session)
    assert [(round(r.t - T0, 3), round(r.duration_s, 3), r.active) for r in rows] == [
        (0.0, 0.3, False),
        (0.3, 0.4, True),
        (0.7, 0.3, False),
    ]
    assert rows[1].frames[-1] == Frame("native Qt paint of GraphView.viewport", "<native>", 0)
    share = own_share(session, store=False)
    assert share is not None
    assert (round(share.active_s, 3), round(share.native_s, 3), share.own_s) == (0.4, 0.4, 0.0)
    (stretch,) = blocked_stretches(session, "/project", threshold_ms=50, thread=7)
    assert (stretch.dispatch, round(stretch.duration_ms), stretch.culprit) == ("qt", 400, None)
    assert stretch.where.function == "native Qt paint of GraphView.viewport"


def test_the_standard_library_under_our_frames_is_our_work_unless_the_target_is_below() -> None:
    app = Frame("main", "/project/main.py", 9)
    ours = Frame("AllocationPhases.diff", "/x/inspector/agent/probes/memory.py", 244)
    snapshot = Frame("Snapshot._group_by", "/usr/lib/python3.12/tracemalloc.py", 502)
    assert attribute_stack((app, ours, snapshot)) == (app, OVERHEAD)
    windows = Frame("JSONEncoder.encode", "C:\\Python312\\Lib\\json\\encoder.py", 200)
    assert attribute_stack((app, ours, windows)) == (app, OVERHEAD)
    step = Frame("Handle._run", "/usr/lib/python3.12/asyncio/events.py", 80)
    handler = Frame("on_event", "/venv/lib/python3.12/site-packages/NodeGraphQt/x.py", 3)
    assert attribute_stack((app, ours, step, handler)) == (app, step, handler)


def test_a_wrapper_calling_the_target_callable_it_wraps_hands_over() -> None:
    """The time under `return _original(...)` (a thread-checked loop.call_soon) and under
    `original_run(handle)` (Handle._run running the target's callback) is the target's."""
    app = Frame("main", "/project/main.py", 9)
    wrappers = (AGENT / "probes" / "wrappers.py").as_posix()
    checked = Frame("checked", wrappers, 5)
    assert attribute_stack((app, checked)) == (
        app,
        Frame("native code of the target's own callable", "<native>", 0),
    )
    timed = Frame("timed_run", wrappers, 9)
    step = Frame("Handle._run", "/usr/lib/python3.12/asyncio/events.py", 84)
    assert attribute_stack((app, timed, step)) == (app, step)
    not_a_call = Frame("checked", wrappers, 4)  # the def line: our own work
    assert attribute_stack((app, not_a_call)) == (app, OVERHEAD)

"""The report's py-spy figures: active time and shares come from the same attributed rows."""

from __future__ import annotations

from pathlib import Path

from inspector.core.session import Session
from inspector.report.model import _display_path, _sampling_facts
from inspector.sampling.chrometrace import Frame, StackRun
from inspector.sampling.store import SampleWriter

DATA = Path(__file__).resolve().parents[1] / "data" / "pyspy"
T0 = 1_700_000_000.0


def test_a_timed_native_paint_counts_in_the_active_time_its_share_is_taken_of(
    tmp_path: Path,
) -> None:
    """1 s in qasync's exec() (idle to py-spy) of which the agent timed 0.4 s of native
    paint, plus 0.1 s of the app's own Python: 0.5 s active, the paint 80 % of it."""
    exec_wait = (
        Frame("<module>", "/project/main.py", 9),
        Frame("_QEventLoop.run_forever", str(DATA / "exec_fixture/qasync/__init__.py"), 6),
    )
    busy = (Frame("<module>", "/project/main.py", 9), Frame("tick", "/project/main.py", 20))
    session = Session.create(tmp_path / "s.db")
    session.set_meta(sampling={"rate": 100, "weight_unit": "us"})
    SampleWriter(session).write(
        [
            StackRun(7, 7, "MainThread", 0, 1_000_000, exec_wait),
            StackRun(7, 7, "MainThread", 1_000_000, 1_100_000, busy),
        ],
        T0,
    )
    session.append(
        [{"t": T0 + 0.7, "kind": "slow_callback", "duration_ms": 400.0, "origin": "qt-event",
          "callable": "native Qt paint of GraphView.viewport", "file": "", "line": 0}]
    )  # fmt: skip
    facts = _sampling_facts(session, "/project")
    assert (round(facts.thread_s, 3), round(facts.active_s, 3), facts.own_s) == (1.1, 0.5, 0.0)
    assert [(r["function"], r["self %"]) for r in facts.hot[:2]] == [
        ("native Qt paint of GraphView.viewport", "80.0"),
        ("tick", "20.0"),
    ]
    session.close()


def test_hot_code_paths_never_show_this_machines_prefix() -> None:
    root = "/project"
    assert _display_path("/project/app/main.py", root) == "app/main.py"
    venv = "/home/u/venv/lib/python3.12/site-packages/NodeGraphQt/qgraphics/port.py"
    assert _display_path(venv, root) == "NodeGraphQt/qgraphics/port.py"
    assert _display_path(r"C:\venv\Lib\site-packages\qasync\__init__.py", root) == (
        "qasync/__init__.py"
    )
    stdlib = "/opt/python/lib/python3.12/asyncio/events.py"
    assert _display_path(stdlib, root) == "asyncio/events.py (stdlib)"
    assert _display_path("<native>", root) == "<native>"

"""Reading samples while a recording writes them: no run looks like a dangling stack id."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.sampling import store
from inspector.sampling.store import load_samples
from tests.sampling.builders import LOOP, LOOP_WAIT, ROOT, SessionBuilder, f


def test_runs_stored_while_a_reader_loads_stacks_are_not_counted_unreadable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    b = SessionBuilder(tmp_path / "s.db")
    b.run(LOOP_WAIT, 100).run((*LOOP, f("tick", f"{ROOT}/app.py", 20)), 50)
    real_load_stacks = store.load_stacks

    def stacks_then_a_new_run(session):  # the recorder stores a new stack right after
        found = real_load_stacks(session)
        b.run((*LOOP, f("paint", f"{ROOT}/canvas.py", 31)), 30)
        return found

    monkeypatch.setattr(store, "load_stacks", stacks_then_a_new_run)
    rows = load_samples(b.session)
    assert len(rows) == 2
    assert b.session.unreadable == {}
    monkeypatch.setattr(store, "load_stacks", real_load_stacks)
    assert len(load_samples(b.session)) == 3  # the next read has it
    b.session.close()

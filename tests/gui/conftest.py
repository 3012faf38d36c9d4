"""Fixtures for driving the real inspector window offscreen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from inspector.core.session import Session
from tests.gui.session_factory import build_session


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings and live sessions go to the test's folder, never the user's."""
    monkeypatch.setenv("CASARE_INSPECTOR_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("CASARE_INSPECTOR_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def recorded_session(tmp_path: Path) -> Iterator[Session]:
    session = build_session(tmp_path / "rec.session", tmp_path / "src", seconds=60.0)
    yield session


@pytest.fixture
def window(qtbot):
    from inspector.core.settings import Settings
    from inspector.gui.app import make_app
    from inspector.gui.main_window import InspectorWindow

    make_app()
    win = InspectorWindow(Settings(), refresh_ms=50)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    yield win
    win.shutdown()

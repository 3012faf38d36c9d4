"""Settings persist in the config folder and survive a corrupt file."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.core.settings import (
    MAX_RECENT,
    RecentTarget,
    Settings,
    load_settings,
    save_settings,
    settings_path,
)


@pytest.fixture(autouse=True)
def _config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASARE_INSPECTOR_CONFIG_DIR", str(tmp_path / "cfg"))


def test_round_trip() -> None:
    s = Settings(editor_command="code -g {path}:{line}", window_geometry="abc")
    s.add_recent(RecentTarget("launch", "python -m demo", command=["python", "-m", "demo"]))
    assert save_settings(s) == settings_path()
    back = load_settings()
    assert back.editor_command == s.editor_command
    assert back.window_geometry == "abc"
    assert back.recent[0].command == ["python", "-m", "demo"]


def test_recent_is_deduplicated_and_bounded() -> None:
    s = Settings()
    for i in range(MAX_RECENT + 5):
        s.add_recent(RecentTarget("session", f"s{i}", path=f"/s{i}"))
    s.add_recent(RecentTarget("session", "s3", path="/s3"))
    assert len(s.recent) == MAX_RECENT
    assert s.recent[0].label == "s3"
    assert [r.label for r in s.recent].count("s3") == 1


def test_corrupt_or_foreign_file_gives_defaults() -> None:
    path = settings_path()
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert load_settings() == Settings()
    path.write_text('{"recent": [{"kind": "x", "bogus": 1}, 5], "editor_command": 3, "new": 1}')
    loaded = load_settings()
    assert loaded.recent == [] and loaded.editor_command == ""


def test_launch_environment_is_remembered_per_target() -> None:
    s = Settings()
    s.remember_env(["python", "run.py"], "/casare", {"HOME": "/h", "PYTHONPATH": "src"})
    s.remember_env(["python", "-m", "inspector.demo"], "/repo", {})
    save_settings(s)
    back = load_settings()
    assert back.env_for(["python", "run.py"], "/casare") == {"HOME": "/h", "PYTHONPATH": "src"}
    assert back.env_for(["python", "run.py"], "/elsewhere") == {}
    assert back.launch_env == {"python run.py @ /casare": {"HOME": "/h", "PYTHONPATH": "src"}}
    back.remember_env(["python", "run.py"], "/casare", {})  # cleared in the dialog: forgotten
    assert back.launch_env == {}

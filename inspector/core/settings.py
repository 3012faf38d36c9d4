"""Inspector settings that persist between runs, in the platform's config folder.

Plain JSON (`settings.json` under platformdirs' user config dir, or `$CASARE_INSPECTOR_CONFIG_DIR`
for tests and portable installs): recent targets, the editor command, and the window layout
(opaque base64 blobs the GUI produces). A missing or corrupt file gives the defaults, never
an error: settings are a convenience, losing them must not stop the inspector.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "casare-inspector"
MAX_RECENT = 12


def config_dir() -> Path:
    override = os.environ.get("CASARE_INSPECTOR_CONFIG_DIR")
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    """Where live sessions are written when the user has not named a file."""
    override = os.environ.get("CASARE_INSPECTOR_DATA_DIR")
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


@dataclass
class RecentTarget:
    """Something the user attached to, launched or opened, to offer again."""

    kind: str  # "launch" | "session" | "attach"
    label: str
    command: list[str] = field(default_factory=list)
    cwd: str = ""
    profile: str = ""
    path: str = ""


@dataclass
class Settings:
    """Everything the inspector remembers; unknown keys in the file are ignored."""

    recent: list[RecentTarget] = field(default_factory=list)
    editor_command: str = ""
    window_geometry: str = ""
    window_state: str = ""
    last_profile: str = "generic"
    source_roots: dict[str, str] = field(default_factory=dict)
    # environment variables set for a launched target, by `launch_key(command, cwd)`
    launch_env: dict[str, dict[str, str]] = field(default_factory=dict)

    def env_for(self, command: list[str], cwd: str) -> dict[str, str]:
        return dict(self.launch_env.get(launch_key(command, cwd), {}))

    def remember_env(self, command: list[str], cwd: str, env: dict[str, str]) -> None:
        key = launch_key(command, cwd)
        if env:
            self.launch_env[key] = dict(env)
        else:
            self.launch_env.pop(key, None)

    def add_recent(self, target: RecentTarget) -> None:
        self.recent = [r for r in self.recent if asdict(r) != asdict(target)]
        self.recent.insert(0, target)
        del self.recent[MAX_RECENT:]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        recent = []
        for item in data.get("recent", []) or []:
            if isinstance(item, dict):
                try:
                    recent.append(
                        RecentTarget(
                            **{
                                k: v
                                for k, v in item.items()
                                if k in RecentTarget.__dataclass_fields__
                            }
                        )
                    )
                except TypeError:
                    continue
        plain = {
            k: v
            for k, v in data.items()
            if k in cls.__dataclass_fields__
            and k not in ("recent", "launch_env")
            and isinstance(v, str | dict)
        }
        launch_env = (
            {
                str(key): {str(k): str(v) for k, v in env.items()}
                for key, env in (data.get("launch_env") or {}).items()
                if isinstance(env, dict)
            }
            if isinstance(data.get("launch_env"), dict)
            else {}
        )
        return cls(recent=recent, launch_env=launch_env, **plain)


def launch_key(command: list[str], cwd: str) -> str:
    """One launched target: its command line and working folder."""
    return f"{' '.join(command)} @ {cwd}"


def settings_path() -> Path:
    return config_dir() / "settings.json"


def load_settings() -> Settings:
    try:
        data = json.loads(settings_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Settings()
    return Settings.from_dict(data) if isinstance(data, dict) else Settings()


def save_settings(settings: Settings) -> Path | None:
    """Write atomically; returns the path, or None when the folder is not writable."""
    path = settings_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(settings.to_dict(), indent=2), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        return None
    return path

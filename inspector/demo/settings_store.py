"""Settings read from disk, synchronously.

Deliberate defect the inspector should find: `read_settings` blocks for about 80 ms
(`time.sleep(0.08)` at line 25, standing in for a slow network share or a lock) and is called
from the `async def refresh_status()` coroutine in `inspector/demo/workflow.py` every ~2 s, so
the asyncio/Qt event loop is blocked for that long: async -> sync -> time.sleep. Keep that
line where it is; the inspector's tests and docs name it.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

DEFAULT_SETTINGS: dict[str, Any] = {"theme": "dark", "autosave_s": 30, "robots": 3}


def read_settings(path: Path | None = None) -> dict[str, Any]:
    """Read the settings file (written with defaults if missing)."""
    path = path or Path(tempfile.gettempdir()) / "inspector-demo-settings.json"
    # The deliberate blocking call (line 25):
    time.sleep(0.08)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        path.write_text(json.dumps(DEFAULT_SETTINGS), encoding="utf-8")
        return dict(DEFAULT_SETTINGS)

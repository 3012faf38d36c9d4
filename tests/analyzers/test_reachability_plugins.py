"""Modules a run-time loader finds by folder (a plugin or command folder) are not dead code,
although nothing imports them; an unimported module outside such a folder still is."""

from __future__ import annotations

from pathlib import Path

from analyzers.runner import audit

BLOCKING = "import time\n\nasync def tick():\n    time.sleep(1)\n"

LOADER = """\
from pathlib import Path
from pluginbase import PluginBase


def load_commands():
    source = PluginBase(package="app.plugins").make_plugin_source(
        searchpath=[str(Path(__file__).parent.parent / "cmd")]
    )
    return [source.load_plugin(name) for name in source.list_plugins()]
"""

TREE = {
    "app/__init__.py": "from . import api\n",
    "app/api/__init__.py": "from .loader import load_commands\n",
    "app/api/loader.py": LOADER,
    "app/cmd/__init__.py": "",
    "app/cmd/common.py": "def helper():\n    return 1\n",
    "app/cmd/karaoke.py": "from app.cmd.common import helper\n" + BLOCKING,
    "app/api/old.py": BLOCKING,
}


def test_modules_of_a_folder_loaded_at_run_time_are_not_unreachable(tmp_path: Path) -> None:
    for relpath, text in TREE.items():
        path = tmp_path / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    result = audit(tmp_path / "app", "generic", use_cache=False, jobs=1)
    found = {f.path: "unreachable" in f.tags for f in result.findings if f.rule == "CIA001"}
    assert found == {"cmd/karaoke.py": False, "api/old.py": True}

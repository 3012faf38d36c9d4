"""The architecture's boundaries, checked rather than hoped for."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
AGENT = ROOT / "inspector" / "agent"


def test_import_linter_contracts_hold() -> None:
    """analyzers and the inspector core are Qt-free; the agent imports nothing of ours."""
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", sorted(AGENT.rglob("*.py")), ids=lambda p: p.name)
def test_agent_uses_only_the_standard_library(path: Path) -> None:
    """The agent runs inside the target's interpreter, where only the stdlib is certain."""
    # The preload hook chains to whatever sitecustomize it shadows, so it may import that name.
    allowed = set(sys.stdlib_module_names) | {"inspector", "__future__", "sitecustomize"}
    foreign = _imported_roots(path) - allowed
    assert not foreign, f"{path.relative_to(ROOT)} imports {sorted(foreign)}"


def test_core_and_analyzers_import_without_qt() -> None:
    """Importing every Qt-free package must not pull PySide6 in, even transitively."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import analyzers, inspector.core, inspector.sampling, inspector.report\n"
        "for pkg in (analyzers, inspector.core, inspector.sampling, inspector.report):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'qasync')]\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr

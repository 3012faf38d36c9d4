"""Where an exported report goes by default: the target repository's `docs/performance/`.

The source root the window knows is often a package folder (`src/casare_rpa`), not the
repository; the report belongs beside the repository's own docs, so we walk up to the folder
that holds the project's markers. Qt-free, so the window and the command line agree.
"""

from __future__ import annotations

from pathlib import Path

REPORT_DIR = Path("docs") / "performance"
REPORT_NAME = "PERFORMANCE_AUDIT_REPORT.md"
# A repository root holds one of these; .git may be a folder or (worktrees) a file.
ROOT_MARKERS = (".git", "pyproject.toml", "setup.py", "setup.cfg")


def repository_root(source_root: Path) -> Path | None:
    """The nearest folder at or above `source_root` holding a project marker, or None."""
    start = source_root.resolve()
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in ROOT_MARKERS):
            return folder
    return None


def default_report_path(source_root: Path | None, fallback: Path) -> Path:
    """`<repository>/docs/performance/PERFORMANCE_AUDIT_REPORT.md`.

    Without a source root, or when no repository encloses it, the report goes under
    `fallback` (the session's folder), never the current directory.
    """
    base = repository_root(source_root) if source_root is not None else None
    if base is None:
        base = source_root if source_root is not None else fallback
    return base / REPORT_DIR / REPORT_NAME


def ensure_report_folder(path: Path) -> Path:
    """Create the report's folder (the file dialog cannot open a folder that is missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path

"""Report renderers (Markdown, JSON, SARIF, HTML), one class each, reading a session (Qt-free).

`write_report(session, out)` builds the ReportModel once and writes every format next to
`out` (same stem, the format's suffix) plus the plots as PNG in `<stem>_files/`.
Everything is rendered in memory first and each file is written through a temporary file and
an atomic rename, so an unwritable destination fails with one line and never leaves a
half-written or clobbered report.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from analyzers.findings import Finding
from inspector.report.html import HtmlRenderer
from inspector.report.json_report import JsonRenderer
from inspector.report.markdown import MarkdownRenderer
from inspector.report.model import ReportModel, model_from_session, model_from_static
from inspector.report.sarif import SarifRenderer

FORMATS: tuple[str, ...] = ("md", "json", "sarif", "html")
SUFFIXES: Mapping[str, str] = {"md": ".md", "json": ".json", "sarif": ".sarif", "html": ".html"}
DEFAULT_NAME = Path("docs") / "performance" / "PERFORMANCE_AUDIT_REPORT.md"

__all__ = [
    "FORMATS",
    "HtmlRenderer",
    "JsonRenderer",
    "MarkdownRenderer",
    "ReportError",
    "ReportModel",
    "SarifRenderer",
    "default_report_path",
    "model_from_session",
    "model_from_static",
    "write_model",
    "write_report",
    "write_static_report",
]


class ReportError(Exception):
    """A report that cannot be written; the message is one line."""


def default_report_path(source_root: str | Path | None) -> Path:
    """`<source_root>/docs/performance/PERFORMANCE_AUDIT_REPORT.md`, else under the cwd."""
    base = Path(source_root) if source_root else Path.cwd()
    return base / DEFAULT_NAME


def _link_base(source_root: str, report_dir: Path) -> str | None:
    root = Path(source_root) if source_root else Path.cwd()
    try:
        rel = os.path.relpath(root.resolve(), report_dir.resolve())
    except ValueError:  # another drive on Windows: no relative link exists
        return None
    return "" if rel == "." else Path(rel).as_posix()


def _file_mode(path: Path) -> int:
    """The mode a plainly created file would get (mkstemp makes 0600 files): keep an
    existing report's mode, else 0666 minus the umask."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return 0o666 & ~_UMASK


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()  # read once at import: os.umask is process-wide and not atomic


def _atomic_write(path: Path, data: bytes) -> None:
    mode = _file_mode(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def render_all(model: ReportModel, out: Path, formats: Sequence[str]) -> dict[Path, bytes]:
    """Every requested file's bytes (reports and plots), keyed by destination path."""
    unknown = [f for f in formats if f not in SUFFIXES]
    if unknown:
        raise ReportError(
            f"unknown report format(s) {', '.join(unknown)}; use {', '.join(FORMATS)}"
        )
    plot_dir = out.parent / f"{out.stem}_files"
    link_base = _link_base(model.source_root, out.parent)
    files: dict[Path, bytes] = {}
    for fmt in formats:
        dest = out.with_suffix(SUFFIXES[fmt])
        if fmt == "md":
            text = MarkdownRenderer(link_base, plot_dir.name).render(model)
        elif fmt == "json":
            text = JsonRenderer().render(model)
        elif fmt == "sarif":
            text = SarifRenderer().render(model)
        else:
            text = HtmlRenderer(link_base).render(model)
        files[dest] = text.encode("utf-8")
    if "md" in formats:
        for plot in model.plots:
            files[plot_dir / f"{plot.name}.png"] = plot.png
    return files


def write_model(
    model: ReportModel, out: str | Path, formats: Sequence[str] = FORMATS
) -> list[Path]:
    out = Path(out)
    files = render_all(model, out, formats)
    written: list[Path] = []
    try:
        # Every folder first: a destination that cannot exist fails before any file changes.
        for folder in dict.fromkeys(path.parent for path in files):
            folder.mkdir(parents=True, exist_ok=True)
        for path, data in files.items():
            _atomic_write(path, data)
            written.append(path)
    except OSError as exc:
        where = exc.filename or out
        raise ReportError(f"cannot write the report to {where}: {exc.strerror or exc}") from exc
    return [p for p in written if p.suffix != ".png"] + [p for p in written if p.suffix == ".png"]


def write_report(
    session: Any,
    out: str | Path,
    formats: Sequence[str] = FORMATS,
    source_root: str | Path | None = None,
) -> list[Path]:
    """Render a session's report in each format next to `out`; returns the written paths."""
    return write_model(model_from_session(session, source_root=source_root), out, formats)


def write_static_report(
    findings: Sequence[Finding],
    audit_meta: Mapping[str, Any],
    source_root: str | Path,
    out: str | Path,
    formats: Sequence[str] = FORMATS,
) -> list[Path]:
    """The static-only report (`audit --report`): findings plus the audit's meta
    (files, lines, errors, elapsed_s, profile), no runtime measurements."""
    return write_model(model_from_static(findings, audit_meta, source_root), out, formats)

"""`casare-inspector audit`: static performance audit of a source tree, headless.

    audit PATH [--profile casare_rpa|generic|demo|FILE] [--json FILE] [--sarif FILE]
               [--report FILE] [--session FILE] [--jobs N] [--no-cache]

Prints a summary on stdout and a progress bar on stderr when stderr is a terminal.
Exit codes: 0 every file analyzed, 1 some files could not be analyzed (each is listed),
2 usage (bad path, unknown profile), 3 failed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from analyzers.findings import AREAS
from analyzers.profile import ProfileError, load_profile
from analyzers.runner import AuditError, AuditResult, audit
from inspector.cli import EXIT_FAILED, EXIT_FINDINGS_INCOMPLETE, EXIT_OK, EXIT_USAGE, UserError


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "audit",
        help="static performance audit of a source tree",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("path", type=Path, help="source tree (or one .py file) to audit")
    parser.add_argument(
        "--profile", default="generic", help="casare_rpa, generic, demo or a profile .toml"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help='write {"findings": [...]}')
    parser.add_argument("--sarif", type=Path, metavar="FILE", help="write SARIF 2.1.0")
    parser.add_argument(
        "--report", type=Path, metavar="FILE", help="write the Markdown (or .html) report"
    )
    parser.add_argument(
        "--session", type=Path, metavar="FILE", help="store findings in this session file"
    )
    parser.add_argument("--jobs", type=int, metavar="N", help="worker processes (default: CPUs)")
    parser.add_argument("--no-cache", action="store_true", help="ignore and do not update cache")
    parser.add_argument("--quiet", action="store_true", help="no progress bar, summary only")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.jobs is not None and args.jobs < 1:
        raise UserError("--jobs must be at least 1", EXIT_USAGE)
    try:
        profile = load_profile(args.profile)
    except ProfileError as exc:
        raise UserError(str(exc), EXIT_USAGE) from exc
    progress = None if args.quiet else _progress_bar()
    try:
        result = audit(
            args.path,
            profile,
            jobs=args.jobs,
            use_cache=not args.no_cache,
            progress=progress,
        )
    except AuditError as exc:
        raise UserError(str(exc), EXIT_USAGE) from exc
    except ProfileError as exc:
        raise UserError(str(exc), EXIT_USAGE) from exc
    except (OSError, RuntimeError) as exc:  # e.g. the worker pool could not start
        raise UserError(f"audit failed: {type(exc).__name__}: {exc}", EXIT_FAILED) from exc
    finally:
        if progress is not None:
            progress(-1, -1)
    _write_outputs(args, result)
    try:
        print(summary_text(result), flush=True)
    except BrokenPipeError:  # `audit ... | head`: the reader has what it wanted
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
    if result.files == 0:
        print(f"casare-inspector: no Python files under {args.path}", file=sys.stderr)
    return EXIT_FINDINGS_INCOMPLETE if result.errors else EXIT_OK


def _write_outputs(args: argparse.Namespace, result: AuditResult) -> None:
    if args.json is not None:
        data = {"findings": [f.to_dict() for f in result.findings]}
        data["audit"] = result.to_dict_without_findings()
        data["errors"] = data["audit"]["errors"]
        _write_text(args.json, json.dumps(data, indent=2, sort_keys=False) + "\n")
    if args.sarif is not None:
        _write_report(result, args.sarif, "sarif")
    if args.report is not None:
        fmt = "html" if args.report.suffix.lower() in (".html", ".htm") else "md"
        _write_report(result, args.report, fmt)
    if args.session is not None:
        _store_in_session(result, args.session, str(args.path))


def _plain_file_mode(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)  # a command-line process: nothing else changes it meanwhile
        os.umask(umask)
        return 0o666 & ~umask


def _write_text(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        # mkstemp makes 0600 files: give it the mode of the file it replaces, else the mode
        # a plainly created file gets (0644 under the usual umask), like every other output
        os.chmod(tmp, _plain_file_mode(path))
        os.replace(tmp, path)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}", EXIT_FAILED) from exc


def _write_report(result: AuditResult, out: Path, fmt: str) -> None:
    try:
        from inspector.report import ReportError, write_static_report
    except ImportError as exc:
        raise UserError(
            f"--{'sarif' if fmt == 'sarif' else 'report'} is not available in this build "
            f"(report writer missing: {exc})",
            EXIT_FAILED,
        ) from exc
    meta = result.to_dict_without_findings()
    try:
        written = write_static_report(result.findings, meta, result.root, out, formats=(fmt,))
    except ReportError as exc:
        raise UserError(str(exc), EXIT_FAILED) from exc
    # The writer names files by format suffix; honour the exact name the user asked for.
    for path in written:
        if path.suffix == out.suffix or path == out:
            continue
        if path.suffix in (".sarif", ".md", ".html") and path.with_suffix("") == out.with_suffix(
            ""
        ):
            os.replace(path, out)


def _store_in_session(result: AuditResult, path: Path, source_root: str) -> None:
    from inspector.core.session import Session, SessionError

    try:
        session = Session.open(path) if path.exists() else Session.create(path)
    except SessionError as exc:
        raise UserError(str(exc), EXIT_FAILED) from exc
    with session:
        session.set_meta(
            audit=result.to_dict_without_findings(),
            source_root=str(Path(source_root).resolve()),
        )
        session.put_findings(result.findings, replace_kind="static")


def summary_text(result: AuditResult) -> str:
    lines = [
        f"audited {result.analyzed}/{result.files} files, {result.lines:,} lines, "
        f"profile {result.profile}, {result.elapsed_s:.2f} s "
        f"({result.cache_hits} from cache, {result.jobs} job(s))",
        f"{len(result.findings)} findings ({result.per_kloc():.2f} per 1,000 lines)",
    ]
    by_area = result.counts_by_area()
    for area, name in AREAS.items():
        if by_area.get(area):
            lines.append(f"  area {area:>2} {name}: {by_area[area]}")
    severities: dict[str, int] = {}
    for finding in result.findings:
        severities[finding.severity.value] = severities.get(finding.severity.value, 0) + 1
    if severities:
        lines.append("  " + ", ".join(f"{k} {v}" for k, v in severities.items()))
    unassigned = sum("unassigned-area" in f.tags for f in result.findings)
    if result.unassigned_files:
        lines.append(
            f"  unassigned: {len(result.unassigned_files)} file(s) match no area pattern of "
            f"the profile ({unassigned} finding(s) there, listed under their rule's area)"
        )
    lines += [f"warning: {w}" for w in result.warnings]
    lines += [
        f"  [{finding.severity.value}] {finding.location} {finding.rule}: {finding.message}"
        for finding in result.findings[:10]
    ]
    if len(result.findings) > 10:
        lines.append(f"  ... {len(result.findings) - 10} more (use --json or --report)")
    if result.errors:
        lines.append(f"{len(result.errors)} file(s) not analyzed:")
        lines += [f"  {path}: {message}" for path, message in result.errors]
    return "\n".join(lines)


def _progress_bar() -> Callable[[int, int], None] | None:
    """A one-line bar on stderr when it is a terminal; call with (-1, -1) to finish."""
    stream = sys.stderr
    if not stream.isatty():
        return None
    state = {"drawn": False}

    def show(done: int, total: int) -> None:
        if done < 0:
            if state["drawn"]:
                stream.write("\r\033[K")
                stream.flush()
            return
        width = 30
        filled = width * done // max(total, 1)
        stream.write(f"\raudit [{'#' * filled}{'.' * (width - filled)}] {done}/{total} files")
        stream.flush()
        state["drawn"] = True

    return show

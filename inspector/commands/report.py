"""`casare-inspector report`: write the performance audit report from a session or a static audit.

    report SESSION [--out FILE] [--format md|html|json|sarif|all] [--coverage FILE] [--check]
    report --static PATH [--profile P] [--out FILE] [--format ...]

The default output is `<source_root>/docs/performance/PERFORMANCE_AUDIT_REPORT.md` (the
session's source root, or PATH with --static; else the current folder); the other formats
are written next to it with their own suffix, and the plots in `<stem>_files/`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from inspector.cli import EXIT_FAILED, EXIT_FINDINGS_INCOMPLETE, EXIT_OK, EXIT_USAGE, UserError
from inspector.core.session import Session, SessionError

FORMAT_CHOICES = ("md", "html", "json", "sarif", "all")


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "report",
        help="write the performance audit report (Markdown, HTML, JSON, SARIF)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("session", nargs="?", type=Path, help="session file to report on")
    parser.add_argument(
        "--static",
        type=Path,
        metavar="PATH",
        help="run a static-only audit of PATH and report on it",
    )
    parser.add_argument("--profile", help="profile name or path for --static (default generic)")
    parser.add_argument("--out", type=Path, help="report path (default: see above)")
    parser.add_argument(
        "--format",
        action="append",
        choices=FORMAT_CHOICES,
        dest="formats",
        help="format to write; repeatable (default: all)",
    )
    parser.add_argument("--coverage", type=Path, help="coverage.xml or coverage JSON for gaps")
    parser.add_argument(
        "--check",
        action="store_true",
        help="also check the rendered report against its model (figures without a source, "
        "a conclusion shown two ways); exit 3 when a problem is found",
    )
    parser.add_argument(
        "--source-root", type=Path, help="the audited tree, when the session does not record it"
    )
    parser.set_defaults(run=run)


def _formats(chosen: list[str] | None) -> tuple[str, ...]:
    from inspector.report import FORMATS

    if not chosen or "all" in chosen:
        return FORMATS
    return tuple(dict.fromkeys(chosen))


def _coverage(path: Path | None):  # -> CoverageData | None
    if path is None:
        return None
    from inspector.report.coverage import load_coverage

    data = load_coverage(path)
    if data is None:
        raise UserError(f"{path} is not a readable coverage.xml or coverage JSON file")
    return data


def _static(args: argparse.Namespace, formats: tuple[str, ...]) -> int:
    from inspector.report import ReportError, default_report_path, write_model
    from inspector.report.model import model_from_static

    root = args.static
    if not root.is_dir():
        raise UserError(f"--static needs a source folder; {root} is not one")
    try:
        runner = importlib.import_module("analyzers.runner")
    except ImportError as exc:
        raise UserError("static audit is not available in this build (analyzers.runner)") from exc
    try:
        result = runner.audit(root, args.profile or "generic")
    except getattr(runner, "AuditError", ValueError) as exc:
        raise UserError(str(exc)) from exc
    if hasattr(result, "to_dict_without_findings"):
        meta = dict(result.to_dict_without_findings())
    else:
        meta = dict(result.to_dict())
        meta.pop("findings", None)
    meta.setdefault("profile", args.profile or "generic")
    out = args.out or default_report_path(root)
    model = model_from_static(result.findings, meta, root, coverage=_coverage(args.coverage))
    try:
        written = write_model(model, out, formats)
    except ReportError as exc:
        raise UserError(str(exc)) from exc
    _print(written, model)
    return EXIT_FINDINGS_INCOMPLETE if result.errors else EXIT_OK


def _check(model, out: Path) -> int:
    """Problems found by the consistency check, printed one a line; how many."""
    from inspector.report import FORMATS, render_all
    from inspector.report.consistency import check_report

    rendered = {
        path.suffix.lstrip("."): data.decode("utf-8")
        for path, data in render_all(model, out, FORMATS).items()
        if path.suffix != ".png"
    }
    problems = check_report(model, rendered)
    for problem in problems:
        print(f"casare-inspector: report check: {problem}", file=sys.stderr)
    print(f"report check: {len(problems)} problem(s)")
    return len(problems)


def _print(written: list[Path], model) -> None:
    counts = model.severity_counts()
    print(
        f"{len(model.findings)} findings ("
        + ", ".join(f"{n} {s.value}" for s, n in counts.items())
        + f"); {len(model.conflicts)} conflict(s) resolved, {len(model.cascades)} cascade(s)"
    )
    for path in written:
        if path.suffix != ".png":
            print(path)


def run(args: argparse.Namespace) -> int:
    formats = _formats(args.formats)
    if args.static is not None:
        if args.session is not None:
            raise UserError("give either a SESSION or --static PATH, not both", EXIT_USAGE)
        return _static(args, formats)
    if args.session is None:
        raise UserError("give a SESSION file or --static PATH", EXIT_USAGE)
    from inspector.report import ReportError, default_report_path, write_model
    from inspector.report.model import model_from_session

    try:
        session = Session.open(args.session, read_only=True)  # a report never writes its input
    except SessionError as exc:
        raise UserError(str(exc)) from exc
    with session:
        root = args.source_root or session.meta.get("source_root")
        if args.source_root is not None and not args.source_root.is_dir():
            raise UserError(f"--source-root {args.source_root} is not a folder")
        if root and not Path(root).is_dir():
            # A session recorded elsewhere still reports; only the file links may not resolve.
            print(
                f"casare-inspector: the session's source root {root} is not here; using the "
                "current folder (pass --source-root DIR to point the file links elsewhere)",
                file=sys.stderr,
            )
            root = str(Path.cwd())
        model = model_from_session(session, source_root=root, coverage=_coverage(args.coverage))
        unreadable = session.unreadable_summary()
    out = args.out or default_report_path(root)
    try:
        written = write_model(model, out, formats)
    except ReportError as exc:
        raise UserError(str(exc)) from exc
    _print(written, model)
    if getattr(args, "check", False) and _check(model, out):
        return EXIT_FAILED
    if unreadable:
        print(f"casare-inspector: {args.session}: {unreadable}", file=sys.stderr)
        return EXIT_FINDINGS_INCOMPLETE
    return EXIT_OK

"""`casare-inspector compare OLD NEW`: what a fix changed, between two sessions or JSON reports.

    compare OLD NEW [--out FILE] [--json]

Prints (or writes to FILE) the new, gone and changed findings, matched by fingerprint, and,
for two sessions, the measured headline before and after.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from inspector.cli import EXIT_OK, UserError
from inspector.report.comparison import ComparisonError, compare_paths


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "compare",
        help="compare two sessions or JSON reports: new, gone and changed findings",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("old", type=Path, help="the earlier session or JSON report")
    parser.add_argument("new", type=Path, help="the later session or JSON report")
    parser.add_argument("--out", type=Path, help="write here instead of printing")
    parser.add_argument("--json", action="store_true", help="JSON instead of Markdown")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        result = compare_paths(args.old, args.new)
    except ComparisonError as exc:
        raise UserError(str(exc)) from exc
    text = json.dumps(result.to_dict(), indent=1) + "\n" if args.json else result.to_markdown()
    if args.out is None:
        print(text, end="")
        return EXIT_OK
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {args.out}: {exc.strerror or exc}") from exc
    print(args.out)
    return EXIT_OK

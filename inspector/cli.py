"""`casare-inspector`: no subcommand opens the window; subcommands do the same work headless.

Each subcommand lives in its own module under `inspector.commands` with `add_parser` and
`run`; this file only wires them. Errors the user can fix end as one line on stderr and a
non-zero exit code, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from inspector import __version__

COMMANDS = ("audit", "launch", "attach", "record", "report", "compare", "samples", "workloads")

# Exit codes shared by every subcommand.
EXIT_OK = 0
EXIT_FINDINGS_INCOMPLETE = 1  # ran, but some inputs could not be analyzed
EXIT_USAGE = 2
EXIT_FAILED = 3


class UserError(Exception):
    """An error the user can act on; printed as one line, exit code `code`."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; given the arguments, it imports only the subcommand they name.

    Each subcommand pulls in its own stack (libcst, the report, the attach code), so a warm
    `audit` should not pay for `record`'s imports.
    """
    parser = argparse.ArgumentParser(
        prog="casare-inspector",
        description="Audit inspector for CasareRPA and other asyncio + Qt apps. "
        "With no subcommand, opens the inspector window.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--demo", action="store_true", help="window: launch and attach the demo")
    parser.add_argument("--session", help="window: open this session file")
    parser.add_argument("--pid", type=int, help="window: attach to this process")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    named = next((a for a in (argv or ()) if not a.startswith("-")), None)
    for name in (named,) if named in COMMANDS else COMMANDS:
        try:
            module = importlib.import_module(f"inspector.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"inspector.commands.{name}":
                raise
            continue  # subcommand not built in this version
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            from inspector.gui.app import run_window

            return run_window(args)
        return int(args.run(args))
    except UserError as exc:
        print(f"casare-inspector: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("casare-inspector: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        # A session file damaged in a way the tolerant readers could not step around: one
        # line, never a traceback (sqlite3 is only looked up: audit never imports it).
        sqlite3 = sys.modules.get("sqlite3")
        if sqlite3 is None or not isinstance(exc, sqlite3.DatabaseError):
            raise
        detail = " ".join(str(exc).split())
        print(f"casare-inspector: the session file is damaged ({detail})", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())

"""`casare-inspector launch [--profile P] [--session FILE] -- COMMAND...`

Starts COMMAND with the agent preloaded (no special rights needed, any OS) and records its
live metrics into the session until the target exits or you press Ctrl-C.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from inspector.attach.agent_config import AttachError
from inspector.attach.live import LiveRecording
from inspector.cli import EXIT_OK, EXIT_USAGE, UserError
from inspector.commands.record import _say
from inspector.core.session import Session, SessionError


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "launch",
        help="start a target with the agent preloaded and record it",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--profile", default="generic", help="probe profile (default generic)")
    parser.add_argument("--session", help="session file (default: ./inspector-TIME.session)")
    parser.add_argument("--duration", type=float, help="stop after S seconds (default: never)")
    parser.add_argument("--cwd", help="working directory for COMMAND")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND to launch")
    parser.set_defaults(run=run)


def default_session_path() -> str:
    return time.strftime("inspector-%Y%m%d-%H%M%S.session")


def run(args: argparse.Namespace) -> int:
    command = list(args.command or [])
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise UserError("give the command to launch after --", EXIT_USAGE)
    path = args.session or default_session_path()
    try:
        session = Session.create(path)
    except SessionError as exc:
        raise UserError(str(exc)) from exc
    recording = LiveRecording(session, args.profile)
    try:
        pid = recording.launch(command, cwd=args.cwd)
    except AttachError as exc:
        recording.finish(f"not attached: {exc}")
        session.close()
        raise UserError(str(exc)) from exc
    _say(f"launched pid {pid}; recording into {path} (Ctrl-C to stop)")
    try:
        reason = recording.wait(args.duration)
    except KeyboardInterrupt:
        reason = "interrupted"
    recording.finish(reason)
    _say(f"stopped ({reason}); {recording.link.received} records in {path}")
    session.close()
    return EXIT_OK

"""`casare-inspector launch [--profile P] [--session FILE] -- COMMAND...`

Starts COMMAND with the agent preloaded (no special rights needed, any OS) and records its
live metrics and py-spy samples (unless --no-sample) into the session until the target exits,
the duration ends, or you press Ctrl-C. When the recording ends first, the target is stopped
and the command says how (SIGTERM then SIGKILL on Linux and macOS, TerminateProcess on
Windows); --keep-running leaves it running instead.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from inspector.attach.agent_config import AttachError
from inspector.cli import EXIT_OK, EXIT_USAGE, UserError
from inspector.commands.record import _print_event, _say
from inspector.commands.stop_signals import StopSignals
from inspector.core.session import Session, SessionError
from inspector.live import LiveEngine


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
    parser.add_argument("--no-sample", action="store_true", help="do not run py-spy")
    parser.add_argument(
        "--keep-running", action="store_true", help="leave the target running at the end"
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND to launch")
    parser.set_defaults(run=run)


def default_session_path() -> str:
    return time.strftime("inspector-%Y%m%d-%H%M%S.session")


def run(args: argparse.Namespace) -> int:
    with StopSignals() as stop:
        return _launch(args, stop)


def _launch(args: argparse.Namespace, stop: StopSignals) -> int:
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
    engine = LiveEngine(session, args.profile)
    engine.subscribe(_print_event)
    try:
        pid = engine.launch(command, cwd=args.cwd)
    except AttachError as exc:
        engine.finish(f"not attached: {exc}")
        session.abandon()  # never started: a file it was to replace stays as it was
        raise UserError(str(exc)) from exc
    _say(f"launched pid {pid}; recording into {path} (Ctrl-C to stop)")
    if not args.no_sample:
        engine.start_sampling()
    try:
        reason = engine.wait(args.duration, stop=stop.event)
    except KeyboardInterrupt:
        reason = "interrupted"
    if reason == "stopped":
        reason = stop.reason()
    engine.finish(reason, stop_launched=not args.keep_running)
    if args.keep_running and engine.target_alive():
        _say(f"the target (pid {pid}) keeps running without the agent")
    _say(f"stopped ({reason}); {engine.link.received} records in {path}")
    session.close()
    return EXIT_OK

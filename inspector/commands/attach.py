"""`casare-inspector attach PID [--profile P] [--session FILE] [--duration S]`

Injects the agent into a running Python process and records its live metrics and py-spy
samples (unless --no-sample) until the duration ends, the target exits, or you press Ctrl-C;
then the agent unhooks itself and the target keeps running. Linux: gdb for Python < 3.14;
any OS: sys.remote_exec for >= 3.14; otherwise start the target with `casare-inspector launch`.
"""

from __future__ import annotations

import argparse
from typing import Any

from inspector.attach.agent_config import AttachError
from inspector.cli import EXIT_OK, UserError
from inspector.commands.launch import default_session_path
from inspector.commands.record import _print_event, _say
from inspector.commands.stop_signals import StopSignals
from inspector.core.session import Session, SessionError
from inspector.live import LiveEngine


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "attach",
        help="inject the agent into a running process and record it",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("pid", type=int, help="process id of the running target")
    parser.add_argument("--profile", default="generic", help="probe profile (default generic)")
    parser.add_argument("--session", help="session file (default: ./inspector-TIME.session)")
    parser.add_argument("--duration", type=float, help="stop after S seconds (default: never)")
    parser.add_argument("--no-sample", action="store_true", help="do not run py-spy")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    with StopSignals() as stop:
        return _attach(args, stop)


def _attach(args: argparse.Namespace, stop: StopSignals) -> int:
    path = args.session or default_session_path()
    try:
        session = Session.create(path)
    except SessionError as exc:
        raise UserError(str(exc)) from exc
    engine = LiveEngine(session, args.profile)
    engine.subscribe(_print_event)
    try:
        engine.attach(args.pid)
    except AttachError as exc:
        engine.finish(f"not attached: {exc}", stop_launched=False)
        session.abandon()  # never started: a file it was to replace stays as it was
        raise UserError(str(exc)) from exc
    _say(f"attached to pid {args.pid}; recording into {path} (Ctrl-C to stop)")
    if not args.no_sample:
        engine.start_sampling()
    try:
        reason = engine.wait(args.duration, stop=stop.event)
    except KeyboardInterrupt:
        reason = "interrupted"
    if reason == "stopped":
        reason = stop.reason()
    engine.finish(reason, stop_launched=False)
    _say(f"detached ({reason}); {engine.link.received} records in {path}")
    session.close()
    return EXIT_OK

"""`casare-inspector record`: headless live recording of a target into a session file.

    casare-inspector record (--pid PID | --demo | -- COMMAND...) --duration S --session FILE
                            [--profile P] [--workload NAME:k=v,...]... [--no-sample]
                            [--tracemalloc] [--report FILE]

Everything the agent (and py-spy, unless --no-sample) measures goes into the session, one
commit per batch, so a target or recorder dying mid-way loses nothing already received.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from inspector.attach.agent_config import AttachError
from inspector.attach.live import LiveRecording, demo_command, parse_workload
from inspector.cli import EXIT_OK, EXIT_USAGE, UserError
from inspector.core.agent_link import AgentLinkError
from inspector.core.session import Session, SessionError


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "record",
        help="record a live target headless into a session file",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--pid", type=int, help="attach to this running process")
    parser.add_argument("--demo", action="store_true", help="launch and record the demo target")
    parser.add_argument("--duration", type=float, required=True, help="seconds to record")
    parser.add_argument("--session", required=True, help="session file to write")
    parser.add_argument("--profile", help="probe profile (default: demo for --demo, else generic)")
    parser.add_argument(
        "--workload",
        action="append",
        default=[],
        metavar="NAME:k=v,...",
        help="run a standard workload in the target (repeatable)",
    )
    parser.add_argument("--no-sample", action="store_true", help="do not run py-spy")
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="diff tracemalloc snapshots over the session (slows the target)",
    )
    parser.add_argument("--report", help="write the audit report here when done")
    parser.add_argument("--cwd", help="working directory for a launched COMMAND")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND to launch")
    parser.set_defaults(run=run)


def _target_command(args: argparse.Namespace) -> list[str] | None:
    command = list(args.command or [])
    if command and command[0] == "--":
        command = command[1:]
    chosen = sum(bool(x) for x in (args.pid is not None, args.demo, command))
    if chosen != 1:
        raise UserError("give exactly one target: --pid PID, --demo, or -- COMMAND", EXIT_USAGE)
    if args.demo:
        return demo_command()
    return command or None


def run(args: argparse.Namespace) -> int:
    if args.duration <= 0:
        raise UserError("--duration must be positive", EXIT_USAGE)
    command = _target_command(args)
    try:
        workloads = [parse_workload(spec) for spec in args.workload]
    except ValueError as exc:
        raise UserError(str(exc), EXIT_USAGE) from exc
    profile = args.profile or ("demo" if args.demo else "generic")
    try:
        session = Session.create(args.session)
    except SessionError as exc:
        raise UserError(str(exc)) from exc
    recording = LiveRecording(session, profile)
    try:
        if command is not None:
            pid = recording.launch(command, cwd=args.cwd)
        else:
            recording.attach(args.pid)
            pid = args.pid
    except AttachError as exc:
        recording.finish(f"not attached: {exc}")
        session.close()
        raise UserError(str(exc)) from exc
    _say(f"recording pid {pid} for {args.duration:g} s into {args.session} (profile {profile})")
    if not args.no_sample:
        notice = recording.start_sampling()
        if notice:
            _say(notice)
    if args.tracemalloc:
        recording.tracemalloc("start")
    for name, params in workloads:
        try:
            recording.run_workload(name, params)
        except AgentLinkError as exc:
            _say(f"workload {name} not started: {exc}")
    try:
        reason = recording.wait(args.duration)
    except KeyboardInterrupt:
        reason = "interrupted"
    recording.finish(reason)
    for notice in recording.notices:
        _say(notice)
    counts = session.record_counts()
    summary = ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
    _say(f"stopped ({reason}); records: {summary}")
    finish_session(session, args)
    session.close()
    return EXIT_OK


# ---------------------------------------------------------------------------------------------
# LEAD: fill in. Called once the recording has ended and the session holds everything measured.
# Intended: static audit of meta["source_root"] with the profile, correlation of static and
# dynamic findings (inspector.sampling.correlate), then the report when --report is given.
# ---------------------------------------------------------------------------------------------
def finish_session(session: Session, args: argparse.Namespace) -> None:
    """Post-recording pipeline: static audit + correlation + report (placeholder: report only)."""
    if not args.report:
        return
    try:
        from inspector.report import write_report
    except ImportError:
        _say("report writer not available in this build; session kept")
        return
    paths = write_report(session, Path(args.report))
    _say("report: " + ", ".join(str(p) for p in paths))


def _say(message: str) -> None:
    print(f"casare-inspector: {message}", file=sys.stderr, flush=True)

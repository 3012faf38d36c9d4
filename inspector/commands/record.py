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
from inspector.attach.live import LiveRecording, demo_command
from inspector.cli import EXIT_OK, EXIT_USAGE, UserError
from inspector.core.agent_link import AgentLinkError
from inspector.core.pipeline import analyze_session
from inspector.core.session import Session, SessionError
from inspector.core.workload_specs import WorkloadSpecError, parse_workload_spec
from inspector.report import ReportError, write_report


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
    parser.add_argument(
        "--source-root", help="the target's source tree to audit (default: what the agent reports)"
    )
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
        workloads = [parse_workload_spec(spec) for spec in args.workload]
    except WorkloadSpecError as exc:
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
    try:
        finish_session(session, args)
    finally:
        session.close()
    return EXIT_OK


def finish_session(session: Session, args: argparse.Namespace) -> None:
    """After recording: static audit, dynamic findings, correlation, then the report.

    Each step keeps what the previous ones stored, so a failing report leaves a full session.
    """
    if getattr(args, "source_root", None):
        session.set_meta(source_root=str(Path(args.source_root).resolve()))
    outcome = analyze_session(session, profile=args.profile or session.meta.get("profile"))
    for notice in outcome.notices:
        _say(notice)
    by_kind = {k: sum(f.kind == k for f in outcome.findings) for k in ("static", "dynamic")}
    measured = sum(f.priority.source == "measured" for f in outcome.findings)
    _say(
        f"findings: {by_kind['static']} static, {by_kind['dynamic']} dynamic, "
        f"{measured} with measured priority"
    )
    if not args.report:
        return
    try:
        paths = write_report(session, Path(args.report))
    except ReportError as exc:
        raise UserError(f"{exc}; the session is kept at {session.path}") from exc
    _say("report: " + ", ".join(str(p) for p in paths if p.suffix != ".png"))


def _say(message: str) -> None:
    print(f"casare-inspector: {message}", file=sys.stderr, flush=True)

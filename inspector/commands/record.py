"""`casare-inspector record`: headless live recording of a target into a session file.

    casare-inspector record (--pid PID | --demo | -- COMMAND...) --duration S --session FILE
                            [--profile P] [--workload NAME:k=v,...]... [--no-sample]
                            [--tracemalloc] [--report FILE]

Everything the agent (and py-spy, unless --no-sample) measures goes into the session, one
commit per batch, so a target or recorder dying mid-way loses nothing already received.

Workloads run one after another, never together (two at once would measure each other). The
session lasts --duration seconds or until every workload has finished, whichever is later:
`record` prints up front how long the workloads need by estimate, and when that exceeds
--duration it says so and records until they are done (at most twice the estimate plus a
minute, or up to three times that while a workload still reports progress; a workload still
running then is stopped and reported). A launched target is
stopped at the end, and `record` says how. Exit code 0 when every workload completed, 3 when
one failed, was cancelled or is not supported by the target (each says why in one line).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from inspector.attach.agent_config import AttachError
from inspector.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UserError
from inspector.commands.stop_signals import StopSignals
from inspector.core.session import Session, SessionError
from inspector.core.workload_specs import (
    WorkloadSpecError,
    format_workload_spec,
    parse_workload_spec,
)
from inspector.live import (
    EngineEvent,
    LiveEngine,
    Notice,
    WorkloadFinished,
    WorkloadProgress,
    WorkloadStarted,
    demo_command,
)
from inspector.report import ReportError, write_report
from inspector.sampling.attribution import OwnShare
from inspector.sampling.pipeline import analyze_session

LIMIT_FACTOR = 2.0  # workloads may take this many times their estimate...
LIMIT_SLACK_S = 60.0  # ...plus this, before the session gives up on them


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
    with StopSignals() as stop:
        return _record(args, stop)


def _record(args: argparse.Namespace, stop: StopSignals) -> int:
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
    engine = LiveEngine(session, profile)
    engine.subscribe(_print_event)
    limit = _plan(engine, workloads, args.duration)
    try:
        if command is not None:
            pid = engine.launch(command, cwd=args.cwd)
        else:
            engine.attach(args.pid)
            pid = args.pid
    except AttachError as exc:
        engine.finish(f"not attached: {exc}")
        session.abandon()  # never started: a file it was to replace stays as it was
        raise UserError(str(exc)) from exc
    _say(f"recording pid {pid} for {args.duration:g} s into {args.session} (profile {profile})")
    if session.replaces is not None:
        _say(
            f"{args.session} exists: it is replaced when the recording ends "
            f"({session.path} until then)"
        )
    if not args.no_sample:
        engine.start_sampling()  # a failure arrives as a Notice and is printed
    if args.tracemalloc:
        engine.tracemalloc("start")
    for name, params in workloads:
        try:
            engine.start_workload(name, params)
        except WorkloadSpecError as exc:
            _say(f"workload {format_workload_spec(name, params)} not started: {exc}")
    try:
        reason = engine.wait(args.duration, stop=stop.event, limit=limit)
    except KeyboardInterrupt:
        reason = "interrupted"
    if reason == "stopped":
        reason = stop.reason()
    engine.finish(reason)
    counts = session.record_counts()
    summary = ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
    _say(f"stopped ({reason}) after {_session_seconds(session)}; records: {summary}")
    not_completed = [t for t in engine.queue.finished if t.status != "ok"]
    for ticket in engine.queue.finished:
        state = "completed" if ticket.status == "ok" else ticket.status
        why = f": {ticket.reason}" if ticket.reason else ""
        _say(f"workload {ticket.spec}: {state} in {ticket.elapsed_s:g} s{why}")
    try:
        finish_session(session, args)
    finally:
        session.close()
    if not_completed:
        _say(f"{len(not_completed)} of {len(engine.queue.finished)} workloads did not complete")
        return EXIT_FAILED
    early = ended_early(reason)
    if early:
        _say(f"the recording ended early: {early}; what was recorded is kept")
        return EXIT_FAILED
    return EXIT_OK


def ended_early(reason: str) -> str | None:
    """Why a recording ended before it should have (the target failed, or its agent left,
    e.g. replaced by a second attach), or None for an ordinary end."""
    if reason.startswith("the agent disconnected"):
        return reason
    if reason.startswith("target exited (code ") and not reason.startswith(
        "target exited (code 0)"
    ):
        return reason
    return None


def _plan(
    engine: LiveEngine, workloads: list[tuple[str, dict[str, Any]]], duration: float
) -> float:
    """Say up front how long the workloads need; returns the session's time limit."""
    if not workloads:
        return duration
    estimates = [(name, params, engine.queue.estimate(name, params)) for name, params in workloads]
    total = sum(e for _n, _p, e in estimates)
    listed = ", ".join(f"{format_workload_spec(n, p)} ~{e:.0f} s" for n, p, e in estimates)
    order = "one after another" if len(workloads) > 1 else "once"
    _say(f"workloads run {order}: {listed}; about {total:.0f} s in all (estimate)")
    limit = max(duration, LIMIT_FACTOR * total + LIMIT_SLACK_S)
    if total > duration:
        _say(
            f"--duration {duration:g} is shorter than the workloads need: recording until they "
            f"finish (at most {limit:.0f} s), then stopping"
        )
    return limit


PROGRESS_EVERY_S = 15.0  # a long workload says how far it is this often
_progress_said: dict[str, float] = {}


def _print_event(event: EngineEvent) -> None:
    if isinstance(event, WorkloadProgress):
        last = _progress_said.get(event.run_id, 0.0)
        if event.elapsed_s - last >= PROGRESS_EVERY_S:
            _progress_said[event.run_id] = event.elapsed_s
            done = f"{event.fraction:.0%}, " if event.fraction is not None else ""
            if event.eta_s is not None:
                left = f"about {event.eta_s:.0f} s left"
            else:
                left = f"{event.elapsed_s:.0f} s, longer than its estimate"
            _say(f"workload {event.name}: {event.label} ({done}{left})")
    elif isinstance(event, Notice):
        _say(event.text)
    elif isinstance(event, WorkloadStarted):
        spec = format_workload_spec(event.name, event.params)
        _say(f"workload {spec} started (about {event.estimate_s:.0f} s)")
    elif isinstance(event, WorkloadFinished):
        state = "completed" if event.completed else event.status
        why = f": {event.reason}" if event.reason else ""
        _say(f"workload {event.name} {state} after {event.elapsed_s:g} s{why}")


def _session_seconds(session: Session) -> str:
    started, ended = session.meta.get("started"), session.meta.get("ended")
    if isinstance(started, int | float) and isinstance(ended, int | float):
        return f"{ended - started:.1f} s"
    return "an unknown time"


def finish_session(session: Session, args: argparse.Namespace) -> None:
    """After recording: static audit, dynamic findings, correlation, then the report.

    Each step keeps what the previous ones stored, so a failing report leaves a full session.
    """
    if getattr(args, "source_root", None):
        session.set_meta(source_root=str(Path(args.source_root).resolve()))
    outcome = analyze_session(session, profile=args.profile or session.meta.get("profile"))
    for notice in outcome.notices:
        _say(notice)
    own = OwnShare.from_meta(session.meta.get("attribution"))
    if own is not None:
        _say(own.line())
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

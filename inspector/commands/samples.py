"""`casare-inspector samples`: record py-spy samples into a session, or read them back.

    samples SESSION --pid PID [--duration S] [--rate 100] [--blocking] [--subprocesses]
    samples SESSION --top N [--thread NAME] [--since T --until T] [--all]
    samples SESSION --speedscope out.json
    samples SESSION --blocked --source-root DIR [--threshold-ms 50]
    samples SESSION --correlate --source-root DIR [--profile NAME]
Times for --since/--until are seconds from the session's first sample.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from inspector.cli import EXIT_OK, UserError
from inspector.commands.stop_signals import StopSignals
from inspector.core.session import Session, SessionError
from inspector.sampling.errors import SamplingError


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "samples",
        help="record py-spy samples of a PID, or show hot code / blocked loop / export",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("session", help="session file (created when recording a new one)")
    parser.add_argument("--pid", type=int, help="record: sample this process")
    parser.add_argument("--duration", type=float, help="record: seconds (default: until exit)")
    parser.add_argument("--rate", type=int, default=100, help="record: samples per second")
    parser.add_argument("--blocking", action="store_true", help="record: pause target per sample")
    parser.add_argument("--subprocesses", action="store_true", help="record: child processes too")
    parser.add_argument(
        "--native",
        action="store_true",
        help="record: native frames too (pauses the target per sample; falls back if it fails)",
    )
    parser.add_argument("--top", type=int, metavar="N", help="print the N hottest functions/lines")
    parser.add_argument("--thread", help="only this thread (name or OS thread id)")
    parser.add_argument("--since", type=float, help="window start, s from first sample")
    parser.add_argument("--until", type=float, help="window end, s from first sample")
    parser.add_argument("--all", action="store_true", help="count idle (waiting) time too")
    parser.add_argument("--speedscope", type=Path, metavar="OUT", help="write speedscope JSON")
    parser.add_argument("--blocked", action="store_true", help="print blocked-loop stretches")
    parser.add_argument("--correlate", action="store_true", help="attach evidence to findings")
    parser.add_argument("--source-root", type=Path, help="the target's source root")
    parser.add_argument("--profile", help="profile name or path (areas of dynamic findings)")
    parser.add_argument("--threshold-ms", type=float, default=50.0)
    parser.set_defaults(run=run)


def _record(args: argparse.Namespace) -> None:
    from inspector.sampling.recorder import PySpyRecorder

    path = Path(args.session)
    try:
        session = Session.open(path) if path.exists() else Session.create(path)
    except SessionError as exc:
        raise UserError(str(exc)) from exc
    recorder = PySpyRecorder(
        args.pid,
        session,
        rate=args.rate,
        nonblocking=not args.blocking,
        subprocesses=args.subprocesses,
        native=args.native,
    )
    try:
        recorder.start()
    except SamplingError as exc:
        raise UserError(str(exc)) from exc
    if recorder.native_error:
        print(f"native frames off: {recorder.native_error}; Python frames only")
    print(f"sampling PID {args.pid} at {args.rate} Hz into {path} (Ctrl-C stops)")
    deadline = None if args.duration is None else time.monotonic() + args.duration
    try:
        with StopSignals() as stop:
            while not recorder.wait(0.2) and not stop.requested:
                if deadline is not None and time.monotonic() >= deadline:
                    break
    except KeyboardInterrupt:
        pass
    finally:
        recorder.stop()
    print(
        f"stored {recorder.samples_written} runs in {recorder.chunks} chunks, "
        f"gaps {len(recorder.gaps)}"
        + (f"; stopped early: {recorder.error}" if recorder.error else "")
    )
    session.close()
    if recorder.error and recorder.samples_written == 0:
        raise UserError(recorder.error)


def _window(session: Session, args: argparse.Namespace) -> tuple[float | None, float | None]:
    with session.lock:
        (first,) = session.conn.execute("SELECT MIN(t) FROM samples").fetchone()
    if first is None:
        raise UserError(f"{args.session} holds no py-spy samples")
    since = None if args.since is None else first + args.since
    until = None if args.until is None else first + args.until
    return since, until


def _thread(value: str | None) -> str | int | None:
    if value is None:
        return None
    return int(value) if value.isdigit() else value


def run(args: argparse.Namespace) -> int:
    if args.pid is not None:
        _record(args)
        return EXIT_OK
    try:
        # only --correlate stores (its findings); every other view leaves the file untouched
        session = Session.open(args.session, read_only=not args.correlate)
    except SessionError as exc:
        raise UserError(str(exc)) from exc
    with session:
        since, until = _window(session, args)
        did = False
        if args.top:
            _print_top(session, args, since, until)
            did = True
        if args.speedscope:
            from inspector.sampling.speedscope import write_speedscope

            out = write_speedscope(
                session, args.speedscope, since=since, until=until, thread=_thread(args.thread)
            )
            print(f"wrote {out}")
            did = True
        if args.blocked or args.correlate:
            if args.source_root is None:
                raise UserError("--blocked and --correlate need --source-root DIR")
            _print_dynamic(session, args)
            did = True
        if not did:
            _print_top(session, args, since, until, limit=10)
    return EXIT_OK


def _print_top(
    session: Session,
    args: argparse.Namespace,
    since: float | None,
    until: float | None,
    limit: int | None = None,
) -> None:
    from inspector.sampling import profile_data as pd
    from inspector.sampling.attribution import own_share

    limit = limit or args.top
    thread = _thread(args.thread)
    share = own_share(session, store=False)
    if share is not None:
        print(share.line())
    print("threads:")
    for t in pd.threads(session):
        loop = "  [event loop]" if t.runs_loop else ""
        print(
            f"  {t.name or '?'} (tid {t.tid}): {t.seconds:.2f} s sampled, "
            f"{t.active_seconds:.2f} s active{loop}"
        )
    for title, entries in (
        (
            "hot functions",
            pd.hot_functions(session, since, until, thread, limit, active_only=not args.all),
        ),
        ("hot lines", pd.hot_lines(session, since, until, thread, limit, active_only=not args.all)),
    ):
        print(f"{title} (self s / total s / self %):")
        for e in entries:
            where = f"{e.file}:{e.line}" if e.line else e.file
            print(
                f"  {e.self_s:8.3f} {e.total_s:8.3f} {e.self_share * 100:5.1f}%  "
                f"{e.function}  {where}"
            )


def _print_dynamic(session: Session, args: argparse.Namespace) -> None:
    if args.correlate:
        from inspector.sampling.correlate import correlate

        t = time.perf_counter()
        findings = correlate(
            session, args.source_root, args.profile, threshold_ms=args.threshold_ms
        )
        measured = [f for f in findings if f.priority.source == "measured"]
        print(
            f"correlated in {time.perf_counter() - t:.2f} s: {len(findings)} findings, "
            f"{len(measured)} with measured priority"
        )
        shown = measured
    else:
        from inspector.sampling.blocking import blocked_loop_findings

        shown = blocked_loop_findings(session, args.source_root, args.threshold_ms, args.profile)
        print(f"{len(shown)} blocked-loop locations (threshold {args.threshold_ms:.0f} ms)")
        _print_stretches(session, args)
    for f in shown:
        print(f"  [{f.severity.value} {f.score}] {f.rule} {f.location} {f.symbol}: {f.message}")
        for ev in f.evidence:
            print(f"      {ev.source}: {ev.summary}")


def _print_stretches(session: Session, args: argparse.Namespace, limit: int = 10) -> None:
    """The longest stretches, each with where its time went, and the agent's stalls that
    py-spy has no stack for, each saying why."""
    from inspector.sampling.attribution import own_share
    from inspector.sampling.blocking import blocked_stretches, stall_stacks

    share = own_share(session, store=False)
    if share is not None:
        print(share.line())
    stretches = blocked_stretches(session, args.source_root, args.threshold_ms)
    print(f"{len(stretches)} stretches over {args.threshold_ms:.0f} ms; the longest:")
    for s in sorted(stretches, key=lambda s: -s.duration_ms)[:limit]:
        where = s.culprit or s.where
        place = f"{where.file}:{where.line}" if where.line else where.file
        print(f"  {s.duration_ms:7.0f} ms  {s.dispatch:7}  {where.function}  {place}")
    stalls = stall_stacks(session, args.source_root)
    unexplained = [x for x in stalls if x.reason]
    if stalls:
        print(
            f"agent-timed stalls: {len(stalls)}, {len(stalls) - len(unexplained)} with a "
            f"py-spy stack"
        )
    for stall in unexplained[:limit]:
        print(f"  {stall.duration_ms:7.0f} ms  {stall.callable}: no stack - {stall.reason}")

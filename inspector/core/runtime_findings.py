"""Dynamic findings from the agent's records: slow bus handlers, slow callbacks, pool leak
suspects and runtime hazards, each pinned to the project line the agent saw.

The samples give blocked-loop findings (`inspector.sampling.blocking`); these come from what
only the in-process agent sees. Both are `kind="dynamic"` findings with a measured priority,
so correlation can merge them into a static twin or keep them as findings of their own.
Thresholds are the frame budget: 16 ms is one frame at 60 Hz, 50 ms a hitch users notice.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from analyzers.findings import ChainStep, Evidence, Finding
from inspector.core.session import Session
from inspector.core.stats import percentile
from inspector.sampling.measured_priority import measured_priority
from inspector.sampling.project_frames import relpath

SLOW_HANDLER_P95_MS = 8.0  # half a frame: a bus handler runs inside someone else's publish
SLOW_HANDLER_MAX_MS = 50.0
SLOW_CALLBACK_MS = 50.0
_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>\S+)')

HANDLER_RULE = "DYN-SLOW-HANDLER"
CALLBACK_RULE = "DYN-SLOW-CALLBACK"
LEAK_RULE = "DYN-POOL-LEAK"
HAZARD_RULE = {"nested_loop": "DYN-NESTED-LOOP", "wrong_thread": "DYN-WRONG-THREAD"}


def _minutes(session: Session) -> float:
    span = session.time_span()
    return max((span[1] - span[0]) / 60.0, 1e-6) if span else 1.0


def _area(profile: Any, path: str, default: int) -> int:
    area = profile.area_for(path) if profile is not None else None
    return area if area is not None else default


def _stack_steps(stack: Iterable[str], root: str) -> list[ChainStep]:
    """Project frames of a `traceback.format_stack` list, outermost first."""
    steps = []
    for entry in stack:
        match = _FRAME.search(entry)
        if not match:
            continue
        rel = relpath(match["file"], root)
        if rel is not None:
            steps.append(ChainStep(rel, int(match["line"]), match["func"]))
    return steps


def slow_handler_findings(session: Session, root: str, profile: Any = None) -> list[Finding]:
    by_handler: dict[tuple[str, str, int], dict[str, Any]] = defaultdict(
        lambda: {"durations": [], "count": 0, "errors": 0, "events": set(), "max": 0.0}
    )
    for rec in session.records("handler"):
        rel = relpath(str(rec.get("file") or ""), root)
        if rel is None or not rec.get("line"):
            continue
        acc = by_handler[(str(rec.get("handler", "?")), rel, int(rec["line"]))]
        acc["durations"] += [float(d) for d in rec.get("durations_ms") or ()]
        acc["count"] += int(rec.get("count") or 0)
        acc["errors"] += int(rec.get("errors") or 0)
        acc["events"].add(str(rec.get("event", "?")))
        acc["max"] = max(acc["max"], float(rec.get("max_ms") or 0.0))
    minutes = _minutes(session)
    findings = []
    for (handler, rel, line), acc in by_handler.items():
        p95 = percentile(acc["durations"], 95)
        if p95 < SLOW_HANDLER_P95_MS and acc["max"] < SLOW_HANDLER_MAX_MS:
            continue
        per_min = acc["count"] / minutes
        events = ", ".join(sorted(acc["events"]))
        summary = (
            f"{acc['count']} calls ({per_min:.0f}/min) for {events}; p95 {p95:.1f} ms, "
            f"max {acc['max']:.1f} ms per call, {acc['errors']} raised"
        )
        findings.append(
            Finding(
                rule=HANDLER_RULE,
                area=_area(profile, rel, 9),
                path=rel,
                line=line,
                symbol=handler,
                kind="dynamic",
                title="Slow event-bus handler",
                message=f"bus handler {handler} takes p95 {p95:.1f} ms per event inside publish()",
                root_cause=(
                    "Bus handlers run synchronously inside publish(); every millisecond they "
                    "take is added to the publisher and, on the GUI thread, to the frame."
                ),
                recommendation=(
                    "Keep the handler under 1 ms: move its slow part to a worker "
                    "(loop.run_in_executor) or defer it with a coalescing QTimer; subscribe "
                    "only to the event types it needs."
                ),
                example_before="def on_event(self, event):\n    self.save_to_disk(event)",
                example_after=(
                    "def on_event(self, event):\n"
                    "    self._pending.append(event)\n"
                    "    self._flush_timer.start(200)  # single-shot, coalesces bursts"
                ),
                tags=("async", "event-bus"),
                priority=measured_priority(
                    3,
                    block_ms=acc["max"],
                    per_minute=per_min,
                    basis=f"agent: p95 {p95:.1f} ms, max {acc['max']:.1f} ms, {per_min:.0f}/min",
                ),
                evidence=(
                    Evidence(
                        "agent",
                        summary,
                        {
                            "calls": acc["count"],
                            "p95_ms": round(p95, 3),
                            "max_ms": acc["max"],
                            "per_minute": round(per_min, 2),
                            "errors": acc["errors"],
                        },
                    ),
                ),
            )
        )
    return findings


def slow_callback_findings(session: Session, root: str, profile: Any = None) -> list[Finding]:
    groups: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for rec in session.records("slow_callback"):
        rel = relpath(str(rec.get("file") or ""), root)
        if rel is None or not rec.get("line"):
            continue  # Qt dispatches without a Python frame are metrics, not findings
        if float(rec.get("duration_ms") or 0.0) >= SLOW_CALLBACK_MS:
            groups[(rel, int(rec["line"]))].append(rec)
    minutes = _minutes(session)
    findings = []
    for (rel, line), recs in groups.items():
        durations = [float(r["duration_ms"]) for r in recs]
        worst = max(durations)
        name = str(recs[0].get("callable") or "?")
        summary = (
            f"{len(recs)} callbacks over {SLOW_CALLBACK_MS:.0f} ms (max {worst:.0f} ms, "
            f"median {statistics.median(durations):.0f} ms) seen by the agent's loop probe"
        )
        findings.append(
            Finding(
                rule=CALLBACK_RULE,
                area=_area(profile, rel, 3),
                path=rel,
                line=line,
                symbol=name,
                kind="dynamic",
                title="Event-loop callback blocks the loop",
                message=f"{name} held the event loop for up to {worst:.0f} ms",
                root_cause=(
                    "One callback (a task step or a Qt event dispatch) ran without yielding; "
                    "nothing else on the loop, painting included, runs meanwhile."
                ),
                recommendation=(
                    "Find the blocking call in this callback (the py-spy stack in the findings "
                    "shows it) and move it off the loop with asyncio.to_thread or "
                    "loop.run_in_executor, or split the work with `await asyncio.sleep(0)`."
                ),
                example_before="async def refresh(self):\n    data = read_settings()  # blocks",
                example_after=(
                    "async def refresh(self):\n    data = await asyncio.to_thread(read_settings)"
                ),
                tags=("async",),
                priority=measured_priority(
                    3,
                    block_ms=worst,
                    per_minute=len(recs) / minutes,
                    basis=f"agent: max {worst:.0f} ms, {len(recs) / minutes:.1f}/min",
                ),
                evidence=(
                    Evidence(
                        "agent",
                        summary,
                        {
                            "count": len(recs),
                            "max_ms": worst,
                            "median_ms": statistics.median(durations),
                        },
                    ),
                ),
            )
        )
    return findings


def _stack_finding(
    rec: dict[str, Any], steps: list[ChainStep], rule: str, area: int, **fields: Any
) -> Finding:
    culprit = steps[-1]
    return Finding(
        rule=rule,
        area=area,
        path=culprit.path,
        line=culprit.line,
        symbol=culprit.symbol,
        kind="dynamic",
        chain=tuple(steps),
        **fields,
    )


def stack_findings(session: Session, root: str, profile: Any = None) -> list[Finding]:
    """Pool leak suspects and runtime hazards, one finding per distinct project location."""
    seen: dict[tuple[str, str, int], Finding] = {}
    minutes = _minutes(session)
    counts: dict[tuple[str, str, int], int] = defaultdict(int)
    records = session.records(("pool_leak", "hazard"))
    for rec in records:
        steps = _stack_steps(rec.get("stack") or (), root)
        if not steps:
            continue
        if rec["kind"] == "pool_leak":
            rule = LEAK_RULE
            held = float(rec.get("held_s") or 0.0)
            fields = dict(
                title="Pool resource held past the leak threshold",
                message=f"{rec.get('pool', 'pool')} resource acquired here held {held:.0f} s "
                "without release",
                root_cause="An acquire with no release on some path: the pool shrinks until "
                "callers wait for the acquire timeout.",
                recommendation="Acquire with `async with pool.connection():` or release in "
                "`finally:` so error paths return the resource.",
                example_before="conn = await pool.acquire()\nawait conn.execute(q)\n"
                "await pool.release(conn)",
                example_after="conn = await pool.acquire()\ntry:\n    await conn.execute(q)\n"
                "finally:\n    await pool.release(conn)",
                tags=("pooling", "memory"),
                evidence=(
                    Evidence("agent", f"held {held:.0f} s at session end", {"held_s": held}),
                ),
            )
            default_area, impact_ms = 5, 1000.0
        else:
            hazard = str(rec.get("hazard", "hazard"))
            rule = HAZARD_RULE.get(hazard, "DYN-HAZARD")
            detail = str(rec.get("detail", ""))
            nested = hazard == "nested_loop"
            fields = dict(
                title="Nested event loop entered from a running task"
                if nested
                else "Qt object or event loop touched from the wrong thread",
                message=f"{detail}" if detail else hazard,
                root_cause="A nested loop (exec/processEvents/run_until_complete) re-enters the "
                "qasync loop while a task runs: the cause of 'Cannot enter into task' errors "
                "and re-entrant handlers."
                if nested
                else "Qt objects belong to the thread that "
                "created them; touching them elsewhere races the GUI thread.",
                recommendation="Replace the nested loop with `await` on a future (e.g. "
                "`dialog.open()` plus a finished signal, or `await asyncio.sleep(0)`)."
                if nested
                else "Marshal to the GUI thread with a queued signal or "
                "`QMetaObject.invokeMethod(..., Qt.QueuedConnection)`.",
                example_before="async def ask(self):\n    dialog.exec()",
                example_after="async def ask(self):\n    fut = loop.create_future()\n"
                "    dialog.finished.connect(fut.set_result)\n    dialog.open()\n"
                "    await fut",
                tags=("async",),
                evidence=(Evidence("agent", f"runtime hazard seen: {detail}", {}),),
            )
            default_area, impact_ms = 9, 100.0
        key = (rule, steps[-1].path, steps[-1].line)
        counts[key] += 1
        if key not in seen:
            seen[key] = _stack_finding(
                rec,
                steps,
                rule,
                _area(profile, steps[-1].path, default_area),
                priority=measured_priority(
                    4, block_ms=impact_ms, per_minute=0.0, basis="agent: runtime event"
                ),
                **fields,
            )
    out = []
    for key, finding in seen.items():
        per_min = counts[key] / minutes
        out.append(
            finding.with_priority(
                measured_priority(
                    finding.priority.difficulty,
                    block_ms=1000.0 if key[0] == LEAK_RULE else 100.0,
                    per_minute=per_min,
                    basis=f"agent: {counts[key]} occurrences ({per_min:.1f}/min)",
                )
            )
        )
    return out


def runtime_findings(
    session: Session, source_root: str | Path, profile: Any = None
) -> list[Finding]:
    """Every dynamic finding the agent's records support, for `source_root`'s files."""
    root = str(source_root)
    return (
        slow_handler_findings(session, root, profile)
        + slow_callback_findings(session, root, profile)
        + stack_findings(session, root, profile)
    )

"""Dynamic findings from the agent's records: slow bus handlers, slow callbacks, pool leak
suspects and runtime hazards, each pinned to the project line the agent saw.

The samples give blocked-loop findings (`inspector.sampling.blocking`); these come from what
only the in-process agent sees. Both are `kind="dynamic"` findings with a measured priority,
so correlation can merge them into a static twin or keep them as findings of their own.
Thresholds are the frame budget: 16 ms is one frame at 60 Hz, 50 ms a hitch users notice.
"""

from __future__ import annotations

import ast
import itertools
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from analyzers.context import FileContext
from analyzers.engine import symbol_table
from analyzers.findings import ChainStep, Evidence, Finding
from inspector.core.session import Session
from inspector.core.stats import percentile
from inspector.sampling.advice import advice, code_kind, repaint_advice
from inspector.sampling.attribution import workload_windows
from inspector.sampling.measured_priority import (
    ONE_OFF,
    impact_from_retained_mb,
    measured_priority,
)
from inspector.sampling.project_frames import relpath

SLOW_HANDLER_P95_MS = 8.0  # half a frame: a bus handler runs inside someone else's publish
SLOW_HANDLER_MAX_MS = 50.0
SLOW_CALLBACK_MS = 50.0
_AGENT_FRAME = re.compile(r"^(?P<file>.+):(?P<line>\d+) in (?P<func>\S+)")
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
        lambda: {
            "durations": [],
            "count": 0,
            "app_count": 0,
            "errors": 0,
            "events": set(),
            "max": 0.0,
        }
    )
    for rec in session.records("handler"):
        rel = relpath(str(rec.get("file") or ""), root)
        if rel is None or not rec.get("line"):
            continue
        acc = by_handler[(str(rec.get("handler", "?")), rel, int(rec["line"]))]
        acc["durations"] += [float(d) for d in rec.get("durations_ms") or ()]
        acc["count"] += int(rec.get("count") or 0)
        if not is_workload(rec):
            acc["app_count"] += int(rec.get("count") or 0)
        acc["errors"] += int(rec.get("errors") or 0)
        acc["events"].add(str(rec.get("event", "?")))
        acc["max"] = max(acc["max"], float(rec.get("max_ms") or 0.0))
    minutes = _minutes(session)
    session_s = minutes * 60.0
    findings = []
    for (handler, rel, line), acc in by_handler.items():
        p95 = percentile(acc["durations"], 95)
        slow_calls = sum(d >= SLOW_HANDLER_MAX_MS for d in acc["durations"])
        if p95 < SLOW_HANDLER_P95_MS and slow_calls < ONE_OFF:
            continue  # fast as a rule: a call or two held up (by a collection, a paint) is noise
        under_workload = acc["app_count"] == 0
        calls = acc["count"] if under_workload else acc["app_count"]
        per_min = calls / minutes
        mean = statistics.fmean(acc["durations"]) if acc["durations"] else 0.0
        share = mean * calls / 1000.0 / session_s
        events = ", ".join(sorted(acc["events"]))
        where = " under the standard workload" if under_workload else " by the app"
        summary = (
            f"{calls} calls{where} ({per_min:.0f}/min) for {events}; p95 {p95:.1f} ms, "
            f"max {acc['max']:.1f} ms per call, {share * 100:.2f}% of loop time, "
            f"{acc['errors']} raised"
        )
        findings.append(
            Finding(
                rule=HANDLER_RULE,
                area=_area(profile, rel, 9),
                path=rel,
                line=line,
                symbol=local_symbol(handler, rel),
                kind="dynamic",
                title="Slow event-bus handler",
                message=f"bus handler {local_symbol(handler, rel)} is slow inside publish()",
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
                anchor=handler,
                priority=measured_priority(
                    3,
                    share=share,
                    block_ms=acc["max"],
                    per_minute=per_min,
                    count=calls,
                    basis=(
                        f"agent: {share * 100:.2f}% of loop time, p95 {p95:.1f} ms, max "
                        f"{acc['max']:.1f} ms, {per_min:.0f}/min{where}"
                    ),
                ),
                evidence=(
                    Evidence(
                        "agent",
                        summary,
                        {
                            "calls": calls,
                            "all_calls": acc["count"],
                            "loop_share": round(share, 5),
                            "under_workload": 1.0 if under_workload else 0.0,
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


def _agent_stack_steps(stack: Iterable[str], root: str) -> list[ChainStep]:
    """Project frames of the agent's "file:line in function" stack, outermost first."""
    steps = []
    for entry in stack:
        match = _AGENT_FRAME.match(str(entry))
        if match:
            rel = relpath(match["file"], root)
            if rel is not None:
                steps.append(ChainStep(rel, int(match["line"]), match["func"]))
    return steps


def slow_callback_findings(session: Session, root: str, profile: Any = None) -> list[Finding]:
    """Callbacks that held the loop, at the project line that ran: the record's own, else the
    deepest project frame of the stack the agent took during the stall, else py-spy's.

    Measured paints are the repaint finding's evidence. The share of loop time and the rate
    come from the app's own stalls; stalls only under our workloads are labelled so.
    """
    from inspector.sampling.blocking import stall_stacks

    stalls = [
        r
        for r in session.records("slow_callback")
        if not is_paint_stall(r) and float(r.get("duration_ms") or 0.0) >= SLOW_CALLBACK_MS
    ]
    without_place = [r for r in stalls if relpath(str(r.get("file") or ""), root) is None]
    sampled = {
        id(r): st
        for r, st in zip(without_place, stall_stacks(session, root, without_place), strict=True)
    }
    groups: dict[tuple[str, int], list[tuple[dict[str, Any], list[ChainStep]]]] = defaultdict(list)
    for rec in stalls:
        rel = relpath(str(rec.get("file") or ""), root)
        steps = _agent_stack_steps(rec.get("stack") or (), root)
        if rel is not None and rec.get("line"):
            place = ChainStep(rel, int(rec["line"]), str(rec.get("callable") or "?"))
        elif steps:
            place = steps[-1]
        else:
            stall = sampled.get(id(rec))
            culprit = stall.culprit if stall is not None else None
            if culprit is None:
                continue  # no project code seen: a metric in the event-loop panel, not a finding
            place = ChainStep(relpath(culprit.file, root) or "", culprit.line, culprit.function)
            steps = [
                ChainStep(r, f.line, f.function)
                for f in stall.frames
                if (r := relpath(f.file, root)) is not None
            ]
        groups[(place.path, place.line)].append((rec, steps or [place]))
    minutes = _minutes(session)
    span = session.time_span()
    session_s = max(span[1] - span[0], 1e-6) if span else 60.0
    findings = []
    for (rel, line), members in groups.items():
        recs = [m[0] for m in members]
        app = [r for r in recs if not is_workload(r)]
        under_workload = not app
        counted = recs if under_workload else app
        durations = [float(r["duration_ms"]) for r in counted]
        worst, count = max(durations), len(counted)
        share = sum(durations) / 1000.0 / session_s
        per_min = count / minutes
        name = str(members[0][1][-1].symbol or recs[0].get("callable") or "?")
        origin = str(recs[0].get("origin") or recs[0].get("source") or "")
        kind = code_kind(name, dispatch="qt" if origin == "qt-event" else "asyncio")
        fix = advice(kind)
        where = " under the standard workload" if under_workload else ""
        summary = (
            f"{count} callbacks{where} over {SLOW_CALLBACK_MS:.0f} ms (max {worst:.0f} ms, "
            f"median {statistics.median(durations):.0f} ms, {share * 100:.2f}% of the "
            "session's loop time) seen by the agent's loop probe"
        )
        if not under_workload and len(recs) > count:
            summary += f"; {len(recs) - count} more under our workloads"
        findings.append(
            Finding(
                rule=CALLBACK_RULE,
                area=_area(profile, rel, 3),
                path=rel,
                line=line,
                symbol=name,
                kind="dynamic",
                title="Event-loop callback blocks the loop",
                message=f"{name} holds the event loop past the frame budget",
                root_cause=(
                    "One callback (a task step or a Qt event dispatch) ran without yielding; "
                    "nothing else on the loop, painting included, runs meanwhile."
                ),
                recommendation=fix.recommendation,
                example_before=fix.example_before,
                example_after=fix.example_after,
                tags=("async", kind) + (("under-workload",) if under_workload else ()),
                chain=tuple(members[0][1]),
                anchor=name,
                priority=measured_priority(
                    fix.difficulty,
                    share=share,
                    block_ms=worst,
                    per_minute=per_min,
                    count=count,
                    basis=(
                        f"agent: {share * 100:.2f}% of loop time, max {worst:.0f} ms, "
                        f"{count} stalls ({per_min:.1f}/min)"
                        + (" under the standard workload" if under_workload else " by the app")
                    ),
                ),
                evidence=(
                    Evidence(
                        "agent",
                        summary,
                        {
                            "count": count,
                            "max_ms": worst,
                            "median_ms": statistics.median(durations),
                            "loop_share": round(share, 5),
                            "per_minute": round(per_min, 2),
                            "under_workload": 1.0 if under_workload else 0.0,
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
        repaint_findings(session, root, profile)
        + retained_memory_findings(session, root, profile)
        + memory_growth_findings(session, root, profile)
        + handler_error_findings(session, root, profile)
        + slow_handler_findings(session, root, profile)
        + slow_callback_findings(session, root, profile)
        + stack_findings(session, root, profile)
    )


def is_paint_stall(rec: Mapping[str, Any]) -> bool:
    name = str(rec.get("callable") or "")
    return name.startswith("native Qt paint") or name.endswith(".paintEvent")


# -- provenance ------------------------------------------------------------------------------
def provenance(rec: Mapping[str, Any]) -> str:
    """ "app", or the workload label(s) the agent stamped on a record produced while one ran.

    The agent's `source` is "app" or "workload:<name>#<run>[,...]"; older records used
    `source` for the callback's origin ("asyncio", "qt-event"): those are the app's.
    """
    src = rec.get("source")
    return src if isinstance(src, str) and src.startswith("workload:") else "app"


def is_workload(rec: Mapping[str, Any]) -> bool:
    return provenance(rec) != "app"


# -- source lines that configure a widget ----------------------------------------------------
_CONFIG_CALL = re.compile(
    r"\.(setViewport|setViewportUpdateMode|setCacheMode|setSamples|setOptimizationFlags?|"
    r"setRenderHints?|setItemIndexMethod)\s*\(|\b(QOpenGLWidget|QSurfaceFormat)\s*\("
)
_SKIP_DIRS = frozenset({".venv", "venv", "site-packages", "node_modules", ".git", "__pycache__"})
_MAX_SOURCE_BYTES = 2_000_000


def _source_files(root: Path) -> list[Path]:
    out = []
    for path in sorted(root.rglob("*.py")):
        if _SKIP_DIRS.intersection(path.relative_to(root).parts):
            continue
        try:
            if path.stat().st_size <= _MAX_SOURCE_BYTES:
                out.append(path)
        except OSError:
            continue
    return out


def configuring_lines(root: str | Path, widget: str) -> list[ChainStep]:
    """The lines of the target's source that configure a view and its viewport.

    A text search for setViewport / setViewportUpdateMode / setCacheMode / setSamples /
    QOpenGLWidget() / QSurfaceFormat() (and optimization flags, render hints, the item index
    method); files that name the widget's owner class (`NodeViewer` of
    "NodeViewer.viewport") come first, then the file with the most such lines. Only that
    file's lines are returned: the configuration of one view.
    """
    base = Path(root)
    owner = widget.split(".", 1)[0]
    per_file: dict[str, list[ChainStep]] = {}
    names_owner: set[str] = set()
    for path in _source_files(base):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if not _CONFIG_CALL.search(text):
            continue
        rel = path.relative_to(base).as_posix()
        steps = []
        for number, line in enumerate(text.splitlines(), 1):
            match = _CONFIG_CALL.search(line)
            if match and not line.lstrip().startswith("#"):
                steps.append(ChainStep(rel, number, "", match.group(1) or match.group(2)))
        if steps:
            per_file[rel] = steps
            if owner and re.search(rf"\b{re.escape(owner)}\b", text):
                names_owner.add(rel)
    if not per_file:
        return []
    best = max(per_file, key=lambda rel: (rel in names_owner, len(per_file[rel]), rel))
    return per_file[best]


_PRIMARY = ("setViewport", "QOpenGLWidget", "setViewportUpdateMode", "setSamples", "setCacheMode")


def _primary(lines: Sequence[ChainStep]) -> ChainStep | None:
    """The line a viewport finding points at: where the viewport is set, else its modes."""
    for call in _PRIMARY:
        for step in lines:
            if step.note == call:
                return step
    return lines[0] if lines else None


def local_symbol(qualname: str, path: str) -> str:
    """`pkg.mod.Class.method` as the finding symbols of static rules name it (`Class.method`):
    the part after the module that `path` is."""
    module = path.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
    head, sep, tail = qualname.partition(module + ".")
    if sep and (not head or head.endswith(".")):
        return tail
    return qualname


def _enclosing(root: str | Path, steps: Sequence[ChainStep]) -> list[ChainStep]:
    """The steps with the function or class each line is in (the call stays the note)."""
    tables: dict[str, list[tuple[int, int, str]]] = {}
    out = []
    for step in steps:
        if step.path not in tables:
            try:
                text = (Path(root) / step.path).read_text(encoding="utf-8", errors="replace")
                tables[step.path] = symbol_table(ast.parse(text))
            except (OSError, SyntaxError, ValueError):
                tables[step.path] = []
        context = FileContext(relpath=step.path, symbols=tables[step.path])
        out.append(replace(step, symbol=context.symbol_at(step.line)))
    return out


def class_definition(root: str | Path, name: str) -> ChainStep | None:
    """Where `class <name>` is defined in the target's source, if it is."""
    pattern = re.compile(rf"^\s*class\s+{re.escape(name)}\b")
    base = Path(root)
    for path in _source_files(base):
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for number, line in enumerate(lines, 1):
            if pattern.match(line):
                return ChainStep(path.relative_to(base).as_posix(), number, name)
    return None


# -- repaint over budget ---------------------------------------------------------------------
FRAME_BUDGET_MS = 1000.0 / 60.0
REPAINT_RULE = "DYN-REPAINT-BUDGET"
_SOFTWARE_GL = re.compile(r"llvmpipe|softpipe|swrast|software|swiftshader|warp", re.IGNORECASE)
_CONFIG_KEYS = (
    "viewport_class",
    "opengl",
    "samples",
    "update_mode",
    "cache_mode",
    "item_count",
    "gl_renderer",
    "gl_vendor",
    "gl_version",
)


def _widget_config(recs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """What the agent read from the live widget (the newest value of each key wins)."""
    config: dict[str, Any] = {}
    for rec in recs:
        for nested in ("config", "viewport"):
            value = rec.get(nested)
            if isinstance(value, Mapping):
                config.update({k: v for k, v in value.items() if v not in (None, "")})
        for key in _CONFIG_KEYS:
            if rec.get(key) not in (None, ""):
                config[key] = rec[key]
    return config


def software_renderer(config: Mapping[str, Any]) -> str:
    """The GL renderer's name when it is a software one (paint times are pessimistic)."""
    renderer = str(config.get("gl_renderer") or "")
    if config.get("software_gl") is True or _SOFTWARE_GL.search(renderer):
        return renderer or "a software renderer"
    return ""


def _agent_located(recs: Sequence[Mapping[str, Any]], root: str) -> list[ChainStep]:
    """The configuring lines the agent found in the live view's classes, when they are the
    project's: the app's own widget class first (`owner_source`), then the view class."""
    for key in ("owner_source", "view_source"):
        for rec in reversed(recs):
            where = rec.get(key)
            if not isinstance(where, Mapping):
                continue
            rel = relpath(str(where.get("file") or ""), root)
            if rel is None:
                continue
            steps = [
                ChainStep(rel, int(c["line"]), "", str(c.get("call") or ""))
                for c in where.get("configures") or ()
                if isinstance(c, Mapping) and c.get("line")
            ]
            if steps:
                return sorted(steps, key=lambda st: st.line)
    return []


def repaint_findings(session: Session, root: str, profile: Any = None) -> list[Finding]:
    """One finding per timed widget whose paints exceed the frame budget, at the lines that
    configure it, with the live configuration and the GL renderer in its evidence."""
    by_widget: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rec in session.records("repaint"):
        # every record of a timed viewport counts its paints and updates; some carry no
        # duration (a paint whose end the clock did not see)
        if rec.get("paint_ms") or rec.get("timed"):
            by_widget[str(rec.get("widget_class") or "?")].append(rec)
    span = session.time_span()
    session_s = max(span[1] - span[0], 1e-6) if span else 1.0
    stalls = session.records("slow_callback")
    findings = []
    for widget, recs in by_widget.items():
        durations = [float(ms) for r in recs for ms in r.get("paint_ms") or ()]
        if not durations:
            continue
        p50, p95 = percentile(durations, 50), percentile(durations, 95)
        if p95 <= FRAME_BUDGET_MS:
            continue
        paints = sum(int(r.get("paints") or 0) for r in recs) or len(durations)
        # paints without a duration are taken at the median: the share is not inflated by
        # the slow ones nor lost with the untimed ones
        total_ms = sum(durations) + p50 * max(paints - len(durations), 0)
        app_paints = sum(int(r.get("paints") or 0) for r in recs if not is_workload(r))
        work_paints = paints - app_paints
        full = sum(int(r.get("full_updates") or 0) for r in recs)
        partial = sum(int(r.get("partial_updates") or 0) for r in recs)
        config = _widget_config(recs)
        software = software_renderer(config)
        lines = _enclosing(root, _agent_located(recs, root) or configuring_lines(root, widget))
        place = _primary(lines) or class_definition(root, widget.split(".", 1)[0])
        if place is None:
            continue  # nothing of the target's own source configures it: no line to point at
        share = total_ms / 1000.0 / session_s
        painted_s = max(float(recs[-1]["t"]) - float(recs[0]["t"]), 1.0)
        under_workload = app_paints == 0
        per_min = (work_paints if under_workload else app_paints) / painted_s * 60.0
        widget_stalls = [
            float(s.get("duration_ms") or 0.0)
            for s in stalls
            if str(s.get("callable") or "") == f"native Qt paint of {widget}"
            or str(s.get("callable") or "").startswith(f"{widget}.paint")
        ]
        clock = str(recs[-1].get("paint_clock") or "")
        lost = sum(int(r.get("lost_paints") or 0) for r in recs)
        renderer = str(config.get("gl_renderer") or "")
        if under_workload:
            where = f" under the standard workload at {per_min / 60.0:.1f}/s"
        else:
            where = (
                f" ({app_paints} by the app at {per_min / 60.0:.1f}/s, {work_paints} under the "
                "standard workload)"
            )
        summary = (
            f"{paints} paints{where}: p50 {p50:.1f} ms, p95 "
            f"{p95:.1f} ms ({p95 / FRAME_BUDGET_MS:.1f}x the {FRAME_BUDGET_MS:.1f} ms frame "
            f"budget), {full} full and {partial} partial updates, {share * 100:.1f}% of the "
            "session's main-thread time"
        )
        if widget_stalls:
            summary += f"; {len(widget_stalls)} paints held the loop over 50 ms"
        if clock:
            summary += f"; paint clock {clock}" + (f", {lost} paints not timed" if lost else "")
        if config:
            summary += "; live widget: " + ", ".join(f"{k}={v}" for k, v in sorted(config.items()))
        if software:
            summary += (
                f". Renderer {software} is a software one: paint times are pessimistic next to "
                "a GPU's" + (", the full-viewport updates are not" if full and not partial else "")
            )
        elif not renderer:
            summary += ". GL renderer not reported"
        metrics: dict[str, float] = {
            "paints": float(paints),
            "app_paints": float(app_paints),
            "workload_paints": float(work_paints),
            "p50_ms": round(p50, 2),
            "p95_ms": round(p95, 2),
            "max_ms": round(max(durations), 2),
            "budget_ms": round(FRAME_BUDGET_MS, 2),
            "over_budget": round(p95 / FRAME_BUDGET_MS, 2),
            "paints_per_s": round(per_min / 60.0, 2),
            "full_updates": float(full),
            "partial_updates": float(partial),
            "main_thread_share": round(share, 4),
            "loop_stalls": float(len(widget_stalls)),
            "software_renderer": 1.0 if software else 0.0,
            "under_workload": 1.0 if under_workload else 0.0,
        }
        for key in ("samples", "item_count"):
            try:
                metrics[key] = float(config[key])
            except (KeyError, TypeError, ValueError):
                pass
        fix = repaint_advice(config, full, partial)
        findings.append(
            Finding(
                rule=REPAINT_RULE,
                area=_area(profile, place.path, 4),
                path=place.path,
                line=place.line,
                symbol=place.symbol,
                kind="dynamic",
                title="Viewport repaint over the frame budget",
                message=f"{widget} paints slower than one frame",
                root_cause=(
                    "Each frame repaints the whole viewport on the GUI thread; how the view is "
                    "configured (viewport widget, multisampling, update and cache modes) sets "
                    "what every paint costs"
                    + (
                        ". A QOpenGLWidget viewport makes Qt use full-viewport updates "
                        "whatever update mode the source asks for"
                        if "QOpenGLWidget" in {s.note for s in lines}
                        else ""
                    )
                ),
                recommendation=fix.recommendation,
                example_before=fix.example_before,
                example_after=fix.example_after,
                tags=("repaint", "measured", "under-workload" if under_workload else "app"),
                related=tuple(s for s in lines if s != place),
                anchor=widget,
                priority=measured_priority(
                    fix.difficulty,
                    share=share,
                    block_ms=p95,
                    per_minute=per_min,
                    count=paints,
                    basis=(
                        f"impact from {share * 100:.1f}% of main-thread time painting and p95 "
                        f"{p95:.0f} ms, frequency from {per_min:.0f} paints/min"
                        + (" under the standard workload" if under_workload else " by the app")
                    ),
                ),
                evidence=(Evidence("agent", summary, metrics),),
            )
        )
    return findings


# -- memory ----------------------------------------------------------------------------------
RETAINED_RULE = "DYN-MEMORY-RETAINED"
GROWTH_RULE = "DYN-MEMORY-GROWTH"
RETAINED_MIN_MIB = 8.0  # below this, RSS noise (allocator arenas, caches) is not a finding
GROWTH_MIN_MIB = 32.0
TRACED_MIN_KIB = 256.0  # a traced site kept at least this much, one block per created item


def _results(rec: Mapping[str, Any]) -> Mapping[str, Any]:
    results = rec.get("results")
    return results if isinstance(results, Mapping) else {}


def _first_number(value: Any) -> float | None:
    """A figure from a plain number or the agent's {"median"/"min"/...} spread."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, Mapping):
        for key in ("median", "mean", "p50", "min"):
            if isinstance(value.get(key), int | float):
                return float(value[key])
    return None


def _bytes_per_item(recs: Sequence[Mapping[str, Any]], path: str, line: int, root: str) -> float:
    for rec in recs:
        for site in rec.get("top") or ():
            if relpath(str(site.get("file") or ""), root) == path and site.get("line") == line:
                return float(site.get("bytes_per_item") or 0.0)
    return 0.0


def _project_sites(
    recs: Sequence[Mapping[str, Any]], root: str
) -> list[tuple[str, int, float, int]]:
    """(path, line, KiB, blocks) of tracemalloc sites in the project, largest growth first."""
    sites: dict[tuple[str, int], list[float]] = {}
    for rec in recs:
        for site in rec.get("top") or rec.get("sites") or ():
            rel, line = relpath(str(site.get("file") or ""), root), site.get("line")
            if rel is None:
                # a library allocation: the deepest project frame of its traceback made it
                for frame in reversed(site.get("frames") or ()):
                    rel, line = relpath(str(frame.get("file") or ""), root), frame.get("line")
                    if rel is not None:
                        break
            if rel is None or not line:
                continue
            size = float(site.get("size_diff") or site.get("size") or 0.0)
            if size <= 0:
                continue
            acc = sites.setdefault((rel, int(line)), [0.0, 0.0])
            acc[0] += size / 1024.0
            acc[1] += float(site.get("count_diff") or 0)
    ranked = sorted(sites.items(), key=lambda kv: -kv[1][0])
    return [(p, ln, round(v[0], 1), int(v[1])) for (p, ln), v in ranked]


def retained_memory_findings(session: Session, root: str, profile: Any = None) -> list[Finding]:
    """Memory a workload left behind although it undid its work (every item deleted).

    The figures come from the workload's own report (RSS before the first repetition and
    after the last deletion, KiB per created item) and, when tracemalloc ran, from the sites
    whose allocations grew: the finding sits at the largest such site in the project, else at
    the class of the items the workload created.
    """
    findings = []
    tracemalloc_recs = session.records("tracemalloc")
    for rec in session.records("workload"):
        results = _results(rec)
        retained = _first_number(results.get("rss_retained_mib"))
        if rec.get("status") != "ok" or retained is None:
            continue
        items = results.get("scene_items")
        if isinstance(items, Mapping) and int(items.get("after") or 0) > int(
            items.get("before") or 0
        ):
            continue  # the workload did not clean up: what stayed is its own items
        name = str(rec.get("name") or "workload")
        created = int(_first_number(results.get("nodes")) or 0) * int(
            _first_number(results.get("repetitions")) or 1
        )
        per_item = _first_number(results.get("retained_kib_per_node", results.get("kib_per_node")))
        first = _first_number(results.get("kib_per_node_first"))
        phased = [
            r
            for r in tracemalloc_recs
            if r.get("phase") == "after_delete"
            and (r.get("run_id") == rec.get("run_id") or r.get("workload") == name)
        ]
        latest = [r for r in tracemalloc_recs if float(r["t"]) <= float(rec["t"]) + 5.0][-1:]
        sites = _project_sites(phased[-1:] or latest, root)
        for site in results.get("retained_sites") or ():
            rel = relpath(str(site.get("file") or ""), root)
            if rel is not None and site.get("line"):
                kib = float(site.get("kib") or (site.get("size_diff") or 0) / 1024.0)
                sites.insert(
                    0, (rel, int(site["line"]), round(kib, 1), int(site.get("count") or 0))
                )
        # RSS is noisy (allocator arenas, caches); a traced site that kept what every created
        # item allocated is exact, however small
        name_items = int(_first_number(results.get("nodes")) or 0)
        traced = [st for st in sites if st[3] >= name_items > 0 and st[2] >= TRACED_MIN_KIB]
        if retained < RETAINED_MIN_MIB and not traced:
            continue
        if traced:
            sites = traced + [st for st in sites if st not in traced]
        place: ChainStep | None = None
        if sites:
            place = ChainStep(sites[0][0], sites[0][1], "")
        else:
            for identifier in results.get("node_types") or ():
                place = class_definition(root, str(identifier).rsplit(".", 1)[-1])
                if place is not None:
                    break
        if place is None:
            continue
        summary = (
            f"RSS {retained:.0f} MiB higher after the {name} workload deleted all it created "
            f"({created} items)"
            + (f": {per_item:.0f} KiB per item" if per_item is not None else "")
            + (f", {first:.0f} KiB in the first repetition" if first is not None else "")
            + (
                "; tracemalloc: "
                + ", ".join(f"{p}:{ln} +{kib:.0f} KiB" for p, ln, kib, _n in sites[:5])
                if sites
                else "; tracemalloc was off (record with --tracemalloc for the sites)"
            )
        )
        metrics = {
            "retained_mib": retained,
            "items": float(created),
            "tracemalloc_sites": float(len(sites)),
        }
        if per_item is not None:
            metrics["kib_per_item"] = per_item
        if first is not None:
            metrics["kib_per_item_first"] = first
        if sites:
            metrics["top_site_kib"] = sites[0][2]
            per = _bytes_per_item(phased[-1:] or latest, sites[0][0], sites[0][1], root)
            if per:
                metrics["top_site_bytes_per_item"] = per
        findings.append(
            Finding(
                rule=RETAINED_RULE,
                area=_area(profile, place.path, 4),
                path=place.path,
                line=place.line,
                symbol=place.symbol,
                kind="dynamic",
                title="Memory retained after the items were deleted",
                message=f"Memory stays allocated after the {name} workload deletes its items",
                root_cause=(
                    "Something still references what deleting an item should free (a cache, "
                    "an undo stack, a signal connection, a registry keyed by id), or the "
                    "allocator keeps the pages: RSS does not come back"
                ),
                recommendation=(
                    "Find the references that outlive a deleted item (tracemalloc sites in the "
                    "evidence, gc.get_referrers on one deleted item) and drop them on delete: "
                    "disconnect its signals, evict it from caches and registries, bound the "
                    "undo history."
                ),
                example_before="self._items_by_id[node.id] = node  # never removed",
                example_after=(
                    "def on_node_deleted(self, node):\n    self._items_by_id.pop(node.id, None)"
                ),
                tags=("memory", "measured", "under-workload"),
                related=tuple(ChainStep(p, ln, "") for p, ln, _k, _n in sites[1:5]),
                anchor=name,
                priority=measured_priority(
                    4,
                    impact=impact_from_retained_mb(
                        max(retained, sites[0][2] / 1024.0 if sites else 0.0)
                    ),
                    frequency=7,  # on every repetition of the action, not once
                    basis=(
                        f"impact from {retained:.0f} MiB retained, frequency: every creation "
                        "under the standard workload retains"
                    ),
                ),
                evidence=(Evidence("workload", summary, metrics),),
            )
        )
    return findings


def memory_growth_findings(session: Session, root: str, profile: Any = None) -> list[Finding]:
    """Steady RSS growth over the app's own time (intervals no workload ran in), pinned to
    the named container that grew the most."""
    recs = [r for r in session.records("memory") if r.get("rss_bytes")]
    windows = workload_windows(session)
    # only steps between two records of the app's own time count: what a workload allocated
    # (and kept) is the retained-memory finding's, not growth
    steps = [
        (float(b["rss_bytes"]) - float(a["rss_bytes"]), float(b["t"]) - float(a["t"]))
        for a, b in itertools.pairwise(recs)
        if not (is_workload(a) or is_workload(b))
        and not any(lo <= float(b["t"]) and float(a["t"]) <= hi for lo, hi in windows)
    ]
    if len(steps) < 2:
        return []
    first, last = recs[0], recs[-1]
    growth_mib = sum(d for d, _ in steps) / 2**20
    minutes = max(sum(dt for _, dt in steps) / 60.0, 1e-6)
    if growth_mib < GROWTH_MIN_MIB:
        return []
    rising = sum(d >= 0 for d, _ in steps)
    if rising < 0.6 * len(steps):
        return []  # up and down: not a steady growth
    start = first.get("containers") or {}
    grown = sorted(
        (
            (int(n or 0) - int(start.get(k, 0) or 0), k)
            for k, n in (last.get("containers") or {}).items()
        ),
        reverse=True,
    )
    place = None
    for delta, key in grown:
        if delta <= 0:
            break
        cls = key.split(":", 1)[-1].split(".", 1)[0]
        place = class_definition(root, cls)
        if place is not None:
            break
    if place is None:
        return []
    summary = (
        f"RSS grew {growth_mib:.0f} MiB over {minutes:.1f} min of the app's own time "
        f"({growth_mib / minutes:.1f} MiB/min); container {grown[0][1]} grew by {grown[0][0]}"
    )
    return [
        Finding(
            rule=GROWTH_RULE,
            area=_area(profile, place.path, 10),
            path=place.path,
            line=place.line,
            symbol=place.symbol,
            kind="dynamic",
            title="Memory grows steadily over the session",
            message=f"{grown[0][1]} grows while the app runs",
            root_cause="A container keeps every entry it is given and nothing evicts them.",
            recommendation=(
                "Bound the container (collections.deque(maxlen=...), an LRU) or evict entries "
                "when what they describe ends."
            ),
            tags=("memory", "measured"),
            anchor=grown[0][1],
            priority=measured_priority(
                3,
                impact=impact_from_retained_mb(growth_mib),
                frequency=6,
                basis=f"impact from {growth_mib:.0f} MiB growth, steady over the session",
            ),
            evidence=(
                Evidence(
                    "agent",
                    summary,
                    {"growth_mib": round(growth_mib, 1), "mib_per_min": growth_mib / minutes},
                ),
            ),
        )
    ]


# -- exceptions in handlers ------------------------------------------------------------------
RAISES_RULE = "DYN-HANDLER-RAISES"


def handler_error_findings(session: Session, root: str, profile: Any = None) -> list[Finding]:
    """Bus handlers and slots that raised: count, type, the handler's line, first traceback."""
    by_handler: dict[tuple[str, str, int], dict[str, Any]] = defaultdict(
        lambda: {
            "calls": 0,
            "errors": 0,
            "app_calls": 0,
            "app_errors": 0,
            "events": set(),
            "types": defaultdict(int),
            "traceback": "",
            "first_type": "",
        }
    )
    for rec in session.records("handler"):
        errors = int(rec.get("errors") or 0)
        rel = relpath(str(rec.get("file") or ""), root)
        if rel is None or not rec.get("line"):
            continue
        acc = by_handler[(str(rec.get("handler", "?")), rel, int(rec["line"]))]
        calls = int(rec.get("count") or 0)
        acc["calls"] += calls
        acc["errors"] += errors
        if not is_workload(rec):
            acc["app_calls"] += calls
            acc["app_errors"] += errors
        acc["events"].add(str(rec.get("event", "?")))
        for key in ("error_types", "exceptions"):
            if isinstance(rec.get(key), Mapping):
                for name, n in rec[key].items():
                    acc["types"][str(name)] += int(n or 0)
        if errors and rec.get("error_type") and not rec.get("error_types"):
            acc["types"][str(rec["error_type"])] += errors
        first = rec.get("first_error")
        tb = rec.get("traceback") or ""
        if isinstance(first, Mapping):
            tb = first.get("traceback") or tb
            if first.get("type") and not acc["first_type"]:
                acc["first_type"] = str(first["type"])
        if tb and not acc["traceback"]:
            acc["traceback"] = "".join(tb) if isinstance(tb, list) else str(tb)
    minutes = _minutes(session)
    findings = []
    for (handler, rel, line), acc in by_handler.items():
        if not acc["errors"]:
            continue
        ratio = acc["errors"] / max(acc["calls"], 1)
        under_workload = acc["app_calls"] == 0
        errors_for_rate = acc["errors"] if under_workload else acc["app_errors"]
        per_min = errors_for_rate / minutes
        types = ", ".join(f"{k} x{v}" for k, v in sorted(acc["types"].items()))
        types = types or acc["first_type"] or "type not reported"
        where = " under the standard workload" if under_workload else ""
        summary = (
            f"raised {acc['errors']} times in {acc['calls']} calls{where} "
            f"({ratio * 100:.0f}%; {types}) for {', '.join(sorted(acc['events']))}"
        )
        if not under_workload:
            summary += f"; the app's own calls: {acc['app_errors']} of {acc['app_calls']} raised"
        chain = ()
        if acc["traceback"]:
            summary += "; first traceback: " + acc["traceback"].strip().splitlines()[-1]
            chain = tuple(_stack_steps(acc["traceback"].splitlines(), root))
        impact = 8 if ratio >= 0.99 else 7 if ratio >= 0.5 else 6 if ratio >= 0.1 else 5
        findings.append(
            Finding(
                rule=RAISES_RULE,
                area=_area(profile, rel, 9),
                path=rel,
                line=line,
                symbol=local_symbol(handler, rel),
                kind="dynamic",
                title="Event handler raises",
                message=f"{local_symbol(handler, rel)} raises when it handles its events",
                root_cause=(
                    "The handler fails; the bus (or Qt) catches and logs the exception, so the "
                    "work it should do never happens and each failure costs a traceback"
                ),
                recommendation=(
                    "Fix the exception at the handler's line (the traceback is in the "
                    "evidence); until then unsubscribe it from the events it cannot handle."
                ),
                tags=("event-bus", "errors", "measured"),
                chain=chain,
                anchor=handler,
                priority=measured_priority(
                    2,
                    impact=impact,
                    per_minute=per_min,
                    basis=(
                        f"impact from {ratio * 100:.0f}% of calls raising, frequency from "
                        f"{per_min:.1f} raises/min"
                        + (" under the standard workload" if under_workload else " by the app")
                    ),
                ),
                evidence=(
                    Evidence(
                        "agent",
                        summary,
                        {
                            "calls": float(acc["calls"]),
                            "errors": float(acc["errors"]),
                            "app_calls": float(acc["app_calls"]),
                            "app_errors": float(acc["app_errors"]),
                            "error_ratio": round(ratio, 4),
                            "per_minute": round(per_min, 2),
                            "under_workload": 1.0 if under_workload else 0.0,
                        },
                    ),
                ),
            )
        )
    return findings

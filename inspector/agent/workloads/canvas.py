"""Canvas workload: create N nodes of real types, connect, select all, drag, pan, zoom,
collapse/expand where supported, delete; paints/s, paint (frame) time, time and memory per node.

Runs on the Qt GUI thread as small steps with the event loop turning in between (16 ms, one
frame, between interaction steps), so the app keeps painting and the paints we count are the
app's own. Repeated `repetitions` times on a clean canvas; each figure is reported as the
median and range over the repetitions.
"""

from __future__ import annotations

import gc
import math
import time
import tracemalloc
from typing import Any

from inspector.agent.probes.memory import AllocationPhases, rss_bytes
from inspector.agent.workloads.canvas_adapters import make_adapter
from inspector.agent.workloads.paint_meter import PaintMeter
from inspector.agent.workloads.run import QtSteps, WorkloadRun, drive_on_qt_thread
from inspector.agent.workloads.summary import distribution, percentile, spread

DESCRIPTION = (
    "create N nodes of real types, connect, select all, drag, pan and zoom along a fixed "
    "path, collapse/expand, delete; paints/s, frame time, time and memory per node"
)
PARAMS: dict[str, tuple[Any, str]] = {
    "nodes": (200, "nodes created per repetition"),
    "repetitions": (3, "times the whole sequence is repeated"),
    "steps": (30, "frames in each of the drag, pan and zoom paths"),
    "batch": (10, "nodes created or deleted per event-loop turn"),
    "tracemalloc": (
        False,
        "trace allocations before create, after create and after delete (slows the target; "
        "on by itself when the inspector already traces)",
    ),
}
FRAME_MS = 16.0
COLUMNS = 20
SPACING_X, SPACING_Y = 220.0, 120.0


def start(run: WorkloadRun) -> None:
    drive_on_qt_thread(run, lambda: _steps(run))


def _steps(run: WorkloadRun) -> QtSteps:
    p = run.params
    if p["nodes"] < 1 or p["repetitions"] < 1 or p["steps"] < 1 or p["batch"] < 1:
        raise ValueError("nodes, repetitions, steps and batch must be at least 1")
    adapter = make_adapter(run.definition)
    identifiers = adapter.identifiers()
    meter = PaintMeter(adapter.viewport())
    phases = AllocationPhases() if p["tracemalloc"] or tracemalloc.is_tracing() else None
    created: list[Any] = []
    reps: list[dict[str, Any]] = []
    notes: list[str] = []
    # progress units: each node created, each drag/pan/zoom frame, each node deleted
    per_rep = 2 * p["nodes"] + 3 * p["steps"]
    total = p["repetitions"] * per_rep
    try:
        for rep_index in range(p["repetitions"]):
            base = rep_index * per_rep
            label = f"repetition {rep_index + 1}/{p['repetitions']}"
            rep: dict[str, Any] = {"scene_items_before": _scene_items(adapter)}
            gc.collect()
            rss_before = rss_bytes()
            if phases is not None:
                phases.mark("before_create")
            create_ms: list[float] = []
            begun = time.perf_counter()
            for i in range(p["nodes"]):
                x, y = (i % COLUMNS) * SPACING_X, (i // COLUMNS) * SPACING_Y
                t0 = time.perf_counter()
                created.append(adapter.create(identifiers[i % len(identifiers)], x, y))
                create_ms.append((time.perf_counter() - t0) * 1000.0)
                if (i + 1) % p["batch"] == 0:
                    run.progress(base + i + 1, total, f"{label}: creating nodes")
                    yield 0
            rep["create_wall_s"] = time.perf_counter() - begun  # includes the app's paints
            connected = 0
            for i in range(len(created) - 1):
                connected += bool(adapter.connect(created[i], created[i + 1]))
                if (i + 1) % p["batch"] == 0:
                    yield 0
            yield FRAME_MS
            gc.collect()
            rss_after = rss_bytes()
            if phases is not None:
                phases.mark("after_create")
                _emit_phase(run, phases, "after_create", len(created))
            rep["create_ms"] = create_ms
            rep["connections"] = connected
            rep["rss_before"] = rss_before
            if rss_before is not None and rss_after is not None:
                rep["bytes_per_node"] = (rss_after - rss_before) / len(created)

            meter.reset()
            interaction_start = time.perf_counter()
            adapter.select_all()
            yield FRAME_MS
            base += p["nodes"]
            run.progress(base, total, f"{label}: dragging")
            for i in range(p["steps"]):  # drag the selection out and back
                d = 6.0 if i < p["steps"] // 2 else -6.0
                adapter.move(created, d, d / 2)
                run.progress(base + i + 1, total, f"{label}: dragging")
                yield FRAME_MS
            adapter.clear_selection()
            for i in range(p["steps"]):  # pan along a circle
                angle = 2 * math.pi * i / p["steps"]
                adapter.pan(25 * math.cos(angle), 25 * math.sin(angle))
                run.progress(base + p["steps"] + i + 1, total, f"{label}: panning")
                yield FRAME_MS
            for i in range(p["steps"]):  # zoom in, then back out
                adapter.zoom(1.06 if i < p["steps"] // 2 else 1 / 1.06)
                run.progress(base + 2 * p["steps"] + i + 1, total, f"{label}: zooming")
                yield FRAME_MS
            if adapter.can_collapse:
                for state in (True, False):
                    adapter.set_collapsed(created, state)
                    yield FRAME_MS
            interaction_s = time.perf_counter() - interaction_start
            rep["paints"] = meter.paints
            rep["paints_per_s"] = meter.paints / interaction_s if interaction_s else 0.0
            rep["frame_ms"] = list(meter.durations_ms)
            rep["full_paints"] = meter.full_paints
            rep["paint_clock"] = meter.clock_kind
            rep["nodes_created"] = len(created)

            delete_s = 0.0
            base += 3 * p["steps"]
            while created:
                chunk, created = created[-p["batch"] :], created[: -p["batch"]]
                t0 = time.perf_counter()
                adapter.delete(chunk)
                delete_s += time.perf_counter() - t0
                left = len(created)
                run.progress(base + p["nodes"] - left, total, f"{label}: deleting nodes")
                yield 0
            rep["delete_total_s"] = delete_s
            yield FRAME_MS
            rep["scene_items_after"] = _scene_items(adapter)
            gc.collect()
            rep["rss_after_delete"] = rss_bytes()
            if phases is not None:
                phases.mark("after_delete")
                _emit_phase(run, phases, "after_delete", rep["nodes_created"])
            reps.append(rep)
        if not adapter.can_collapse:
            notes.append("collapse/expand: this canvas has no per-node collapse; skipped")
        if reps and all(r["paints"] == 0 for r in reps):
            notes.append(
                "the viewport never painted (hidden window, or a viewport that does not "
                "paint on this platform, e.g. QOpenGLWidget offscreen)"
            )
        run.finish("ok", "; ".join(notes), _summarize(run, reps, identifiers))
    finally:  # also on failure or time-out: leave the canvas as we found it
        meter.remove()
        if phases is not None:
            phases.close()
        if created:
            try:
                adapter.delete(created)
            except Exception:
                pass


def _emit_phase(run: WorkloadRun, phases: AllocationPhases, phase: str, items: int) -> None:
    record = phases.diff(phase, "before_create", items, run.name)
    if record is not None:
        record["run_id"] = run.run_id
        run.emit_record(record)


def _scene_items(adapter: Any) -> int:
    try:
        return len(adapter.view().scene().items())
    except Exception:
        return -1


def _summarize(run: WorkloadRun, reps: list[dict[str, Any]], identifiers: list[str]) -> dict:
    nodes = run.params["nodes"]
    all_frames = [ms for r in reps for ms in r["frame_ms"]]
    results: dict[str, Any] = {
        "node_types": identifiers,
        "nodes": nodes,
        "repetitions": len(reps),
        "connections": reps[0]["connections"] if reps else 0,
        "paints_per_s": spread([r["paints_per_s"] for r in reps], 1),
        "paints": spread([r["paints"] for r in reps], 0),
        "full_paints": spread([r.get("full_paints", 0) for r in reps], 0),
        "paint_clock": reps[0].get("paint_clock") if reps else None,
        "frame_ms_p50": spread([percentile(r["frame_ms"], 0.5) for r in reps if r["frame_ms"]]),
        "frame_ms_p95": spread([percentile(r["frame_ms"], 0.95) for r in reps if r["frame_ms"]]),
        "frame_ms": distribution(all_frames),
        "create_ms_per_node": spread([sum(r["create_ms"]) / nodes for r in reps]),
        "create_wall_s": spread([r["create_wall_s"] for r in reps]),
        "create_ms_p95": spread([percentile(r["create_ms"], 0.95) for r in reps]),
        "delete_ms_per_node": spread([1000 * r["delete_total_s"] / nodes for r in reps]),
    }
    # What deleting left behind: items still in the scene and RSS not given back.
    results["scene_items"] = {
        "before": reps[0]["scene_items_before"] if reps else 0,
        "after": reps[-1]["scene_items_after"] if reps else 0,
    }
    rss_start = reps[0].get("rss_before") if reps else None
    rss_end = reps[-1].get("rss_after_delete") if reps else None
    if rss_start is not None and rss_end is not None:
        results["rss_retained_mib"] = round((rss_end - rss_start) / 2**20, 1)
    retained = [
        (r["rss_after_delete"] - r["rss_before"]) / r["nodes_created"]
        for r in reps
        if r.get("rss_before") is not None
        and r.get("rss_after_delete") is not None
        and r.get("nodes_created")
    ]
    if retained:  # RSS still held after the nodes were deleted, per node created
        results["retained_kib_per_node"] = spread([b / 1024 for b in retained], 1)
    per_node = [r["bytes_per_node"] for r in reps if "bytes_per_node" in r]
    if per_node:
        # RSS rarely shrinks: the first repetition pays for fresh memory, later ones mostly
        # reuse what the previous deletion freed, so both figures are reported.
        results["kib_per_node_first"] = round(per_node[0] / 1024, 1)
        results["kib_per_node"] = spread([b / 1024 for b in per_node], 1)
    return results

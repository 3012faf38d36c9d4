"""Memory probe: RSS, garbage-collector activity, sizes of named containers, tracemalloc diffs.

RSS is read without psutil: /proc/self/statm on Linux, GetProcessMemoryInfo through ctypes on
Windows, the peak from `resource` elsewhere. GC pauses come from `gc.callbacks`. Containers
are named in the profile as "module:Class.attr" (summed over live instances of Class) or
"module:dotted.path" (a module-level object).
"""

from __future__ import annotations

import gc
import os
import sys
import time
import tracemalloc
from typing import Any

from inspector.agent.hooks import resolve_in_module, split_target
from inspector.agent.probes import InstanceSet, Probe
from inspector.agent.stats import MAX_DURATIONS

_perf = time.perf_counter
TRACEMALLOC_FRAMES = 3  # frames per allocation: enough for the caller's line, cheap to keep
TRACEMALLOC_TOP = 25
PHASE_TOP = 15
_AGENT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rss_bytes() -> int | None:
    """Resident set size of this process, or None where it cannot be read."""
    try:
        if sys.platform.startswith("linux"):
            with open("/proc/self/statm", "rb") as fh:
                pages = int(fh.read().split()[1])
            return pages * os.sysconf("SC_PAGE_SIZE")
        if sys.platform == "win32":
            return _windows_rss()
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(peak if sys.platform == "darwin" else peak * 1024)
    except Exception:
        return None


def _windows_rss() -> int | None:
    import ctypes
    from ctypes import wintypes

    class Counters(ctypes.Structure):
        _fields_ = [
            ("cb", wintypes.DWORD),
            ("PageFaultCount", wintypes.DWORD),
            ("PeakWorkingSetSize", ctypes.c_size_t),
            ("WorkingSetSize", ctypes.c_size_t),
            ("QuotaPeakPagedPoolUsage", ctypes.c_size_t),
            ("QuotaPagedPoolUsage", ctypes.c_size_t),
            ("QuotaPeakNonPagedPoolUsage", ctypes.c_size_t),
            ("QuotaNonPagedPoolUsage", ctypes.c_size_t),
            ("PagefileUsage", ctypes.c_size_t),
            ("PeakPagefileUsage", ctypes.c_size_t),
        ]

    counters = Counters()
    counters.cb = ctypes.sizeof(Counters)
    process = ctypes.windll.kernel32.GetCurrentProcess()  # type: ignore[attr-defined]
    ok = ctypes.windll.psapi.GetProcessMemoryInfo(  # type: ignore[attr-defined]
        process, ctypes.byref(counters), counters.cb
    )
    return int(counters.WorkingSetSize) if ok else None


class MemoryProbe(Probe):
    """Samples memory once per `memory_interval_s` and on request diffs tracemalloc snapshots."""

    name = "memory"

    def __init__(self, agent: Any, config: dict[str, Any]) -> None:
        super().__init__(agent, config)
        memory = config.get("memory", {}) if isinstance(config.get("memory"), dict) else {}
        self.interval_s = float(memory.get("interval_s", 1.0))
        self.container_specs: list[str] = list(memory.get("containers", []))
        self.instance_sets: dict[str, tuple[InstanceSet, str]] = {}
        self.module_objects: dict[str, str] = {}
        self.pauses: list[float] = []
        self._gc_start = 0.0
        self._last_counts = self._collections()
        self._last_sample = 0.0
        self._baseline: tracemalloc.Snapshot | None = None
        self._started_tracemalloc = False
        self._pending: list[dict[str, Any]] = []

    def install(self) -> None:
        gc.callbacks.append(self._gc_callback)
        for spec in self.container_specs:
            module_name, qual = split_target(spec)
            head, _, attr = qual.rpartition(".")
            if not head:  # "module:name": a module-level container
                self.module_objects[spec] = spec
                continue
            instances = InstanceSet()
            self.instance_sets[spec] = (instances, attr)

            def hooked(obj: Any, spec: str = spec, instances: InstanceSet = instances) -> None:
                if isinstance(obj, type):
                    self.agent.find_instances(obj, instances.add)
                    self.agent.note_hook(f"memory container {spec}")
                else:  # "module:obj.attr" where obj is not a class: measure it directly
                    self.module_objects[spec] = spec
                    self.instance_sets.pop(spec, None)

            self.agent.watch_class(f"{module_name}:{head}", hooked)

    def _gc_callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_start = _perf()
        elif self._gc_start and len(self.pauses) < MAX_DURATIONS:
            self.pauses.append((_perf() - self._gc_start) * 1000.0)

    @staticmethod
    def _collections() -> list[int]:
        return [g.get("collections", 0) for g in gc.get_stats()]

    def _containers(self) -> dict[str, int]:
        sizes: dict[str, int] = {}
        for spec, (instances, attr) in list(self.instance_sets.items()):
            total = 0
            for obj in instances:
                try:
                    total += len(getattr(obj, attr))
                except Exception:
                    continue
            sizes[spec] = total
        for spec in list(self.module_objects):
            module_name, qual = split_target(spec)
            module = sys.modules.get(module_name)
            if module is None:
                continue
            try:
                sizes[spec] = len(resolve_in_module(module, qual))
            except Exception:
                continue
        return sizes

    def collect(self, now: float, interval_s: float) -> list[dict[str, Any]]:
        out, self._pending = self._pending, []
        if now - self._last_sample < self.interval_s:
            return out
        self._last_sample = now
        counts = self._collections()
        delta = [max(0, a - b) for a, b in zip(counts, self._last_counts, strict=False)]
        self._last_counts = counts
        pauses, self.pauses = self.pauses, []
        out.append(
            {
                "t": now,
                "kind": "memory",
                "rss_bytes": rss_bytes(),
                "gc_counts": delta,
                "gc_pause_ms": [round(p, 3) for p in pauses],
                "containers": self._containers(),
                "agent_bytes": self.agent.approx_bytes(),
            }
        )
        return out

    # -- tracemalloc, on request -------------------------------------------------------------
    def tracemalloc_start(self) -> str:
        if not tracemalloc.is_tracing():
            tracemalloc.start(TRACEMALLOC_FRAMES)
            self._started_tracemalloc = True
        self._baseline = tracemalloc.take_snapshot()
        return "tracemalloc started"

    def tracemalloc_snapshot(self) -> str:
        if not tracemalloc.is_tracing():
            return "tracemalloc is not running; send action=start first"
        snapshot = _without_ours(tracemalloc.take_snapshot())
        baseline = self._baseline or snapshot
        stats = snapshot.compare_to(baseline, "lineno")
        top = [
            {
                "file": stat.traceback[0].filename,
                "line": stat.traceback[0].lineno,
                "size_diff": stat.size_diff,
                "count_diff": stat.count_diff,
                "size": stat.size,
            }
            for stat in stats[:TRACEMALLOC_TOP]
        ]
        self._pending.append({"t": time.time(), "kind": "tracemalloc", "top": top})
        return f"tracemalloc snapshot with {len(top)} sites"

    def uninstall(self) -> None:
        try:
            gc.callbacks.remove(self._gc_callback)
        except ValueError:
            pass
        if self._started_tracemalloc and tracemalloc.is_tracing():
            tracemalloc.stop()
        self._baseline = None


def _without_ours(snapshot: tracemalloc.Snapshot) -> tracemalloc.Snapshot:
    """Allocations of the target only: tracemalloc's own and the agent's are left out."""
    return snapshot.filter_traces(
        [
            tracemalloc.Filter(False, tracemalloc.__file__),
            tracemalloc.Filter(False, os.path.join(_AGENT_DIR, "*")),
        ]
    )


class AllocationPhases:
    """tracemalloc snapshots at a workload's phase boundaries (before create, after create,
    after delete), diffed into the allocation sites that grew, per created item.

    Costs while it lives (every allocation is traced), so a workload uses it only when asked;
    tracemalloc is started here with TRACEMALLOC_FRAMES frames unless it already runs (the
    inspector's --tracemalloc), and stopped by `close` only if it was started here.
    """

    def __init__(self) -> None:
        self.started_here = False
        if not tracemalloc.is_tracing():
            tracemalloc.start(TRACEMALLOC_FRAMES)
            self.started_here = True
        self.frames = tracemalloc.get_traceback_limit()
        self._snapshots: dict[str, tracemalloc.Snapshot] = {}

    def mark(self, phase: str) -> None:
        if tracemalloc.is_tracing():
            self._snapshots[phase] = _without_ours(tracemalloc.take_snapshot())

    def diff(self, phase: str, base: str, items: int, workload: str) -> dict[str, Any] | None:
        """A kind="tracemalloc" record: sites whose allocations grew from `base` to `phase`."""
        after, before = self._snapshots.get(phase), self._snapshots.get(base)
        if after is None or before is None:
            return None
        stats = [s for s in after.compare_to(before, "traceback") if s.size_diff > 0]
        total = sum(s.size_diff for s in stats)
        top = []
        for stat in stats[:PHASE_TOP]:
            frames = [{"file": f.filename, "line": f.lineno} for f in stat.traceback]
            innermost = frames[-1] if frames else {"file": "", "line": 0}
            top.append(
                {
                    "file": innermost["file"],
                    "line": innermost["line"],
                    "frames": frames,
                    "size_diff": stat.size_diff,
                    "count_diff": stat.count_diff,
                    "size": stat.size,
                    "bytes_per_item": round(stat.size_diff / items, 1) if items else None,
                }
            )
        return {
            "t": time.time(),
            "kind": "tracemalloc",
            "phase": phase,
            "base": base,
            "workload": workload,
            "items": items,
            "frames": self.frames,
            "grown_bytes": total,
            "grown_bytes_per_item": round(total / items, 1) if items else None,
            "top": top,
        }

    def close(self) -> None:
        self._snapshots.clear()
        if self.started_here and tracemalloc.is_tracing():
            tracemalloc.stop()

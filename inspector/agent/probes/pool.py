"""Pool probe: acquire waits, use counts and leak suspects for the profile's pool classes.

acquire/release may be coroutines or plain methods; the wrappers keep whichever they wrap.
Sizes come from the pool's own stats method when it has one (keys matched by common names),
otherwise from what the probe itself counted.
"""

from __future__ import annotations

import functools
import inspect
import sys
import time
import traceback
from typing import Any

from inspector.agent import provenance
from inspector.agent.probes import InstanceSet, Probe
from inspector.agent.stats import DurationSample

_perf = time.perf_counter
MAX_HELD = 2000  # acquired-and-not-released objects tracked per pool class
STACK_LIMIT = 12

_STAT_KEYS = {
    "size": ("size", "total", "total_connections", "current_size", "pool_size", "total_size"),
    "in_use": ("in_use", "active", "checked_out", "busy", "in_use_count", "active_connections"),
    "idle": ("idle", "available", "free", "idle_connections", "available_count"),
    "waiters": ("waiters", "waiting", "pending", "waiting_count"),
    "created": ("created", "total_created", "connections_created", "contexts_created"),
    "closed": ("closed", "total_closed", "connections_closed", "destroyed"),
    "evicted": ("evicted", "total_evicted", "expired", "recycled"),
}


class PoolStats:
    def __init__(self, name: str, config: dict[str, Any]) -> None:
        self.name = name
        self.config = config
        self.instances = InstanceSet()
        self.per_pool: dict[int, dict[str, Any]] = {}
        self.held: dict[
            int, tuple[int, float, list[tuple[str, int, str]]]
        ] = {}  # id(obj) -> pool id, t, stack
        self.reported: set[int] = set()
        self.waiting: dict[int, int] = {}

    def pool(self, pool: Any) -> dict[str, Any]:
        key = id(pool)
        entry = self.per_pool.get(key)
        if entry is None:
            self.instances.add(pool)
            entry = self.per_pool[key] = {"acquires": 0, "releases": 0, "wait": DurationSample()}
            # A pool first used by our workload (the pools workload builds its own) is ours.
            entry["source"] = provenance.driving() or provenance.APP
        return entry


class PoolProbe(Probe):
    """Hooks every pool class listed under [[probes.pool]]."""

    name = "pool"

    def __init__(self, agent: Any, config: list[dict[str, Any]], leak_threshold_s: float) -> None:
        super().__init__(agent, config)
        self.pools: list[PoolStats] = []
        self.leak_threshold_s = leak_threshold_s

    def install(self) -> None:
        for entry in self.config or []:
            target = entry.get("class")
            if not target:
                continue
            stats = PoolStats(entry.get("name") or target.rpartition(":")[2], entry)
            self.pools.append(stats)
            self.agent.watch_class(target, lambda cls, s=stats: self._hook(cls, s))

    def _hook(self, cls: type, stats: PoolStats) -> None:
        patcher = self.agent.patcher
        stats.qualname = f"{cls.__module__}.{cls.__qualname__}"  # type: ignore[attr-defined]
        acquire = stats.config.get("acquire", "acquire")
        release = stats.config.get("release", "release")
        if hasattr(cls, acquire) and not patcher.is_patched(cls, acquire):
            patcher.patch(cls, acquire, self._acquire_wrapper(getattr(cls, acquire), stats))
        if hasattr(cls, release) and not patcher.is_patched(cls, release):
            patcher.patch(cls, release, self._release_wrapper(getattr(cls, release), stats))
        self.agent.note_hook(f"pool {stats.name}: {stats.qualname}")
        self.agent.find_instances(cls, stats.pool)

    def _acquired(self, stats: PoolStats, pool: Any, obj: Any, waited_ms: float) -> None:
        entry = stats.pool(pool)
        entry["acquires"] += 1
        entry["wait"].add(waited_ms)
        if obj is not None and len(stats.held) < MAX_HELD:
            stats.held[id(obj)] = (id(pool), time.time(), _raw_stack())

    def _released(self, stats: PoolStats, pool: Any, obj: Any) -> None:
        stats.pool(pool)["releases"] += 1
        stats.held.pop(id(obj), None)
        stats.reported.discard(id(obj))

    def _acquire_wrapper(self, original: Any, stats: PoolStats) -> Any:
        probe = self
        if inspect.iscoroutinefunction(original):

            @functools.wraps(original)
            async def acquire(pool: Any, *args: Any, **kwargs: Any) -> Any:
                start = _perf()
                waiting = stats.waiting
                waiting[id(pool)] = waiting.get(id(pool), 0) + 1
                try:
                    obj = await original(pool, *args, **kwargs)
                finally:
                    waiting[id(pool)] -= 1
                try:
                    probe._acquired(stats, pool, obj, (_perf() - start) * 1000.0)
                except Exception:
                    pass
                return obj

            return acquire

        @functools.wraps(original)
        def acquire_sync(pool: Any, *args: Any, **kwargs: Any) -> Any:
            start = _perf()
            obj = original(pool, *args, **kwargs)
            try:
                probe._acquired(stats, pool, obj, (_perf() - start) * 1000.0)
            except Exception:
                pass
            return obj

        return acquire_sync

    def _release_wrapper(self, original: Any, stats: PoolStats) -> Any:
        probe = self
        if inspect.iscoroutinefunction(original):

            @functools.wraps(original)
            async def release(pool: Any, obj: Any = None, *args: Any, **kwargs: Any) -> Any:
                try:
                    probe._released(stats, pool, obj)
                except Exception:
                    pass
                return await original(pool, obj, *args, **kwargs)

            return release

        @functools.wraps(original)
        def release_sync(pool: Any, obj: Any = None, *args: Any, **kwargs: Any) -> Any:
            try:
                probe._released(stats, pool, obj)
            except Exception:
                pass
            return original(pool, obj, *args, **kwargs)

        return release_sync

    _last_idle = 0.0

    def _idle_due(self, now: float) -> bool:
        # A pool class nobody instantiated reports zeros once a second, so a session can say
        # "no traffic" rather than "not measured".
        if now - self._last_idle >= 1.0:
            self._last_idle_pending = now
            return True
        return False

    def collect(self, now: float, interval_s: float) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        self._last_idle_pending = None
        for stats in self.pools:
            hooked = hasattr(stats, "qualname")
            qualname = getattr(stats, "qualname", stats.config.get("class", stats.name))
            if not stats.instances and self._idle_due(now):  # no pool object: zero traffic
                out.append(_idle_record(now, qualname, stats.name, hooked))
            for pool in stats.instances:
                entry = stats.pool(pool)
                wait: DurationSample = entry["wait"]
                own_stats = _pool_stats(pool, stats.config.get("stats", "get_stats"))
                held_here = sum(1 for p, _, _ in stats.held.values() if p == id(pool))
                record = {
                    "t": now,
                    "kind": "pool",
                    "pool": qualname,
                    "name": stats.name,
                    "pool_id": id(pool),
                    "size": own_stats.get("size"),
                    "in_use": own_stats.get("in_use", held_here),
                    "idle": own_stats.get("idle"),
                    "waiters": own_stats.get("waiters", stats.waiting.get(id(pool), 0)),
                    "acquires": entry["acquires"],
                    "releases": entry["releases"],
                    "wait_ms": wait.rounded(),
                    "created": own_stats.get("created"),
                    "closed": own_stats.get("closed"),
                    "evicted": own_stats.get("evicted"),
                    "source": entry.get("source", provenance.APP),
                }
                out.append(record)
                entry["acquires"] = entry["releases"] = 0
                entry["wait"] = DurationSample()
            wall = time.time()
            for obj_id, (pool_id, since, stack) in list(stats.held.items()):
                held_s = wall - since
                if held_s >= self.leak_threshold_s and obj_id not in stats.reported:
                    stats.reported.add(obj_id)
                    out.append(
                        {
                            "t": now,
                            "kind": "pool_leak",
                            "pool": qualname,
                            "pool_id": pool_id,
                            "held_s": round(held_s, 3),
                            "stack": _format_stack(stack),
                        }
                    )
        if self._last_idle_pending is not None:
            self._last_idle = self._last_idle_pending
        return out


def _raw_stack() -> list[tuple[str, int, str]]:
    """The acquiring stack as (file, line, function), innermost last; formatting it (with
    source lines) is left to the rare leak report, since this runs on every acquire."""
    frames: list[tuple[str, int, str]] = []
    frame = sys._getframe(3)  # skip this helper, _acquired and the acquire wrapper
    while frame is not None and len(frames) < STACK_LIMIT:
        code = frame.f_code
        frames.append((code.co_filename, frame.f_lineno, code.co_name))
        frame = frame.f_back
    frames.reverse()
    return frames


def _format_stack(frames: list[tuple[str, int, str]]) -> list[str]:
    return [
        "".join(traceback.format_list([traceback.FrameSummary(f, n, name)])).rstrip()
        for f, n, name in frames
    ]


def _idle_record(now: float, qualname: str, name: str, hooked: bool) -> dict[str, Any]:
    # hooked=False: the pool's module was never imported by the target, so nothing can use it
    return {
        "hooked": hooked,
        "t": now,
        "kind": "pool",
        "pool": qualname,
        "name": name,
        "pool_id": None,
        "size": 0,
        "in_use": 0,
        "idle": 0,
        "waiters": 0,
        "acquires": 0,
        "releases": 0,
        "wait_ms": [],
        "created": 0,
        "closed": 0,
        "evicted": 0,
    }


def _pool_stats(pool: Any, method: str | None) -> dict[str, Any]:
    """The pool's own numbers, mapped onto our names; {} when it has none we understand."""
    if not method:
        return {}
    try:
        raw = getattr(pool, method)()
    except Exception:
        return {}
    if not isinstance(raw, dict):
        raw = getattr(raw, "__dict__", {})
    out: dict[str, Any] = {}
    for ours, names in _STAT_KEYS.items():
        for name in names:
            value = raw.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool):
                out[ours] = value
                break
    return out

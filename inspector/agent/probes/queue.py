"""Job-queue probe: enqueue/dequeue rates, dequeue time and depth for the profile's queues."""

from __future__ import annotations

import functools
import inspect
import time
from typing import Any

from inspector.agent.probes import InstanceSet, Probe
from inspector.agent.stats import DurationSample

_perf = time.perf_counter


class QueueStats:
    def __init__(self, name: str, config: dict[str, Any]) -> None:
        self.name = name
        self.config = config
        self.instances = InstanceSet()
        self.enqueues = 0
        self.dequeues = 0
        self.dequeue = DurationSample()


class QueueProbe(Probe):
    """Hooks every queue class listed under [[probes.queue]]."""

    name = "queue"

    def __init__(self, agent: Any, config: list[dict[str, Any]]) -> None:
        super().__init__(agent, config)
        self.queues: list[QueueStats] = []

    def install(self) -> None:
        for entry in self.config or []:
            target = entry.get("class")
            if not target:
                continue
            stats = QueueStats(entry.get("name") or target.rpartition(":")[2], entry)
            self.queues.append(stats)
            self.agent.watch_class(target, lambda cls, s=stats: self._hook(cls, s))

    def _hook(self, cls: type, stats: QueueStats) -> None:
        patcher = self.agent.patcher
        stats.qualname = f"{cls.__module__}.{cls.__qualname__}"  # type: ignore[attr-defined]
        for name in _names(stats.config.get("enqueue", "enqueue")):
            if hasattr(cls, name) and not patcher.is_patched(cls, name):
                patcher.patch(cls, name, _counting(getattr(cls, name), stats, "enqueue"))
        for name in _names(stats.config.get("dequeue", "dequeue")):
            if hasattr(cls, name) and not patcher.is_patched(cls, name):
                patcher.patch(cls, name, _counting(getattr(cls, name), stats, "dequeue"))
        self.agent.note_hook(f"queue {stats.name}: {stats.qualname}")
        self.agent.find_instances(cls, stats.instances.add)

    def collect(self, now: float, interval_s: float) -> list[dict[str, Any]]:
        out = []
        for stats in self.queues:
            if not stats.instances and not stats.enqueues and not stats.dequeues:
                continue
            depth = 0
            for queue in stats.instances:
                depth += _depth(queue, stats.config.get("depth", "_jobs"))
            out.append(
                {
                    "t": now,
                    "kind": "queue",
                    "queue": getattr(stats, "qualname", stats.name),
                    "name": stats.name,
                    "enqueues": stats.enqueues,
                    "dequeues": stats.dequeues,
                    "dequeue_ms": stats.dequeue.rounded(),
                    "depth": depth,
                }
            )
            stats.enqueues = stats.dequeues = 0
            stats.dequeue = DurationSample()
        return out


def _names(value: Any) -> list[str]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _depth(queue: Any, spec: str) -> int:
    """`spec` names a method returning the depth, or a container attribute measured by len."""
    try:
        value = getattr(queue, spec)
        if callable(value) and not hasattr(value, "__len__"):
            value = value()
        if isinstance(value, int):
            return value
        if isinstance(value, dict) and value and isinstance(next(iter(value.values())), int):
            return int(sum(value.values()))  # e.g. {"pending": 3, ...}
        return len(value)
    except Exception:
        return 0


def _counting(original: Any, stats: QueueStats, which: str) -> Any:
    if inspect.iscoroutinefunction(original):

        @functools.wraps(original)
        async def wrapper_async(queue: Any, *args: Any, **kwargs: Any) -> Any:
            start = _perf()
            try:
                return await original(queue, *args, **kwargs)
            finally:
                _count(stats, queue, which, start)

        return wrapper_async

    @functools.wraps(original)
    def wrapper(queue: Any, *args: Any, **kwargs: Any) -> Any:
        start = _perf()
        try:
            return original(queue, *args, **kwargs)
        finally:
            _count(stats, queue, which, start)

    return wrapper


def _count(stats: QueueStats, queue: Any, which: str, start: float) -> None:
    try:
        stats.instances.add(queue)
        if which == "enqueue":
            stats.enqueues += 1
        else:
            stats.dequeues += 1
            stats.dequeue.add((_perf() - start) * 1000.0)
    except Exception:
        pass

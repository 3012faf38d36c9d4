"""Event-bus workload: publish a fixed mix of the app's real event types at a fixed rate
through its own live buses, with its real subscribers attached.

Runs on the Qt GUI thread (bus handlers may touch widgets), publishing the events due every
10 ms. Measures what a publish costs the publisher (all synchronous handlers included), the
rate actually achieved, and the subscribers per type. Handler time and errors per handler are
the agent's bus probe's job; they land in the same session.
"""

from __future__ import annotations

import time
from typing import Any

from inspector.agent.workloads.resolve import WorkloadSetupError, find_instance, resolve
from inspector.agent.workloads.run import QtSteps, WorkloadRun, drive_on_qt_thread
from inspector.agent.workloads.summary import percentile, spread

DESCRIPTION = "publish a fixed mix of real event types at a fixed rate through the app's buses"
PARAMS: dict[str, tuple[Any, str]] = {
    "rate": (200.0, "events published per second, per bus"),
    "seconds": (2.0, "length of one repetition"),
    "repetitions": (3, "times the measurement is repeated"),
}
TICK_MS = 10.0


def start(run: WorkloadRun) -> None:
    drive_on_qt_thread(run, lambda: _steps(run))


def weighted_sequence(mix: dict[str, int]) -> list[str]:
    """One cycle of the mix, interleaved (smooth weighted round-robin), e.g. a,b,a,c,a,b."""
    weights = {k: int(v) for k, v in mix.items() if int(v) > 0}
    total = sum(weights.values())
    current = dict.fromkeys(weights, 0)
    order: list[str] = []
    for _ in range(total):
        for key, weight in weights.items():
            current[key] += weight
        best = max(current, key=lambda k: current[k])
        current[best] -= total
        order.append(best)
    return order


class _BusDriver:
    """One bus from the profile: its live instance, how to publish, the mix to publish."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.name = str(spec.get("name", "bus"))
        if "instance" not in spec:
            raise WorkloadSetupError(f"bus {self.name}: the profile gives no `instance`")
        self.bus = find_instance(str(spec["instance"]))
        self.style = str(spec.get("style", "emit"))
        method = str(spec.get("method", "emit" if self.style == "emit" else "publish"))
        self.publish_fn = getattr(self.bus, method, None)
        if self.publish_fn is None:
            raise WorkloadSetupError(f"bus {self.name}: {type(self.bus).__name__} has no {method}")
        self.event_class = resolve(str(spec["event_class"])) if spec.get("event_class") else None
        if self.style == "publish" and self.event_class is None:
            raise WorkloadSetupError(f"bus {self.name}: style 'publish' needs `event_class`")
        enum = resolve(str(spec["event_enum"])) if spec.get("event_enum") else None
        mix = spec.get("mix") or {}
        if not mix:
            raise WorkloadSetupError(f"bus {self.name}: the profile gives no event `mix`")
        self.types: dict[str, Any] = {}
        for key in mix:
            if enum is None:
                self.types[key] = key
            elif hasattr(enum, key):
                self.types[key] = getattr(enum, key)
            else:
                raise WorkloadSetupError(f"bus {self.name}: {spec['event_enum']} has no {key}")
        self.sequence = weighted_sequence({k: int(v) for k, v in mix.items()})
        self.data = dict(spec.get("data") or {"source": "casare-inspector workload"})
        self.handlers_attr = str(spec.get("handlers", "_handlers"))
        self.type_kwarg = str(spec.get("type_kwarg", "event_type"))
        self.event_extra = dict(spec.get("event_extra") or {})

    def subscribers(self) -> dict[str, int]:
        table = getattr(self.bus, self.handlers_attr, None)
        if not isinstance(table, dict):
            return {}
        wanted = {id(v): k for k, v in self.types.items()}
        counts: dict[str, int] = {}
        for event_type, handlers in table.items():
            key = wanted.get(id(event_type))
            if key is None:
                key = next((k for k, v in self.types.items() if v == event_type), None)
            if key is not None:
                counts[key] = len(handlers) if hasattr(handlers, "__len__") else 0
        return counts

    def publish(self, index: int) -> str:
        key = self.sequence[index % len(self.sequence)]
        data = dict(self.data, seq=index)
        if self.style == "publish":
            kwargs = dict(self.event_extra, data=data)
            kwargs[self.type_kwarg] = self.types[key]
            self.publish_fn(self.event_class(**kwargs))
        else:
            self.publish_fn(self.types[key], data)
        return key


def _steps(run: WorkloadRun) -> QtSteps:
    p = run.params
    if p["rate"] <= 0 or p["seconds"] <= 0 or p["repetitions"] < 1:
        raise ValueError("rate, seconds and repetitions must be positive")
    specs = run.definition.get("buses") or []
    if not specs:
        raise WorkloadSetupError("the profile's [workloads.event_bus] lists no `buses`")
    drivers = [_BusDriver(dict(spec)) for spec in specs]
    per_bus: dict[str, list[dict[str, Any]]] = {d.name: [] for d in drivers}
    for _rep in range(p["repetitions"]):
        durations: dict[str, list[float]] = {d.name: [] for d in drivers}
        by_type: dict[str, dict[str, int]] = {d.name: {} for d in drivers}
        sent = 0
        begun = time.perf_counter()
        while True:
            elapsed = time.perf_counter() - begun
            if elapsed >= p["seconds"]:
                break
            due = int(elapsed * p["rate"]) + 1
            while sent < due:
                for driver in drivers:
                    t0 = time.perf_counter()
                    key = driver.publish(sent)
                    durations[driver.name].append((time.perf_counter() - t0) * 1e6)
                    by_type[driver.name][key] = by_type[driver.name].get(key, 0) + 1
                sent += 1
            yield TICK_MS
        wall = time.perf_counter() - begun
        for driver in drivers:
            us = durations[driver.name]
            per_bus[driver.name].append(
                {
                    "published": len(us),
                    "rate": len(us) / wall,
                    "p50_us": percentile(us, 0.5),
                    "p95_us": percentile(us, 0.95),
                    "max_us": max(us) if us else 0.0,
                    "busy_share": sum(us) / 1e6 / wall,
                    "by_type": by_type[driver.name],
                }
            )
        yield 100  # let the app settle between repetitions
    buses = []
    for driver in drivers:
        reps = per_bus[driver.name]
        buses.append(
            {
                "bus": driver.name,
                "class": f"{type(driver.bus).__module__}.{type(driver.bus).__qualname__}",
                "target_rate": p["rate"],
                "achieved_rate": spread([r["rate"] for r in reps], 1),
                "published": spread([r["published"] for r in reps], 0),
                "publish_us_p50": spread([r["p50_us"] for r in reps], 1),
                "publish_us_p95": spread([r["p95_us"] for r in reps], 1),
                "publish_us_max": spread([r["max_us"] for r in reps], 1),
                "publisher_busy_share": spread([r["busy_share"] for r in reps], 4),
                "by_type": reps[-1]["by_type"] if reps else {},
                "subscribers": driver.subscribers(),
                "mix": {k: driver.sequence.count(k) for k in driver.types},
            }
        )
    run.finish("ok", "", {"buses": buses, "repetitions": p["repetitions"]})

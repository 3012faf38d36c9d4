"""Pools workload: the app's own pool classes against local services on loopback, driven by
K concurrent clients for a sweep of max sizes.

For each pool the profile names, for each size, `repetitions` times: build a fresh pool of that
size, run K clients for `seconds` (acquire, one request, release, again), close it. Per size:
acquire wait p50/p95, throughput, exhaustion (an acquire that found every connection of the
pool held by our clients) and acquire time-outs; then the knee, the size past which throughput
stops rising. Runs as a task on the target's own asyncio loop. Services: an HTTP/1.1 server
on 127.0.0.1 (for HTTP pools and "execute" pools), a temporary SQLite file (for SQLite pools,
when the pool's driver is installed in the target).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import sqlite3
import tempfile
import time
from typing import Any

from inspector.agent.workloads.loopback_http import LoopbackHttpConnection, LoopbackHttpServer
from inspector.agent.workloads.resolve import WorkloadSetupError, resolve
from inspector.agent.workloads.run import WorkloadRun, drive_on_loop
from inspector.agent.workloads.summary import find_knee, percentile, spread

DESCRIPTION = (
    "build the app's pool classes against loopback services; K clients, a sweep of max "
    "sizes; acquire wait p50/p95, throughput, exhaustion, and the knee"
)
PARAMS: dict[str, tuple[Any, str]] = {
    "sweep": ("1,2,4,8,16", "max sizes: a list '1,2,4' or a range '1..16'"),
    "clients": (16, "concurrent clients (K)"),
    "seconds": (0.5, "duration of one measurement"),
    "repetitions": (3, "measurements per size"),
    "service_ms": (5.0, "loopback service time per request"),
    "capacity": (4, "requests the loopback service serves at once"),
    "acquire_timeout": (2.0, "seconds an acquire may wait before it counts as a time-out"),
    "pool": ("", "only this pool (by its profile name); empty for all"),
}
KINDS = ("execute", "aiohttp_session", "sqlite")


def parse_sweep(text: str) -> list[int]:
    """'1..16' -> 1, 2, ..., 16; '1,2,4' -> 1, 2, 4; '1..16:4' -> 1, 5, 9, 13. ValueError if bad."""
    text = str(text).strip()
    if ".." in text:
        low, _, rest = text.partition("..")
        high, _, step = rest.partition(":")
        sizes = list(range(int(low), int(high) + 1, int(step or 1)))
    else:
        sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    if not sizes or min(sizes) < 1 or len(sizes) > 64:
        raise ValueError(f"sweep {text!r}: give 1..64 sizes, each at least 1")
    return sizes


def start(run: WorkloadRun) -> None:
    drive_on_loop(run, lambda: _run(run))


class _Point:
    """One measurement at one size: what K clients saw."""

    def __init__(self) -> None:
        self.waits_ms: list[float] = []
        self.completed = 0
        self.exhausted = 0
        self.timeouts = 0
        self.errors = 0
        self.first_error = ""
        self.held = 0
        self.demand = 0  # clients acquiring or holding a connection right now
        self.wall = 0.0


class _PoolDriver:
    """One pool from the profile: how to build it, acquire, use and release a connection."""

    def __init__(self, spec: dict[str, Any], url: str, workdir: str) -> None:
        self.name = str(spec.get("name", "pool"))
        self.kind = str(spec.get("kind", "execute"))
        if self.kind not in KINDS:
            raise WorkloadSetupError(f"pool {self.name}: unknown kind {self.kind!r}")
        self.spec = spec
        self.url = url
        self.cls = resolve(str(spec.get("class", "")))
        self.qualname = f"{self.cls.__module__}.{self.cls.__qualname__}"
        self.size_kwarg = str(spec.get("size_kwarg", "max_size"))
        self.database = os.path.join(workdir, f"{self.name}.sqlite3")

    def missing_requirement(self) -> str:
        for module in self.spec.get("requires", []):
            if importlib.util.find_spec(str(module)) is None:
                return f"the target has no {module} installed, which {self.qualname} needs"
        return ""

    def prepare(self) -> None:
        if self.kind == "sqlite":
            with contextlib.closing(sqlite3.connect(self.database)) as db:
                db.execute("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT)")
                db.executemany(
                    "INSERT OR REPLACE INTO items VALUES (?, ?)",
                    [(i, f"item-{i}") for i in range(200)],
                )
                db.commit()

    def build(self, size: int) -> Any:
        kwargs = dict(self.spec.get("kwargs") or {})
        kwargs[self.size_kwarg] = size
        if self.kind == "execute" and self.spec.get("connect_kwarg"):
            url = self.url
            kwargs[str(self.spec["connect_kwarg"])] = lambda: LoopbackHttpConnection.open(url)
        if self.kind == "sqlite":
            kwargs[str(self.spec.get("database_kwarg", "database"))] = self.database
        return self.cls(**kwargs)

    async def acquire(self, pool: Any, wait_s: float) -> Any:
        if self.kind == "aiohttp_session":
            return await pool.acquire(url=self.url, timeout=wait_s)
        return await pool.acquire(timeout=wait_s)

    async def use(self, conn: Any) -> None:
        if self.kind == "aiohttp_session":
            async with conn.get(self.url) as response:
                await response.read()
        elif self.kind == "sqlite":
            cursor = await conn.execute("SELECT name FROM items WHERE id < 20")
            await cursor.fetchall()
            await cursor.close()
        else:
            await conn.execute("GET /q")

    async def release(self, pool: Any, conn: Any) -> None:
        if self.kind == "aiohttp_session":
            await pool.release(conn, url=self.url)
        else:
            await pool.release(conn)

    async def close(self, pool: Any) -> None:
        closer = getattr(pool, str(self.spec.get("close", "close")), None)
        if closer is not None:
            result = closer()
            if asyncio.iscoroutine(result):
                await asyncio.wait_for(result, 10.0)

    def stats(self, pool: Any) -> dict[str, Any]:
        getter = getattr(pool, str(self.spec.get("stats", "get_stats")), None)
        if getter is None:
            return {}
        try:
            raw = getter()
            return {k: v for k, v in raw.items() if isinstance(v, int | float | str | bool)}
        except Exception as exc:
            return {"error": str(exc)}


async def _measure(run: WorkloadRun, driver: _PoolDriver, size: int) -> tuple[_Point, dict]:
    p = run.params
    pool = driver.build(size)
    point = _Point()
    stop = time.perf_counter() + p["seconds"]

    async def client() -> None:
        while time.perf_counter() < stop and not run.done:
            if point.demand >= size:  # every connection is held or promised to another client
                point.exhausted += 1
            point.demand += 1
            t0 = time.perf_counter()
            try:
                conn = await driver.acquire(pool, p["acquire_timeout"])
            except TimeoutError:
                point.timeouts += 1
                point.demand -= 1
                continue
            point.waits_ms.append((time.perf_counter() - t0) * 1000.0)
            point.held += 1
            try:
                await driver.use(conn)
                point.completed += 1
            except Exception as exc:
                point.errors += 1
                point.first_error = point.first_error or f"{type(exc).__name__}: {exc}"
                await asyncio.sleep(0.01)  # a failing service must not become a busy loop
            finally:
                point.held -= 1
                await driver.release(pool, conn)
                point.demand -= 1

    begun = time.perf_counter()
    try:
        await asyncio.gather(*(client() for _ in range(p["clients"])))
        point.wall = time.perf_counter() - begun
        stats = driver.stats(pool)
    finally:
        await driver.close(pool)
    return point, stats


async def _sweep(
    run: WorkloadRun, driver: _PoolDriver, sizes: list[int], progress: list[int]
) -> dict[str, Any]:
    """`progress` is [measurements done, measurements in the whole run], shared by pools."""
    p = run.params
    driver.prepare()
    points = []
    for size in sizes:
        reps = []
        stats: dict[str, Any] = {}
        for rep in range(p["repetitions"]):
            if run.done:
                raise asyncio.CancelledError
            label = f"pool {driver.name}: size {size} ({rep + 1}/{p['repetitions']})"
            run.progress(progress[0], progress[1], label)
            point, stats = await _measure(run, driver, size)
            progress[0] += 1
            if point.completed == 0 and point.errors:
                raise RuntimeError(f"pool {driver.name} at size {size}: {point.first_error}")
            reps.append(point)
            await asyncio.sleep(0.05)
        points.append(
            {
                "size": size,
                "throughput_rps": spread([r.completed / r.wall for r in reps], 1),
                "wait_ms_p50": spread([percentile(r.waits_ms, 0.5) for r in reps]),
                "wait_ms_p95": spread([percentile(r.waits_ms, 0.95) for r in reps]),
                "exhausted": spread([r.exhausted for r in reps], 0),
                "timeouts": spread([r.timeouts for r in reps], 0),
                "errors": sum(r.errors for r in reps),
                "pool_stats": stats,
            }
        )
    tput = [pt["throughput_rps"]["p50"] for pt in points]
    noise = [(pt["throughput_rps"]["max"] - pt["throughput_rps"]["min"]) / 2 for pt in points]
    knee, why = find_knee(sizes, tput, noise)
    return {
        "pool": driver.name,
        "class": driver.qualname,
        "kind": driver.kind,
        "status": "ok",
        "points": points,
        "knee": knee,
        "knee_reason": why,
        "default_size": driver.spec.get("default_size"),
    }


async def _run(run: WorkloadRun) -> None:
    p = run.params
    sizes = parse_sweep(p["sweep"])
    if p["clients"] < 1 or p["seconds"] <= 0 or p["repetitions"] < 1:
        raise ValueError("clients, seconds and repetitions must be positive")
    specs = [dict(s) for s in run.definition.get("pools") or []]
    if p["pool"]:
        specs = [s for s in specs if s.get("name") == p["pool"]]
    if not specs:
        raise WorkloadSetupError("no pool to drive: the profile's [workloads.pools] lists none")
    server = LoopbackHttpServer(p["service_ms"], p["capacity"])
    url = await server.start()
    results: list[dict[str, Any]] = []
    per_pool = len(sizes) * p["repetitions"]
    progress = [0, len(specs) * per_pool]
    try:
        with tempfile.TemporaryDirectory(prefix="inspector-pools-") as workdir:
            for spec in specs:
                name = str(spec.get("name", "pool"))
                if spec.get("supported", True) is False:
                    reason = str(spec.get("reason", "not driven by this workload"))
                    results.append(
                        {
                            "pool": name,
                            "class": str(spec.get("class", "")),
                            "status": "unsupported",
                            "reason": reason,
                        }
                    )
                    progress[1] -= per_pool  # a pool not driven takes no steps
                    continue
                try:
                    driver = _PoolDriver(spec, url, workdir)
                except WorkloadSetupError as exc:
                    results.append({"pool": name, "status": "failed", "reason": str(exc)})
                    progress[1] -= per_pool  # a pool not driven takes no steps
                    continue
                missing = driver.missing_requirement()
                if missing:
                    results.append(
                        {
                            "pool": name,
                            "class": driver.qualname,
                            "status": "unsupported",
                            "reason": missing,
                        }
                    )
                    progress[1] -= per_pool  # a pool not driven takes no steps
                    continue
                try:
                    results.append(await _sweep(run, driver, sizes, progress))
                except asyncio.CancelledError:
                    return
                except Exception as exc:
                    results.append(
                        {
                            "pool": name,
                            "class": driver.qualname,
                            "status": "failed",
                            "reason": f"{type(exc).__name__}: {exc}",
                        }
                    )
    finally:
        await server.close()
    summary = {
        "pools": results,
        "sizes": sizes,
        "clients": p["clients"],
        "service": {
            "url": url,
            "service_ms": p["service_ms"],
            "capacity": p["capacity"],
            "requests_served": server.requests,
        },
    }
    statuses = {r["status"] for r in results}
    if "ok" in statuses:
        reason = "; ".join(f"{r['pool']}: {r['reason']}" for r in results if r["status"] != "ok")
        run.finish("ok", reason, summary)
    elif statuses == {"unsupported"}:
        run.finish("unsupported", "; ".join(r["reason"] for r in results), summary)
    else:
        run.finish("failed", "; ".join(f"{r['pool']}: {r['reason']}" for r in results), summary)

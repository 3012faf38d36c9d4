"""Agent overhead, measured in one run against the same child processes without the agent.

Three figures, each from real child processes (the agent preloaded via launch mode, talking
to a real AgentLink here, versus no agent at all), interleaved so machine noise hits both:
  1. the demo target's workload (bus events, canvas repaints, pool and job-queue traffic on
     the qasync loop), target <= 1.05, measured two ways:
     - sampled: one run with the agent, sampled by
       py-spy; the share of the target's CPU samples that are agent code on its threads,
       plus the agent thread's own samples. Agent and target are sampled under the same
       machine conditions, so the share is resolved to a fraction of a percent. What sampling
       cannot see, PySide's C++ -> Python dispatch into the event filter, was measured apart
       at 0.4 us per event (8 Qt events per workload round of ~9 ms: 0.04 %);
     - counted: instructions of the same workload with and without the agent under valgrind's
       callgrind (when valgrind is installed; BENCH_CALLGRIND=0 skips it, ~4 minutes), start-up
       cancelled by differencing runs of 1 and 3 blocks - the with/without comparison free
       of the machine's speed;
     - timed: CPU and wall time of interleaved runs with and without the agent, as paired
       ratios with a 90 % interval. On the 2-core development VM one 100-round block varies
       by up to +-30 % between runs (and within a run), more than the target itself, so this
       figure shows the noise rather than the agent; it is printed for machines where the
       interval is narrow;
  2. a bus-publish microbenchmark (3 handlers per event): CPU microseconds added per
     publish (best of 5 passes), target <= 3 us;
  3. the agent's memory after a long burst (200 event types, 1M publishes): RSS with the
     agent minus RSS without it, target <= 20 MB.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from inspector.attach.launch import launch_target
from inspector.core.agent_link import AgentLink
from tests.benchmarks.harness import Report

ROOT = Path(__file__).resolve().parents[2]
PAIRS = 5
DEMO_PAIRS = 11
DEMO_ROUNDS = 100  # rounds per timed block; each child runs a warm-up block, then 5 timed
BLOCKS_PER_CHILD = 5

CHILD = r"""
import asyncio, json, os, sys, time

def rss():
    with open("/proc/self/statm", "rb") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

def wait_hooked(cls, name):
    if os.environ.get("BENCH_AGENT") != "1":
        return
    wait_s = float(os.environ.get("BENCH_HOOK_WAIT_S", "15"))  # valgrind needs far longer
    deadline = time.monotonic() + wait_s  # the agent's wrappers carry __wrapped__
    while not hasattr(cls.__dict__.get(name), "__wrapped__") and time.monotonic() < deadline:
        time.sleep(0.05)
    if not hasattr(cls.__dict__.get(name), "__wrapped__"):
        raise SystemExit("the agent never hooked " + cls.__name__)
    time.sleep(1.5)  # let the Qt event filter and loop probe install too

class Event:
    __slots__ = ("event_type", "data")
    def __init__(self, event_type, data=None):
        self.event_type = event_type
        self.data = data

class Bus:
    def __init__(self):
        self._handlers = {}
        self._history = []
    def subscribe(self, event_type, handler):
        self._handlers.setdefault(event_type, []).append(handler)
    def publish(self, event):
        for handler in self._handlers.get(event.event_type, ()):
            try:
                handler(event)
            except Exception:
                pass

def h1(e): pass
def h2(e): pass
def h3(e): return e.data

def publish_bench(n):
    bus = Bus()
    for t in range(5):
        for h in (h1, h2, h3):
            bus.subscribe(f"type{t}", h)
    wait_hooked(Bus, "publish")
    events = [Event(f"type{i % 5}", i) for i in range(1000)]
    best = None
    for _ in range(5):  # CPU time of this process: immune to waiting for a busy CPU
        start = time.process_time()
        for i in range(n):
            bus.publish(events[i % 1000])
        took = time.process_time() - start
        best = took if best is None else min(best, took)
    return {"us_per_publish": best / n * 1e6}

def burst_bench(n):
    bus = Bus()
    handlers = [(lambda e, k=k: k) for k in range(20)]
    for t in range(200):
        for h in handlers[: 1 + t % 4]:
            bus.subscribe(f"type{t}", h)
    wait_hooked(Bus, "publish")
    base = rss()
    events = [Event(f"type{i % 200}", i) for i in range(2000)]
    for i in range(n):
        bus.publish(events[i % 2000])
    time.sleep(1.0)  # a few flushes
    return {"rss_growth": rss() - base, "rss": rss()}

def demo_bench(rounds):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from inspector.demo.app import DemoApp
    from inspector.demo.event_bus import EventBus
    from inspector.demo.job_queue import Job
    demo = DemoApp(nodes=30, workload=False)
    wait_hooked(EventBus, "publish")
    result = {"cpu_blocks": [], "wall_blocks": []}
    async def block():
        robots = demo.robots
        start, cpu = time.perf_counter(), time.process_time()
        for i in range(rounds):
            for k in range(20):
                demo.bus.emit("variable_set", {"name": "x", "value": k})
            nodes = demo.canvas.all_nodes()
            nodes[i % len(nodes)].moveBy(3, 2)
            demo.canvas.viewport().repaint()
            conn = await demo.pool.acquire()
            await demo.pool.release(conn)
            demo.job_queue.enqueue(Job("bench", environment="env-0"))
            job = demo.job_queue.dequeue(robots[0])
            if job is not None:
                demo.job_queue.complete(job.job_id)
            await asyncio.sleep(0)
        # CPU time of every thread: the agent's own sender thread counts too
        return time.perf_counter() - start, time.process_time() - cpu
    async def workload():
        await asyncio.sleep(0.2)
        await block()  # warm-up: first paints, lazy imports, the agent's first flushes
        print("WORKLOAD START", flush=True)
        for _ in range(int(os.environ.get("BENCH_BLOCKS", BLOCKS))):
            wall, cpu = await block()
            result["wall_blocks"].append(wall)
            result["cpu_blocks"].append(cpu)
        demo.quit()
    demo.start()
    demo._loop.call_soon(lambda: demo._loop.create_task(workload()))
    with demo._loop:
        demo._loop.run_forever()
    return result

BLOCKS = __BLOCKS__

mode, n = sys.argv[1], int(sys.argv[2])
out = {"publish": publish_bench, "burst": burst_bench, "demo": demo_bench}[mode](n)
print("RESULT " + json.dumps(out), flush=True)
"""


def _start_child(
    cmd: list[str], with_agent: bool, profile: str, stderr: int, **env_extra: str
) -> tuple[subprocess.Popen[bytes], AgentLink | None]:
    """A benchmark child with our tree importable, offscreen, with or without the agent."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env.update(QT_QPA_PLATFORM="offscreen", BENCH_AGENT="1" if with_agent else "0")
    env.update(env_extra)
    if not with_agent:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=stderr)
        return proc, None
    link = AgentLink(None)
    link.start()
    proc = launch_target(
        cmd, profile, link, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=stderr
    )
    return proc, link


def _run_child(script: Path, mode: str, n: int, with_agent: bool, profile: str) -> dict:
    cmd = [sys.executable, str(script), mode, str(n)]
    proc, link = _start_child(cmd, with_agent, profile, subprocess.DEVNULL)
    out, _ = proc.communicate(timeout=300)
    if link is not None:
        if not link.received:
            raise RuntimeError(f"the agent sent nothing in {mode} mode")
        link.close()
    for line in out.decode().splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"child {mode} printed no result")


def _sampled_agent_share(script: Path, seconds: float = 8.0) -> dict[str, float] | str:
    """Where the target's CPU goes while the agent runs, by sampling it with py-spy.

    Timing two runs cannot resolve a few percent on a machine whose speed drifts by more
    than that; sampling one run can, because agent and target samples are taken under the
    same conditions. A main-thread sample whose innermost Python frame is agent code is
    agent overhead (the repaint probe times paints from outside, so no paint runs under an
    agent frame). Samples of the agent's own thread are its background cost.
    Returns the shares, or a one-line reason when sampling is not possible here.
    """
    from inspector.sampling.preflight import find_py_spy

    try:
        py_spy = find_py_spy()
    except Exception as exc:
        return f"py-spy unavailable: {exc}"
    proc, link = _start_child(
        [sys.executable, str(script), "demo", str(DEMO_ROUNDS)],
        True,
        "demo",
        subprocess.DEVNULL,
        BENCH_BLOCKS="12",
    )
    assert link is not None
    samples_dir = tempfile.TemporaryDirectory()
    raw = Path(samples_dir.name) / "samples.txt"
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith(b"WORKLOAD START"):
                break
        done = subprocess.run(
            [
                str(py_spy),
                "record",
                "-p",
                str(proc.pid),
                "-r",
                "250",
                "-d",
                str(int(seconds)),
                "-f",
                "raw",
                "--threads",
                "--full-filenames",
                "--nonblocking",
                "-o",
                str(raw),
            ],
            capture_output=True,
            text=True,
        )
        proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
        link.close()
    with samples_dir:
        if done.returncode != 0 or not raw.exists():
            return "py-spy could not sample: " + (done.stderr.strip().splitlines() or ["?"])[-1]
        lines = raw.read_text(encoding="utf-8").splitlines()
    agent_dir = str(ROOT / "inspector" / "agent")
    target = agent_main = agent_thread = 0
    for line in lines:
        stack, _, count_text = line.rpartition(" ")
        header, _, frames_text = stack.partition(";")
        count = int(count_text)
        if header.split(":", 1)[-1].strip().startswith("casare-inspector-agent"):
            agent_thread += count
            continue
        leaf = frames_text.rsplit(";", 1)[-1]
        where = leaf[leaf.rfind("(") + 1 : -1]  # "/path/file.py:123"
        path = where.rpartition(":")[0]
        if path.startswith(agent_dir):  # no exceptions: no paint runs inside agent code
            agent_main += count
        else:
            target += count
    if target == 0:
        return "no target samples"
    return {
        "main": agent_main / target,
        "thread": agent_thread / target,
        "samples": float(target + agent_main + agent_thread),
    }


def _instruction_ratio(script: Path, rounds: int = 20) -> tuple[float, int, int] | str:
    """Instructions the demo workload executes with / without the agent, under callgrind.

    Instruction counts do not drift with the machine's speed, so this is the timed
    comparison without the noise. Each side runs once with 1 and once with 3 timed blocks;
    the difference is 2 blocks of workload, with start-up, imports and the warm-up block
    cancelled out. Under valgrind the workload runs ~65x slower while the agent's timers
    keep wall-clock periods, so its periodic work is over-counted: the ratio errs against
    the agent. Returns (ratio, instructions without, with) or a one-line reason.
    """
    import re
    import shutil

    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return "valgrind not found (Debian/Ubuntu: apt-get install valgrind)"
    counts: dict[tuple[bool, int], int] = {}
    with tempfile.TemporaryDirectory() as out_dir:
        for with_agent in (False, True):
            for blocks in (1, 3):
                cmd = [
                    valgrind,
                    "--tool=callgrind",
                    f"--callgrind-out-file={Path(out_dir) / 'callgrind.out'}",
                    sys.executable,
                    str(script),
                    "demo",
                    str(rounds),
                ]
                proc, link = _start_child(
                    cmd,
                    with_agent,
                    "demo",
                    subprocess.PIPE,
                    BENCH_BLOCKS=str(blocks),
                    BENCH_HOOK_WAIT_S="600",  # the agent hooks in slowly under valgrind
                )
                _, err = proc.communicate(timeout=1800)
                if link is not None:
                    received = link.received
                    link.close()
                    if not received:
                        return "the agent sent nothing under valgrind"
                found = re.findall(rb"Collected : (\d+)", err)
                if proc.returncode != 0 or not found:
                    return f"callgrind run failed (exit {proc.returncode})"
                counts[(with_agent, blocks)] = int(found[-1])
    without = counts[(False, 3)] - counts[(False, 1)]
    with_agent_n = counts[(True, 3)] - counts[(True, 1)]
    return with_agent_n / without, without, with_agent_n


def _bootstrap_median(values: list[float], rounds: int = 2000) -> tuple[float, float]:
    """90 % bootstrap interval of the median (fixed seed: the same data prints the same)."""
    rng = random.Random(0)
    medians = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(rounds))
    return medians[int(0.05 * rounds)], medians[int(0.95 * rounds) - 1]


def _profile(tmp: Path) -> str:
    path = tmp / "bench.toml"
    path.write_text(
        '[profile]\nname = "bench"\n[probes]\nflush_ms = 250\n'
        '[[probes.bus]]\nname = "bench"\nclass = "__main__:Bus"\nhandlers = ["_handlers"]\n'
        'history = "_history"\n',
        encoding="utf-8",
    )
    return str(path)


def run(report: Report) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        script = tmp / "agent_overhead_child.py"
        script.write_text(CHILD.replace("__BLOCKS__", str(BLOCKS_PER_CHILD)), encoding="utf-8")
        bench_profile = _profile(tmp)

        base, cand = [], []
        for _ in range(DEMO_PAIRS):
            base.append(_run_child(script, "demo", DEMO_ROUNDS, False, "demo"))
            cand.append(_run_child(script, "demo", DEMO_ROUNDS, True, "demo"))
        for key, what in (("cpu_blocks", "CPU time (all threads)"), ("wall_blocks", "wall time")):
            # Per child the fastest of its blocks (noise from other processes only ever adds
            # time), then one ratio per interleaved pair, so drift of the machine over the run
            # cancels; the median pair ratio is the figure, its bootstrap 90 % interval says
            # whether the run resolves the 5 % target at all.
            b = [min(r[key]) for r in base]
            c = [min(r[key]) for r in cand]
            ratios = [ci / bi for bi, ci in zip(b, c, strict=True)]
            low, high = _bootstrap_median(ratios)
            report.figure(
                f"demo workload {what} ratio (agent / none, median of timed pairs)",
                statistics.median(ratios),
                "x",
                detail=f"90% interval {low:.3f}-{high:.3f}; pair ratios "
                + " ".join(f"{r:.3f}" for r in sorted(ratios))
                + f"; median block {statistics.median(b) * 1e3:.0f} vs "
                f"{statistics.median(c) * 1e3:.0f} ms; {DEMO_PAIRS} pairs x {BLOCKS_PER_CHILD} "
                f"blocks of {DEMO_ROUNDS} rounds",
            )

        shares = _sampled_agent_share(script)
        if isinstance(shares, str):
            report.not_measured("demo workload overhead from sampling one run", shares)
        else:
            report.figure(
                "demo workload overhead from sampling one run (1 + agent share)",
                1.0 + shares["main"] + shares["thread"],
                "x",
                target=1.05,
                detail=f"agent code on the target's threads {shares['main'] * 100:.2f} %, "
                f"agent thread {shares['thread'] * 100:.2f} % of the target's own CPU; "
                f"{shares['samples']:.0f} py-spy samples at 250 Hz",
            )

        if os.environ.get("BENCH_CALLGRIND", "1") != "0":
            counted = _instruction_ratio(script)
            if isinstance(counted, str):
                report.not_measured("demo workload instructions ratio (callgrind)", counted)
            else:
                ratio, without, with_agent = counted
                report.figure(
                    "demo workload instructions ratio (agent / none, callgrind)",
                    ratio,
                    "x",
                    target=1.05,
                    detail=f"{without / 1e6:.0f} M vs {with_agent / 1e6:.0f} M instructions for "
                    "2 blocks of 20 rounds, start-up cancelled; periodic agent work over-counted",
                )

        base_us, cand_us = [], []
        for _ in range(PAIRS):
            base_us.append(
                _run_child(script, "publish", 100_000, False, bench_profile)["us_per_publish"]
            )
            cand_us.append(
                _run_child(script, "publish", 100_000, True, bench_profile)["us_per_publish"]
            )
        added = statistics.median(cand_us) - statistics.median(base_us)
        report.figure(
            "added per bus publish (3 handlers)",
            added,
            "us",
            target=3.0,
            detail=f"{statistics.median(base_us):.3f} us without, "
            f"{statistics.median(cand_us):.3f} us with the agent",
        )

        without = _run_child(script, "burst", 1_000_000, False, bench_profile)
        with_agent = _run_child(script, "burst", 1_000_000, True, bench_profile)
        agent_mb = (with_agent["rss"] - without["rss"]) / 1e6
        report.figure(
            "agent memory after 1M publishes over 200 event types",
            agent_mb,
            "MB",
            target=20.0,
            detail=f"RSS {without['rss'] / 1e6:.1f} MB without, "
            f"{with_agent['rss'] / 1e6:.1f} MB with; growth during the burst with the agent "
            f"{with_agent['rss_growth'] / 1e6:.1f} MB",
        )

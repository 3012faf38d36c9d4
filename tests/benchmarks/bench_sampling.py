"""py-spy's cost to the target, and the cost of correlating a 10-minute session.

1. Overhead: a CPU-bound Python target of ours does a fixed amount of work in batches and
   reports each batch's elapsed time; runs with and without PySpyRecorder (100 Hz,
   nonblocking, chunked handovers) interleave. The figure is the median batch time ratio
   (target <= 1.03). The same is done for the demo target (`python -m inspector.demo`): its
   CPU time per wall second with and without sampling (its workload is timer-driven, so
   throughput is fixed and CPU is where overhead would show).
2. Correlation: a session with 60,000 sample runs over realistic stacks (25-45 frames, 60
   project files, loop thread + 3 workers) and 400 static findings; correlate() wall time
   (target <= 2 s).
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from analyzers.findings import ChainStep, Finding, Priority
from inspector.core.session import Session
from inspector.sampling.chrometrace import Frame, StackRun
from inspector.sampling.correlate import correlate
from inspector.sampling.recorder import PySpyRecorder
from inspector.sampling.store import SampleWriter
from tests.benchmarks.harness import Report

_CPU_TARGET = """
import sys, time
def work():
    total = 0
    for i in range(400_000):
        total += i % 7
    return total
print("ready", flush=True)
for _ in range(int(sys.argv[1])):
    t = time.perf_counter(); work(); print(time.perf_counter() - t, flush=True)
"""
BATCHES = 40
ROUNDS = 3


def _cpu_batches(sample: bool) -> list[float]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _CPU_TARGET, str(BATCHES)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    proc.stdout.readline()
    recorder = None
    with tempfile.TemporaryDirectory() as tmp:
        if sample:
            recorder = PySpyRecorder(proc.pid, Session.create(Path(tmp) / "s.db"), chunk_s=2.0)
            recorder.start()
        times = [float(line) for line in proc.stdout]
        proc.wait()
        if recorder is not None:
            recorder.stop()
            assert recorder.error is None, recorder.error
    return times[2:]  # the first batches overlap py-spy's attach


def _demo_cpu_per_second(sample: bool, seconds: float = 12.0) -> float:
    import psutil

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.Popen(
        [sys.executable, "-m", "inspector.demo", "--duration", str(seconds + 5)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    proc.stdout.readline()
    ps = psutil.Process(proc.pid)
    recorder = None
    with tempfile.TemporaryDirectory() as tmp:
        time.sleep(1.0)  # let start-up work settle
        if sample:
            recorder = PySpyRecorder(proc.pid, Session.create(Path(tmp) / "s.db"))
            recorder.start()
        c0, w0 = ps.cpu_times(), time.perf_counter()
        time.sleep(seconds)
        c1, w1 = ps.cpu_times(), time.perf_counter()
        if recorder is not None:
            recorder.stop()
    proc.kill()
    proc.wait()
    return (c1.user + c1.system - c0.user - c0.system) / (w1 - w0)


def _overhead(report: Report) -> None:
    base: list[float] = []
    cand: list[float] = []
    for _ in range(ROUNDS):
        base += _cpu_batches(False)
        cand += _cpu_batches(True)
    ratio = statistics.median(cand) / statistics.median(base)
    report.figure(
        "py-spy overhead on a CPU-bound target (100 Hz, nonblocking)",
        ratio,
        "x batch time",
        target=1.03,
        detail=f"median batch {statistics.median(base) * 1e3:.1f} ms without, "
        f"{statistics.median(cand) * 1e3:.1f} ms with, {len(base)} batches each",
    )
    base_cpu, cand_cpu = [], []
    for _ in range(2):
        base_cpu.append(_demo_cpu_per_second(False))
        cand_cpu.append(_demo_cpu_per_second(True))
    ratio = statistics.median(cand_cpu) / max(statistics.median(base_cpu), 1e-9)
    report.figure(
        "demo target CPU per second with / without sampling",
        ratio,
        "x",
        target=1.03,
        detail=f"{statistics.median(base_cpu):.3f} vs {statistics.median(cand_cpu):.3f} CPU s/s",
    )


def _synthetic_session(path: Path, rows: int = 60_000, findings: int = 400) -> tuple[Session, str]:
    rng = random.Random(5)
    root = "/project"
    stdlib = "/stdlib"
    files = [f"{root}/pkg{i // 10}/mod{i}.py" for i in range(60)]
    functions = [
        (rng.choice(files), f"Class{i}.method{i}", rng.randint(10, 900)) for i in range(600)
    ]
    loop = (
        Frame("<module>", f"{root}/run.py", 12),
        Frame("main", f"{root}/app.py", 445),
        Frame("_QEventLoop.run_forever", "/site/qasync/__init__.py", 409),
        Frame("_SimpleTimer.timerEvent", "/site/qasync/__init__.py", 183),
        Frame("Handle._run", f"{stdlib}/asyncio/events.py", 84),
    )
    worker = (
        Frame("Thread._bootstrap", f"{stdlib}/threading.py", 1002),
        Frame("Thread.run", f"{stdlib}/threading.py", 982),
    )
    stacks = []
    for _ in range(400):
        depth = rng.randint(20, 40)
        body = []
        for _ in range(depth):
            file, func, first = rng.choice(functions)
            body.append(Frame(func, file, first + rng.randint(0, 40)))
        stacks.append(body)
    session = Session.create(path)
    session.set_meta(sampling={"rate": 100, "weight_unit": "us"})
    writer = SampleWriter(session)
    threads = [(1, "MainThread", loop)] + [(10 + i, f"worker-{i}", worker) for i in range(3)]
    cursor = {tid: 0 for tid, _, _ in threads}
    batch: list[StackRun] = []
    for i in range(rows):
        tid, name, base = threads[i % 4]
        us = rng.choice((10_000, 10_000, 20_000, 30_000, 100_000))
        run = StackRun(1, tid, name, cursor[tid], cursor[tid] + us, (*base, *rng.choice(stacks)))
        cursor[tid] += us
        batch.append(run)
        if len(batch) >= 5000:
            writer.write(batch, 1_700_000_000.0)
            batch = []
    writer.write(batch, 1_700_000_000.0)
    statics = []
    for i in range(findings):
        file, func, first = rng.choice(functions)
        rel = file.removeprefix(root + "/")
        line = first + rng.randint(0, 40)
        chain = tuple(
            ChainStep(c[0].removeprefix(root + "/"), c[2], c[1])
            for c in rng.sample(functions, rng.randint(0, 4))
        )
        statics.append(
            Finding(
                rule=f"A{i % 10 + 1}-RULE{i % 7}",
                area=i % 10 + 1,
                path=rel,
                line=line,
                end_line=line + rng.randint(0, 10),
                message=f"finding {i}",
                symbol=func,
                priority=Priority(5, 5, 4),
                chain=chain,
            )
        )
    session.put_findings(statics)
    return session, root


def _correlation(report: Report) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        session, root = _synthetic_session(Path(tmp) / "big.db")
        times = []
        for _ in range(3):
            t = time.perf_counter()
            out = correlate(session, root)
            times.append(time.perf_counter() - t)
        measured = sum(1 for f in out if f.priority.source == "measured")
        report.figure(
            "correlate() on a 10-minute session (60,000 runs, 400 findings)",
            statistics.median(times),
            "s",
            target=2.0,
            detail=f"{measured} findings got measured priority; runs {times}",
        )
        session.close()


def run(report: Report) -> None:
    _correlation(report)
    _overhead(report)

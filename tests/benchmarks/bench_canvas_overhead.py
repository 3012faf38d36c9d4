"""What attaching the agent costs a busy canvas, and what attach/detach cycles leave behind.

One target process runs a fixed scripted interaction (tests/benchmarks/canvas_driver.py: 60
nodes, 40 pans, 100 zoom steps) in blocks; blocks alternate between "bare" and "agent
attached" (`casare-inspector attach PID`, detached with Ctrl-C after the block), in ABBA
order over PAIRS pairs, so drift and machine noise hit both arms. Per pair:
  - main-thread CPU: utime+stime of the target's main thread from /proc/<pid>/task/<pid>/stat
    over the block (the work is fixed, so the ratio is the agent's cost), target <= 1.03;
  - frames: viewport paints per second of the block, target >= 0.97 of bare.
Median and range over the pairs are printed. On a loaded 2-core machine the CPU ratio swings
by tens of percent between blocks, so py-spy also samples the agent arm (nonblocking, 100 Hz):
the share of the main thread's samples with an agent frame on the stack, target <= 3 %.
Then CYCLES attach/detach cycles on the idle canvas: the target's RSS after the last minus
before the first, target <= 20 MB. The agent arm runs without the inspector's py-spy
(`--no-sample`) unless BENCH_CANVAS_SAMPLE=1.
BENCH_CANVAS_ATTACH_CMD (a JSON list, e.g. ["python", "-m", "inspector", "attach"] run from
another checkout) attaches another build's agent, for before/after figures.

Target: the real CasareRPA when CASARE_WORK_DIR points at a prepared copy (launched with
../shared/casare/launch.sh under Xvfb, display CASARE_DISPLAY_NUM, default 99), else the demo
canvas on the offscreen platform with BENCH_CANVAS_PROXIES (5) embedded proxy widgets per node
(CasareRPA paints ~276 of them per frame with 60 nodes). The demo uses 39 nodes: from 40 on its
planted over-budget overlay would pad every paint with a busy-wait. Linux only (/proc).
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from tests.benchmarks.harness import Report

ROOT = Path(__file__).resolve().parents[2]
PAIRS = int(os.environ.get("BENCH_CANVAS_PAIRS", "5"))
CYCLES = int(os.environ.get("BENCH_CANVAS_CYCLES", "20"))
SAMPLE = os.environ.get("BENCH_CANVAS_SAMPLE") == "1"  # py-spy on in the agent arm too
SPY_RATE = 100
AGENT_DIR = "inspector/agent/"
ATTACH_SETTLE_S = 6.0  # the agent installs its probes within ~2 s of the attach returning
BLOCK_TIMEOUT_S = 240.0
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

SITECUSTOMIZE = "from tests.benchmarks import canvas_driver\ncanvas_driver.start()\n"


def _thread_cpu_s(pid: int, tid: int) -> float:
    fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


class Target:
    """The canvas process, its control folder and how to attach to it."""

    def __init__(self, tmp: Path) -> None:
        self.ctl = tmp / "ctl"
        self.ctl.mkdir()
        hook = tmp / "hook"
        hook.mkdir()
        (hook / "sitecustomize.py").write_text(SITECUSTOMIZE)
        self.work = os.environ.get("CASARE_WORK_DIR")
        self.profile = "casare_rpa" if self.work else "demo"
        profile = tomllib.loads((ROOT / f"resources/profiles/{self.profile}.toml").read_text())
        env = dict(os.environ)
        env.update(
            {
                "PYTHONPATH": os.pathsep.join([str(hook), str(ROOT)]),
                "BENCH_CANVAS_CTL": str(self.ctl),
                "BENCH_CANVAS_DEF": json.dumps(profile["workloads"]["canvas"]),
                "BENCH_CANVAS_NODES": "60" if self.work else "39",
                # the demo paints in ~10 ms: its block repeats the script to last seconds
                "BENCH_CANVAS_REPEAT": "1" if self.work else "5",
                "BENCH_CANVAS_PROXIES": "0"
                if self.work
                else os.environ.get("BENCH_CANVAS_PROXIES", "5"),
            }
        )
        self.proc: subprocess.Popen[bytes] | None = None
        if self.work:
            env["DISPLAY_NUM"] = os.environ.get("CASARE_DISPLAY_NUM", "99")
            launch = ROOT.parent / "shared/casare/launch.sh"
            launch = Path(os.environ.get("CASARE_LAUNCH", str(launch)))
            out = subprocess.run(
                [str(launch), self.work, "xvfb"], env=env, capture_output=True, text=True
            )
            self.pid = int(out.stdout.strip().splitlines()[-1])
            self.label = f"CasareRPA canvas (pid {self.pid}, Xvfb)"
        else:
            env["QT_QPA_PLATFORM"] = "offscreen"
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "inspector.demo", "--no-workload", "--nodes", "0"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            self.pid = self.proc.pid
            self.label = f"demo canvas (pid {self.pid}, offscreen)"
        ready = self._wait_for(self.ctl / "ready", 120.0)
        if "error" in ready:
            raise RuntimeError(f"canvas driver failed: {ready['error']}")
        self.nodes = int(ready["nodes"])
        self.block = 0

    def _wait_for(self, path: Path, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while not path.exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"the canvas target did not write {path.name} in {timeout} s")
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError("the canvas target exited")
            time.sleep(0.05)
        time.sleep(0.05)
        return json.loads(path.read_text())

    def run_block(self) -> tuple[float, float, float]:
        """(main-thread CPU s, frames, wall s) of one scripted block."""
        self.block += 1
        cpu0 = _thread_cpu_s(self.pid, self.pid)
        (self.ctl / f"go-{self.block}").write_text("")
        done = self._wait_for(self.ctl / f"done-{self.block}", BLOCK_TIMEOUT_S)
        cpu = _thread_cpu_s(self.pid, self.pid) - cpu0
        return cpu, float(done["frames"]), float(done["wall_s"])

    def attach(self, session: Path, duration: float | None = None) -> subprocess.Popen[bytes]:
        custom = os.environ.get("BENCH_CANVAS_ATTACH_CMD")  # e.g. another build's attach
        cmd = json.loads(custom) if custom else [str(ROOT / ".venv/bin/casare-inspector"), "attach"]
        cmd.append(str(self.pid))
        cmd += ["--profile", self.profile, "--session", str(session)]
        if duration is not None:
            cmd += ["--duration", str(duration)]
        if not SAMPLE and not custom:
            cmd.append("--no-sample")  # the agent's own cost; BENCH_CANVAS_SAMPLE=1 adds py-spy
        return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        if self.proc is not None:
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _detach(attach: subprocess.Popen[bytes]) -> None:
    attach.send_signal(signal.SIGINT)  # the CLI's Ctrl-C: the agent unhooks, the target lives
    try:
        attach.wait(30)
    except subprocess.TimeoutExpired:
        attach.kill()
        attach.wait()


def _start_spy(pid: int, out: Path) -> subprocess.Popen[bytes] | None:
    spy = Path(sys.executable).with_name("py-spy")
    if not spy.exists():
        return None
    cmd = [str(spy), "record", "--pid", str(pid), "--nonblocking", "--threads"]
    cmd += ["--format", "raw", "--rate", str(SPY_RATE), "--output", str(out)]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop_spy(spy: subprocess.Popen[bytes] | None) -> None:
    if spy is not None:
        spy.send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
        try:
            spy.wait(30)
        except subprocess.TimeoutExpired:
            spy.kill()


def _agent_share(raw: Path) -> tuple[int, int]:
    """(samples with an agent frame, samples) of the main thread in py-spy's raw output."""
    ours = total = 0
    if not raw.exists():
        return 0, 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if not frames or "MainThread" not in frames[0] or not count.isdigit():
            continue
        total += int(count)
        if any(AGENT_DIR in frame for frame in frames):
            ours += int(count)
    return ours, total


def _spread(values: list[float]) -> str:
    return f"median {statistics.median(values):.3f}, range {min(values):.3f}-{max(values):.3f}"


def run(report: Report) -> None:
    if not sys.platform.startswith("linux"):
        report.not_measured("canvas overhead", "needs /proc (Linux)")
        return
    with tempfile.TemporaryDirectory(prefix="bench-canvas-") as tmp_name:
        tmp = Path(tmp_name)
        target = Target(tmp)
        try:
            print(f"{report.name}: target: {target.label}, {target.nodes} nodes", flush=True)
            target.run_block()  # warm-up: first paints, caches, lazy imports
            cpu_ratios: list[float] = []
            shares: list[tuple[int, int]] = []
            frame_ratios: list[float] = []
            for pair in range(PAIRS):
                arms: dict[str, tuple[float, float, float]] = {}
                order = ("bare", "agent") if pair % 2 == 0 else ("agent", "bare")
                for arm in order:
                    if arm == "bare":
                        arms[arm] = target.run_block()
                        continue
                    attach = target.attach(tmp / f"pair{pair}.session")
                    time.sleep(ATTACH_SETTLE_S)
                    spy = _start_spy(target.pid, tmp / f"spy{pair}.txt")
                    try:
                        arms[arm] = target.run_block()
                    finally:
                        _stop_spy(spy)
                        _detach(attach)
                    if spy is not None:
                        shares.append(_agent_share(tmp / f"spy{pair}.txt"))
                    time.sleep(1.0)
                (bare_cpu, bare_frames, bare_wall) = arms["bare"]
                (agent_cpu, agent_frames, agent_wall) = arms["agent"]
                cpu_ratios.append(agent_cpu / max(bare_cpu, 1e-9))
                frame_ratios.append(
                    (agent_frames / agent_wall) / max(bare_frames / bare_wall, 1e-9)
                )
                print(
                    f"{report.name}: pair {pair + 1}: bare cpu {bare_cpu:.2f} s, "
                    f"{bare_frames:.0f} frames in {bare_wall:.1f} s; agent cpu {agent_cpu:.2f} s, "
                    f"{agent_frames:.0f} frames in {agent_wall:.1f} s",
                    flush=True,
                )
            report.figure(
                "main-thread CPU with/without agent",
                statistics.median(cpu_ratios),
                "x",
                target=1.03,
                detail=f"{_spread(cpu_ratios)} over {PAIRS} ABBA pairs, {target.label}",
            )
            report.figure(
                "frames/s with/without agent",
                statistics.median(frame_ratios),
                "x",
                target=0.97,
                higher_is_better=True,
                detail=f"{_spread(frame_ratios)} over {PAIRS} pairs",
            )
            if shares:
                ours, total = sum(s[0] for s in shares), sum(s[1] for s in shares)
                report.figure(
                    "agent frames' share of main-thread samples",
                    ours / max(total, 1),
                    "",
                    target=0.03,
                    detail=f"{ours} of {total} py-spy samples ({SPY_RATE} Hz, nonblocking) "
                    "of the target's main thread have an agent frame on the stack; immune to "
                    "the machine's load, unlike the CPU ratio",
                )
            else:
                report.not_measured("agent frames' share", "py-spy not found next to python")
            _cycles(report, target, tmp)
        finally:
            target.stop()


def _cycles(report: Report, target: Target, tmp: Path) -> None:
    threads_before = _threads(target.pid)
    rss = [_rss_mb(target.pid)]
    for cycle in range(CYCLES):
        attach = target.attach(tmp / f"cycle{cycle}.session", duration=3.0)
        try:
            attach.wait(60)
        except subprocess.TimeoutExpired:
            _detach(attach)
        time.sleep(0.5)
        rss.append(_rss_mb(target.pid))
    drift = rss[-1] - rss[0]
    report.figure(
        f"RSS drift over {CYCLES} attach/detach cycles",
        drift,
        "MB",
        target=20.0,
        detail=f"{rss[0]:.1f} -> {rss[-1]:.1f} MB, max {max(rss):.1f}; threads "
        f"{threads_before} -> {_threads(target.pid)}",
    )

"""Benchmark harness: on demand only, every figure measured against a baseline in the same run.

A benchmark module (`bench_*.py` here) defines `run(report: Report) -> None` and calls
`report.compare(...)` or `report.figure(...)`. Timings interleave baseline and candidate runs
so that machine noise hits both alike; the printout is medians and ratios, never absolute
pass/fail on a timer, with the issue's target beside each ratio.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


@dataclass
class Report:
    name: str
    lines: list[str] = field(default_factory=list)
    met: list[bool] = field(default_factory=list)

    def compare(
        self,
        label: str,
        baseline: Callable[[], object],
        candidate: Callable[[], object],
        *,
        repeat: int = 5,
        target: float | None = None,
    ) -> float:
        """Median candidate/baseline wall-time ratio over `repeat` interleaved pairs."""
        base, cand = [], []
        for _ in range(repeat):
            base.append(timed(baseline))
            cand.append(timed(candidate))
        ratio = statistics.median(cand) / max(statistics.median(base), 1e-12)
        self._line(
            label,
            f"baseline median {statistics.median(base) * 1e3:.2f} ms, candidate median "
            f"{statistics.median(cand) * 1e3:.2f} ms, ratio {ratio:.3f}",
            None if target is None else ratio <= target,
            target,
        )
        return ratio

    def figure(
        self,
        label: str,
        value: float,
        unit: str,
        *,
        target: float | None = None,
        higher_is_better: bool = False,
        detail: str = "",
    ) -> None:
        ok = None
        if target is not None:
            ok = value >= target if higher_is_better else value <= target
        text = f"{value:.3f} {unit}" + (f" ({detail})" if detail else "")
        self._line(label, text, ok, target)

    def not_measured(self, label: str, reason: str) -> None:
        """A figure this machine cannot produce, with the one-line reason (no value printed)."""
        self._line(label, f"not measured: {reason}", None, None)

    def _line(self, label: str, text: str, ok: bool | None, target: float | None) -> None:
        verdict = "" if ok is None else ("  [meets target " if ok else "  [MISSES target ")
        if target is not None:
            verdict += f"{target}]"
        line = f"{self.name}: {label}: {text}{verdict}"
        self.lines.append(line)
        if ok is not None:
            self.met.append(ok)
        print(line, flush=True)

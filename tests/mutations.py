"""Break central functions on purpose and check the suite notices: `python -m tests.mutations`.

Each mutation replaces one exact snippet of our code (it must occur once) in a scratch copy
of the working tree and runs the tests that guard it there; the mutation is *caught* when
they fail. The working tree itself is never modified. `tests/test_mutation_list.py` keeps the
list honest on every `./run test`: each snippet still exists exactly once, so a refactor that
removes a guarded line has to update its mutation.

    python -m tests.mutations            # all, prints a table, exit 1 if one survives
    python -m tests.mutations lag-since   # only the mutations whose name contains the text
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str  # relative to the repository root
    old: str
    new: str
    tests: tuple[str, ...]


MUTATIONS: tuple[Mutation, ...] = (
    Mutation(
        "lag-since-start",
        "inspector/agent/probes/loop.py",
        "self._expected = now + self.period_s",
        "self._expected = self._expected",
        ("tests/agent/test_loop_lag.py",),
    ),
    Mutation(
        "reentries-count-as-entries",
        "inspector/sampling/correlate.py",
        "inner = sum(into[prev] for prev in into.keys() & stacks)",
        "inner = 0",
        ("tests/sampling/test_correlate.py",),
    ),
    Mutation(
        "one-line-findings-never-match-by-line",
        "inspector/sampling/correlate.py",
        "for line in range(finding.line, last + 1):",
        "for line in range(finding.line, last):",
        ("tests/sampling/test_correlate.py",),
    ),
    Mutation(
        "blocking-exemptions-lost",
        "analyzers/matching.py",
        "if qualname.startswith(entry) and (",
        "if False and (",
        ("tests/analyzers/test_matching.py",),
    ),
    Mutation(
        "awaited-call-check-lost",
        "analyzers/rules/x_blocking_call_in_async.py",
        "if call.awaited:",
        "if False:",
        ("tests/analyzers/test_matching.py",),
    ),
    Mutation(
        "fingerprint-hashes-the-message",
        "analyzers/findings.py",
        'key = f"{self.rule}|{self.path}|{self.symbol}|{self.anchor}|{self.occurrence}"',
        'key = f"{self.rule}|{self.path}|{self.symbol}|{self.message}"',
        ("tests/core/test_findings.py", "tests/analyzers/test_identity.py"),
    ),
    Mutation(
        "fingerprint-without-occurrence",
        "analyzers/findings.py",
        'key = f"{self.rule}|{self.path}|{self.symbol}|{self.anchor}|{self.occurrence}"',
        'key = f"{self.rule}|{self.path}|{self.symbol}|{self.anchor}"',
        ("tests/core/test_findings.py", "tests/analyzers/test_identity.py"),
    ),
    Mutation(
        "anchor-is-the-line-number",
        "analyzers/identity.py",
        "f = replace(f, anchor=normalize_statement(text[f.line - 1]))",
        "f = replace(f, anchor=str(f.line))",
        ("tests/analyzers/test_identity.py",),
    ),
    Mutation(
        "score-drops-difficulty",
        "analyzers/findings.py",
        "return self.impact * 10 + self.frequency * 5 - self.difficulty * 2",
        "return self.impact * 10 + self.frequency * 5",
        ("tests/core/test_findings.py",),
    ),
    Mutation(
        "critical-boundary-off-by-one",
        "analyzers/findings.py",
        "if score >= 70:",
        "if score > 70:",
        ("tests/core/test_findings.py",),
    ),
)


def _scratch_copy(dest: Path) -> None:
    """The working tree's tracked and untracked-but-not-ignored files, as they are now."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file():
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)


def snippet_count(m: Mutation, root: Path = ROOT) -> int:
    return (root / m.path).read_text(encoding="utf-8").count(m.old)


def run(mutation: Mutation, scratch: Path) -> str:
    """'caught', 'SURVIVED', or why it could not be applied."""
    target = scratch / mutation.path
    original = target.read_text(encoding="utf-8")
    if original.count(mutation.old) != 1:
        return f"not applied: snippet found {original.count(mutation.old)}x"
    target.write_text(original.replace(mutation.old, mutation.new), encoding="utf-8")
    try:
        env = {
            **os.environ,
            "PYTHONPATH": str(scratch),
            "QT_QPA_PLATFORM": "offscreen",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *mutation.tests],
            cwd=scratch,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        target.write_text(original, encoding="utf-8")
    if proc.returncode == 0:
        return "SURVIVED"
    if proc.returncode in (1,):  # tests ran and failed
        return "caught"
    return f"error (pytest exit {proc.returncode}): {proc.stdout.strip().splitlines()[-1:]}"


def main(argv: list[str]) -> int:
    wanted = [m for m in MUTATIONS if not argv or any(a in m.name for a in argv)]
    with tempfile.TemporaryDirectory(prefix="casare-mutations-") as tmp:
        scratch = Path(tmp)
        _scratch_copy(scratch)
        # the scratch copy must be what the tests import, not the installed tree
        probe = subprocess.run(
            [sys.executable, "-c", "import inspector; print(inspector.__file__)"],
            cwd=scratch,
            env={**os.environ, "PYTHONPATH": str(scratch)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if not probe.startswith(str(scratch)):
            print(f"mutations: the scratch copy is not imported (got {probe})", file=sys.stderr)
            return 2
        results = [(m, run(m, scratch)) for m in wanted]
    width = max(len(m.name) for m, _ in results)
    for m, outcome in results:
        print(f"{m.name:<{width}}  {outcome:<10}  {m.path}")
    bad = [m for m, outcome in results if outcome != "caught"]
    print(f"{len(results) - len(bad)} of {len(results)} mutations caught")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

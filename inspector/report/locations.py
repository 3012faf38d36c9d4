"""Checks that every `file:line` reference in a Markdown report points at that line of the tree.

Used by the tests on our fixture tree and, as a command-line check, on a real audited tree:
`python -m inspector.report.locations REPORT.md` exits non-zero and lists every bad link.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from analyzers.findings import Finding

_LINK = re.compile(r"\[([^\]\n]+?):(\d+)\]\(([^)#\s]+)#L(\d+)\)")


@dataclass(frozen=True)
class LocationRef:
    """One `[path:line](target#Lline)` link, resolved against the report's folder."""

    path: str
    line: int
    target: Path
    anchor_line: int


@dataclass(frozen=True)
class LocationProblem:
    ref: LocationRef
    problem: str

    def __str__(self) -> str:
        return f"{self.ref.path}:{self.ref.line}: {self.problem}"


def iter_refs(markdown: str, report_dir: Path) -> Iterator[LocationRef]:
    for m in _LINK.finditer(markdown):
        # Link targets are percent-encoded by the renderer; the text keeps the plain path.
        target = report_dir / unquote(m.group(3))
        yield LocationRef(m.group(1), int(m.group(2)), target, int(m.group(4)))


def check_locations(
    markdown: str,
    report_dir: Path,
    source_root: Path | None = None,
    findings: Sequence[Finding] = (),
) -> tuple[list[LocationRef], list[LocationProblem]]:
    """Every link must name the same line in its text and anchor, resolve to an existing file
    (inside `source_root` when given) whose line exists and is not blank; with `findings`,
    each finding's own `path:line` must be among the links."""
    refs = list(iter_refs(markdown, report_dir))
    problems: list[LocationProblem] = []
    cache: dict[Path, list[str] | None] = {}
    root = source_root.resolve() if source_root else None
    for ref in refs:
        if ref.line != ref.anchor_line:
            problems.append(
                LocationProblem(ref, f"text says line {ref.line}, link #L{ref.anchor_line}")
            )
            continue
        target = ref.target.resolve()
        if root is not None and not target.is_relative_to(root):
            problems.append(LocationProblem(ref, f"link leaves the audited root: {target}"))
            continue
        if root is not None and target != (root / ref.path).resolve():
            problems.append(LocationProblem(ref, f"link resolves to {target}, not {ref.path}"))
            continue
        if target not in cache:
            try:
                cache[target] = target.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                cache[target] = None
        lines = cache[target]
        if lines is None:
            problems.append(LocationProblem(ref, "file does not exist"))
        elif not 1 <= ref.line <= len(lines):
            problems.append(
                LocationProblem(ref, f"line {ref.line} is past the end ({len(lines)} lines)")
            )
        elif not lines[ref.line - 1].strip():
            problems.append(LocationProblem(ref, "line is blank"))
    linked = {(r.path, r.line) for r in refs}
    for f in findings:
        outside = f.path.startswith("<") or Path(f.path).is_absolute()
        if root is not None and not outside:
            outside = not (root / f.path).is_file()
        if outside:
            continue  # stdlib/site-packages frames: the report names them without a link
        if (f.path, f.line) not in linked:
            ref = LocationRef(f.path, f.line, Path(f.path), f.line)
            problems.append(LocationProblem(ref, f"finding {f.rule} is not linked in the report"))
    return refs, problems


def line_at(refs: Sequence[LocationRef], path: str, line: int) -> str:
    """The source text a reference points at (for tests that pin the exact line)."""
    for ref in refs:
        if ref.path == path and ref.line == line:
            return ref.target.read_text(encoding="utf-8").splitlines()[line - 1]
    raise KeyError(f"{path}:{line}")


def summary(refs: Sequence[LocationRef], problems: Sequence[LocationProblem]) -> Mapping[str, int]:
    return {"links": len(refs), "files": len({r.path for r in refs}), "problems": len(problems)}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print(
            "usage: python -m inspector.report.locations REPORT.md [SOURCE_ROOT]", file=sys.stderr
        )
        return 2
    report = Path(args[0])
    root = Path(args[1]) if len(args) > 1 else None
    refs, problems = check_locations(report.read_text(encoding="utf-8"), report.parent, root)
    for p in problems:
        print(p)
    s = summary(refs, problems)
    print(f"{s['links']} links into {s['files']} files checked, {s['problems']} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

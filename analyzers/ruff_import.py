"""Findings from ruff's flake8-async (ASYNC) rules, so nothing the usual linter finds is lost.

Ruff is fast (well under a second for CasareRPA's 128k lines) and well kept, so its generic
single-function checks (`open()` in a coroutine, `subprocess` in a coroutine, busy-wait loops)
are imported instead of rewritten. Each becomes a `Finding` with rule id `RUF-ASYNCnnn`.

- ASYNC109 (timeout parameter) and ASYNC240 (os.path in a coroutine) are demoted: dropped for
  asyncio code, where they are style advice with no measurable cost, and kept as LOW elsewhere.
- ASYNC220 (`subprocess.Popen` in a coroutine) is not imported: Popen returns once the process
  has started; waiting for it (`wait`, `communicate`) is what blocks, and CIA001 and ASYNC221/
  222 report that.
- Checks that are true but usually cheap are LOW and say why in the message: a sleep-polling
  wait (ASYNC110) and `open()` in a coroutine (ASYNC230: quick for the small files it mostly
  opens). The blocking waits (ASYNC210/212/221/222/251) keep their rank.
- A ruff finding at a line where one of our own rules already reports is dropped (ours carry
  the call chain and the area-specific advice); so is a blocking one (`open()`, a process
  wait) in a function where one of our rules already reports a blocking call: moving that
  function's blocking work off the loop is one fix.
- ASYNC110 is dropped where the loop's condition itself awaits (`while not await
  announce(): await asyncio.sleep(3)`): each round does real work (a network call, a
  subprocess) and sleeps between tries, a retry with back-off. There is no flag another task
  sets, so no Event to wait on. A condition that only re-reads state (`while not self.ready`,
  `while not fut.done()`) stays.
- One finding per check per function: further hits of the same code in it are `related`.
- No ruff executable is not an error: the import is skipped and the reason returned.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path

from analyzers.findings import ChainStep, Finding, Priority

# code -> (impact, frequency, difficulty, area, tags, advice)
_CODES: Mapping[str, tuple[int, int, int, int, tuple[str, ...], str]] = {
    "ASYNC100": (3, 3, 2, 8, ("async",), "a timeout context without an await inside does nothing"),
    "ASYNC105": (5, 4, 2, 8, ("async",), "await the trio/anyio call"),
    "ASYNC109": (1, 2, 2, 8, ("async",), "use asyncio.timeout() around the call instead"),
    "ASYNC110": (1, 4, 2, 2, ("async", "polling"), "wait on an asyncio.Event instead of polling"),
    "ASYNC115": (2, 5, 1, 8, ("async",), "use asyncio.sleep(0) only to yield"),
    "ASYNC116": (3, 3, 1, 8, ("async",), "use an Event instead of a very long sleep"),
    "ASYNC210": (6, 5, 3, 8, ("async", "blocking"), "use an async HTTP client"),
    "ASYNC212": (6, 5, 3, 8, ("async", "blocking"), "use an async HTTP client"),
    "ASYNC221": (5, 4, 3, 8, ("async", "blocking"), "use asyncio.create_subprocess_exec"),
    "ASYNC222": (5, 4, 3, 8, ("async", "blocking"), "use asyncio.create_subprocess_exec"),
    "ASYNC230": (1, 4, 2, 8, ("async", "blocking"), "use aiofiles or asyncio.to_thread"),
    "ASYNC240": (1, 3, 2, 8, ("async",), "use anyio.Path or asyncio.to_thread"),
    "ASYNC250": (4, 3, 2, 8, ("async", "blocking"), "read input in a thread"),
    "ASYNC251": (6, 5, 2, 8, ("async", "blocking"), "use await asyncio.sleep"),
}
# Why a check ranked LOW above is cheap in the usual case (said in its message).
_CHEAP_BECAUSE: Mapping[str, str] = {
    "ASYNC110": "the loop only wakes once per sleep to re-check, which costs little; an Event "
    "ends the wait at once instead of up to one sleep late",
    "ASYNC230": "opening a file and reading or writing a small one is quick; it stalls the loop "
    "only for large files or slow (network) drives",
}
DEMOTED_FOR_ASYNCIO = frozenset({"ASYNC109", "ASYNC240"})
# A loop with no condition: a keep-alive tick (Ctrl+C on Windows, a heartbeat), not a wait.
_KEEP_ALIVE = re.compile(r"\s*while\s+(?:True|1)\s*:")
_AWAIT = re.compile(r"\bawait\b")
_WHILE_HEAD_MAX_LINES = 8
RUFF_TIMEOUT_S = 120


def ruff_executable() -> str | None:
    """ruff next to this interpreter (a venv or bundle), else on PATH."""
    here = Path(sys.executable).parent
    for name in ("ruff", "ruff.exe"):
        candidate = here / name
        if candidate.is_file():
            return str(candidate)
    try:
        from ruff.__main__ import find_ruff_bin  # type: ignore[import-not-found]

        return str(find_ruff_bin())
    except (ImportError, FileNotFoundError):
        pass
    return shutil.which("ruff")


def run_ruff(root: Path, relpaths: Iterable[str]) -> tuple[list[dict], str]:
    """Raw ruff diagnostics for the given files under `root`, and a note if it did not run."""
    exe = ruff_executable()
    if exe is None:
        return [], "ruff not found: generic ASYNC checks skipped"
    files = [str(root / rel) for rel in relpaths]
    if not files:
        return [], ""
    cmd = [
        exe,
        "check",
        "--isolated",  # the audited project's own ruff config must not change our results
        "--select",
        "ASYNC",
        "--output-format",
        "json",
        "--no-cache",
        "--exit-zero",
        "--force-exclude",
        *files,
    ]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=RUFF_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [], f"ruff failed to run: {exc}"
    if proc.returncode != 0:
        return [], f"ruff exited with {proc.returncode}: {proc.stderr.strip()[:200]}"
    try:
        return list(json.loads(proc.stdout or "[]")), ""
    except json.JSONDecodeError as exc:
        return [], f"ruff output unreadable: {exc}"


def ruff_findings(
    root: Path,
    relpaths: Iterable[str],
    *,
    asyncio_files: frozenset[str],
    area_for: Mapping[str, int | None],
    occupied: frozenset[tuple[str, int]],
    blocking: frozenset[tuple[str, int]] = frozenset(),
    functions: Mapping[str, list[tuple[int, int, str]]] | None = None,
    diagnostics: tuple[list[dict], str] | None = None,
) -> tuple[list[Finding], str]:
    """Convert ruff's ASYNC diagnostics into Findings (see the module docstring).

    `diagnostics`: what `run_ruff` returned, when the caller ran it already (the audit
    starts ruff before its own analysis, so ruff runs while the workers do).

    `occupied`: (path, line) where our rules report; `blocking`: those of them that report a
    blocking call; `functions`: (first, last line, name) of each file's functions when the
    caller has them (the audit's summaries), else files are parsed where needed.
    """
    raw, note = diagnostics if diagnostics is not None else run_ruff(root, relpaths)
    out: list[Finding] = []
    # Functions are looked up (one parse per file) only where they can change the result: a
    # file with a check's second hit, or with one of our blocking calls.
    hits = Counter((str(item.get("filename", "")), str(item.get("code", ""))) for item in raw)
    blocking_files = {path for path, _ in blocking}
    spans: dict[str, list[tuple[int, int, str]]] = {}
    lines: dict[Path, list[str]] = {}
    firsts: dict[tuple[str, str, tuple[int, int, str] | None], int] = {}
    for item in sorted(raw, key=_position):
        code = str(item.get("code") or "")
        spec = _CODES.get(code)
        if spec is None:
            continue
        try:
            relpath = Path(item["filename"]).resolve().relative_to(root.resolve()).as_posix()
        except (KeyError, ValueError):
            continue
        line = int(item.get("location", {}).get("row", 0) or 0)
        if line <= 0 or (relpath, line) in occupied:
            continue
        if code in DEMOTED_FOR_ASYNCIO and relpath in asyncio_files:
            continue
        if code == "ASYNC110" and _KEEP_ALIVE.match(_line_of(root / relpath, line, lines)):
            continue  # `while True: await sleep(1)` ticks the loop; no condition to wait for
        if code == "ASYNC110" and _AWAIT.search(_while_head(root / relpath, line, lines)):
            continue  # `while not await try_again(): sleep` retries real work; no flag to wait on
        impact, frequency, difficulty, default_area, tags, advice = spec
        function = None
        if hits[(str(item.get("filename", "")), code)] > 1 or (
            "blocking" in tags and relpath in blocking_files
        ):
            if relpath not in spans:
                known = functions.get(relpath) if functions is not None else None
                spans[relpath] = known if known is not None else _function_spans(root / relpath)
            function = _innermost(spans[relpath], line)
        if function is not None and "blocking" in tags:
            begin, last, _ = function
            if any(p == relpath and begin <= n <= last for p, n in blocking):
                continue
        key = (code, relpath, function)
        if function is not None and key in firsts:
            kept = out[firsts[key]]
            step = ChainStep(relpath, line, function[2], "same kind of call")
            out[firsts[key]] = replace(kept, related=(*kept.related, step))
            continue
        firsts[key] = len(out)
        area = area_for.get(relpath) or default_area
        end = int(item.get("end_location", {}).get("row", line) or line)
        out.append(
            Finding(
                rule=f"RUF-{code}",
                area=area,
                path=relpath,
                line=line,
                end_line=max(end, line),
                col=int(item.get("location", {}).get("column", 1) or 1) - 1,
                message=_message(str(item.get("message") or code), code, advice),
                priority=Priority(impact, frequency, difficulty),
                title=str(item.get("name") or code),
                recommendation=f"{advice}. See {item.get('url', 'ruff docs')}.",
                tags=(*tags, "ruff"),
            )
        )
    return out, note


def _position(item: dict) -> tuple[str, int, int]:
    where = item.get("location") or {}
    return (
        str(item.get("filename", "")),
        int(where.get("row", 0) or 0),
        int(where.get("column", 0) or 0),
    )


def _line_of(path: Path, line: int, cache: dict[Path, list[str]]) -> str:
    """Line `line` (1-based) of `path`, "" when unreadable."""
    if path not in cache:
        try:
            cache[path] = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            cache[path] = []
    text = cache[path]
    return text[line - 1] if 0 < line <= len(text) else ""


def _while_head(path: Path, line: int, cache: dict[Path, list[str]]) -> str:
    """The `while` header starting at `line`, up to its colon (a few lines at most), without
    comments; "" when `line` does not start a while loop."""
    first = _line_of(path, line, cache)
    if not first.lstrip().startswith("while"):
        return ""
    parts: list[str] = []
    for n in range(line, line + _WHILE_HEAD_MAX_LINES):
        text = _line_of(path, n, cache).split("#", 1)[0].rstrip()
        parts.append(text)
        if text.endswith(":"):
            break
    return " ".join(parts)


def _function_spans(path: Path) -> list[tuple[int, int, str]]:
    """(first line, last line, qualified name) of every function in the file; [] if unreadable."""
    try:
        tree = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return []
    spans: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    spans.append((child.lineno, child.end_lineno or child.lineno, name))
                visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return spans


def _innermost(spans: list[tuple[int, int, str]], line: int) -> tuple[int, int, str] | None:
    around = [s for s in spans if s[0] <= line <= s[1]]
    return min(around, key=lambda s: s[1] - s[0]) if around else None


def _message(text: str, code: str, advice: str) -> str:
    cheap = _CHEAP_BECAUSE.get(code)
    if cheap:
        return f"{text} (ruff {code}); {cheap}: {advice}."
    return f"{text} (ruff {code}); {advice}."

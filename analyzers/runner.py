"""Audits a source tree: discovery, per-file analysis in a process pool, project rules, cache.

    result = audit(Path("src/casare_rpa"), "casare_rpa")
    result.findings  # ranked list[Finding]
    result.errors    # [(relpath, message)] for every file that could not be analyzed

Each file is parsed once with `ast` (summary for the project model) and, when any traversal
rule's TRIGGERS match its text, once with libcst (all such rules in one batched traversal).
Workers get rule *classes* and make fresh instances per file. Whole-project rules then run in
this process over the joined model. Unchanged files come from the cache (`analyzers.cache`).
"""

from __future__ import annotations

import ast
import gc
import os
import pickle
import re
import stat
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import libcst as cst

from analyzers import reachability
from analyzers.cache import AuditCache, FileResult
from analyzers.context import FileContext
from analyzers.dead_callers import CallerIndex
from analyzers.engine import analyze_module, confirm_findings
from analyzers.findings import AREAS, ChainStep, Finding, Priority, Severity, rank
from analyzers.identity import stamp_identity
from analyzers.parsing import parse_module
from analyzers.profile import Profile, glob_matches, load_profile
from analyzers.project import (
    FunctionInfo,
    ModuleSummary,
    ProjectModel,
    module_name_for,
    summarize_tree,
)
from analyzers.reachability import Reachability, outside_imports
from analyzers.registry import all_rules
from analyzers.rule import Rule

# Directories that never hold the project's own source.
_SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "node_modules",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "site-packages",
    }
)
# Below this many files to analyze, a process pool costs more than it saves.
_MIN_FILES_FOR_POOL = 8

Progress = Callable[[int, int], None]


class AuditError(Exception):
    """The audit cannot run at all (bad root, bad profile); one line for the user."""


@dataclass
class AuditResult:
    """Findings of one audit plus what happened to every file."""

    root: str
    profile: str
    findings: list[Finding] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    files: int = 0  # Python files discovered (excluded ones not counted)
    analyzed: int = 0
    lines: int = 0
    elapsed_s: float = 0.0
    cache_hits: int = 0
    rules: int = 0
    jobs: int = 1
    notes: list[str] = field(default_factory=list)  # e.g. "ruff not found: ... skipped"
    # Profile entries that match nothing in this tree (a moved file, a renamed method).
    warnings: list[str] = field(default_factory=list)
    # Files no `[areas]` pattern of the profile matches (their findings are tagged
    # "unassigned-area" and keep the rule's area only as a placeholder).
    unassigned_files: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.errors

    def counts_by_area(self) -> dict[int, int]:
        counts = Counter(f.area for f in self.findings)
        return {area: counts.get(area, 0) for area in AREAS}

    def counts_by_severity(self) -> dict[str, int]:
        counts = Counter(f.severity.value for f in self.findings)
        return {sev.value: counts.get(sev.value, 0) for sev in Severity}

    def counts_by_rule(self) -> dict[str, int]:
        return dict(sorted(Counter(f.rule for f in self.findings).items()))

    def per_kloc(self) -> float:
        return 1000.0 * len(self.findings) / max(self.lines, 1)

    def to_dict_without_findings(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "profile": self.profile,
            "files": self.files,
            "analyzed": self.analyzed,
            "lines": self.lines,
            "elapsed_s": round(self.elapsed_s, 3),
            "cache_hits": self.cache_hits,
            "rules": self.rules,
            "jobs": self.jobs,
            "notes": list(self.notes),
            "warnings": list(self.warnings),
            "unassigned_files": len(self.unassigned_files),
            "unassigned_findings": sum("unassigned-area" in f.tags for f in self.findings),
            "by_severity": self.counts_by_severity(),
            "finding_count": len(self.findings),
            "findings_per_kloc": round(self.per_kloc(), 3),
            "by_area": {str(k): v for k, v in self.counts_by_area().items()},
            "by_rule": self.counts_by_rule(),
            "errors": [{"path": p, "message": m} for p, m in self.errors],
        }

    def to_dict(self) -> dict[str, Any]:
        data = self.to_dict_without_findings()
        data["findings"] = [f.to_dict() for f in self.findings]
        return data


# -- discovery ------------------------------------------------------------------------------


def discover(root: Path, profile: Profile, errors: list[tuple[str, str]]) -> Iterator[Path]:
    """Python files under `root` (or `root` itself), following directory symlinks once.

    A symlink that leads back into a directory already walked (a loop) is reported in
    `errors` and not followed again.
    """
    if root.is_file():
        yield root
        return
    seen: set[str] = set()

    def walk(directory: Path) -> Iterator[Path]:
        try:
            real = os.path.realpath(directory)
        except OSError as exc:
            errors.append((_rel(directory, root), f"cannot resolve directory: {exc}"))
            return
        if real in seen:
            errors.append(
                (_rel(directory, root), "symlink loop: directory already visited, skipped")
            )
            return
        seen.add(real)
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            errors.append((_rel(directory, root), f"cannot list directory: {exc.strerror or exc}"))
            return
        for entry in entries:
            path = Path(entry.path)
            rel = _rel(path, root)
            try:
                is_dir = entry.is_dir()  # follows symlinks
            except OSError as exc:
                errors.append((rel, f"cannot stat: {exc.strerror or exc}"))
                continue
            if is_dir:
                if entry.name in _SKIP_DIRS or entry.name.startswith("."):
                    continue
                if profile.is_excluded(rel + "/") or profile.is_excluded(rel + "/x.py"):
                    continue
                yield from walk(path)
            elif entry.name.endswith(".py"):
                if entry.is_symlink() and not path.exists():
                    errors.append((rel, "broken symlink: skipped"))
                    continue
                if not profile.is_excluded(rel):
                    yield path

    yield from walk(root)


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def package_of(directory: Path) -> str:
    """`casare_rpa` when auditing `src/casare_rpa` (a package): module names must match the
    project's absolute imports. Empty for a plain directory (the repository root)."""
    parts: list[str] = []
    current = directory.resolve()
    while (current / "__init__.py").is_file() and current.name.isidentifier():
        parts.insert(0, current.name)
        current = current.parent
    return ".".join(parts)


def decode_source(data: bytes) -> str:
    """UTF-8 (or the file's PEP 263 coding cookie); raises UnicodeDecodeError with context."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        import io
        import tokenize

        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError:
            encoding = "utf-8"
        if encoding.lower().replace("_", "-") in ("utf-8", "utf-8-sig"):
            raise
        return data.decode(encoding)


class NotARegularFile(OSError):
    """A source path that is a FIFO, a device or a socket: never read (it may never end)."""


class FileTooLarge(OSError):
    """A source file over the size limit; `size` is how much it holds (or at least)."""

    def __init__(self, size: int) -> None:
        super().__init__(f"{size} bytes")
        self.size = size


_FILE_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _FILE_KINDS if test(mode)), "not a regular file")


def read_regular_file(path: Path, max_bytes: int) -> bytes:
    """The bytes of `path` if it is a regular file of at most `max_bytes`.

    `st_size` is 0 for a FIFO and for /dev/zero, so a size check alone reads forever (or
    hangs): the kind is checked first (through symlinks), again on the open descriptor (the
    path may have been swapped), and the read itself stops at `max_bytes + 1`.
    """
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        target = f" (a link to {os.path.realpath(path)})" if os.path.islink(path) else ""
        raise NotARegularFile(f"{_kind(mode)}{target}, not a regular file")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotARegularFile(f"{_kind(st.st_mode)}, not a regular file")
        if st.st_size > max_bytes:
            raise FileTooLarge(st.st_size)
        chunks: list[bytes] = []
        total = 0
        while total <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > max_bytes:
            raise FileTooLarge(total)
        return b"".join(chunks)
    finally:
        os.close(fd)


# -- per-file work (runs in worker processes) ------------------------------------------------


@dataclass(frozen=True)
class FileTask:
    relpath: str
    source: str
    area: int | None
    disabled: frozenset[str] = frozenset()
    package: str = ""  # dotted package of the audited root ("casare_rpa" for src/casare_rpa)


def analyze_file(task: FileTask) -> FileResult:
    """Summary for the project model + findings of every traversal rule that wants the file."""
    result = FileResult(relpath=task.relpath, lines=task.source.count("\n") + 1)
    module = module_name_for(task.relpath)
    if task.package:
        module = f"{task.package}.{module}" if module else task.package
    try:
        tree = ast.parse(task.source, filename=task.relpath)
    except SyntaxError as exc:
        line = exc.lineno
        if line is None and "\x00" in task.source:  # ast names no line for a null byte
            line = task.source.count("\n", 0, task.source.index("\x00")) + 1
        where = f" at line {line}" if line is not None else ""
        result.error = f"syntax error{where}: {exc.msg}{_newer_syntax_hint(task.source)}"
        return result
    except (ValueError, RecursionError) as exc:  # e.g. null bytes, absurd nesting
        result.error = f"cannot parse: {exc}"
        return result
    summary = summarize_tree(tree, task.relpath, module, task.source)
    summary.lines = result.lines
    result.summary = summary
    rules = [r for r in traversal_rules() if r.ID not in task.disabled and r.wants(task.source)]
    if not rules:
        return result
    try:
        parsed = parse_module(task.source)
    except (cst.ParserSyntaxError, RecursionError) as exc:
        result.error = f"libcst cannot parse: {str(exc).splitlines()[0]}"
        return result
    failed: list[str] = []
    # A rule that crashes aborts the batched traversal; drop it and rerun the others, so
    # one rule's bug costs that rule's findings on this file, not the whole file.
    while rules:
        context = FileContext(
            relpath=task.relpath, module=module, area=task.area, symbols=summary.symbols
        )
        try:
            findings = analyze_module(parsed, context, rules, tree)
        except RecursionError:
            result.error = "too deeply nested to analyze"
            return result
        except Exception as exc:
            culprit = _crashed_rule(exc)
            if culprit is None or culprit not in rules:
                raise
            rules = [r for r in rules if r is not culprit]
            failed.append(f"{culprit.ID} crashed ({type(exc).__name__}: {exc})")
            continue
        result.findings = [f.to_dict() for f in findings]
        break
    if failed:
        result.error = "partly analyzed: " + "; ".join(failed)
    return result


def _newer_syntax_hint(source: str) -> str:
    """What to do when this Python rejects a file libcst's parser (which knows newer
    grammars, e.g. `def f[T]()` of 3.12) accepts: the summaries need this Python's `ast`."""
    try:
        parse_module(source)
    except Exception:
        return ""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    return (
        f" (valid in a newer Python than {version}: run the inspector on the Python the "
        "project targets to analyze this file)"
    )


def _crashed_rule(exc: BaseException) -> type[Rule] | None:
    """The rule class whose method raised `exc` (innermost rule frame in the traceback)."""
    found = None
    tb = exc.__traceback__
    while tb is not None:
        owner = tb.tb_frame.f_locals.get("self")
        if isinstance(owner, Rule):
            found = type(owner)
        tb = tb.tb_next
    return found


def traversal_rules() -> list[type[Rule]]:
    return [r for r in all_rules() if not getattr(r, "PROJECT_CHECK", False)]


def project_rules() -> list[type[Rule]]:
    return [r for r in all_rules() if getattr(r, "PROJECT_CHECK", False)]


# -- the audit -------------------------------------------------------------------------------


def audit(
    root: Path,
    profile: Profile | str = "generic",
    *,
    jobs: int | None = None,
    use_cache: bool = True,
    progress: Progress | None = None,
    cache: AuditCache | None = None,
) -> AuditResult:
    """Audit every Python file under `root`; see the module docstring."""
    started = time.perf_counter()
    root = Path(root)
    if not root.exists():
        raise AuditError(f"path does not exist: {root}")
    if not (root.is_dir() or root.suffix == ".py"):
        raise AuditError(f"not a directory or a .py file: {root}")
    if isinstance(profile, str):
        profile = load_profile(profile)
    base = root if root.is_dir() else root.parent
    package = package_of(base)
    profile = profile.with_project_overrides(base)
    result = AuditResult(root=str(root), profile=profile.name, rules=len(all_rules()))
    disabled = profile.disabled_rules
    store = (cache or AuditCache(salt=profile.digest())) if use_cache else None

    # 1. Discover and read; cached files skip all per-file work.
    tasks: list[tuple[str, FileTask]] = []
    read: list[tuple[str, str, str]] = []  # (relpath, cache key, source)
    done: list[FileResult] = []
    for path in discover(root, profile, result.errors):
        relpath = _rel(path, base)
        result.files += 1
        try:
            data = read_regular_file(path, profile.max_file_bytes)
        except NotARegularFile as exc:
            result.errors.append((relpath, f"skipped: {exc}"))
            continue
        except FileTooLarge as exc:
            result.errors.append(
                (
                    relpath,
                    f"skipped: {exc.size / 1e6:.1f} MB is over the "
                    f"{profile.max_file_bytes // 1024} KB limit (generated code?); "
                    "raise [static] max_file_kb to audit it",
                )
            )
            continue
        except OSError as exc:
            result.errors.append((relpath, f"cannot read: {exc.strerror or exc}"))
            continue
        try:
            source = decode_source(data)
        except (UnicodeDecodeError, LookupError) as exc:
            where = f" (byte {exc.start})" if isinstance(exc, UnicodeDecodeError) else ""
            result.errors.append(
                (relpath, f"not valid UTF-8{where} and no usable coding cookie: skipped")
            )
            continue
        key = store.key(f"{package}|{relpath}", data) if store else ""
        read.append((relpath, key, source))

    # An unchanged tree (same files, same rules, same profile): the whole result is cached,
    # so a warm run skips even the project model and the whole-project rules.
    # Scripts at the repository root (run.py) import the audited package: they decide what
    # is reachable, so their content is part of the whole tree's key.
    outside, outside_words, outside_bytes = outside_imports(base)
    tree_key = (
        _tree_key([key for _, key, _ in read], result.errors, outside_bytes)
        if store is not None
        else ""
    )
    if store is not None and tree_key and _restore(store.get_value(tree_key), result):
        result.cache_hits = len(read)
        if progress:
            progress(len(read), len(read))
        result.elapsed_s = time.perf_counter() - started
        return result
    for relpath, key, source in read:
        cached = store.get(key) if store else None
        if cached is not None:
            cached.relpath = relpath
            done.append(cached)
            continue
        area = profile.area_for(relpath)
        tasks.append((key, FileTask(relpath, source, area, disabled, package)))

    # ruff reads the files itself: started now, it runs while our workers do, instead of
    # after them on the audit's serial tail.
    use_ruff = bool(profile.static.get("ruff", True))
    early_ruff = _RuffInBackground(base, [relpath for relpath, _, _ in read]) if use_ruff else None

    # 2. Analyze the rest, in a process pool when it pays.
    total = len(done) + len(tasks)
    if progress:
        progress(len(done), total)
    workers = max(1, min(jobs or os.cpu_count() or 1, len(tasks)))
    result.jobs = workers
    done += _run_tasks(tasks, workers, progress, len(done), total, store)
    if store is not None:
        result.cache_hits = store.hits

    # 3. Join: project model and whole-project rules.
    summaries: list[ModuleSummary] = []
    findings: list[Finding] = []
    for file_result in done:
        if file_result.error:
            result.errors.append((file_result.relpath, file_result.error))
        if file_result.summary is None:
            continue
        summaries.append(file_result.summary)
        result.lines += file_result.lines
        if not file_result.error:
            result.analyzed += 1
        findings += [Finding.from_dict(d) for d in file_result.findings]
    project = ProjectModel.build(summaries)
    wanted = [r for r in project_rules() if r.ID not in disabled]
    entry_points = frozenset(profile.entry_points)
    for summary in summaries:
        context = FileContext(
            relpath=summary.relpath,
            module=summary.module,
            area=profile.area_for(summary.relpath),
            project=project,
            symbols=summary.symbols,
            options={"entry_points": entry_points},
        )
        for rule in wanted:
            instance = rule(context)
            instance.check_project()  # type: ignore[attr-defined]
            findings += instance.findings

    findings = confirm_findings(findings, project, [r for r in all_rules() if r.ID not in disabled])
    if early_ruff is not None and summaries:
        findings += _ruff(base, summaries, profile, findings, result, early_ruff.result())
    findings = apply_rule_options(findings, profile)
    reach = reachability.build(
        ((s.module, s.relpath, s.references) for s in summaries if s.references),
        outside,
        outside_words,
        profile.entry_points,
    )
    sources = {relpath: source for relpath, _, source in read}
    findings = calibrate_severity(findings, project, profile, reach, sources)
    relpaths = [s.relpath for s in summaries]
    findings = mark_unassigned(findings, profile, result, relpaths)
    result.warnings = profile_warnings(profile, project, relpaths)
    result.findings = rank(stamp_identity(deduplicate(findings), sources))
    result.errors.sort()
    if store is not None and tree_key and not result.notes:
        store.put_value(tree_key, _snapshot(result))
    result.elapsed_s = time.perf_counter() - started
    return result


def _tree_key(file_keys: list[str], errors: list[tuple[str, str]], outside: bytes = b"") -> str:
    """Key of a whole tree: every file's key (content, path, rules, profile) and what could
    not be read; empty when some file has no key."""
    if not file_keys or not all(file_keys):
        return ""
    import hashlib

    digest = hashlib.sha256(b"tree|")
    for key in sorted(file_keys):
        digest.update(key.encode())
    for relpath, message in sorted(errors):
        digest.update(f"|{relpath}\0{message}".encode())
    digest.update(b"|outside|" + hashlib.sha256(outside).digest())
    return digest.hexdigest()


def _snapshot(result: AuditResult) -> dict[str, Any]:
    return {
        "findings": result.findings,
        "errors": result.errors,
        "analyzed": result.analyzed,
        "lines": result.lines,
        "warnings": result.warnings,
        "unassigned_files": result.unassigned_files,
    }


def _restore(cached: object, result: AuditResult) -> bool:
    """Fill `result` from a `_snapshot`; False if the value is not one (old or foreign)."""
    if not isinstance(cached, dict) or not {"findings", "errors", "analyzed", "lines"} <= set(
        cached
    ):
        return False
    findings = cached["findings"]
    if not isinstance(findings, list) or not all(isinstance(f, Finding) for f in findings):
        return False
    result.findings = list(findings)
    result.errors = sorted(cached["errors"])
    result.analyzed = int(cached["analyzed"])
    result.lines = int(cached["lines"])
    result.warnings = list(cached.get("warnings", []))
    result.unassigned_files = list(cached.get("unassigned_files", []))
    return True


class _RuffInBackground:
    """`run_ruff` on a thread: ruff is another process, so it overlaps with the workers."""

    def __init__(self, base: Path, relpaths: list[str]) -> None:
        from analyzers.ruff_import import run_ruff

        self._base = base
        self._out: tuple[list[dict], str] = ([], "")
        self._thread = threading.Thread(
            target=self._run, args=(run_ruff, relpaths), name="audit-ruff", daemon=True
        )
        self._thread.start()

    def _run(self, run_ruff: Callable[..., tuple[list[dict], str]], relpaths: list[str]) -> None:
        try:
            self._out = run_ruff(self._base, relpaths)
        except Exception as exc:  # never lose the audit over ruff
            self._out = ([], f"ruff failed to run: {type(exc).__name__}: {exc}")

    def result(self) -> tuple[list[dict], str]:
        self._thread.join()
        return self._out


def _ruff(
    base: Path,
    summaries: list[ModuleSummary],
    profile: Profile,
    findings: list[Finding],
    result: AuditResult,
    diagnostics: tuple[list[dict], str] | None = None,
) -> list[Finding]:
    """ruff's ASYNC findings for the analyzed files, minus lines our rules already cover.

    `diagnostics`: ruff's output for every file read, when it ran already; only the files
    that were analyzed count (one our parser rejects is an error, not a ruff finding).
    Not cached on its own: it depends on every file, and an unchanged tree's whole result,
    ruff's findings included, comes from the tree cache (`_tree_key`).
    """
    from analyzers.ruff_import import ruff_findings

    if diagnostics is not None:
        analyzed = {(base / s.relpath).resolve() for s in summaries}
        raw, ruff_note = diagnostics
        diagnostics = (
            [d for d in raw if Path(str(d.get("filename", ""))).resolve() in analyzed],
            ruff_note,
        )
    disabled = profile.disabled_rules
    found, note = ruff_findings(
        base,
        [s.relpath for s in summaries],
        asyncio_files=_asyncio_files(summaries),
        area_for={s.relpath: profile.area_for(s.relpath) for s in summaries},
        occupied=frozenset((f.path, f.line) for f in findings),
        blocking=frozenset((f.path, f.line) for f in findings if "blocking" in f.tags),
        functions={
            s.relpath: [
                (fn.line, fn.end_line, fn.qualname.removeprefix(s.module + "."))
                for fn in s.functions
            ]
            for s in summaries
        },
        diagnostics=diagnostics,
    )
    if note:
        result.notes.append(note)
    symbols = {s.relpath: FileContext(s.relpath, symbols=s.symbols) for s in summaries}
    found = [
        replace(f, symbol=symbols[f.path].symbol_at(f.line)) if f.path in symbols else f
        for f in found
    ]
    return [f for f in found if f.rule not in disabled]


def _asyncio_files(summaries: list[ModuleSummary]) -> frozenset[str]:
    """Files whose coroutines run on asyncio: all of them in a project that uses asyncio and
    neither trio nor anyio (node modules often define `async def` without importing asyncio)."""

    def uses(summary: ModuleSummary, package: str) -> bool:
        return any(v.split(".", 1)[0] == package for v in summary.imports.values())

    if any(uses(s, "asyncio") for s in summaries) and not any(
        uses(s, "trio") or uses(s, "anyio") for s in summaries
    ):
        return frozenset(s.relpath for s in summaries)
    return frozenset(s.relpath for s in summaries if uses(s, "asyncio"))


def _run_tasks(
    tasks: Sequence[tuple[str, FileTask]],
    workers: int,
    progress: Progress | None,
    already: int,
    total: int,
    store: AuditCache | None = None,
) -> list[FileResult]:
    """Results of `(cache key, task)` pairs in order, each stored in `store` under its key."""
    if not tasks:
        return []
    if workers <= 1 or len(tasks) < _MIN_FILES_FOR_POOL:
        out = []
        for i, (key, task) in enumerate(tasks, 1):
            out.append(_safe_analyze(task))
            if store is not None:
                store.put(key, out[-1])
            if progress:
                progress(already + i, total)
        return out
    results: list[FileResult | None] = [None] * len(tasks)
    # Biggest files first, so no worker is left with a huge file at the end.
    order = sorted(range(len(tasks)), key=lambda i: -len(tasks[i][1].source))
    with ProcessPoolExecutor(max_workers=workers, initializer=_worker_init) as pool:
        futures = {pool.submit(_analyze_pickled, tasks[i][1], tasks[i][0], store): i for i in order}
        finished = already
        for future in as_completed(futures):
            i = futures[future]
            try:
                results[i] = pickle.loads(future.result())
            except Exception as exc:  # a worker died: report the file, keep going
                results[i] = FileResult(tasks[i][1].relpath, error=f"analyzer crashed: {exc}")
                if store is not None:
                    store.put(tasks[i][0], results[i])
            finished += 1
            if progress:
                progress(finished, total)
    return [r for r in results if r is not None]


def _analyze_pickled(task: FileTask, key: str, store: AuditCache | None) -> bytes:
    """`_safe_analyze` in a pool worker, pickled once: the same bytes go into the cache
    (written here, in parallel) and back to the auditing process, which no longer pickles
    every result a second time, one after another, once the pool is done."""
    data = pickle.dumps(_safe_analyze(task), protocol=pickle.HIGHEST_PROTOCOL)
    if store is not None:
        store.put_pickled(key, data)
    return data


def _safe_analyze(task: FileTask) -> FileResult:
    """`analyze_file`, with a rule bug turned into a per-file error instead of a dead run."""
    with _young_garbage_only():
        try:
            return analyze_file(task)
        except Exception as exc:
            return FileResult(task.relpath, error=f"analyzer error: {type(exc).__name__}: {exc}")


@contextmanager
def _young_garbage_only() -> Iterator[None]:
    """Automatic garbage collection paused for one file, then one young-generation pass.

    A file's libcst and ast trees are hundreds of thousands of objects, freed by reference
    counting once the file is done; while they are alive, automatic collection walks them
    again and again - a third of the audit's CPU on CasareRPA (16.7 -> 10.9 s single-process
    with it off). Collecting the youngest generation after each file frees the few cycles a
    file leaves, so peak memory stays where it was (185 MB). Only where this thread owns
    collection: the main thread with collection on (the CLI and its workers); in the window
    the audit runs on a worker thread and the GUI thread keeps collecting.
    """
    if not gc.isenabled() or threading.current_thread() is not threading.main_thread():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(0)


def _worker_init() -> None:
    # A worker forked from the window inherits its "collect on the GUI thread only" switch
    # (automatic collection off); a worker process has no GUI thread and collects normally.
    gc.enable()


def apply_rule_options(findings: list[Finding], profile: Profile) -> list[Finding]:
    """Per-rule `impact`/`frequency`/`difficulty`/`area` from the profile's [static.rules]."""
    out = []
    for finding in findings:
        opts = profile.rule_options(finding.rule)
        if not opts:
            out.append(finding)
            continue
        pri = finding.priority
        priority = Priority(
            impact=int(opts.get("impact", pri.impact)),
            frequency=int(opts.get("frequency", pri.frequency)),
            difficulty=int(opts.get("difficulty", pri.difficulty)),
            source=pri.source,
            basis="profile override" if pri.source == "default" else pri.basis,
        )
        area = int(opts.get("area", finding.area))
        out.append(replace(finding, priority=priority, area=area))
    return out


# -- severity, areas and profile checks (after every rule has run) ------------------------------

# Score ceilings of the categories below CRITICAL (see `Severity.from_score`).
_HIGH_CEILING = 69
_MEDIUM_CEILING = 49
_LOW_CEILING = 29
# A finding on a profile hot path runs per job, node, event or frame (`Rule` FREQUENCY 7-9).
_HOT_FREQUENCY = 8
_HOT_MIN_IMPACT = 4


def _capped(priority: Priority, ceiling: int, why: str) -> Priority:
    """`priority` lowered (frequency first, then impact) to score at most `ceiling`."""
    if priority.score <= ceiling:
        return priority
    impact, frequency, difficulty = priority.impact, priority.frequency, priority.difficulty
    while impact * 10 + frequency * 5 - difficulty * 2 > ceiling and frequency > 1:
        frequency -= 1
    while impact * 10 + frequency * 5 - difficulty * 2 > ceiling and impact > 1:
        impact -= 1
        # Give back as much frequency as the lower impact leaves room for.
        while frequency < priority.frequency and (
            impact * 10 + (frequency + 1) * 5 - difficulty * 2 <= ceiling
        ):
            frequency += 1
    basis = f"{priority.basis}; {why}" if priority.basis else why
    return Priority(impact, frequency, difficulty, source=priority.source, basis=basis)


def _rare_path(
    project: ProjectModel, finding: Finding, priority: Priority, message: str
) -> tuple[Priority, str]:
    """A blocking call (or nested loop) in code that runs once (set-up, import time, a cached
    helper, shutdown) or only after a failure stalls once, not per event: MEDIUM at most. The
    error path and shutdown say so in the message too."""
    once = project.runs_once_at(finding.path, finding.line)
    if once:
        if ("shutdown" in once or "crash" in once) and once not in message:
            message = f"{message.rstrip()} Runs {once}."
        return _capped(priority, _MEDIUM_CEILING, f"runs once: {once}"), message
    own = [r.line for r in finding.related if r.path == finding.path]
    rare = project.error_path_at(finding.path, [finding.line, *own])
    if not rare:
        # Several calls of one finding: each after a failure or in once-only code (a retry
        # loop's clean-up on failure, then the temp folder removed once at the end).
        once_lines = {
            line: project.runs_once_at(finding.path, line)
            for line in own
            if not project.error_path_at(finding.path, [line])
        }
        if own and project.error_path_at(finding.path, [finding.line]):
            reasons = set(once_lines.values())
            if reasons and None not in reasons:
                rare = f"only on the error path, or once ({sorted(reasons)[0]})"
    if rare:
        if "error path" not in message:
            message = f"{message.rstrip()} Runs {rare}."
        return _capped(priority, _MEDIUM_CEILING, f"runs {rare}"), message
    return priority, message


def _platform_at(project: ProjectModel, finding: Finding) -> str:
    """The OS the flagged call (or a call on its chain) runs only on, "" if it runs anywhere."""
    for path, line in ((finding.path, finding.line), *((s.path, s.line) for s in finding.chain)):
        fn = project.function_at(path, line)
        if fn is None:
            continue
        for call in fn.calls:
            if call.line == line:
                for guard in call.guards:
                    if guard.startswith("platform:"):
                        return guard.partition(":")[2]
    return ""


def _unreachable_at(
    project: ProjectModel,
    reach: Reachability,
    finding: Finding,
    profile: Profile,
    callers: CallerIndex | None = None,
) -> str | None:
    """Why the code holding the finding is unreachable, or None.

    A module nothing imports counts in every profile; a class or function nobody names only
    with `[static] whole_program = true` (an application: no plugin calls its public API)
    or when its name is private. With `callers`, so does one used only by unreachable code."""
    summary = project.by_path.get(finding.path)
    if summary is None:
        return None
    if summary.module in reach.dead_modules:
        return reach.dead_modules[summary.module]
    fn = project.function_at(finding.path, finding.line)
    while fn is not None and not fn.cls and "." in fn.qualname.removeprefix(fn.module + "."):
        outer = fn.qualname.rpartition(".")[0]  # a nested function lives as long as its outer
        fn = project.functions.get(outer)
        if fn is None:
            return None
    if fn is None:
        return None
    return _function_unreachable(project, reach, fn, profile, callers, frozenset())


# How far up the callers a finding's reachability is followed (each step checks every user).
_CALLER_DEPTH = 6


def _function_unreachable(
    project: ProjectModel,
    reach: Reachability,
    fn: FunctionInfo,
    profile: Profile,
    callers: CallerIndex | None,
    seen: frozenset[str],
) -> str | None:
    if fn.module in reach.dead_modules:
        return reach.dead_modules[fn.module]
    # A public name nobody uses is unused only in a whole program: the profile says so, or
    # the tree is an application (`Reachability.whole_program`); the reason then says which.
    whole = reach.whole_program(profile.static.get("whole_program"))
    private = fn.name.startswith("_") and not fn.name.startswith("__")
    cls = project.classes.get(fn.cls) if fn.cls else None
    seen = seen | {fn.qualname}
    camel_hooks = True
    if cls is not None:
        bases = project.memo(
            "reach.bases", lambda: {q: c.bases for q, c in project.classes.items()}
        )
        if whole or cls.name.startswith("_"):
            # a subclass of the tree's own class may be found by a registry of subclasses
            registered = any(base in project.classes for base in cls.bases) and (
                reachability.finds_subclasses(
                    cls.qualname,
                    bases,
                    project.memo(
                        "reach.methods",
                        lambda: {q: tuple(c.methods) for q, c in project.classes.items()},
                    ),
                    project.memo(
                        "reach.modules", lambda: {q: c.module for q, c in project.classes.items()}
                    ),
                    reach,
                )
            )
            why = reach.class_reason(cls.name, fn.module, subclass=registered)
            if why:
                return _whole_program_says(why, whole, cls.name)
            if not registered and callers is not None:
                why = _used_only_by_unreachable(
                    project, reach, cls.name, "class", profile, callers, seen
                )
                if why:
                    return _whole_program_says(why, whole, cls.name)
        plain = reachability.plain_bases(cls.qualname, bases)
        children = project.memo("reach.children", lambda: reachability.subclasses(bases))
        own_camel = reachability.own_camel_case(cls.qualname, bases, fn.name, children)
        if not (plain or own_camel or reachability.qt_helper(cls.qualname, bases, fn.name)):
            return None  # any method may be a framework's hook
        camel_hooks = not own_camel  # a plain mixin's camelCase may override a Qt virtual
    if not (whole or private):
        return None
    why = reach.function_reason(
        fn.name, fn.decorators, method=cls is not None, camel_hooks=camel_hooks
    )
    if why or callers is None or len(seen) > _CALLER_DEPTH:
        return _whole_program_says(why, whole, fn.name) if why else why
    if not reachability.may_be_unused(fn.name, fn.decorators, cls is not None, camel_hooks):
        return None
    what = "method" if cls is not None else "function"
    why = _used_only_by_unreachable(project, reach, fn.name, what, profile, callers, seen)
    return _whole_program_says(why, whole, fn.name) if why else why


def _whole_program_says(why: str, whole: str | None, name: str) -> str:
    """The reason, saying why a public name nobody uses counts as unused (a private one
    needs no whole program; neither does a reason already given further down a chain)."""
    if (
        not whole
        or whole == reachability.WHOLE_PROGRAM_SETTING
        or name.startswith("_")
        or "application" in why
    ):
        return why
    return f"{why} ({whole}, so a public name is not kept alive by outside users)"


def _used_only_by_unreachable(
    project: ProjectModel,
    reach: Reachability,
    name: str,
    what: str,
    profile: Profile,
    callers: CallerIndex,
    seen: frozenset[str],
) -> str | None:
    """Why `name` is unreachable when every use of it is inside unreachable functions."""
    users = callers.only_callers(name, method=what == "method")
    if not users:
        return None
    # Users already being asked about are a cycle (`close_page` calling another object's
    # `close_page`): a cycle nothing outside it uses keeps nothing alive.
    for user in users:
        if user.qualname in seen:
            continue
        if _function_unreachable(project, reach, user, profile, callers, seen) is None:
            return None
    names = ", ".join(f"`{u.qualname.removeprefix(u.module + '.')}`" for u in users[:3])
    verb = "made" if what == "class" else "called"
    return f"{what} `{name}` is {verb} only from {names}, which nothing reaches"


def _drivers_unreachable(
    project: ProjectModel,
    reach: Reachability,
    finding: Finding,
    profile: Profile,
    callers: CallerIndex | None = None,
) -> str | None:
    """Why the code that drives the finding's cost (its `related` steps: the methods that
    append or add) is unreachable, when every one of them is; else None."""
    reasons = []
    for step in finding.related:
        at_step = replace(finding, path=step.path, line=step.line)
        why = _unreachable_at(project, reach, at_step, profile, callers)
        if why is None:
            return None
        reasons.append(f"{step.symbol.rpartition('.')[2]}() runs, and {why}")
    if not reasons:
        return None
    return "it costs only when " + "; or when ".join(reasons[:2])


def calibrate_severity(
    findings: list[Finding],
    project: ProjectModel,
    profile: Profile,
    reach: Reachability | None = None,
    sources: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Severities a static guess can honestly claim.

    CRITICAL needs a known hot path: the finding's function, or a function on its call
    chain, is one of the profile's hot entry points or called from one; there a defect that
    costs something per occurrence (impact >= 4) gets the per-event frequency. Everything
    else is capped at HIGH until a measurement says more (measured priorities are left
    alone).
    Code that runs only on one OS says so (message and a "platform:<OS>" tag) and is never
    CRITICAL; MEDIUM at most when the profile's `[static] platforms` leave that OS out.
    A blocking call or nested loop in code that runs once (set-up, import time, a cached
    helper, shutdown) or only after a failure (an `except` block, a branch that reports an
    error) stalls once, not per event: MEDIUM at most, and the message says why.
    Code nothing in the tree reaches (`reach`: a module nothing imports, a class or function
    nobody names) costs nothing until revived: LOW, tagged "unreachable", and the message
    says why.
    """
    hot = project.hot_functions(profile.entry_points)
    targets = profile.platforms
    driven = {r.ID: r.DRIVEN_BY_RELATED for r in all_rules()}
    # With the sources, code used only by unreachable code is unreachable too (asked only
    # where it changes a rank: a LOW finding stays LOW either way).
    index = CallerIndex(project, reach, sources) if reach and sources is not None else None
    # The costliest findings are asked first, so the parse budget goes to them; the main
    # loop reuses their answers.
    asked: dict[int, str | None] = {}
    if index is not None:
        for finding in sorted(findings, key=lambda f: -f.priority.score):
            if finding.priority.score > _LOW_CEILING:
                asked[id(finding)] = _unreachable_at(project, reach, finding, profile, index)
    out: list[Finding] = []
    for finding in findings:
        if finding.kind != "static" or finding.priority.source != "default":
            out.append(finding)
            continue
        priority, tags, message = finding.priority, finding.tags, finding.message
        fn = project.function_at(finding.path, finding.line)
        on_hot_path = (fn is not None and fn.qualname in hot) or any(
            step.symbol in hot for step in finding.chain
        )
        if not on_hot_path:
            priority = _capped(priority, _HIGH_CEILING, "not on a profile hot path")
        elif priority.impact >= _HOT_MIN_IMPACT and priority.frequency < _HOT_FREQUENCY:
            # The profile says this path runs per job, per node or per event: the scale's
            # frequency for that. Micro-costs (impact below 4) stay where the rule put them.
            basis = "on a profile hot path"
            priority = replace(
                priority,
                frequency=_HOT_FREQUENCY,
                basis=f"{priority.basis}; {basis}" if priority.basis else basis,
            )
        platform = _platform_at(project, finding)
        if platform:
            tags = (*tags, f"platform:{platform}")
            message = f"{message.rstrip()} Runs only on {platform}."
            other_os = bool(targets) and platform not in targets
            ceiling = _MEDIUM_CEILING if other_os else _HIGH_CEILING
            priority = _capped(priority, ceiling, f"runs only on {platform}")
        if "blocking" in tags or "nested-loop" in tags:
            priority, message = _rare_path(project, finding, priority, message)
        callers = index if priority.score > _LOW_CEILING else None
        if callers is not None and id(finding) in asked:
            unused = asked[id(finding)]
        else:
            unused = _unreachable_at(project, reach, finding, profile, callers) if reach else None
        if reach and not unused and finding.related and driven.get(finding.rule, False):
            unused = _drivers_unreachable(project, reach, finding, profile, callers)
        if unused:
            tags = (*tags, "unreachable")
            message = f"{message.rstrip()} Unreachable today: {unused}."
            priority = _capped(priority, _LOW_CEILING, "unreachable")
        if priority is not finding.priority or message is not finding.message:
            finding = replace(finding, priority=priority, tags=tags, message=message)
        out.append(finding)
    return out


def mark_unassigned(
    findings: list[Finding], profile: Profile, result: AuditResult, relpaths: list[str]
) -> list[Finding]:
    """Tag findings in files no `[areas]` pattern matches; list those files in `result`.

    A profile without `[areas]` (generic) files every finding under its rule's area by
    design; with areas, an unmatched file is a gap in the profile, and the report says so
    instead of silently using the rule's area."""
    if not profile.areas:
        return findings
    result.unassigned_files = sorted(path for path in relpaths if profile.area_for(path) is None)
    out = []
    for finding in findings:
        assigned = profile.area_for(finding.path) is not None
        if not assigned and "area" not in profile.rule_options(finding.rule):
            finding = replace(finding, tags=(*finding.tags, "unassigned-area"))
        out.append(finding)
    return out


def profile_warnings(profile: Profile, project: ProjectModel, relpaths: list[str]) -> list[str]:
    """Profile entries that match nothing in the audited tree (moved files, renamed code)."""
    warnings = [
        f"profile {profile.name}: entry point {' | '.join(group)} matches no function"
        for group in profile.entry_point_groups
        if not any(name in project.functions or name in project.classes for name in group)
    ]
    for group, _area in profile.area_groups:
        if not any(glob_matches(p, path) for p in group for path in relpaths):
            pattern = " | ".join(group)
            warnings.append(f"profile {profile.name}: area pattern {pattern!r} matches no file")
    return warnings


# -- one finding per defect ----------------------------------------------------------------------

# Tags that say two rules describe the same defect when they report the same line.
_SAME_DEFECT_TAGS = frozenset({"blocking", "nested-loop", "leak", "lock"})


def _is_generic(finding: Finding) -> bool:
    """Cross-cutting rules (CIA00x) and imported ruff rules know less than an area's rule."""
    return finding.rule.startswith(("CIA00", "RUF-"))


def deduplicate(findings: list[Finding]) -> list[Finding]:
    """One finding per defect.

    1. Same file and line and a shared defect tag keep one: the most specific (an area's
       rule says more than a generic one, e.g. "UI Automation call" over "blocking call"),
       then the one with a call chain; it carries the highest priority any of them had, so
       specificity never lowers the ranking. Findings of one rule at one line with the same
       message are exact duplicates and collapse too.
    2. One root cause, many callers: chains of one rule ending at the same blocking call
       are one finding (the highest ranked caller), the other callers in `related`.
    3. Several calls of one kind in one function (same rule, same symbol, same called
       module) are one finding at the first, the others in `related`.
    """
    best: dict[tuple[str, int, str], int] = {}
    out: list[Finding] = []
    seen_exact: set[tuple[str, str, int, str]] = set()
    ordered = sorted(findings, key=lambda f: (_is_generic(f), -len(f.chain), -f.score))
    for finding in ordered:
        exact = (finding.rule, finding.path, finding.line, finding.message)
        if exact in seen_exact:
            continue
        seen_exact.add(exact)
        tags = _SAME_DEFECT_TAGS.intersection(finding.tags)
        kept = next((best[k] for t in tags if (k := (finding.path, finding.line, t)) in best), None)
        if kept is not None:
            if finding.score > out[kept].score:
                out[kept] = out[kept].with_priority(finding.priority)
            continue
        for tag in tags:
            best[(finding.path, finding.line, tag)] = len(out)
        out.append(finding)
    return _group(out)


_CALLED = re.compile(r"`([A-Za-z_][\w.]*)")


def _group_key(finding: Finding) -> tuple[str, ...] | None:
    if finding.kind != "static":
        return None
    if finding.chain and "cross-function" in finding.tags:
        end = finding.chain[-1]
        return ("root", finding.rule, end.path, str(end.line))
    if not finding.symbol or finding.rule.startswith("RUF-"):
        return None
    match = _CALLED.search(finding.message)
    called = match.group(1).split(".", 1)[0] if match else ""
    return ("symbol", finding.rule, finding.path, finding.symbol, called)


def _group(findings: list[Finding]) -> list[Finding]:
    groups: dict[tuple[str, ...], list[Finding]] = {}
    out: list[Finding | tuple[str, ...]] = []
    for finding in findings:
        key = _group_key(finding)
        if key is None:
            out.append(finding)
            continue
        if key not in groups:
            groups[key] = []
            out.append(key)
        groups[key].append(finding)
    merged: list[Finding] = []
    for item in out:
        if isinstance(item, Finding):
            merged.append(item)
            continue
        members = groups[item]
        if len(members) == 1:
            merged.append(members[0])
            continue
        if item[0] == "root":
            members.sort(key=lambda f: (-f.score, f.path, f.line))
            note = "also reached from"
        else:
            members.sort(key=lambda f: (f.line, -f.score))
            note = "same kind of call"
        first = members[0]
        related = [
            *first.related,
            *(ChainStep(o.path, o.line, o.symbol, note) for o in members[1:]),
        ]
        top = max(members, key=lambda f: f.score)
        merged.append(
            replace(
                first,
                priority=top.priority if top.score > first.score else first.priority,
                related=tuple(related),
            )
        )
    return merged

"""Per-file audit cache: an unchanged file is neither parsed nor analyzed again.

The key is the file's relative path and content plus the rule-set signature (the source of
every analyzer module, so editing a rule invalidates what it produced) and the profile's
static-analysis digest. The value is what the worker produced for the file: its `ast`
summary for the project model, its traversal-rule findings, or its error. Entries are small
pickles sharded by key prefix under the user cache directory; a corrupt or unreadable entry
is a miss, never an error.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from platformdirs import user_cache_dir

from analyzers.project import ModuleSummary

CACHE_FORMAT = 1


@dataclass
class FileResult:
    """What analyzing one file produced (plain data: crosses process boundaries and the cache)."""

    relpath: str
    summary: ModuleSummary | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""
    lines: int = 0


@cache
def ruleset_signature() -> str:
    """Hash of every analyzer module's source; falls back to rule ids in frozen bundles.

    CASARE_INSPECTOR_RULESET pins the signature instead (benchmarks use it so that rules
    being edited elsewhere during a measurement do not turn the warm run into a cold one).
    """
    pinned = os.environ.get("CASARE_INSPECTOR_RULESET")
    if pinned:
        return pinned
    import analyzers
    from analyzers.registry import all_rules

    digest = hashlib.sha256(f"format {CACHE_FORMAT}".encode())
    base = Path(analyzers.__file__).resolve().parent
    sources = sorted(base.rglob("*.py"))
    if sources:
        for path in sources:
            try:
                digest.update(path.relative_to(base).as_posix().encode())
                digest.update(path.read_bytes())
            except OSError:
                continue
    else:
        digest.update(",".join(r.ID for r in all_rules()).encode())
    return digest.hexdigest()[:20]


def default_cache_dir() -> Path:
    override = os.environ.get("CASARE_INSPECTOR_CACHE")
    if override:
        return Path(override)
    return Path(user_cache_dir("casare-inspector", appauthor=False)) / "audit"


class AuditCache:
    """Key/value store of FileResults on disk."""

    def __init__(self, directory: Path | None = None, *, salt: str = "") -> None:
        self.directory = directory or default_cache_dir()
        self.salt = salt
        self.hits = 0
        self.misses = 0

    def key(self, relpath: str, content: bytes) -> str:
        digest = hashlib.sha256()
        digest.update(ruleset_signature().encode())
        digest.update(self.salt.encode())
        digest.update(relpath.encode())
        digest.update(b"\0")
        digest.update(content)
        return digest.hexdigest()

    def get_value(self, key: str) -> object | None:
        """Any picklable value stored with `put_value` (e.g. ruff's results for a tree)."""
        try:
            with open(self._path(key), "rb") as fh:
                return pickle.load(fh)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError):
            return None

    def put_value(self, key: str, value: object) -> None:
        self.put(key, value)  # type: ignore[arg-type]

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key[2:]}.pickle"

    def get(self, key: str) -> FileResult | None:
        try:
            with open(self._path(key), "rb") as fh:
                value = pickle.load(fh)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError):
            self.misses += 1
            return None
        if not isinstance(value, FileResult):
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, key: str, value: FileResult) -> None:
        self.put_pickled(key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def put_pickled(self, key: str, data: bytes) -> None:
        """Store an entry already pickled (a pool worker pickles its result once, for the
        cache and for the trip back to the auditing process)."""
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename, so a concurrent reader never sees half an entry.
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written only costs speed

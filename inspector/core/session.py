"""The session: everything gathered while inspecting one target, as versioned plain data.

Stored as one SQLite file in WAL mode and committed batch by batch, so whatever was gathered
survives the target, the recorder or the inspector dying mid-way. The GUI reads it live, the
report reads it later; both see the same rows.

Tables (schema version 1):
  meta(key, value)                 JSON values: target, profile, started, ended, audit, ...
  records(id, t, kind, data)       agent/workload records, `t` in seconds since the epoch
  findings(fingerprint, kind, data) one Finding.to_dict() each
  frames / stacks / samples        py-spy samples, frames interned (see inspector.sampling)
Older files load: missing meta keys default, unknown record kinds are kept as they are.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from analyzers.findings import Finding

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY, t REAL NOT NULL, kind TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS records_kind_t ON records(kind, t);
CREATE TABLE IF NOT EXISTS findings (
    fingerprint TEXT PRIMARY KEY, kind TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS frames (
    id INTEGER PRIMARY KEY, function TEXT NOT NULL, file TEXT NOT NULL, line INTEGER NOT NULL,
    UNIQUE(function, file, line));
CREATE TABLE IF NOT EXISTS stacks (id INTEGER PRIMARY KEY, frame_ids TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS samples (
    t REAL NOT NULL, pid INTEGER NOT NULL, tid INTEGER NOT NULL, thread TEXT NOT NULL,
    stack_id INTEGER NOT NULL, active INTEGER NOT NULL, weight INTEGER NOT NULL DEFAULT 1);
CREATE INDEX IF NOT EXISTS samples_t ON samples(t);
"""


class SessionError(Exception):
    """A session file that cannot be created, read or written; the message is one line."""


class Session:
    """A session file. Thread-safe: the recorder appends while the GUI or report reads."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn = conn
        self.lock = threading.RLock()

    # -- opening ------------------------------------------------------------------------------
    @classmethod
    def create(cls, path: str | Path, **meta: Any) -> Session:
        """Start a new session file (an existing file at `path` is replaced)."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            conn = sqlite3.connect(path, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise SessionError(f"cannot create session {path}: {exc}") from exc
        session = cls(path, conn)
        session.set_meta(schema_version=SCHEMA_VERSION, created=time.time(), **meta)
        return session

    @classmethod
    def open(cls, path: str | Path) -> Session:
        """Open an existing session file, refusing files that are not sessions."""
        path = Path(path)
        if not path.is_file():
            raise SessionError(f"no session file at {path}")
        try:
            conn = sqlite3.connect(path, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            rows = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as exc:
            raise SessionError(f"{path} is not a readable session file ({exc})") from exc
        version = json.loads(rows.get("schema_version", "0"))
        if not isinstance(version, int) or version < 1:
            raise SessionError(f"{path} has no session schema version; is it a session file?")
        if version > SCHEMA_VERSION:
            raise SessionError(
                f"{path} is session schema {version}; this inspector reads up to "
                f"{SCHEMA_VERSION}, upgrade casare-inspector"
            )
        conn.executescript(_SCHEMA)  # older files gain tables added since
        return cls(path, conn)

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def save_as(self, path: str | Path) -> Path:
        """Copy the whole session (consistently, even while recording) to `path`."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.unlink(missing_ok=True)
            dest = sqlite3.connect(path)
            with self.lock:
                self.conn.backup(dest)
            dest.close()
        except (OSError, sqlite3.Error) as exc:
            raise SessionError(f"cannot save session to {path}: {exc}") from exc
        return path

    # -- meta ---------------------------------------------------------------------------------
    def set_meta(self, **items: Any) -> None:
        with self.lock, self.conn:
            self.conn.executemany(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                [(k, json.dumps(v)) for k, v in items.items()],
            )

    @property
    def meta(self) -> dict[str, Any]:
        with self.lock:
            rows = self.conn.execute("SELECT key, value FROM meta").fetchall()
        return {k: json.loads(v) for k, v in rows}

    # -- records ------------------------------------------------------------------------------
    def append(self, records: Iterable[Mapping[str, Any]]) -> int:
        """Append records (each a dict with at least `t` and `kind`); one commit per call."""
        rows = []
        for rec in records:
            try:
                rows.append((float(rec["t"]), str(rec["kind"]), json.dumps(rec)))
            except (KeyError, TypeError, ValueError):
                continue  # a malformed record is dropped, never the batch
        if rows:
            with self.lock, self.conn:
                self.conn.executemany("INSERT INTO records(t, kind, data) VALUES (?, ?, ?)", rows)
        return len(rows)

    def records(
        self,
        kind: str | Sequence[str] | None = None,
        since: float | None = None,
        until: float | None = None,
        after_id: int = 0,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Records in arrival order; `after_id` lets a live view fetch only what is new and
        `limit` bounds one read, so a reader that fell behind holds one batch at a time.

        Each returned dict carries its row id under "_id".
        """
        sql = "SELECT id, data FROM records WHERE id > ?"
        args: list[Any] = [after_id]
        if kind is not None:
            kinds = [kind] if isinstance(kind, str) else list(kind)
            sql += f" AND kind IN ({','.join('?' * len(kinds))})"
            args += kinds
        if since is not None:
            sql += " AND t >= ?"
            args.append(since)
        if until is not None:
            sql += " AND t <= ?"
            args.append(until)
        sql += " ORDER BY id"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        with self.lock:
            rows = self.conn.execute(sql, args).fetchall()
        out = []
        for row_id, data in rows:
            rec = json.loads(data)
            rec["_id"] = row_id
            out.append(rec)
        return out

    def last_record_id(self) -> int:
        with self.lock:
            (top,) = self.conn.execute("SELECT MAX(id) FROM records").fetchone()
        return int(top or 0)

    def iter_records(self, kind: str | None = None) -> Iterator[dict[str, Any]]:
        yield from self.records(kind)

    def record_counts(self) -> dict[str, int]:
        with self.lock:
            rows = self.conn.execute("SELECT kind, COUNT(*) FROM records GROUP BY kind").fetchall()
        return dict(rows)

    def time_span(self) -> tuple[float, float] | None:
        with self.lock:
            lo, hi = self.conn.execute("SELECT MIN(t), MAX(t) FROM records").fetchone()
            slo, shi = self.conn.execute("SELECT MIN(t), MAX(t) FROM samples").fetchone()
        points = [v for v in (lo, hi, slo, shi) if v is not None]
        return (min(points), max(points)) if points else None

    # -- findings -----------------------------------------------------------------------------
    def put_findings(self, findings: Iterable[Finding], replace_kind: str | None = None) -> None:
        """Store findings; with `replace_kind`, first drop every stored finding of that kind."""
        rows = [(f.fingerprint, f.kind, json.dumps(f.to_dict())) for f in findings]
        with self.lock, self.conn:
            if replace_kind is not None:
                self.conn.execute("DELETE FROM findings WHERE kind = ?", (replace_kind,))
            self.conn.executemany(
                "INSERT OR REPLACE INTO findings(fingerprint, kind, data) VALUES (?, ?, ?)", rows
            )

    def findings(self, kind: str | None = None) -> list[Finding]:
        sql, args = "SELECT data FROM findings", ()
        if kind is not None:
            sql, args = sql + " WHERE kind = ?", (kind,)
        with self.lock:
            rows = self.conn.execute(sql, args).fetchall()
        return [Finding.from_dict(json.loads(data)) for (data,) in rows]

"""The session: everything gathered while inspecting one target, as versioned plain data.

Stored as one SQLite file in WAL mode and committed batch by batch, so whatever was gathered
survives the target, the recorder or the inspector dying mid-way. The GUI reads it live, the
report reads it later; both see the same rows.

Nothing is lost (see README "Reliability"):
  * `create` never touches an existing file: a new session for a path that exists is written
    next to it (`NAME.unfinished-PID.session`) and moved into place by `close()`, so a
    recording that never starts (or is killed) leaves the old file as it was;
  * the main file is made self-contained (WAL checkpoint) when it is created, every
    CHECKPOINT_INTERVAL_S while records arrive, and on close (which also leaves WAL mode),
    so copying only `NAME.session` loses at most the last few seconds;
  * `open(read_only=True)` never writes to the file or its folder (read-only media work);
  * reading is tolerant: rows that cannot be decoded are skipped and counted in
    `unreadable`, a damaged database reads as far as it can and says so in `damage`.

Tables (schema version 1):
  meta(key, value)                 JSON values: target, profile, started, ended, audit, ...
  records(id, t, kind, data)       agent/workload records, `t` in seconds since the epoch
  findings(fingerprint, kind, data) one Finding.to_dict() each
  frames / stacks / samples        py-spy samples, frames interned (see inspector.sampling)
Older files load: missing meta keys default, unknown record kinds are kept as they are.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from analyzers.findings import Finding
from analyzers.identity import number_occurrences

SCHEMA_VERSION = 1
# How often a recording folds its WAL into the main file: what a copy of the main file alone
# (or a crash that loses the -wal file) can miss at most.
CHECKPOINT_INTERVAL_S = 5.0

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
_TABLES = ("meta", "records", "findings", "frames", "stacks", "samples")


class SessionError(Exception):
    """A session file that cannot be created, read or written; the message is one line."""


def _lenient_text(raw: bytes) -> str:
    # Invalid UTF-8 in one row must not make a whole query fail; the rows that matter
    # (records, meta) are decoded strictly again where they are read, and counted.
    return raw.decode("utf-8", errors="replace")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _is_wal_file(path: Path) -> bool:
    """True if the file's header says WAL mode (bytes 18-19 of the SQLite header are 2)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(20)
    except OSError:
        return False
    return len(head) == 20 and head[18] == 2 and head[19] == 2


def _uri(path: Path, query: str) -> str:
    return f"file:{quote(str(path.resolve()))}?{query}"


class Session:
    """A session file. Thread-safe: the recorder appends while the GUI or report reads.

    `unreadable` counts rows skipped per table because they could not be decoded; `damage`
    is one line about the database itself being damaged (None while it reads cleanly).
    """

    def __init__(
        self,
        path: Path,
        conn: sqlite3.Connection,
        *,
        read_only: bool = False,
        replaces: Path | None = None,
    ) -> None:
        self.path = path
        self.conn = conn
        self.lock = threading.RLock()
        self.read_only = read_only
        self.damage: str | None = None
        self._replaces = replaces
        self._bad: dict[str, set[object]] = {}
        self._closed = False
        self._last_checkpoint = time.monotonic()
        self._missing_tables: set[str] = set()

    # -- opening ------------------------------------------------------------------------------
    @classmethod
    def create(cls, path: str | Path, **meta: Any) -> Session:
        """Start a new session file; an existing file at `path` is replaced only by `close()`.

        Until then the new session lives in `NAME.unfinished-PID.session` next to it, so a
        recording that never starts (see `abandon`) or is killed destroys nothing.
        """
        path = Path(path)
        target, replaces = path, None
        if path.exists():
            target = path.with_name(f"{path.stem}.unfinished-{os.getpid()}{path.suffix}")
            replaces = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal", "-shm"):
                Path(str(target) + suffix).unlink(missing_ok=True)
            conn = sqlite3.connect(target, check_same_thread=False)
            conn.text_factory = _lenient_text
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise SessionError(f"cannot create session {path}: {_one_line(exc)}") from exc
        session = cls(target, conn, replaces=replaces)
        session.set_meta(schema_version=SCHEMA_VERSION, created=time.time(), **meta)
        session.checkpoint()  # the tables and meta are in the main file from the start
        return session

    @property
    def replaces(self) -> Path | None:
        """The existing file this new session will replace when closed (None if none)."""
        return self._replaces

    @classmethod
    def open(cls, path: str | Path, read_only: bool = False) -> Session:
        """Open an existing session file, refusing files that are not sessions.

        With `read_only` nothing is ever written to the file or its folder (no -wal/-shm
        created, works on read-only media): every command that only reads uses it.
        """
        path = Path(path)
        try:
            if not path.is_file():
                raise SessionError(f"no session file at {path}")
        except OSError as exc:
            raise SessionError(f"cannot read {path}: {exc.strerror or exc}") from exc
        wal = Path(f"{path}-wal")
        try:
            conn, main_only = cls._connect(path, read_only)
            tables = {
                name
                for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if "meta" not in tables:
                conn.close()
                hint = (
                    f"; a recording that crashed keeps its data in {wal.name}: copy it "
                    f"along with {path.name}"
                    if not wal.exists()
                    else ""
                )
                raise SessionError(f"{path} holds no session data{hint}")
            rows = conn.execute("SELECT key, CAST(value AS BLOB) FROM meta").fetchall()
        except sqlite3.DatabaseError as exc:
            raise SessionError(f"{path} is not a readable session file ({_one_line(exc)})") from exc
        session = cls(path, conn, read_only=read_only)
        if main_only and wal.exists():
            session.damage = f"{wal.name} could not be read (read-only folder)"
        version = session._decode_json("meta", "schema_version", dict(rows).get("schema_version"))
        if version is None and "records" in tables and "schema_version" in dict(rows):
            version = 1  # damaged value in a file that has our tables: read it as version 1
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            conn.close()
            raise SessionError(f"{path} has no session schema version; is it a session file?")
        if version > SCHEMA_VERSION:
            conn.close()
            raise SessionError(
                f"{path} is session schema {version}; this inspector reads up to "
                f"{SCHEMA_VERSION}, upgrade casare-inspector"
            )
        if not read_only:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.executescript(_SCHEMA)  # older files gain tables added since
            except sqlite3.DatabaseError as exc:
                conn.close()
                raise SessionError(f"cannot write to session {path}: {_one_line(exc)}") from exc
        elif not set(_TABLES) <= tables:
            session._missing_tables = set(_TABLES) - tables
        return session

    @staticmethod
    def _connect(path: Path, read_only: bool) -> tuple[sqlite3.Connection, bool]:
        """The connection, and whether it reads the main file alone (ignoring any -wal)."""
        main_only = False
        if not read_only:
            conn = sqlite3.connect(path, check_same_thread=False)
        elif _is_wal_file(path) and not Path(f"{path}-wal").exists():
            # A WAL-mode file without its -wal: nobody is writing it, and `mode=ro` would
            # still create -wal/-shm (or fail on read-only media).
            conn = sqlite3.connect(_uri(path, "immutable=1"), uri=True, check_same_thread=False)
            main_only = True
        else:
            try:
                conn = sqlite3.connect(_uri(path, "mode=ro"), uri=True, check_same_thread=False)
                conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            except sqlite3.OperationalError:
                # a -wal we cannot index (read-only folder): read the main file alone
                conn = sqlite3.connect(_uri(path, "immutable=1"), uri=True, check_same_thread=False)
                main_only = True
        conn.text_factory = _lenient_text
        return conn, main_only

    def checkpoint(self) -> None:
        """Fold the WAL into the main file, so the main file alone holds everything so far."""
        if self.read_only:
            return
        with self.lock:
            try:
                self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            except sqlite3.Error:
                pass  # a reader holding an old snapshot: the next checkpoint catches up
            self._last_checkpoint = time.monotonic()

    def _maybe_checkpoint(self) -> None:
        if time.monotonic() - self._last_checkpoint >= CHECKPOINT_INTERVAL_S:
            self.checkpoint()

    def close(self) -> None:
        """Close; a written session is left self-contained (no -wal) and moved into place."""
        with self.lock:
            if self._closed:
                return
            self._closed = True
            if not self.read_only:
                try:
                    self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                    self.conn.execute("PRAGMA journal_mode=DELETE").fetchone()
                except sqlite3.Error:
                    pass  # another connection still reads it: SQLite checkpoints on its close
            self.conn.close()
        if self._replaces is not None:
            self._move_into_place()

    def abandon(self) -> None:
        """Close a session whose recording never started: if it was to replace an existing
        file, the new file is deleted and the existing one stays untouched."""
        replaces, self._replaces = self._replaces, None
        self.close()
        if replaces is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def _move_into_place(self) -> None:
        target, self._replaces = self._replaces, None
        assert target is not None
        try:
            # a stale -wal of the old file would be applied to the new one: remove it first
            for suffix in ("-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            os.replace(self.path, target)
        except OSError as exc:
            raise SessionError(
                f"cannot replace {target} ({_one_line(exc)}); the new session is kept at "
                f"{self.path}"
            ) from exc
        self.path = target

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

    # -- what could not be read ---------------------------------------------------------------
    @property
    def unreadable(self) -> dict[str, int]:
        """Rows skipped so far because they could not be decoded, per table."""
        return {table: len(keys) for table, keys in sorted(self._bad.items()) if keys}

    def mark_unreadable(self, table: str, key: object) -> None:
        """Count one row of `table` (identified by `key`) as skipped; readers call this."""
        self._bad.setdefault(table, set()).add(key)

    def unreadable_summary(self) -> str:
        """One line on what could not be read ("" when everything could)."""
        parts = []
        counts = self.unreadable
        if counts:
            parts.append(
                "skipped unreadable rows: " + ", ".join(f"{n} {t}" for t, n in counts.items())
            )
        if self.damage:
            parts.append(f"the database is damaged ({self.damage}); read what could be read")
        if self._missing_tables:
            parts.append("missing tables: " + ", ".join(sorted(self._missing_tables)))
        return "; ".join(parts)

    def check(self, page: int = 5000) -> str:
        """Read every meta value, record and finding once (a page at a time, keeping none),
        so that `unreadable` and `damage` cover the whole file; returns the summary line.

        For a window opening a file: it shows what it could read and says what it could not.
        """
        _ = self.meta
        last = 0
        while True:
            rows = self.read_rows(
                "SELECT id, CAST(data AS BLOB) FROM records WHERE id > ? ORDER BY id LIMIT ?",
                (last, page),
            )
            for row_id, data in rows:
                if not isinstance(self._decode_json("records", row_id, data), dict):
                    self.mark_unreadable("records", row_id)
            if len(rows) < page:
                break
            last = rows[-1][0]
        self.findings()
        return self.unreadable_summary()

    def _decode_json(self, table: str, key: object, raw: bytes | str | None) -> Any:
        """A JSON value stored as text, or None (counted) when it is not valid UTF-8 JSON."""
        if raw is None:
            return None
        try:
            text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            return json.loads(text)
        except (UnicodeDecodeError, ValueError):
            self.mark_unreadable(table, key)
            return None

    def read_rows(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of a query; on a damaged database, the rows read before the damage."""
        if self._missing_tables and any(t in sql for t in self._missing_tables):
            return []
        out: list[tuple[Any, ...]] = []
        with self.lock:
            try:
                out.extend(self.conn.execute(sql, args))
            except sqlite3.DatabaseError as exc:
                self.damage = _one_line(exc)
        return out

    # -- meta ---------------------------------------------------------------------------------
    def set_meta(self, **items: Any) -> None:
        with self.lock, self.conn:
            self.conn.executemany(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                [(k, json.dumps(v)) for k, v in items.items()],
            )

    @property
    def meta(self) -> dict[str, Any]:
        """Every readable meta value; a value that is not JSON is skipped and counted."""
        out = {}
        for key, raw in self.read_rows("SELECT key, CAST(value AS BLOB) FROM meta"):
            value = self._decode_json("meta", key, raw)
            if value is not None or raw in (b"null", "null"):
                out[key] = value
        return out

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
            self._maybe_checkpoint()
        return len(rows)

    def records(
        self,
        kind: str | Sequence[str] | None = None,
        after_id: int = 0,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Records in arrival order; `after_id` lets a live view fetch only what is new and
        `limit` bounds one read, so a reader that fell behind holds one batch at a time.

        Each returned dict carries its row id under "_id". A row that is not a JSON object
        is skipped and counted in `unreadable["records"]`.
        """
        sql = "SELECT id, CAST(data AS BLOB) FROM records WHERE id > ?"
        args: list[Any] = [after_id]
        if kind is not None:
            kinds = [kind] if isinstance(kind, str) else list(kind)
            sql += f" AND kind IN ({','.join('?' * len(kinds))})"
            args += kinds
        sql += " ORDER BY id"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        out = []
        for row_id, data in self.read_rows(sql, args):
            rec = self._decode_json("records", row_id, data)
            if not isinstance(rec, dict):
                self.mark_unreadable("records", row_id)
                continue
            rec["_id"] = row_id
            out.append(rec)
        return out

    def last_record_id(self) -> int:
        rows = self.read_rows("SELECT MAX(id) FROM records")
        return int(rows[0][0] or 0) if rows else 0

    def record_counts(self) -> dict[str, int]:
        return dict(self.read_rows("SELECT kind, COUNT(*) FROM records GROUP BY kind"))

    def time_span(self) -> tuple[float, float] | None:
        points = []
        for table in ("records", "samples"):
            for row in self.read_rows(f"SELECT MIN(t), MAX(t) FROM {table}"):
                points += [v for v in row if isinstance(v, (int, float))]
        return (min(points), max(points)) if points else None

    # -- findings -----------------------------------------------------------------------------
    def put_findings(
        self, findings: Iterable[Finding], replace_kind: str | None = None
    ) -> list[Finding]:
        """Store every finding; with `replace_kind`, first drop every stored one of that kind.

        Repeats of one anchor are numbered first (`number_occurrences`), so each finding has
        its own fingerprint and none replaces another. Returns the findings as stored.
        """
        stored = number_occurrences(findings)
        rows = [(f.fingerprint, f.kind, json.dumps(f.to_dict())) for f in stored]
        with self.lock, self.conn:
            if replace_kind is not None:
                self.conn.execute("DELETE FROM findings WHERE kind = ?", (replace_kind,))
            self.conn.executemany(
                "INSERT INTO findings(fingerprint, kind, data) VALUES (?, ?, ?)", rows
            )
        return stored

    def findings(self, kind: str | None = None) -> list[Finding]:
        sql, args = "SELECT rowid, CAST(data AS BLOB) FROM findings", ()
        if kind is not None:
            sql, args = sql + " WHERE kind = ?", (kind,)
        out = []
        for rowid, data in self.read_rows(sql, args):
            try:
                out.append(Finding.from_dict(self._decode_json("findings", rowid, data)))
            except (KeyError, TypeError, ValueError, AttributeError):
                self.mark_unreadable("findings", rowid)  # skipped and counted, never fatal
        return out

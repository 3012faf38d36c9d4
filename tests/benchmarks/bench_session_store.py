"""Session store append throughput against a bare sqlite insert, to keep the store honest."""

from __future__ import annotations

import json
import sqlite3
import tempfile
import time
from pathlib import Path

from inspector.core.session import Session
from tests.benchmarks.harness import Report

N = 20_000


def _records() -> list[dict]:
    now = time.time()
    return [{"t": now + i * 1e-4, "kind": "bus", "events": {"X": i}} for i in range(N)]


def run(report: Report) -> None:
    records = _records()
    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(10_000))

        def baseline() -> None:
            conn = sqlite3.connect(Path(tmp) / f"raw{next(counter)}.db")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("CREATE TABLE r (t REAL, kind TEXT, data TEXT)")
            with conn:
                conn.executemany(
                    "INSERT INTO r VALUES (?, ?, ?)",
                    [(r["t"], r["kind"], json.dumps(r)) for r in records],
                )
            conn.close()

        def candidate() -> None:
            with Session.create(Path(tmp) / f"s{next(counter)}.session") as session:
                session.append(records)

        report.compare(f"append {N} records vs raw sqlite", baseline, candidate, target=1.5)

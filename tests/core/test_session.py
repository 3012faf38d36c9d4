from __future__ import annotations

import sqlite3

import pytest

from analyzers.findings import Finding, Priority
from inspector.core.session import SCHEMA_VERSION, Session, SessionError


def test_records_round_trip_and_filter_by_kind_and_id(tmp_path):
    s = Session.create(tmp_path / "a.session", target={"pid": 1})
    s.append([{"t": 1.0, "kind": "bus", "events": {"A": 2}}, {"t": 2.0, "kind": "memory"}])
    assert s.record_counts() == {"bus": 1, "memory": 1}
    assert [r["kind"] for r in s.records(("bus", "memory"))] == ["bus", "memory"]
    first = s.records("bus")[0]
    assert first["events"] == {"A": 2}
    assert s.records(after_id=first["_id"])[0]["kind"] == "memory"
    assert s.meta["target"] == {"pid": 1}
    s.close()


def test_malformed_records_are_dropped_not_the_batch(tmp_path):
    with Session.create(tmp_path / "a.session") as s:
        assert s.append([{"kind": "bus"}, {"t": "x", "kind": "y"}, {"t": 1, "kind": "ok"}]) == 1


def test_data_survives_a_writer_that_never_closed(tmp_path):
    path = tmp_path / "crash.session"
    s = Session.create(path)
    s.append([{"t": 1.0, "kind": "loop_lag", "max_ms": 3.0}])
    # no close(): like a recorder killed mid-way
    again = Session.open(path)
    assert again.records("loop_lag")[0]["max_ms"] == 3.0


def test_findings_replace_by_kind(tmp_path):
    f = Finding(rule="R", area=1, path="x.py", line=1, message="m", priority=Priority(1, 1, 1))
    d = Finding(
        rule="D",
        area=4,
        path="y.py",
        line=2,
        message="n",
        priority=Priority(2, 2, 2),
        kind="dynamic",
    )
    with Session.create(tmp_path / "a.session") as s:
        s.put_findings([f, d])
        s.put_findings([], replace_kind="static")
        assert [x.rule for x in s.findings()] == ["D"]


def test_corrupt_and_foreign_files_give_one_line_errors(tmp_path):
    junk = tmp_path / "junk.session"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(SessionError, match="not a readable session"):
        Session.open(junk)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE meta (key TEXT, value TEXT)")
    with pytest.raises(SessionError, match="schema version"):
        Session.open(other)
    with pytest.raises(SessionError, match="no session file"):
        Session.open(tmp_path / "missing.session")


def test_newer_schema_is_refused_with_upgrade_hint(tmp_path):
    path = tmp_path / "new.session"
    with Session.create(path) as s:
        s.set_meta(schema_version=SCHEMA_VERSION + 1)
    with pytest.raises(SessionError, match="upgrade"):
        Session.open(path)


def test_save_as_copies_while_open(tmp_path):
    with Session.create(tmp_path / "a.session") as s:
        s.append([{"t": 1.0, "kind": "bus"}])
        copy = s.save_as(tmp_path / "sub" / "b.session")
    assert Session.open(copy).record_counts() == {"bus": 1}


def test_bounded_reads_page_through_records(tmp_path):
    with Session.create(tmp_path / "a.session") as s:
        s.append([{"t": float(i), "kind": "bus", "i": i} for i in range(10)])
        first = s.records(limit=4)
        assert [r["i"] for r in first] == [0, 1, 2, 3]
        rest = s.records(after_id=first[-1]["_id"], limit=100)
        assert [r["i"] for r in rest] == list(range(4, 10))
        assert s.last_record_id() == rest[-1]["_id"]

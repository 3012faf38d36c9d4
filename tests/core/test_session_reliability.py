"""Nothing lost: a session survives replacement, crashes, copies, read-only media and damage."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import inspector.core.session as session_module
from inspector.core.session import Session, SessionError
from inspector.sampling.chrometrace import Frame, StackRun
from inspector.sampling.store import SampleWriter, load_samples


def _session_with(path: Path, n: int) -> None:
    with Session.create(path, profile="generic") as s:
        s.append([{"t": float(i), "kind": "bus", "i": i} for i in range(n)])


def test_create_over_an_existing_file_keeps_it_until_the_recording_ends(tmp_path):
    path = tmp_path / "victim.session"
    _session_with(path, 417)
    new = Session.create(path)
    assert new.path != path and new.replaces == path
    assert Session.open(path, read_only=True).record_counts() == {"bus": 417}
    new.append([{"t": 1.0, "kind": "loop"}])
    new.close()
    assert new.path == path
    assert Session.open(path, read_only=True).record_counts() == {"loop": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["victim.session"]


def test_a_recording_that_never_started_leaves_the_existing_file_untouched(tmp_path):
    path = tmp_path / "victim.session"
    _session_with(path, 417)
    before = path.read_bytes()
    Session.create(path).abandon()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["victim.session"]


def test_the_main_file_alone_holds_the_data_at_each_checkpoint(tmp_path, monkeypatch):
    monkeypatch.setattr(session_module, "CHECKPOINT_INTERVAL_S", 0.0)
    path = tmp_path / "live.session"
    s = Session.create(path)
    s.append([{"t": 1.0, "kind": "bus"}, {"t": 2.0, "kind": "bus"}])
    # a crash: never closed; only the main file is copied, without its -wal
    shutil.copy(path, tmp_path / "copy.session")
    assert Session.open(tmp_path / "copy.session", read_only=True).record_counts() == {"bus": 2}


def test_a_closed_session_is_self_contained_and_reading_writes_nothing(tmp_path):
    path = tmp_path / "done.session"
    _session_with(path, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["done.session"]
    stat = path.stat()
    with Session.open(path, read_only=True) as s:
        assert s.record_counts() == {"bus": 3}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["done.session"]
    assert path.stat().st_mtime_ns == stat.st_mtime_ns


def test_an_old_wal_mode_file_is_read_without_creating_wal_files(tmp_path):
    path = tmp_path / "old.session"
    _session_with(path, 2)
    conn = sqlite3.connect(path)  # as older versions left it: WAL mode, no -wal on disk
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    with Session.open(path, read_only=True) as s:
        assert s.record_counts() == {"bus": 2}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.session"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_a_session_on_read_only_media_opens():
    media = Path(tempfile.mkdtemp(prefix="casare-test-ro-"))
    _session_with(media / "ro.session", 5)
    (media / "ro.session").chmod(0o444)
    media.chmod(0o555)
    code = (
        "import sys; from inspector.core.session import Session; "
        "print(Session.open(sys.argv[1], read_only=True).record_counts())"
    )
    # root ignores permissions: read as nobody, like a user on a read-only mount
    user = {"user": 65534} if os.geteuid() == 0 else {}
    root = str(Path(session_module.__file__).resolve().parents[2])
    try:
        out = subprocess.run(
            [sys.executable, "-c", code, str(media / "ro.session")],
            capture_output=True,
            text=True,
            cwd=root,
            env={**os.environ, "PYTHONPATH": root},
            timeout=60,
            **user,
        )
    finally:
        media.chmod(0o755)
        shutil.rmtree(media)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "{'bus': 5}"


def test_a_main_file_copied_without_its_wal_says_so_in_one_line(tmp_path):
    path = tmp_path / "copied.session"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    with pytest.raises(SessionError) as err:
        Session.open(path, read_only=True)
    message = str(err.value)
    assert "no such table" not in message and "\n" not in message
    assert "copied.session-wal" in message


def _damage(path: Path, sql: str, *args: object) -> None:
    conn = sqlite3.connect(path)
    conn.execute(sql, args)
    conn.commit()
    conn.close()


def test_bad_rows_are_skipped_and_counted(tmp_path):
    path = tmp_path / "bad.session"
    with Session.create(path, profile="demo") as s:
        s.append([{"t": float(i), "kind": "bus", "i": i} for i in range(5)])
        SampleWriter(s).write([StackRun(1, 2, "Main", 0, 1000, (Frame("f", "a.py", 1),))], t0=100.0)
    _damage(path, "UPDATE meta SET value = 'not json' WHERE key = 'profile'")
    _damage(path, "UPDATE records SET data = '{broken' WHERE id = 2")
    _damage(path, "UPDATE records SET data = CAST(X'7b2261223a22ff227d' AS TEXT) WHERE id = 3")
    _damage(path, "UPDATE records SET data = '[1, 2]' WHERE id = 4")
    _damage(path, "INSERT INTO samples VALUES (101.0, 1, 2, 'Main', 999, 1, 500)")
    _damage(path, "INSERT INTO stacks(id, frame_ids) VALUES (7, 'x,y')")
    with Session.open(path, read_only=True) as s:
        assert "profile" not in s.meta
        assert [r["i"] for r in s.records()] == [0, 4]
        assert len(load_samples(s)) == 1
        assert s.unreadable == {"meta": 1, "records": 3, "samples": 1, "stacks": 1}
        assert s.unreadable_summary() == (
            "skipped unreadable rows: 1 meta, 3 records, 1 samples, 1 stacks"
        )


def test_a_non_integer_schema_version_reads_as_version_one_and_is_counted(tmp_path):
    path = tmp_path / "v.session"
    _session_with(path, 2)
    _damage(path, "UPDATE meta SET value = 'one' WHERE key = 'schema_version'")
    with Session.open(path, read_only=True) as s:
        assert s.record_counts() == {"bus": 2}
        assert s.unreadable == {"meta": 1}


def _malformed(path: Path) -> None:
    with Session.create(path) as s:
        s.append([{"t": float(i), "kind": "bus", "pad": "x" * 400} for i in range(2000)])
    size = path.stat().st_size
    with path.open("r+b") as fh:  # trash pages in the middle of the records table
        fh.seek(size // 2)
        fh.write(os.urandom(4096 * 8))


def test_a_malformed_database_reads_what_it_can_and_says_so(tmp_path):
    path = tmp_path / "m.session"
    _malformed(path)
    with Session.open(path, read_only=True) as s:
        records = s.records()
        assert len(records) < 2000
        assert s.damage is not None
        summary = s.unreadable_summary()
        assert "damaged" in summary and "\n" not in summary


def test_findings_that_cannot_be_decoded_are_skipped_and_counted(tmp_path):
    path = tmp_path / "f.session"
    _session_with(path, 1)
    _damage(path, "INSERT INTO findings VALUES ('x', 'static', '{}')")
    _damage(path, "INSERT INTO findings VALUES ('y', 'static', 'nope')")
    with Session.open(path, read_only=True) as s:
        assert s.findings() == []
        assert s.unreadable == {"findings": 2}


def test_damage_is_plain_json_serialisable_for_reports(tmp_path):
    path = tmp_path / "j.session"
    _session_with(path, 1)
    with Session.open(path, read_only=True) as s:
        assert json.dumps(s.unreadable) == "{}"
        assert s.unreadable_summary() == ""


def test_check_counts_every_unreadable_row_of_the_file(tmp_path):
    path = tmp_path / "c.session"
    _session_with(path, 12)
    _damage(path, "UPDATE records SET data = '{broken' WHERE id IN (3, 11)")
    with Session.open(path, read_only=True) as s:
        assert s.unreadable == {}
        assert s.check(page=5) == "skipped unreadable rows: 2 records"

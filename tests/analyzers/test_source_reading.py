"""Sources that are not files: only regular files are read, with a bounded read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from analyzers.runner import FileTask, FileTooLarge, analyze_file, read_regular_file

ROOT = Path(__file__).resolve().parents[2]
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev/zero are POSIX")


def _limit_memory() -> None:
    import resource

    # today's code read /dev/zero until MemoryError at 3.8 GB: fail fast instead
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


@posix_only
def test_fifos_and_device_links_are_listed_as_skipped_not_read(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "ok.py").write_text("import time\n\nasync def f():\n    time.sleep(1)\n")
    os.symlink("/dev/zero", tree / "zero.py")
    os.mkfifo(tree / "pipe.py")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "inspector",
            "audit",
            str(tree),
            "--profile",
            "generic",
            "--no-cache",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        preexec_fn=_limit_memory,
    )
    assert out.returncode == 1, out.stderr
    assert "pipe.py: skipped: a FIFO (named pipe), not a regular file" in out.stdout
    assert (
        "zero.py: skipped: a character device (a link to /dev/zero), not a regular file"
        in out.stdout
    )
    assert "audited 1/3 files" in out.stdout


def test_the_read_stops_at_the_limit_whatever_the_size_says(tmp_path):
    path = tmp_path / "big.py"
    path.write_bytes(b"x" * 101)
    with pytest.raises(FileTooLarge) as err:
        read_regular_file(path, 100)
    assert err.value.size == 101
    assert read_regular_file(path, 101) == b"x" * 101


def test_a_null_byte_is_a_syntax_error_at_its_line():
    result = analyze_file(FileTask(relpath="nul.py", source="x = 1\n\x00\n", area=None))
    assert result.error == "syntax error at line 2: source code string cannot contain null bytes"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_audit_json_gets_the_mode_of_other_outputs(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    out = tmp_path / "f.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "inspector",
            "audit",
            str(tmp_path / "a.py"),
            "--profile",
            "generic",
            "--no-cache",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask

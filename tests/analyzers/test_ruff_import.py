"""ruff's ASYNC findings come in as Findings, demoted and de-duplicated against ours."""

from __future__ import annotations

import pytest

from analyzers.ruff_import import ruff_executable
from analyzers.runner import audit

pytestmark = pytest.mark.skipif(ruff_executable() is None, reason="ruff not installed")


def test_ruff_findings_are_imported_demoted_and_deduplicated(tmp_path):
    (tmp_path / "io_async.py").write_text(
        "import asyncio\n"
        "async def load(path):\n"
        "    with open(path) as fh:\n"  # ASYNC230: only ruff reports this
        "        return fh.read()\n"
        "async def wait(timeout):\n"  # ASYNC109: noise for asyncio code, dropped
        "    await asyncio.sleep(timeout)\n"
    )
    (tmp_path / "sleepy.py").write_text(
        "import time\nasync def f():\n    time.sleep(1)\n"  # ASYNC251 and our CIA001
    )
    (tmp_path / "trio_code.py").write_text("import trio\nasync def g(timeout):\n    pass\n")
    result = audit(tmp_path, use_cache=False, jobs=1)
    got = {(f.rule, f.path, f.line) for f in result.findings}
    assert ("RUF-ASYNC230", "io_async.py", 3) in got
    opened = next(f for f in result.findings if f.rule == "RUF-ASYNC230")
    assert opened.symbol == "load" and opened.area == 8
    assert not any(r == "RUF-ASYNC109" and p == "io_async.py" for r, p, _ in got)
    assert ("CIA001", "sleepy.py", 3) in got
    assert ("RUF-ASYNC251", "sleepy.py", 3) not in got
    kept = [f for f in result.findings if f.rule == "RUF-ASYNC109"]
    assert [f.path for f in kept] == ["trio_code.py"]
    assert kept[0].severity.value == "LOW"


def test_ruff_can_be_switched_off_per_project(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.casare-inspector.static]\nruff = false\n")
    (tmp_path / "a.py").write_text("async def load(p):\n    return open(p).read()\n")
    result = audit(tmp_path, use_cache=False, jobs=1)
    assert not [f for f in result.findings if f.rule.startswith("RUF-")]


def test_cheap_async_checks_are_low_and_say_why(tmp_path):
    (tmp_path / "node.py").write_text(
        "import asyncio, subprocess\n"
        "async def launch(cmd):\n"
        "    return subprocess.Popen(cmd).pid\n"  # ASYNC220: returns once started, not imported
        "async def load(path):\n"
        "    with open(path) as fh:\n"  # ASYNC230: quick for a small file
        "        return fh.read()\n"
        "async def wait_ready(job):\n"
        "    while not job.ready:\n"  # ASYNC110: wakes once a second
        "        await asyncio.sleep(1)\n"
        "async def run(cmd):\n"
        "    subprocess.run(cmd)\n"  # ASYNC221 (and our CIA001): really blocks
        "async def wakeup():\n"
        "    while True:\n"  # ASYNC110 from ruff, but a keep-alive tick: nothing to wait for
        "        await asyncio.sleep(1)\n"
        "async def join_swarm(tracker):\n"
        "    while not (\n"  # ASYNC110 from ruff, but a retry around real (network) work
        "        await tracker.announce()\n"
        "    ):\n"
        "        await asyncio.sleep(3)\n"
    )
    result = audit(tmp_path, use_cache=False, jobs=1)
    got = {f.rule: f for f in result.findings if f.rule.startswith("RUF-")}
    assert {rule: f.severity.value for rule, f in got.items()} == {
        "RUF-ASYNC230": "LOW",
        "RUF-ASYNC110": "LOW",
    }
    assert "only for large files" in got["RUF-ASYNC230"].message
    assert "up to one sleep late" in got["RUF-ASYNC110"].message
    polls = [f.symbol for f in result.findings if f.rule == "RUF-ASYNC110"]
    assert polls == ["wait_ready"]  # not the keep-alive tick, nor the retry
    blocking = [f for f in result.findings if f.line == 11]
    assert [(f.rule, f.severity.value) for f in blocking] == [("CIA001", "HIGH")]


def test_one_ruff_finding_per_check_per_function_and_none_beside_our_blocking_call(tmp_path):
    (tmp_path / "nodes.py").write_text(
        "import smtplib\n"
        "async def copy_text(src, dst):\n"
        "    with open(src) as fh:\n"  # ASYNC230, kept
        "        text = fh.read()\n"
        "    with open(dst, 'w') as fh:\n"  # ASYNC230 again: related to the first
        "        fh.write(text)\n"
        "async def send(host, path):\n"
        "    with open(path, 'rb') as fh:\n"  # ASYNC230 beside our CIA001: one root cause
        "        body = fh.read()\n"
        "    smtplib.SMTP(host).sendmail('a', ['b'], body)\n"
    )
    result = audit(tmp_path, use_cache=False, jobs=1)
    opened = [f for f in result.findings if f.rule == "RUF-ASYNC230"]
    assert [(f.line, f.symbol) for f in opened] == [(3, "copy_text")]
    assert [(s.line, s.symbol) for s in opened[0].related] == [(5, "copy_text")]
    assert [(f.rule, f.line) for f in result.findings if f.symbol == "send"] == [("CIA001", 10)]


def test_ruff_output_counts_only_for_files_the_audit_analyzed(tmp_path):
    # ruff runs beside the workers on every file read; a file our parser rejected (newer
    # syntax, say) is reported as an error, not as ruff findings.
    from analyzers.profile import load_profile
    from analyzers.project import summarize_source
    from analyzers.runner import AuditResult, _ruff

    for name in ("kept.py", "rejected.py"):
        (tmp_path / name).write_text("async def load(path):\n    return open(path).read()\n")
    item = {
        "code": "ASYNC230",
        "message": "Async functions should not open files with blocking methods like `open`",
        "location": {"row": 2, "column": 12},
        "end_location": {"row": 2, "column": 16},
    }
    diagnostics = [
        {**item, "filename": str(tmp_path / "kept.py")},
        {**item, "filename": str(tmp_path / "rejected.py")},
    ]
    summaries = [summarize_source((tmp_path / "kept.py").read_text(), "kept.py", "kept")]
    result = AuditResult(root=str(tmp_path), profile="generic", rules=0)
    found = _ruff(tmp_path, summaries, load_profile("generic"), [], result, (diagnostics, ""))
    assert [(f.rule, f.path, f.line) for f in found] == [("RUF-ASYNC230", "kept.py", 2)]

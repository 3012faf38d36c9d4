"""The standalone bundle builds and starts (one PyInstaller build per test run, ~1 min)."""

from __future__ import annotations

import configparser
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from inspector.attach import ptrace_call
from inspector.core.session import Session

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("PyInstaller", reason="needs the packaging extra")
    base = tmp_path_factory.mktemp("bundle")
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "packaging" / "build_bundle.py"),
            "--dist",
            str(base / "dist"),
            "--work",
            str(base / "work"),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    exe = (
        base
        / "dist"
        / "casare-inspector"
        / ("casare-inspector.exe" if os.name == "nt" else "casare-inspector")
    )
    assert exe.exists()
    return exe


def test_bundle_starts_and_reports_its_version(bundle: Path) -> None:
    out = subprocess.run([str(bundle), "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().startswith("casare-inspector ")


def test_bundle_runs_the_static_audit_with_its_own_resources(bundle: Path, tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "import asyncio, time\n\nasync def tick():\n    time.sleep(1)\n", encoding="utf-8"
    )
    out = subprocess.run(
        [
            str(bundle),
            "audit",
            str(tmp_path),
            "--profile",
            "generic",
            "--json",
            str(tmp_path / "f.json"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode in (0, 1), out.stderr
    data = json.loads((tmp_path / "f.json").read_text(encoding="utf-8"))
    # the planted time.sleep() in a coroutine: a bundle without its rules finds nothing
    assert [(f["rule"], f["line"]) for f in data["findings"]] == [("CIA001", 4)]


def test_bundle_ships_the_agent_as_source_for_injection(bundle: Path) -> None:
    agent_src = bundle.parent / "_internal" / "agent_src" / "inspector" / "agent"
    assert (agent_src / "__init__.py").is_file()


def test_desktop_entry_is_well_formed() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive in desktop files
    entry.read(ROOT / "packaging" / "casare-inspector.desktop", encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application"
    assert section["Exec"] and section["Icon"] and section["Categories"].endswith(";")
    assert (ROOT / "resources" / "icons" / "casare-inspector-256.png").is_file()


TARGET = """
import asyncio, sys


async def main() -> None:
    print("ready", flush=True)
    for _ in range(int(sys.argv[1]) * 20):
        await asyncio.sleep(0.05)


asyncio.run(main())
"""


def _run(bundle: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(bundle), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )


def _counts(path: Path) -> dict[str, int]:
    with Session.open(path, read_only=True) as session:
        return session.record_counts()


def test_bundle_records_a_launched_target(bundle: Path, tmp_path: Path) -> None:
    (tmp_path / "target.py").write_text(TARGET, encoding="utf-8")
    session = tmp_path / "launch.session"
    out = _run(
        bundle,
        "record",
        "--duration",
        "3",
        "--no-sample",
        "--session",
        str(session),
        "--",
        sys.executable,
        str(tmp_path / "target.py"),
        "30",
    )
    assert out.returncode == 0, out.stderr
    counts = _counts(session)
    assert counts.get("agent", 0) >= 1 and counts.get("loop_lag", 0) >= 1, counts


def test_bundle_records_the_demo(bundle: Path, tmp_path: Path) -> None:
    session = tmp_path / "demo.session"
    out = _run(
        bundle, "record", "--demo", "--duration", "5", "--no-sample", "--session", str(session)
    )
    assert out.returncode == 0, out.stderr
    counts = _counts(session)
    assert counts.get("bus", 0) >= 1 and counts.get("handler", 0) >= 1, counts


@pytest.mark.skipif(not ptrace_call.supported(), reason="attach needs Linux x86-64")
def test_bundle_attaches_to_a_running_target(bundle: Path, tmp_path: Path) -> None:
    (tmp_path / "target.py").write_text(TARGET, encoding="utf-8")
    target = subprocess.Popen(
        [sys.executable, str(tmp_path / "target.py"), "60"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert target.stdout is not None and target.stdout.readline().strip() == "ready"
        session = tmp_path / "attach.session"
        out = _run(bundle, "attach", str(target.pid), "--duration", "3", "--session", str(session))
        assert out.returncode == 0, out.stderr
        assert target.poll() is None  # the target keeps running after the detach
        counts = _counts(session)
        assert counts.get("agent", 0) >= 1 and counts.get("loop_lag", 0) >= 1, counts
    finally:
        target.kill()
        target.wait()

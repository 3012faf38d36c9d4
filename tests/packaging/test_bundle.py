"""The standalone bundle builds and starts (one PyInstaller build per test run, ~1 min)."""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
    assert (tmp_path / "f.json").read_text(encoding="utf-8").startswith("{")


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

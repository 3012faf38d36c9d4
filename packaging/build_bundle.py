"""Build the standalone one-folder bundle into dist/casare-inspector/ with PyInstaller.

Usage: python packaging/build_bundle.py [--dist DIR] [--work DIR]
Needs the `packaging` extra (pip install -e .[packaging]). Works on Windows, macOS and Linux;
on Linux it also writes the .desktop entry next to the bundle with the icon path filled in.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build(dist: Path, work: Path) -> Path:
    if shutil.which("pyinstaller") is None and not _has_module("PyInstaller"):
        raise SystemExit("build_bundle: PyInstaller is missing; pip install -e .[packaging]")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--log-level",
            "WARN",
            "--distpath",
            str(dist),
            "--workpath",
            str(work),
            str(ROOT / "packaging" / "casare-inspector.spec"),
        ],
        check=True,
        # collecting Qt submodules imports them; never let that try to open a display
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    bundle = dist / "casare-inspector"
    if sys.platform.startswith("linux"):
        desktop = (ROOT / "packaging" / "casare-inspector.desktop").read_text(encoding="utf-8")
        icon = bundle / "_internal" / "resources" / "icons" / "casare-inspector-256.png"
        desktop = desktop.replace("Exec=casare-inspector", f"Exec={bundle / 'casare-inspector'}")
        desktop = desktop.replace("Icon=casare-inspector", f"Icon={icon}")
        (bundle / "casare-inspector.desktop").write_text(desktop, encoding="utf-8")
    return bundle


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build")
    args = parser.parse_args()
    bundle = build(args.dist, args.work)
    print(f"bundle: {bundle}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

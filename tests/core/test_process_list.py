"""The start page's process list finds Python processes and tells Qt ones apart."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import psutil

from inspector.core.process_list import PythonProcess, describe, list_python_processes


def _wait_for_line(proc: subprocess.Popen[str]) -> None:
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"


def test_lists_a_plain_python_child_without_qt() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", "print('ready', flush=True); import time; time.sleep(30)"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_line(proc)
        found = {p.pid: p for p in list_python_processes()}
        assert proc.pid in found
        child = found[proc.pid]
        assert child.python == f"{sys.version_info.major}.{sys.version_info.minor}"
        assert child.uses_qt is False
    finally:
        proc.kill()
        proc.wait()


def test_detects_pyside6_loaded_from_memory_maps() -> None:
    code = textwrap.dedent(
        """
        import PySide6.QtCore, time
        print('ready', flush=True)
        time.sleep(30)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        _wait_for_line(proc)
        found = describe(psutil.Process(proc.pid))
        assert found is not None and found.uses_qt is True
        assert found.qt_label == "PySide6"
    finally:
        proc.kill()
        proc.wait()


def test_non_python_process_is_not_listed() -> None:
    proc = subprocess.Popen(["sleep", "30"])
    try:
        assert describe(psutil.Process(proc.pid)) is None
    finally:
        proc.kill()
        proc.wait()


def test_filter_matches_words_anywhere() -> None:
    p = PythonProcess(12, "python", "python run.py --x", "3.12", True, True)
    assert p.matches("casarerpa pyside6")
    assert p.matches("12 run.py")
    assert not p.matches("demo")


def test_our_own_inspector_is_not_tagged_casare_and_rows_suggest_a_profile(tmp_path) -> None:
    script = tmp_path / "casare-inspector"
    script.write_text("print('ready', flush=True)\nimport time\ntime.sleep(30)\n")
    casare = tmp_path / "CasareRPA" / "src" / "casare_rpa"
    casare.mkdir(parents=True)
    ours = subprocess.Popen(
        [sys.executable, str(script), "audit", str(casare)], stdout=subprocess.PIPE, text=True
    )
    target = subprocess.Popen(
        [sys.executable, "-c", "print('ready', flush=True); import time; time.sleep(30)"],
        cwd=casare,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_line(ours)
        _wait_for_line(target)
        found = {p.pid: p for p in list_python_processes()}
        assert found[ours.pid].is_inspector is True
        assert found[ours.pid].looks_like_casare is False
        assert found[ours.pid].suggested_profile == "generic"
        assert found[target.pid].is_inspector is False
        assert found[target.pid].looks_like_casare is True
        assert found[target.pid].suggested_profile == "casare_rpa"
    finally:
        for proc in (ours, target):
            proc.kill()
            proc.wait()

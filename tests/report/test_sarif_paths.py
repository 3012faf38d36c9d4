"""SARIF: files outside the source root are absolute file:// URIs, never under %SRCROOT%."""

from __future__ import annotations

from inspector.report.sarif import SRCROOT, _location


def _artifact(path: str) -> dict[str, str]:
    return _location(path, 3)["physicalLocation"]["artifactLocation"]


def test_a_file_of_the_tree_is_relative_to_the_source_root():
    assert _artifact("pkg/my app.py") == {"uri": "pkg/my%20app.py", "uriBaseId": SRCROOT}


def test_an_absolute_posix_path_is_a_file_uri_without_base():
    assert _artifact("/usr/lib/python3.11/asyncio/base_events.py") == {
        "uri": "file:///usr/lib/python3.11/asyncio/base_events.py"
    }


def test_an_absolute_windows_path_is_a_file_uri_without_base():
    assert _artifact("C:\\Python311\\Lib\\asyncio\\base_events.py") == {
        "uri": "file:///C:/Python311/Lib/asyncio/base_events.py"
    }

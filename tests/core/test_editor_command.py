"""Editor command templates become an argv (never a shell line)."""

from __future__ import annotations

import pytest

from inspector.core.editor_command import (
    PRESETS,
    EditorCommandError,
    build_argv,
    default_template,
)


def test_vscode_preset() -> None:
    assert build_argv(PRESETS["VS Code"], "/src/a b.py", 12) == ["code", "-g", "/src/a b.py:12"]


def test_path_with_quotes_and_semicolons_stays_one_argument() -> None:
    argv = build_argv("vim +{line} {path}", "/src/x'; rm -rf ~.py", 3)
    assert argv == ["vim", "+3", "/src/x'; rm -rf ~.py"]


def test_template_without_path_gets_the_path_appended() -> None:
    assert build_argv("gedit", "/a.py", 1) == ["gedit", "/a.py"]


def test_bad_templates_say_why() -> None:
    with pytest.raises(EditorCommandError, match="empty"):
        build_argv("  ", "/a.py", 1)
    with pytest.raises(EditorCommandError, match="placeholder"):
        build_argv("code {file}", "/a.py", 1)
    with pytest.raises(EditorCommandError, match="parse"):
        build_argv('code "unclosed', "/a.py", 1)


def test_default_from_environment() -> None:
    assert default_template({}) == PRESETS["VS Code"]
    assert default_template({"EDITOR": "nvim"}) == "nvim +{line} {path}"
    assert default_template({"VISUAL": "code --wait", "EDITOR": "vi"}) == (
        "code --wait -g {path}:{line}"
    )
    assert default_template({"EDITOR": "kate"}) == "kate {path}"


def test_each_editor_gets_its_own_line_argument() -> None:
    from inspector.core.editor_command import template_for_editor

    cases = {
        "vim": ["vim", "+7", "/a.py"],
        "nvim": ["nvim", "+7", "/a.py"],
        "emacs": ["emacs", "+7", "/a.py"],
        "nano": ["nano", "+7", "/a.py"],
        "code": ["code", "-g", "/a.py:7"],
        "codium": ["codium", "-g", "/a.py:7"],
        "subl": ["subl", "/a.py:7"],
        "sublime": ["sublime", "/a.py:7"],
        "pycharm": ["pycharm", "--line", "7", "/a.py"],
        "charm": ["charm", "--line", "7", "/a.py"],
        "/opt/bin/kate": ["/opt/bin/kate", "/a.py"],
    }
    for editor, argv in cases.items():
        assert build_argv(template_for_editor(editor), "/a.py", 7) == argv, editor


def _which(installed: set[str]):
    return lambda name: f"/usr/bin/{name}" if name in installed else None


def test_detects_installed_editors_only() -> None:
    from inspector.core.editor_command import detect_editors

    found = detect_editors(_which({"charm", "subl", "vim"}))
    assert found == {
        "PyCharm": "charm --line {line} {path}",
        "Sublime Text": "subl {path}:{line}",
        "Vim (terminal)": "vim +{line} {path}",
    }


def test_fallback_order_settings_then_environment_then_installed() -> None:
    from inspector.core.editor_command import editor_candidates

    which = _which({"code", "nvim", "subl", "x-terminal-emulator"})
    assert editor_candidates("code -g {path}:{line}", {"EDITOR": "nvim"}, which) == [
        "code -g {path}:{line}",
        "x-terminal-emulator -e nvim +{line} {path}",
        "subl {path}:{line}",
    ]
    # nothing configured, no VS Code, a terminal editor without a terminal: only Sublime
    assert editor_candidates("", {"EDITOR": "vim"}, _which({"vim", "subl"})) == [
        "subl {path}:{line}"
    ]
    # nothing at all: the window falls back to the desktop's opener
    assert editor_candidates("code -g {path}:{line}", {}, _which(set())) == []

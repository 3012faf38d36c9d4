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
    argv = build_argv("vim +{line} {path}", "/tmp/x'; rm -rf ~.py", 3)
    assert argv == ["vim", "+3", "/tmp/x'; rm -rf ~.py"]


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

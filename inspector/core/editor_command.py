"""The "Open in editor" command: a user template turned into an argv, never a shell line.

Templates use `{path}` and `{line}` placeholders, e.g. `code -g {path}:{line}`. The default
comes from `$VISUAL` / `$EDITOR` (with `+{line}` for editors known to take it). Splitting is
done with shlex *before* substitution, so a path with spaces or quotes stays one argument and
nothing is ever interpreted by a shell.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from pathlib import Path

PRESETS: Mapping[str, str] = {
    "VS Code": "code -g {path}:{line}",
    "PyCharm": "pycharm --line {line} {path}",
    "Vim (terminal)": "x-terminal-emulator -e vim +{line} {path}",
    "Emacs": "emacs +{line} {path}",
    "Sublime Text": "subl {path}:{line}",
}

_PLUS_LINE_EDITORS = {"vi", "vim", "nvim", "nano", "emacs", "emacsclient", "micro", "kak", "gedit"}


class EditorCommandError(ValueError):
    """A template that cannot be turned into a command; the message is one line."""


def default_template(env: Mapping[str, str] | None = None) -> str:
    """$VISUAL, else $EDITOR (with a line argument when the editor takes one), else VS Code."""
    env = os.environ if env is None else env
    editor = (env.get("VISUAL") or env.get("EDITOR") or "").strip()
    if not editor:
        return PRESETS["VS Code"]
    if "{path}" in editor:
        return editor
    name = Path(shlex.split(editor)[0]).name if shlex.split(editor) else ""
    if name in _PLUS_LINE_EDITORS:
        return f"{editor} +{{line}} {{path}}"
    if name in {"code", "code-insiders", "codium"}:
        return f"{editor} -g {{path}}:{{line}}"
    return f"{editor} {{path}}"


def build_argv(template: str, path: str | Path, line: int) -> list[str]:
    """The argv for opening `path` at `line` with `template`."""
    try:
        parts = shlex.split(template, posix=os.name != "nt")
    except ValueError as exc:
        raise EditorCommandError(f"editor command {template!r} does not parse: {exc}") from exc
    if not parts:
        raise EditorCommandError("editor command is empty; set one in Settings > Editor")
    values = {"path": str(path), "line": str(max(int(line), 1))}
    argv = []
    for part in parts:
        try:
            argv.append(part.format_map(values))
        except (KeyError, IndexError, ValueError) as exc:
            raise EditorCommandError(
                f"editor command {template!r}: unknown placeholder {exc}; use {{path}} and {{line}}"
            ) from exc
    if "{path}" not in template:
        argv.append(str(path))
    return argv

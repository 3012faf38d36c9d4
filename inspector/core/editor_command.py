"""The "Open in editor" command: a user template turned into an argv, never a shell line.

Templates use `{path}` and `{line}` placeholders, e.g. `code -g {path}:{line}`. Splitting is
done with shlex *before* substitution, so a path with spaces or quotes stays one argument and
nothing is ever interpreted by a shell.

What is tried, in order (`editor_candidates`): the template chosen in Settings, then
`$VISUAL` / `$EDITOR` with the line argument their editor takes, then the common editors found
on PATH; when none of them can start, the window hands the file to the desktop's opener.
"""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

PRESETS: Mapping[str, str] = {
    "VS Code": "code -g {path}:{line}",
    "VSCodium": "codium -g {path}:{line}",
    "PyCharm": "pycharm --line {line} {path}",
    "Sublime Text": "subl {path}:{line}",
    "Emacs": "emacs +{line} {path}",
    "Vim (terminal)": "x-terminal-emulator -e vim +{line} {path}",
}

# How each editor takes a line, by program name (without .exe).
_PLUS_LINE = {"vi", "vim", "nvim", "gvim", "nano", "emacs", "emacsclient", "micro", "kak", "gedit"}
_GOTO_LINE = {"code", "code-insiders", "codium", "vscodium"}  # -g file:line
_COLON_LINE = {"subl", "sublime", "sublime_text"}  # file:line
_LINE_FLAG = {"pycharm", "pycharm64", "pycharm-community", "pycharm-professional", "charm"}
# Editors that need a terminal: started from a GUI they get one through the terminal emulator.
_TERMINAL = {"vi", "vim", "nvim", "nano", "micro", "kak"}

# Offered in Settings when found on PATH: label, program, template.
_DETECTABLE = (
    ("VS Code", "code", "code -g {path}:{line}"),
    ("VSCodium", "codium", "codium -g {path}:{line}"),
    ("PyCharm", "pycharm", "pycharm --line {line} {path}"),
    ("PyCharm", "charm", "charm --line {line} {path}"),
    ("PyCharm Community", "pycharm-community", "pycharm-community --line {line} {path}"),
    ("Sublime Text", "subl", "subl {path}:{line}"),
    ("Emacs", "emacs", "emacs +{line} {path}"),
    ("gVim", "gvim", "gvim +{line} {path}"),
    ("Kate", "kate", "kate --line {line} {path}"),
    ("gedit", "gedit", "gedit +{line} {path}"),
    ("Vim (terminal)", "vim", "vim +{line} {path}"),
    ("Neovim (terminal)", "nvim", "nvim +{line} {path}"),
    ("nano (terminal)", "nano", "nano +{line} {path}"),
)

Which = Callable[[str], str | None]


class EditorCommandError(ValueError):
    """A template that cannot be turned into a command; the message is one line."""


def _program(command: str) -> str:
    try:
        parts = shlex.split(command, posix=os.name != "nt")
    except ValueError:
        return ""
    if not parts:
        return ""
    name = Path(parts[0]).name.lower()
    return name[:-4] if name.endswith(".exe") else name


def template_for_editor(editor: str) -> str:
    """A template for an editor command (`$EDITOR`'s value): the line argument it takes."""
    editor = editor.strip()
    if not editor or "{path}" in editor:
        return editor
    name = _program(editor)
    if name in _PLUS_LINE:
        return f"{editor} +{{line}} {{path}}"
    if name in _GOTO_LINE:
        return f"{editor} -g {{path}}:{{line}}"
    if name in _COLON_LINE:
        return f"{editor} {{path}}:{{line}}"
    if name in _LINE_FLAG:
        return f"{editor} --line {{line}} {{path}}"
    return f"{editor} {{path}}"


def environment_template(env: Mapping[str, str] | None = None) -> str:
    """$VISUAL, else $EDITOR, as a template; "" when neither is set."""
    env = os.environ if env is None else env
    return template_for_editor(env.get("VISUAL") or env.get("EDITOR") or "")


def default_template(env: Mapping[str, str] | None = None) -> str:
    """$VISUAL, else $EDITOR (with the line argument its editor takes), else VS Code."""
    return environment_template(env) or PRESETS["VS Code"]


def detect_editors(which: Which = shutil.which) -> dict[str, str]:
    """The common editors installed on PATH, label -> template (first of a label wins)."""
    found: dict[str, str] = {}
    for label, program, template in _DETECTABLE:
        if label not in found and which(program):
            found[label] = template
    return found


def needs_terminal(template: str) -> bool:
    """A terminal editor (vim, nano...) given bare, without a terminal emulator around it."""
    return _program(template) in _TERMINAL


def runnable(template: str, which: Which = shutil.which) -> bool:
    """The template's program exists (on PATH, or as a path)."""
    name = ""
    try:
        parts = shlex.split(template, posix=os.name != "nt")
        name = parts[0] if parts else ""
    except ValueError:
        return False
    return bool(name) and which(name) is not None


def editor_candidates(
    configured: str,
    env: Mapping[str, str] | None = None,
    which: Which = shutil.which,
) -> list[str]:
    """Templates to try in order: Settings, $VISUAL/$EDITOR, then installed GUI editors.

    Only templates whose program exists are returned. A terminal editor is wrapped in the
    terminal emulator when there is one (started bare from a window it would have no tty)
    and skipped otherwise. An empty list means: use the desktop's opener.
    """
    wanted = [configured.strip(), environment_template(env)]
    wanted += [t for t in detect_editors(which).values() if not needs_terminal(t)]
    out: list[str] = []
    for template in wanted:
        if not template:
            continue
        if needs_terminal(template):
            if which("x-terminal-emulator") is None:
                continue
            template = f"x-terminal-emulator -e {template}"
        if runnable(template, which) and template not in out:
            out.append(template)
    return out


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

"""Running Python processes the inspector could attach to, for the start page.

For each process: PID, command line, Python version, and whether it looks like CasareRPA or
imports PySide6. The Qt check reads the process's memory maps (a loaded libpyside6 / QtCore
library); where maps are unreadable (another user's process, Windows without rights) it falls
back to the command line and says the check was a guess.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import psutil

_PY_EXE = re.compile(r"^python(\d(\.\d+)?)?(\.exe)?$|^pythonw(\.exe)?$", re.IGNORECASE)
_PY_LIB = re.compile(r"libpython(\d+\.\d+)|python(\d)(\d+)\.dll", re.IGNORECASE)
_QT_LIB = re.compile(r"libpyside6|QtCore\.abi3|QtCore\.pyd|libQt6Core|Qt6Core\.dll", re.IGNORECASE)


@dataclass(frozen=True)
class PythonProcess:
    """One running Python process as the start page lists it."""

    pid: int
    name: str
    command: str
    python: str  # "3.12", or "" when it could not be told
    uses_qt: bool | None  # None: maps unreadable, not known
    looks_like_casare: bool
    cwd: str = ""
    rss_mb: float = 0.0
    short_command: str = ""  # the program by name, not by where it is installed
    is_inspector: bool = False  # one of our own casare-inspector processes

    @property
    def suggested_profile(self) -> str:
        """The profile to attach with: what the start page's Profile box shows for the row."""
        if self.is_inspector:
            return "generic"
        return "casare_rpa" if self.looks_like_casare else suggest_profile(self.command, "")

    @property
    def qt_label(self) -> str:
        return {True: "PySide6", False: "", None: "?"}[self.uses_qt]

    def matches(self, text: str) -> bool:
        """Case-insensitive filter over pid, command and the labels."""
        needle = text.strip().lower()
        if not needle:
            return True
        hay = f"{self.pid} {self.command} {self.python} {self.qt_label} " + (
            "casarerpa" if self.looks_like_casare else ""
        )
        return all(part in hay.lower() for part in needle.split())


def _is_python(name: str, exe: str, cmdline: list[str]) -> bool:
    candidates = [name, Path(exe).name if exe else ""]
    if cmdline:
        candidates.append(Path(cmdline[0]).name)
    return any(_PY_EXE.match(c or "") for c in candidates)


def looks_like_casare_command(command: str, cwd: str) -> bool:
    """CasareRPA by its package name, its repository name, or its `run.py` in a casare folder."""
    hay = f"{command} {cwd}".lower()
    return "casare_rpa" in hay or "casarerpa" in hay or ("run.py" in hay and "casare" in hay)


def suggest_profile(command: str, cwd: str) -> str:
    """The profile a command line most likely wants: demo, casare_rpa, else generic."""
    if "inspector.demo" in command:
        return "demo"
    return "casare_rpa" if looks_like_casare_command(command, cwd) else "generic"


def _is_inspector(cmdline: list[str]) -> bool:
    """`casare-inspector ...` or `python -m inspector ...` (our window, audits, records), but
    not the demo target it launches (`-m inspector.demo`)."""
    for i, part in enumerate(cmdline[:3]):
        name = Path(part).name.lower()
        if name in ("casare-inspector", "casare-inspector.exe", "casare-inspector-script.py"):
            return True
        if part == "-m" and i + 1 < len(cmdline) and cmdline[i + 1] == "inspector":
            return True
    return False


def _maps_paths(proc: psutil.Process) -> list[str] | None:
    """Paths of the shared objects mapped into `proc`, or None when unreadable."""
    maps = Path(f"/proc/{proc.pid}/maps")
    if maps.exists():
        try:
            text = maps.read_text(errors="replace")
        except OSError:
            return None
        return [line.split(None, 5)[-1] for line in text.splitlines() if "/" in line]
    try:
        return [m.path for m in proc.memory_maps(grouped=True)]
    except (psutil.Error, OSError, NotImplementedError):
        return None


def _python_version(exe: str, libs: Iterable[str]) -> str:
    for lib in libs:
        match = _PY_LIB.search(lib)
        if match:
            if match.group(1):
                return match.group(1)
            return f"{match.group(2)}.{match.group(3)}"
    name = Path(exe).name if exe else ""
    match = re.search(r"(\d+\.\d+)", name)
    if match:
        return match.group(1)
    if exe:
        # a venv's python is a symlink to python3.X; resolve it once
        try:
            match = re.search(r"(\d+\.\d+)", Path(exe).resolve().name)
        except OSError:
            match = None
        if match:
            return match.group(1)
        cfg = Path(exe).parent.parent / "pyvenv.cfg"
        try:
            found = re.search(r"version\w*\s*=\s*(\d+\.\d+)", cfg.read_text())
        except OSError:
            found = None
        if found:
            return found.group(1)
    return ""


def describe(proc: psutil.Process) -> PythonProcess | None:
    """A `PythonProcess` for `proc`, or None when it is not Python (or vanished)."""
    try:
        with proc.oneshot():
            name = proc.name()
            try:
                exe = proc.exe()
            except (psutil.AccessDenied, psutil.ZombieProcess, OSError):
                exe = ""
            cmdline = proc.cmdline()
            if not _is_python(name, exe, cmdline):
                return None
            try:
                cwd = proc.cwd()
            except (psutil.AccessDenied, psutil.ZombieProcess, OSError):
                cwd = ""
            rss = proc.memory_info().rss / 1e6
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None
    libs = _maps_paths(proc)
    command = " ".join(cmdline) or name
    short = " ".join([Path(cmdline[0]).name, *cmdline[1:]]) if cmdline else name
    uses_qt: bool | None
    if libs is None:
        uses_qt = None
        libs = []
    else:
        uses_qt = any(_QT_LIB.search(p) for p in libs)
    ours = _is_inspector(cmdline)
    # `casare-inspector audit .../casare_rpa` names CasareRPA's folder but is not CasareRPA
    looks_like_casare = not ours and looks_like_casare_command(command, cwd)
    return PythonProcess(
        pid=proc.pid,
        name=name,
        command=command,
        short_command=short,
        python=_python_version(exe, libs),
        uses_qt=uses_qt,
        looks_like_casare=looks_like_casare,
        cwd=cwd,
        rss_mb=rss,
        is_inspector=ours,
    )


def list_python_processes(exclude_self: bool = True) -> list[PythonProcess]:
    """Running Python processes, likeliest targets first (CasareRPA, then Qt, then by PID)."""
    me = os.getpid()
    out = []
    for proc in psutil.process_iter():
        if exclude_self and proc.pid == me:
            continue
        found = describe(proc)
        if found is not None:
            out.append(found)
    out.sort(key=lambda p: (not p.looks_like_casare, p.uses_qt is not True, -p.pid))
    return out

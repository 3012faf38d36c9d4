"""py-spy dies with the inspector, even when the inspector is killed with SIGKILL.

Linux: the child asks the kernel for SIGKILL when its parent dies (`prctl(PR_SET_PDEATHSIG)`
through ctypes, set between fork and exec). The kernel sends it when the *thread* that
spawned the child ends, so children must be spawned from a thread that outlives them (the
recorder's own thread does: it finishes every chunk before it returns).
Windows: the child is put into a Job object that kills its processes when the job's last
handle closes, which the OS does when the inspector dies.
Elsewhere (macOS), and if either mechanism fails: every py-spy run gets a `--duration`, so an
orphan ends by itself within seconds (`needs_duration()`).

Temporary folders are named `casare-pyspy-<pid>-...` so the next recorder can remove the
folders of inspectors that died (`sweep_stale_dirs`).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

PR_SET_PDEATHSIG = 1
_STALE = re.compile(r"^casare-pyspy-(\d+)-")


def _linux_die_with_parent(parent: int) -> Callable[[], None]:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)

    def preexec() -> None:  # runs in the child between fork and exec: no allocation-heavy work
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def popen_kwargs() -> dict[str, Any]:
    """Extra `subprocess.Popen` arguments that tie the child's life to ours (Linux)."""
    if sys.platform.startswith("linux"):
        try:
            return {"preexec_fn": _linux_die_with_parent(os.getpid())}
        except OSError:
            return {}
    return {}


class _WindowsJob:
    """A kill-on-close Job object (kernel32 through ctypes); None-safe when anything fails."""

    def __init__(self) -> None:
        import ctypes
        from ctypes import wintypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]

        class _Basic(ctypes.Structure):
            _fields_ = [
                ("PerProcessUserTimeLimit", ctypes.c_int64),
                ("PerJobUserTimeLimit", ctypes.c_int64),
                ("LimitFlags", wintypes.DWORD),
                ("MinimumWorkingSetSize", ctypes.c_size_t),
                ("MaximumWorkingSetSize", ctypes.c_size_t),
                ("ActiveProcessLimit", wintypes.DWORD),
                ("Affinity", ctypes.c_size_t),
                ("PriorityClass", wintypes.DWORD),
                ("SchedulingClass", wintypes.DWORD),
            ]

        class _Io(ctypes.Structure):
            _fields_ = [(n, ctypes.c_uint64) for n in ("r", "w", "o", "rb", "wb", "ob")]

        class _Extended(ctypes.Structure):
            _fields_ = [
                ("BasicLimitInformation", _Basic),
                ("IoInfo", _Io),
                ("ProcessMemoryLimit", ctypes.c_size_t),
                ("JobMemoryLimit", ctypes.c_size_t),
                ("PeakProcessMemoryUsed", ctypes.c_size_t),
                ("PeakJobMemoryUsed", ctypes.c_size_t),
            ]

        kernel32.CreateJobObjectW.restype = wintypes.HANDLE
        kernel32.OpenProcess.restype = wintypes.HANDLE
        job = kernel32.CreateJobObjectW(None, None)
        if not job:
            raise OSError(ctypes.get_last_error(), "CreateJobObject failed")
        info = _Extended()
        info.BasicLimitInformation.LimitFlags = 0x2000  # JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
        if not kernel32.SetInformationJobObject(job, 9, ctypes.byref(info), ctypes.sizeof(info)):
            raise OSError(ctypes.get_last_error(), "SetInformationJobObject failed")
        self._kernel32 = kernel32
        self._job = job  # never closed by us: the OS closes it when the inspector dies

    def adopt(self, pid: int) -> None:
        access = 0x0100 | 0x0001  # PROCESS_SET_QUOTA | PROCESS_TERMINATE
        handle = self._kernel32.OpenProcess(access, False, pid)
        if not handle:
            raise OSError("OpenProcess failed")
        try:
            if not self._kernel32.AssignProcessToJobObject(self._job, handle):
                raise OSError("AssignProcessToJobObject failed")
        finally:
            self._kernel32.CloseHandle(handle)


_job: _WindowsJob | None = None


def adopt(pid: int) -> bool:
    """After the child started: on Windows put it into our kill-on-close job. True if the
    child is now sure to die with us (always True on Linux, where `popen_kwargs` did it)."""
    global _job
    if sys.platform.startswith("linux"):
        return True
    if sys.platform != "win32":
        return False
    try:
        if _job is None:
            _job = _WindowsJob()
        _job.adopt(pid)
        return True
    except (OSError, AttributeError, ValueError):
        return False


def needs_duration() -> bool:
    """Whether py-spy runs need a --duration as their only guarantee of ending (not Linux)."""
    return not sys.platform.startswith("linux")


def make_temp_dir() -> Path:
    """A private temp folder named after this process, so a later run can sweep it."""
    sweep_stale_dirs()
    return Path(tempfile.mkdtemp(prefix=f"casare-pyspy-{os.getpid()}-"))


def sweep_stale_dirs(base: Path | None = None) -> list[Path]:
    """Remove `casare-pyspy-<pid>-*` folders whose inspector process no longer exists."""
    base = base or Path(tempfile.gettempdir())
    removed = []
    with contextlib.suppress(OSError):
        for entry in base.iterdir():
            match = _STALE.match(entry.name)
            if match and entry.is_dir() and not _alive(int(match[1])):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        import psutil

        return bool(psutil.pid_exists(pid))
    except ImportError:
        if sys.platform == "win32":
            return True  # cannot tell: keep it
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except OSError:
            return True
        return True

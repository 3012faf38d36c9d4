"""Attach mode: put the agent into an already-running Python process.

Python >= 3.14 targets: `sys.remote_exec(pid, script)`, run by the target's own interpreter
(so it also works on Windows and macOS). Older targets on Linux: take the GIL with
`PyGILState_Ensure`, run a one-line bootstrap with `PyRun_SimpleStringFlags`, release the
GIL. On x86-64 we do those three calls with ptrace ourselves (`ptrace_call`), because gdb's
inferior calls fail on kernels/CPUs with large extended register state (AMX) and can leave
the target broken; on other Linux machines gdb does them. The bootstrap only starts the
agent's thread, which moves onto the Qt thread with a 0 ms `QTimer.singleShot` before it
touches any widget. Elsewhere (Windows/macOS before 3.14): use launch mode.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from inspector.attach import ptrace_call
from inspector.attach.agent_config import (
    AttachError,
    agent_config,
    bootstrap_script,
    cleanup,
    private_dir,
    write_config,
    write_private,
)

if TYPE_CHECKING:
    from inspector.core.agent_link import AgentLink

MIN_VERSION = (3, 11)
CONNECT_TIMEOUT_S = 15.0
GDB_TIMEOUT_S = 30.0
LAUNCH_HINT = "start the target with `casare-inspector launch -- COMMAND` instead"
_CAP_SYS_PTRACE = 19


def _read_text(path: str) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def _has_cap_sys_ptrace() -> bool:
    for line in (_read_text("/proc/self/status") or "").splitlines():
        if line.startswith("CapEff:"):
            try:
                return bool(int(line.split()[1], 16) >> _CAP_SYS_PTRACE & 1)
            except (IndexError, ValueError):
                return False
    return False


def ptrace_hint(pid: int) -> str:
    """Why ptrace was refused and what would help, for this machine and this user.

    "Set ptrace_scope to 0" is only advice where Yama exists and restricts us; as root (or
    with CAP_SYS_PTRACE) the refusal comes from elsewhere: a container or security module,
    or a process outside our PID namespace (such as a container's PID 1)."""
    scope = _read_text("/proc/sys/kernel/yama/ptrace_scope")
    privileged = (hasattr(os, "geteuid") and os.geteuid() == 0) or _has_cap_sys_ptrace()
    if scope == "3":
        why = "ptrace is disabled on this machine (kernel.yama.ptrace_scope = 3, until reboot)"
    elif privileged:
        who = "root" if hasattr(os, "geteuid") and os.geteuid() == 0 else "CAP_SYS_PTRACE"
        why = (
            f"ptrace was refused even with {who}: a container runtime, seccomp or a security "
            "module (AppArmor, SELinux) forbids it here (a Docker container needs "
            "`--cap-add SYS_PTRACE`)"
        )
        if pid == 1:
            why += "; process 1 is the init of this (container) system, not your app: attach "
            why += "to the app's own PID"
    elif scope in ("1", "2"):
        why = (
            f"ptrace was refused (kernel.yama.ptrace_scope = {scope}): set it to 0 "
            "(`echo 0 | sudo tee /proc/sys/kernel/yama/ptrace_scope`), or run the inspector "
            "as the target's user with CAP_SYS_PTRACE (e.g. `sudo setcap cap_sys_ptrace+ep "
            "$(which gdb)`)"
        )
    else:
        why = "ptrace was refused: run the inspector as the target's user (or as root)"
    return f"{why}; or {LAUNCH_HINT}"


_LIBPYTHON = re.compile(r"libpython(\d)\.(\d+)")
_EXE_VERSION = re.compile(r"python(\d)\.(\d+)")


@dataclass(frozen=True)
class TargetInfo:
    pid: int
    executable: str
    version: tuple[int, int]


def inspect_target(pid: int) -> TargetInfo:
    """Check that `pid` exists and runs Python; find its executable and version."""
    if pid <= 0:
        raise AttachError(f"no such process: {pid}")
    try:
        import psutil

        process = psutil.Process(pid)
        executable = process.exe()
        maps = [m.path for m in process.memory_maps(grouped=True)] if _linux() else []
    except ImportError:  # psutil is a dependency, but be plain about its absence
        executable, maps = _proc_fallback(pid)
    except Exception as exc:
        name = type(exc).__name__
        if name == "NoSuchProcess":
            raise AttachError(f"no such process: {pid}") from exc
        if name == "AccessDenied":
            raise AttachError(f"cannot inspect process {pid}: {ptrace_hint(pid)}") from exc
        raise AttachError(f"cannot inspect process {pid}: {exc}") from exc
    version = _version_from(executable, maps)
    if version is None:
        raise AttachError(
            f"process {pid} ({Path(executable).name or 'unknown'}) is not a Python process"
        )
    return TargetInfo(pid, executable, version)


def _linux() -> bool:
    return sys.platform.startswith("linux")


def _proc_fallback(pid: int) -> tuple[str, list[str]]:
    proc = Path(f"/proc/{pid}")
    if not proc.exists():
        raise AttachError(f"no such process: {pid}")
    try:
        executable = os.readlink(proc / "exe")
        maps = [line.split()[-1] for line in (proc / "maps").read_text().splitlines()]
    except OSError as exc:
        raise AttachError(f"cannot inspect process {pid}: {ptrace_hint(pid)}") from exc
    return executable, maps


def _version_from(executable: str, maps: list[str]) -> tuple[int, int] | None:
    for path in maps:
        match = _LIBPYTHON.search(Path(path).name)
        if match:
            return int(match[1]), int(match[2])
    match = _EXE_VERSION.search(Path(executable).name)
    if match:
        return int(match[1]), int(match[2])
    if "python" in Path(executable).name.lower():
        try:
            out = subprocess.run(
                [executable, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            ).stdout.strip()
            major, minor = out.split(".")
            return int(major), int(minor)
        except (OSError, subprocess.SubprocessError, ValueError):
            return None
    return None


def attach_pid(pid: int, profile: str, link: AgentLink, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Inject the agent into process `pid`; returns once it has connected to `link`."""
    if not link.port:
        raise AttachError("the agent link is not listening; call link.start() first")
    info = inspect_target(pid)
    if info.version < MIN_VERSION:
        raise AttachError(
            f"process {pid} runs Python {info.version[0]}.{info.version[1]}; "
            f"the agent needs Python {MIN_VERSION[0]}.{MIN_VERSION[1]} or newer"
        )
    if info.version >= (3, 14):
        injector = _inject_remote_exec
    elif ptrace_call.supported():
        injector = _inject_ptrace
    elif _linux():
        injector = _inject_gdb
    else:
        raise AttachError(
            f"attaching to a running Python {info.version[0]}.{info.version[1]} process is only "
            f"possible on Linux (gdb) or with Python 3.14+ (sys.remote_exec); {LAUNCH_HINT}"
        )
    directory = private_dir()
    try:
        config = agent_config(profile, link.host, link.port, link.token, mode="attach")
        config_path = write_config(directory, config)
        script = write_private(directory, "bootstrap.py", bootstrap_script(config_path))
        injector(info, script)
        if not link.wait_connected(timeout):
            raise AttachError(
                f"the agent in process {pid} did not connect within {timeout:.0f} s "
                "(is its main thread blocked?)"
            )
    finally:
        cleanup(directory)


def _inject_remote_exec(info: TargetInfo, script: Path) -> None:
    """sys.remote_exec is called by a 3.14 interpreter: the target's own executable."""
    code = "import sys; sys.remote_exec(int(sys.argv[1]), sys.argv[2])"
    try:
        result = subprocess.run(
            [info.executable, "-c", code, str(info.pid), str(script)],
            capture_output=True,
            text=True,
            timeout=GDB_TIMEOUT_S,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise AttachError(f"sys.remote_exec could not run: {exc}") from exc
    if result.returncode != 0:
        err = (result.stderr.strip().splitlines() or ["unknown error"])[-1]
        if "PermissionError" in err or "Operation not permitted" in err:
            raise AttachError(f"sys.remote_exec was refused: {err}; {ptrace_hint(info.pid)}")
        if "disabled" in err.lower():
            raise AttachError(
                f"remote debugging is disabled in process {info.pid} ({err}); {LAUNCH_HINT}"
            )
        raise AttachError(f"sys.remote_exec failed: {err}")


def bootstrap_runner(script: Path) -> str:
    """The one line run in the target: execute the bootstrap file in a namespace of its own."""
    return (
        f"exec(compile(open({str(script)!r}).read(), {str(script)!r}, 'exec'), "
        f"{{'__name__': '__casare_inspector_bootstrap__', '__file__': {str(script)!r}}})"
    )


def _inject_ptrace(info: TargetInfo, script: Path) -> None:
    try:
        result = ptrace_call.run_python(info.pid, bootstrap_runner(script))
    except ptrace_call.PtraceError as exc:
        if ptrace_call.is_permission_error(exc):
            raise AttachError(ptrace_hint(info.pid)) from exc
        if exc.errno == errno.ESRCH:
            raise AttachError(f"no such process: {info.pid}") from exc
        raise AttachError(f"cannot inject into process {info.pid}: {exc}") from exc
    except OSError as exc:
        if exc.errno in (errno.EPERM, errno.EACCES):
            raise AttachError(ptrace_hint(info.pid)) from exc
        raise AttachError(f"cannot inject into process {info.pid}: {exc}") from exc
    if result != 0:
        raise AttachError(f"the bootstrap raised inside process {info.pid} (see its stderr)")


def gdb_commands(script: Path) -> list[str]:
    runner = bootstrap_runner(script)
    escaped = runner.replace("\\", "\\\\").replace('"', '\\"')
    return [
        "set pagination off",
        "set confirm off",
        "call (int)PyGILState_Ensure()",
        f'call (int)PyRun_SimpleStringFlags("{escaped}", 0)',
        "call (void)PyGILState_Release($1)",
        "detach",
        "quit",
    ]


def _inject_gdb(info: TargetInfo, script: Path) -> None:
    gdb = shutil.which("gdb")
    if gdb is None:
        raise AttachError(
            "gdb is missing: install it (e.g. `sudo apt install gdb`) to attach to Python "
            f"{info.version[0]}.{info.version[1]}, or {LAUNCH_HINT}"
        )
    args = [gdb, "-nx", "-batch", "-p", str(info.pid)]
    for command in gdb_commands(script):
        args += ["-ex", command]
    try:
        result = subprocess.run(args, capture_output=True, text=True, timeout=GDB_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        raise AttachError(f"gdb did not finish within {GDB_TIMEOUT_S:.0f} s") from exc
    except OSError as exc:
        raise AttachError(f"cannot run gdb: {exc}") from exc
    output = result.stdout + result.stderr
    if "Couldn't write extended state" in output:
        raise AttachError(
            "gdb cannot call functions in processes on this kernel/CPU (extended register "
            f"state); {LAUNCH_HINT}"
        )
    if "Operation not permitted" in output or "ptrace:" in output:
        raise AttachError(ptrace_hint(info.pid))
    if "No such process" in output:
        raise AttachError(f"no such process: {info.pid}")
    if "No symbol" in output or "has unknown return type" in output:
        raise AttachError(
            f"gdb cannot find the Python C API in process {info.pid} (a stripped or static "
            f"interpreter); {LAUNCH_HINT}"
        )
    ran = re.search(r"\$2 = (-?\d+)", output)
    if ran is None:
        last = (output.strip().splitlines() or ["no output"])[-1]
        raise AttachError(f"gdb could not run the bootstrap in process {info.pid}: {last}")
    if ran[1] != "0":
        raise AttachError(
            f"the bootstrap raised inside process {info.pid} (see the target's stderr)"
        )

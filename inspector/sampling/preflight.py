"""Check, before sampling, that py-spy exists and may read the target; explain why not.

Each failure is a `SamplingError` with one line that says what to do, because the usual
causes (py-spy not installed, a dead PID, a non-Python process, ptrace forbidden by Yama or
missing privileges) are all fixable by the user and all look alike in py-spy's own output.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from inspector.sampling.errors import SamplingError

_EXE = "py-spy.exe" if sys.platform == "win32" else "py-spy"
_INSTALL_HINT = "install it with `pip install py-spy` into the inspector's environment"
_DUMP_TIMEOUT_S = 15.0
_TRANSIENT = "failed to get stack traces"
_TRANSIENT_TRIES = 4
_TRANSIENT_PAUSE_S = 0.25


def find_py_spy() -> Path:
    """The py-spy executable: next to this interpreter first (a venv), then on PATH."""
    candidates = [Path(sys.executable).with_name(_EXE)]
    if sys.platform == "win32":
        candidates.append(Path(sys.executable).parent / "Scripts" / _EXE)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    found = shutil.which("py-spy")
    if found:
        return Path(found)
    raise SamplingError(f"py-spy not found next to {sys.executable} or on PATH; {_INSTALL_HINT}")


def py_spy_version(exe: Path | None = None) -> str:
    """`py-spy --version` as "0.4.3" (empty when the binary does not answer)."""
    exe = exe or find_py_spy()
    try:
        out = subprocess.run(
            [str(exe), "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except OSError:
        return ""
    return out.strip().removeprefix("py-spy").strip()


def pid_exists(pid: int) -> bool:
    """Is a process with this PID alive? A zombie (exited, not yet reaped) is not."""
    try:
        import psutil

        try:
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False
        except psutil.Error:  # access denied: it exists
            return True
    except ImportError:  # psutil is a dependency, but keep the check working without it
        if sys.platform == "win32":
            return True  # let py-spy answer
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def ptrace_hint() -> str:
    """What to change on this OS so py-spy may read another process's memory."""
    if sys.platform.startswith("linux"):
        scope = ""
        try:
            value = Path("/proc/sys/kernel/yama/ptrace_scope").read_text().strip()
            scope = f" (kernel.yama.ptrace_scope is {value}"
            scope += (
                "; set it to 0 with `sudo sysctl kernel.yama.ptrace_scope=0`)"
                if value != "0"
                else ")"
            )
        except OSError:
            pass
        return (
            "ptrace refused" + scope + ": run the inspector as root, give py-spy the "
            "capability with `sudo setcap cap_sys_ptrace+ep $(which py-spy)`, or in a "
            "container add CAP_SYS_PTRACE"
        )
    if sys.platform == "darwin":
        return "macOS lets py-spy read other processes only as root: run the inspector with sudo"
    return "run the inspector as Administrator so py-spy may read the target process"


def classify_failure(pid: int, output: str) -> str:
    """Turn py-spy's own error text into the one line the user needs."""
    text = output.lower()
    if not pid_exists(pid):
        return f"no process with PID {pid}"
    if "permission denied" in text or "operation not permitted" in text or "eperm" in text:
        return f"cannot sample PID {pid}: {ptrace_hint()}"
    if "failed to find python" in text or "python version" in text or "libpython" in text:
        return f"PID {pid} does not look like a Python process (py-spy: {error_line(output)})"
    return f"py-spy cannot sample PID {pid}: {error_line(output) or 'no output'}"


def error_line(output: str) -> str:
    """py-spy's "Error: ..." line (not the backtrace that may follow it)."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("Error:"):
            return line.removeprefix("Error:").strip()
    return lines[-1] if lines else ""


def quiet_env() -> dict[str, str]:
    """The environment for py-spy runs: no Rust backtraces cluttering its error output."""
    return {**os.environ, "RUST_BACKTRACE": "0", "RUST_LIB_BACKTRACE": "0"}


def check(pid: int) -> None:
    """Raise `SamplingError` (one line) unless py-spy can sample `pid` right now.

    Runs one `py-spy dump --nonblocking`, which exercises exactly the rights `record` needs
    (reading the target's memory) without pausing it.
    """
    exe = find_py_spy()
    if pid <= 0 or not pid_exists(pid):
        raise SamplingError(f"no process with PID {pid}")
    if pid == os.getpid():
        raise SamplingError("refusing to sample the inspector itself; give the target's PID")
    for attempt in range(_TRANSIENT_TRIES):
        output = _dump_nonblocking(exe, pid)
        if output is None:
            return
        # a nonblocking read can race the target (an interpreter still starting, a thread
        # state being swapped): py-spy then says it failed to get the stacks; try again
        if _TRANSIENT not in output.lower() or attempt == _TRANSIENT_TRIES - 1:
            break
        time.sleep(_TRANSIENT_PAUSE_S)
    raise SamplingError(classify_failure(pid, output))


def _dump_nonblocking(exe: Path, pid: int) -> str | None:
    """None when one `py-spy dump --nonblocking` succeeded, else its output."""
    try:
        result = subprocess.run(
            [str(exe), "dump", "--pid", str(pid), "--nonblocking"],
            capture_output=True,
            text=True,
            timeout=_DUMP_TIMEOUT_S,
            check=False,
            env=quiet_env(),
        )
    except subprocess.TimeoutExpired as exc:
        raise SamplingError(
            f"py-spy did not answer within {_DUMP_TIMEOUT_S:.0f} s for PID {pid}"
        ) from exc
    except OSError as exc:
        raise SamplingError(f"cannot run {exe}: {exc}; {_INSTALL_HINT}") from exc
    if result.returncode == 0:
        return None
    return result.stdout + "\n" + result.stderr


def native_unwinding(pid: int, exe: Path | None = None) -> str:
    """Why py-spy's `--native` cannot unwind `pid`'s stacks, or "" when it can.

    Tried with one `py-spy dump --native` (it pauses the target for that one dump). Native
    unwinding needs Linux or Windows, and fails on some builds (stripped or unusual
    libraries): the caller then samples Python frames only and names native time from the
    repaint records instead.
    """
    if sys.platform == "darwin":
        return "py-spy cannot unwind native stacks on macOS"
    exe = exe or find_py_spy()
    try:
        proc = subprocess.run(
            [str(exe), "dump", "--native", "--pid", str(pid)],
            capture_output=True,
            text=True,
            timeout=_DUMP_TIMEOUT_S,
            check=False,
            env=quiet_env(),
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"py-spy dump --native did not answer: {exc}"
    if proc.returncode != 0 or "Thread" not in proc.stdout:
        return "py-spy dump --native failed: " + error_line(proc.stderr + proc.stdout)
    return ""

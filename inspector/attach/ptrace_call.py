"""Run a line of Python in another process's main thread with ptrace (Linux, x86-64).

This is what `gdb -p PID -ex 'call PyGILState_Ensure()' ...` does, without gdb: stop the
main thread, save its registers, call PyGILState_Ensure, PyRun_SimpleString and
PyGILState_Release in turn (each "returns" to address 0, which stops the thread with SIGSEGV
for us to collect the result), restore the registers and let it go. We only use the general
and legacy FP/SSE register sets, which works on kernels and CPUs (AMX) where gdb's inferior
calls fail with "Couldn't write extended state status". We only call in while the thread is
blocked in a system call (an idle Qt or asyncio loop always is), so no live vector state of
the interrupted code can be clobbered; the kernel restarts the interrupted call afterwards.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import signal
import struct
import sys
import time
from pathlib import Path

PTRACE_POKEDATA = 5
PTRACE_CONT = 7
PTRACE_GETREGS = 12
PTRACE_SETREGS = 13
PTRACE_GETFPREGS = 14
PTRACE_SETFPREGS = 15
PTRACE_ATTACH = 16
PTRACE_DETACH = 17
WALL = 0x40000000
NO_SYSCALL = (1 << 64) - 1
CALL_TIMEOUT_S = 20.0
IDLE_WAIT_S = 3.0  # how long we wait for the main thread to block in a system call


class PtraceError(Exception):
    """Injection through ptrace failed; `errno` is set when ptrace itself refused."""

    def __init__(self, message: str, err: int = 0) -> None:
        super().__init__(message)
        self.errno = err


_REG_NAMES = (
    *("r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx", "rdx"),
    *("rsi", "rdi", "orig_rax", "rip", "cs", "eflags", "rsp", "ss", "fs_base", "gs_base"),
    *("ds", "es", "fs", "gs"),
)


class _Regs(ctypes.Structure):
    _fields_ = [(name, ctypes.c_ulonglong) for name in _REG_NAMES]  # user_regs_struct


def supported() -> bool:
    return sys.platform.startswith("linux") and platform.machine() in ("x86_64", "AMD64")


# -- symbols ---------------------------------------------------------------------------------
def _dynamic_symbols(path: Path, wanted: set[str]) -> tuple[dict[str, int], bool]:
    """Values of `wanted` dynamic symbols in an ELF64 file, and whether it is a PIE/.so."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise PtraceError(f"{path} is not a 64-bit ELF file")
    e_type = struct.unpack_from("<H", data, 16)[0]
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [
        struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)
    ]
    found: dict[str, int] = {}
    for _name, sh_type, _flags, _addr, offset, size, link, _info, _align, entsize in sections:
        if sh_type != 11:  # SHT_DYNSYM
            continue
        str_off = sections[link][4]
        for pos in range(offset, offset + size, entsize or 24):
            st_name, _info, _other, shndx, value, _size = struct.unpack_from("<IBBHQQ", data, pos)
            if not value or not shndx:
                continue
            end = data.index(b"\0", str_off + st_name)
            name = data[str_off + st_name : end].decode("ascii", "replace")
            if name in wanted:
                found[name] = value
    return found, e_type == 3  # ET_DYN


def resolve(pid: int, names: list[str]) -> dict[str, int]:
    """Absolute addresses of the named functions in process `pid` (libpython or the exe)."""
    maps = Path(f"/proc/{pid}/maps").read_text().splitlines()
    bases: dict[str, int] = {}
    for line in maps:
        parts = line.split()
        if len(parts) < 6 or not parts[5].startswith("/"):
            continue
        start, offset = int(parts[0].split("-")[0], 16), int(parts[2], 16)
        path = parts[5]
        if path not in bases or offset == 0:
            bases.setdefault(path, start - offset)
    wanted = set(names)
    candidates = sorted(bases, key=lambda p: ("libpython" not in p, "python" not in Path(p).name))
    for path in candidates:
        if "python" not in Path(path).name.lower():
            continue
        try:
            symbols, pie = _dynamic_symbols(Path(f"/proc/{pid}/root{path}"), wanted)
        except (OSError, PtraceError, struct.error, ValueError):
            continue
        if wanted <= set(symbols):
            base = bases[path] if pie else 0
            return {name: base + symbols[name] for name in names}
    raise PtraceError(f"process {pid} exports no Python C API ({', '.join(names)})")


# -- ptrace ------------------------------------------------------------------------------------
class _Tracer:
    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
        self.libc.ptrace.restype = ctypes.c_long
        self.pending: list[int] = []

    def ptrace(self, request: int, addr: int = 0, data: object = None) -> int:
        ctypes.set_errno(0)
        if isinstance(data, ctypes.Structure | ctypes.Array):
            ptr = ctypes.cast(ctypes.byref(data), ctypes.c_void_p)
        else:
            ptr = ctypes.c_void_p(data if isinstance(data, int) else 0)
        result = self.libc.ptrace(request, self.pid, ctypes.c_void_p(addr), ptr)
        err = ctypes.get_errno()
        if result == -1 and err:
            raise PtraceError(f"ptrace request {request} failed: {os.strerror(err)}", err)
        return result

    def wait_stop(self, timeout: float) -> int:
        """Wait for the next stop; returns its signal. Other signals are kept for later."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                pid, status = os.waitpid(self.pid, WALL | os.WNOHANG)
            except ChildProcessError as exc:
                raise PtraceError("the target vanished during injection") from exc
            if pid == 0:
                if time.monotonic() > deadline:
                    raise PtraceError("the target did not stop in time")
                time.sleep(0.002)
                continue
            if os.WIFEXITED(status) or os.WIFSIGNALED(status):
                raise PtraceError("the target exited during injection")
            if os.WIFSTOPPED(status):
                return os.WSTOPSIG(status)

    def get_regs(self) -> _Regs:
        regs = _Regs()
        self.ptrace(PTRACE_GETREGS, 0, regs)
        return regs

    def write(self, address: int, data: bytes) -> None:
        with open(f"/proc/{self.pid}/mem", "r+b", buffering=0) as mem:
            mem.seek(address)
            mem.write(data)

    def call(self, saved: _Regs, function: int, *args: int, payload: bytes = b"") -> int:
        """Call `function(*args)` in the stopped thread; `payload` is placed on its stack and its
        address replaces a first argument of -1."""
        regs = _Regs.from_buffer_copy(saved)
        sp = saved.rsp - 1024  # well below the red zone and the interrupted frame
        if payload:
            sp = (sp - len(payload)) & ~0xF
            self.write(sp, payload)
            args = tuple(sp if a == -1 else a for a in args)
            sp -= 256
        sp = (sp & ~0xF) - 8  # at entry, rsp + 8 must be 16-byte aligned
        self.write(sp, b"\0" * 8)  # the return address: 0, so returning stops with SIGSEGV
        for reg, value in zip(("rdi", "rsi", "rdx", "rcx"), args, strict=False):
            setattr(regs, reg, value & NO_SYSCALL)
        regs.rsp, regs.rip, regs.rax, regs.orig_rax = sp, function, 0, NO_SYSCALL
        self.ptrace(PTRACE_SETREGS, 0, regs)
        self.ptrace(PTRACE_CONT, 0, 0)
        while True:
            sig = self.wait_stop(CALL_TIMEOUT_S)
            if sig == signal.SIGSEGV:
                after = self.get_regs()
                if after.rip == 0:
                    return int(after.rax)
                raise PtraceError("the injected call crashed")
            self.pending.append(sig)  # delivered after we detach
            self.ptrace(PTRACE_CONT, 0, 0)


def run_python(pid: int, source: str) -> int:
    """Run `source` with PyRun_SimpleString in `pid`'s main thread; returns its result (0 = ok)."""
    if not supported():
        raise PtraceError("direct ptrace injection supports Linux on x86-64 only")
    functions = resolve(pid, ["PyGILState_Ensure", "PyRun_SimpleStringFlags", "PyGILState_Release"])
    tracer = _Tracer(pid)
    deadline = time.monotonic() + IDLE_WAIT_S
    while True:
        tracer.ptrace(PTRACE_ATTACH)
        while (sig := tracer.wait_stop(5.0)) != signal.SIGSTOP:
            tracer.pending.append(sig)
            tracer.ptrace(PTRACE_CONT, 0, 0)
        saved = tracer.get_regs()
        if saved.orig_rax != NO_SYSCALL:
            break  # blocked in a system call: safe to borrow the thread
        tracer.ptrace(PTRACE_DETACH, 0, 0)
        if time.monotonic() > deadline:
            raise PtraceError("the target's main thread never idled in a system call (busy?)")
        time.sleep(0.02)
    fpregs = (ctypes.c_ubyte * 512)()
    tracer.ptrace(PTRACE_GETFPREGS, 0, fpregs)
    try:
        gil = tracer.call(saved, functions["PyGILState_Ensure"]) & 0xFFFFFFFF
        code = source.encode("utf-8") + b"\0"
        result = tracer.call(saved, functions["PyRun_SimpleStringFlags"], -1, 0, payload=code)
        tracer.call(saved, functions["PyGILState_Release"], gil)
    finally:
        tracer.ptrace(PTRACE_SETREGS, 0, saved)
        tracer.ptrace(PTRACE_SETFPREGS, 0, fpregs)
        resend = next((s for s in tracer.pending if s != signal.SIGSTOP), 0)
        tracer.ptrace(PTRACE_DETACH, 0, resend)
    return ctypes.c_int32(result & 0xFFFFFFFF).value


def is_permission_error(exc: PtraceError) -> bool:
    return exc.errno in (errno.EPERM, errno.EACCES)

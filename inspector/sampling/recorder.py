"""Continuous, gapless, timestamped py-spy sampling of one process for a whole session.

Design (measured on py-spy 0.4.3, see tests/benchmarks/bench_sampling.py and the sampling
package docstring): py-spy writes its timed format (chrometrace) only when it stops, so one
py-spy run per session would show nothing until the end and lose everything if the
inspector died. The recorder therefore runs py-spy in *chunks* of `chunk_s` seconds and hands
over with an overlap instead of a gap:

  1. chunk N+1 is started while chunk N still samples;
  2. once N+1 prints "Sampling process ..." (it has attached; ~20-50 ms) and 100 ms more
     (its first sample), chunk N is asked to stop (SIGINT; CTRL_BREAK on Windows);
  3. N's last event time is the *cut*: N's runs are stored up to it, N+1's from it on, so
     no instant is stored twice and none is lost. A cut where N+1's first sample came after
     N's end is recorded as a gap in meta["sampling"]["gaps"] (with a 30 ms margin one
     2.6 ms gap showed up on a heavily loaded machine; hence the 100 ms margin).

Not used: `--gil` (like leaving out `--idle`) makes py-spy skip some threads' samples, and
chrometrace, which records only changes, would then show their last stack lasting through
the skipped time; who holds the GIL is better read from the stacks themselves.

Chunk times become epoch seconds as `t0 + ts/1e6`, with `t0` taken when py-spy was spawned:
within a chunk times are py-spy's own microseconds; across chunks they agree to within
py-spy's start-up latency (a few ms). The target is never paused with `nonblocking=True`
(the default); everything runs in a background thread and child processes, so a GUI calling
`start()`/`stop()` is not held up except by `stop()`'s final flush.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from inspector.core.session import Session
from inspector.sampling import child_lifetime
from inspector.sampling.chrometrace import parse_chrometrace
from inspector.sampling.errors import PySpyFormatError, SamplingError
from inspector.sampling.preflight import (
    check,
    classify_failure,
    find_py_spy,
    native_unwinding,
    pid_exists,
    py_spy_version,
    quiet_env,
)
from inspector.sampling.store import SampleWriter

_READY_MARK = "Sampling process"
_READY_TIMEOUT_S = 15.0
# Lets chunk N+1 take its first sample before N stops: py-spy's first sample comes after an
# exponentially distributed wait (mean 10 ms at 100 Hz), later on a loaded machine.
_HANDOVER_MARGIN_S = 0.1
_STOP_TIMEOUT_S = 20.0
_SPAWN_ATTEMPTS = 3


@dataclass
class _Chunk:
    index: int
    proc: subprocess.Popen[str]
    path: Path
    t0: float
    ready: threading.Event = field(default_factory=threading.Event)
    output: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    def text(self) -> str:
        return "".join(self.output)


class PySpyRecorder:
    """Samples `pid` with py-spy into `session` until `stop()` or until the process exits.

    `error` is None while all is well, else one line saying why sampling stopped early;
    `samples_written` counts stored runs (rows of the samples table). With `idle=False` runs
    whose innermost frame is a known wait are not stored (py-spy still samples idle threads,
    or busy stacks would seem to last through the waits).
    """

    def __init__(
        self,
        pid: int,
        session: Session,
        rate: int = 100,
        nonblocking: bool = True,
        idle: bool = True,
        subprocesses: bool = False,
        *,
        chunk_s: float = 5.0,
        preflight: bool = True,
        native: bool = False,
    ) -> None:
        if rate <= 0:
            raise SamplingError(f"sampling rate must be positive, got {rate}")
        self.pid = pid
        self.session = session
        self.rate = rate
        self.nonblocking = nonblocking
        self.idle = idle
        self.subprocesses = subprocesses
        self.chunk_s = chunk_s
        self._preflight = preflight
        self.native = native
        self.native_error = ""
        self.error: str | None = None
        self.chunks = 0
        self.gaps: list[tuple[float, float]] = []
        self.handover_overlaps_ms: list[float] = []
        self.lost_chunks = 0
        self._writer = SampleWriter(session, keep_idle=idle)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._exe: Path | None = None
        self._dir: Path | None = None
        self._started = 0.0

    # -- public -------------------------------------------------------------------------------
    @property
    def samples_written(self) -> int:
        return self._writer.rows_written

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Check py-spy and rights (raising `SamplingError`), then sample in the background.

        The preflight runs one `py-spy dump` synchronously (0.1-1 s): a GUI should call
        `start()` from a worker, or pass `preflight=False` after its own background check.
        """
        if self._thread is not None:
            raise SamplingError("this recorder was already started; make a new one")
        self._exe = find_py_spy()
        if self._preflight:
            check(self.pid)
        if self.native:
            # py-spy unwinds native frames only while the target is paused (no
            # --nonblocking), and not on every build: try once, else fall back cleanly
            self.native_error = native_unwinding(self.pid, self._exe)
            self.native = not self.native_error
            if self.native:
                self.nonblocking = False
        self._dir = child_lifetime.make_temp_dir()
        self._started = time.time()
        self._write_meta(ended=None)
        self._thread = threading.Thread(target=self._run, name="py-spy recorder", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        """Stop sampling and store the last chunk; safe to call twice or after the target died.

        Blocks until py-spy has written and the chunk is stored (typically 50-300 ms).
        """
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for sampling to end by itself (target exit); True if it has ended."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # -- the background thread ----------------------------------------------------------------
    def _command(self, path: Path) -> list[str]:
        cmd = [
            str(self._exe),
            "record",
            "--pid",
            str(self.pid),
            "--format",
            "chrometrace",
            "--output",
            str(path),
            "--rate",
            str(self.rate),
            "--threads",
            "--full-filenames",
        ]
        if self.native:
            cmd.append("--native")
        elif self.nonblocking:
            cmd.append("--nonblocking")
        # Always --idle: chrometrace only records stack *changes*, so a thread left out while
        # idle would seem to stay in its last busy stack. idle=False drops idle runs at store.
        cmd.append("--idle")
        if self.subprocesses:
            cmd.append("--subprocesses")
        if sys.platform == "win32" or child_lifetime.needs_duration():
            # CTRL_BREAK needs a console the inspector may not have (a windowed build), and
            # without PR_SET_PDEATHSIG an orphan would sample on: a duration makes every
            # chunk end by itself if the signal is lost or the inspector dies.
            cmd += ["--duration", str(int(self.chunk_s) + 3)]
        return cmd

    def _spawn(self) -> _Chunk:
        assert self._dir is not None
        index = self.chunks
        self.chunks += 1
        path = self._dir / f"chunk-{index:05d}.json"
        kwargs: dict[str, object] = dict(child_lifetime.popen_kwargs())
        if sys.platform == "win32":
            # CTRL_BREAK can only be sent to a process group of its own.
            kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
        proc = subprocess.Popen(
            self._command(path),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=quiet_env(),
            **kwargs,  # type: ignore[call-overload]
        )
        child_lifetime.adopt(proc.pid)  # Windows: dies with us through a kill-on-close job
        chunk = _Chunk(index=index, proc=proc, path=path, t0=time.time())
        chunk.reader = threading.Thread(target=self._read_output, args=(chunk,), daemon=True)
        chunk.reader.start()
        return chunk

    @staticmethod
    def _read_output(chunk: _Chunk) -> None:
        assert chunk.proc.stdout is not None
        for line in chunk.proc.stdout:
            chunk.output.append(line)
            if _READY_MARK in line:
                chunk.ready.set()
        chunk.ready.set()  # py-spy exited: nobody should wait for it any longer

    def _await_ready(self, chunk: _Chunk) -> bool:
        chunk.ready.wait(_READY_TIMEOUT_S)
        return chunk.proc.poll() is None and _READY_MARK in chunk.text()

    @staticmethod
    def _interrupt(chunk: _Chunk) -> None:
        if chunk.proc.poll() is not None:
            return
        with contextlib.suppress(OSError):
            if sys.platform == "win32":
                chunk.proc.send_signal(signal.CTRL_BREAK_EVENT)  # type: ignore[attr-defined]
            else:
                chunk.proc.send_signal(signal.SIGINT)

    def _finish(self, chunk: _Chunk, lo: float | None) -> float | None:
        """Wait for `chunk`, store its runs from `lo` on; returns its cut (last event time)."""
        try:
            chunk.proc.wait(_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            chunk.proc.kill()
            chunk.proc.wait()
        if chunk.reader is not None:
            chunk.reader.join(5)
        try:
            text = chunk.path.read_text(encoding="utf-8")
        except OSError:
            # py-spy died without writing (killed, crashed): its time becomes a recorded gap
            # and the recording goes on while the target lives.
            self.lost_chunks += 1
            return lo if lo is not None else chunk.t0
        finally:
            chunk.path.unlink(missing_ok=True)
        try:
            runs = parse_chrometrace(text)
        except PySpyFormatError as exc:
            self.error = str(exc)
            return lo
        if not runs:
            return lo
        first = chunk.t0 + min(r.start_us for r in runs) / 1e6
        cut = chunk.t0 + max(r.end_us for r in runs) / 1e6
        if lo is not None:
            self.handover_overlaps_ms.append(round((lo - first) * 1000, 3))
            if first > lo:
                self.gaps.append((lo, first))
        self._writer.write(runs, chunk.t0, lo=lo)
        return cut if lo is None else max(cut, lo)

    def _discard(self, chunk: _Chunk) -> None:
        """Drop a chunk that never became ready (its output stays in `chunk.text()`)."""
        if chunk.proc.poll() is None:
            chunk.proc.kill()
        chunk.proc.wait()
        if chunk.reader is not None:
            chunk.reader.join(5)
        chunk.path.unlink(missing_ok=True)

    def _start_chunk(self) -> _Chunk | None:
        """A ready chunk, or None (with `error` set unless the target simply is gone)."""
        for _attempt in range(_SPAWN_ATTEMPTS):
            chunk = self._spawn()
            if self._await_ready(chunk):
                return chunk
            self._discard(chunk)
            if not pid_exists(self.pid) or self._stop.is_set():
                return None
        self.error = classify_failure(self.pid, chunk.text())
        return None

    def _run(self) -> None:
        cut: float | None = None
        current = self._start_chunk()
        try:
            while current is not None:
                deadline = time.monotonic() + self.chunk_s
                while not self._stop.is_set() and current.proc.poll() is None:
                    self._stop.wait(min(0.1, max(0.0, deadline - time.monotonic())))
                    if time.monotonic() >= deadline:
                        break
                if self._stop.is_set():
                    self._interrupt(current)
                    cut = self._finish(current, cut)
                    return
                if current.proc.poll() is not None:
                    # py-spy ended by itself: the target exited (the usual case), or on
                    # Windows its --duration ran out, or it failed. Keep what it has.
                    cut = self._finish(current, cut)
                    if not pid_exists(self.pid) or self.error is not None:
                        return
                    current = self._start_chunk()  # the target lives on: continue (a gap)
                    continue
                successor = self._start_chunk()
                if successor is None:
                    # target gone, or py-spy cannot attach again: keep the current chunk's data
                    self._interrupt(current)
                    cut = self._finish(current, cut)
                    return
                time.sleep(_HANDOVER_MARGIN_S)
                self._interrupt(current)
                cut = self._finish(current, cut)
                current = successor
        except Exception as exc:  # the recorder thread must report, never die silently
            self.error = f"sampling stopped: {type(exc).__name__}: {exc}"
            if current is not None:
                self._interrupt(current)
        finally:
            self._write_meta(ended=time.time())
            if self._dir is not None:
                shutil.rmtree(self._dir, ignore_errors=True)

    def _write_meta(self, ended: float | None) -> None:
        assert self._exe is not None
        self.session.set_meta(
            sampling={
                "tool": "py-spy",
                "version": py_spy_version(self._exe) if ended is None else self._version_cache(),
                "format": "chrometrace",
                "pid": self.pid,
                "rate": self.rate,
                "nonblocking": self.nonblocking,
                "idle": self.idle,
                "subprocesses": self.subprocesses,
                "native": self.native,
                "native_error": self.native_error,
                "weight_unit": "us",
                "started": self._started,
                "ended": ended,
                "chunks": self.chunks,
                "chunk_s": self.chunk_s,
                "gaps": [list(g) for g in self.gaps],
                "lost_chunks": self.lost_chunks,
                "handover_overlaps_ms": self.handover_overlaps_ms[-50:],
                "rows": self.samples_written,
                "error": self.error,
            }
        )

    def _version_cache(self) -> str:
        meta = self.session.meta.get("sampling") or {}
        return str(meta.get("version", "")) if isinstance(meta, dict) else ""


def describe(session: Session) -> str:
    """One line about the recording in `session` (for CLI output)."""
    meta = session.meta.get("sampling")
    if not isinstance(meta, dict):
        return "no py-spy recording in this session"
    return json.dumps({k: meta.get(k) for k in ("rate", "chunks", "rows", "gaps", "error")})

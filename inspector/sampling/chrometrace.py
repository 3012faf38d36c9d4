"""Parse py-spy's `record --format chrometrace` output into timed stack runs.

Why this format: it is the only py-spy 0.4 output that carries *when* each sample was
taken (`raw` and `flamegraph` are aggregated counts; `speedscope` keeps sample order but py-spy
spaces samples at exponentially distributed random intervals, so order does not give time).
py-spy emits, per thread, the frames that end ("E") and begin ("B") whenever a sample's stack
differs from the thread's previous sample, stamped with microseconds since the recorder
started; at the end it closes every open frame. Replaying those events gives, per thread, a
sequence of *runs*: a stack and the interval [start, end) during which every sample of that
thread showed it. A run therefore stands for all the samples it covers, and its duration is
measured, not inferred from a sample count.

Grammar accepted (anything else raises `PySpyFormatError` naming the event index):

    document  := JSON array of event
    event     := object with
                   "ph":   "B" | "E"
                   "ts":   integer >= 0       microseconds since recording started;
                                              non-decreasing per (pid, tid)
                   "pid":  integer            process that was sampled
                   "tid":  integer            thread id as py-spy reports it
                   "name": string             function (qualified on Python >= 3.11), or a
                                              pseudo-frame `thread (<tid>)[: <name>]` /
                                              `process <pid>:"<cmdline>"` (filename "")
                   "args": {"filename": string, "line": integer | null}
                   other keys ("cat", ...) are ignored
    An "E" must close the frame on top of that thread's stack (same name and filename).

Pseudo-frames (from `--threads` and `--subprocesses`) are taken off the stack: the thread
frame gives the OS thread id and name, process frames are dropped (the event's pid says
which process it was).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from inspector.sampling.errors import PySpyFormatError

_THREAD_FRAME = re.compile(r"^thread \((?P<tid>0x[0-9A-Fa-f]+|\d+)\)(?::\s?(?P<name>.*))?$")
_PROCESS_FRAME = re.compile(r'^process \d+:".*"$', re.DOTALL)


@dataclass(frozen=True)
class Frame:
    """One Python frame as py-spy names it: qualified function, file as loaded, current line."""

    function: str
    file: str
    line: int


@dataclass(frozen=True)
class StackRun:
    """A thread showed `frames` (root first) in every sample from `start_us` to `end_us`."""

    pid: int
    tid: int
    thread: str
    start_us: int
    end_us: int
    frames: tuple[Frame, ...]

    @property
    def duration_us(self) -> int:
        return self.end_us - self.start_us


@dataclass
class _ThreadState:
    stack: list[tuple[str, str, int]]
    start_us: int
    last_us: int
    os_tid: int | None = None
    name: str = ""


def _require(cond: bool, index: int, what: str) -> None:
    if not cond:
        raise PySpyFormatError(f"py-spy chrometrace event {index}: {what}")


def parse_chrometrace(text: str | bytes) -> list[StackRun]:
    """Runs of identical stacks per thread, ordered by start time; see the module grammar."""
    try:
        events = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PySpyFormatError(f"py-spy chrometrace output is not JSON: {exc}") from exc
    if not isinstance(events, list):
        raise PySpyFormatError("py-spy chrometrace output must be a JSON array of events")
    return parse_events(events)


def parse_events(events: Iterable[object]) -> list[StackRun]:
    """Replay already-decoded chrometrace events (see `parse_chrometrace`)."""
    threads: dict[tuple[int, int], _ThreadState] = {}
    runs: list[StackRun] = []
    for index, event in enumerate(events):
        _require(isinstance(event, dict), index, "is not an object")
        assert isinstance(event, dict)
        ph, ts, pid, tid = event.get("ph"), event.get("ts"), event.get("pid"), event.get("tid")
        name, args = event.get("name"), event.get("args")
        _require(ph in ("B", "E"), index, f"phase {ph!r} is not 'B' or 'E'")
        for key, value in (("ts", ts), ("pid", pid), ("tid", tid)):
            _require(
                isinstance(value, int) and not isinstance(value, bool) and value >= 0,
                index,
                f"{key} {value!r} is not a non-negative integer",
            )
        _require(isinstance(name, str), index, "name is not a string")
        _require(isinstance(args, dict), index, "args is not an object")
        assert isinstance(args, dict) and isinstance(ts, int)
        filename, line = args.get("filename"), args.get("line")
        _require(isinstance(filename, str), index, "args.filename is not a string")
        _require(
            line is None or (isinstance(line, int) and not isinstance(line, bool)),
            index,
            "args.line is not an integer or null",
        )
        key = (int(pid), int(tid))  # type: ignore[arg-type]
        state = threads.get(key)
        if state is None:
            state = threads[key] = _ThreadState(stack=[], start_us=ts, last_us=ts)
        _require(ts >= state.last_us, index, f"ts {ts} goes back in time for thread {tid}")
        if ts != state.last_us:
            # A new sample of this thread: the stack built so far held until now.
            _close_run(runs, key, state, ts)
            state.start_us = ts
        state.last_us = ts
        frame = (str(name), str(filename), int(line or 0))
        if ph == "B":
            state.stack.append(frame)
            if filename == "":
                match = _THREAD_FRAME.match(str(name))
                if match:
                    raw = match.group("tid")
                    state.os_tid = int(raw, 16) if raw.startswith("0x") else int(raw)
                    state.name = match.group("name") or ""
        else:
            _require(
                bool(state.stack), index, f"'E' for {name!r} but thread {tid} has no open frame"
            )
            top = state.stack[-1]
            _require(
                top[0] == name and top[1] == filename,
                index,
                f"'E' for {name!r} does not close the open frame {top[0]!r}",
            )
            state.stack.pop()
    for key, state in threads.items():
        if state.stack:
            # Output cut short (py-spy killed mid-write is not valid JSON, so this is a file
            # whose final closing events were trimmed): the last stack ends at its last event.
            _close_run(runs, key, state, state.last_us)
    runs.sort(key=lambda r: (r.start_us, r.pid, r.tid))
    return runs


def _close_run(
    runs: list[StackRun], key: tuple[int, int], state: _ThreadState, end_us: int
) -> None:
    frames = tuple(
        Frame(function=name, file=filename, line=line)
        for name, filename, line in state.stack
        if not (filename == "" and (_THREAD_FRAME.match(name) or _PROCESS_FRAME.match(name)))
    )
    if not frames or end_us <= state.start_us:
        return
    runs.append(
        StackRun(
            pid=key[0],
            tid=state.os_tid if state.os_tid is not None else key[1],
            thread=state.name,
            start_us=state.start_us,
            end_us=end_us,
            frames=frames,
        )
    )

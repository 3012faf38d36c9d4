"""Tell a waiting thread from a working one when py-spy's own idle flag is not available.

py-spy decides idleness from the OS thread state, but its timed output (chrometrace) drops
that flag. Without native frames, a waiting thread's innermost *Python* frame is the one that
called into the blocking C function, so the call site identifies the wait: a selector's
`select`, `Condition.wait`, `Queue.get`, a thread pool worker waiting for work, or a Qt/qasync
event loop sitting in `exec()`. `time.sleep` in project code is deliberately *not* idle: on an
event-loop thread it is exactly the blocking we want to see.
"""

from __future__ import annotations

import linecache
import re
from collections.abc import Sequence
from functools import lru_cache

from inspector.sampling.attribution import is_native
from inspector.sampling.chrometrace import Frame

# (file name, last part of the qualified function) of stdlib frames that only ever wait.
_WAITING_LEAVES = frozenset(
    {
        ("selectors.py", "select"),
        ("threading.py", "wait"),
        ("threading.py", "_wait_for_tstate_lock"),
        ("threading.py", "join"),
        ("queue.py", "get"),
        ("thread.py", "_worker"),  # concurrent.futures.thread: idle worker waiting for work
        ("connection.py", "_poll"),
        ("connection.py", "poll"),
        ("connection.py", "_recv"),
        ("socket.py", "accept"),
        ("socketserver.py", "serve_forever"),
        ("subprocess.py", "_try_wait"),
        ("subprocess.py", "wait"),
    }
)
# A Qt event loop (`app.exec()`, qasync's `run_forever`) waits inside C++ code.
_EXEC_CALL = re.compile(r"\.exec_?\s*\(|\brun_forever\s*\(")
# The inspector's own agent threads wait on their socket, event or timer; in the target's
# profile that is neither the target's work nor ours, so it counts as idle.
_AGENT_DIR = re.compile(r"[/\\]inspector[/\\]agent[/\\]")
_AGENT_WAIT_CALL = re.compile(r"\.(recv|recv_into|accept|wait|get|select)\s*\(|\bsleep\s*\(")


@lru_cache(maxsize=65536)
def _frame_waits(function: str, file: str, line: int) -> bool:
    base = file.replace("\\", "/").rsplit("/", 1)[-1]
    if (base, function.rsplit(".", 1)[-1]) in _WAITING_LEAVES:
        return True
    source = linecache.getline(file, line) if line > 0 and file else ""
    if _AGENT_DIR.search(file) and _AGENT_WAIT_CALL.search(source):
        return True
    return bool(_EXEC_CALL.search(source))


def is_idle(frames: Sequence[Frame]) -> bool:
    """True when the innermost Python frame is a known waiting call site."""
    if not frames:
        return True
    # py-spy --native puts the C frames (poll, g_main_context_iteration, ...) below the
    # Python one that called them: the call site is still the innermost Python frame
    leaf = next((f for f in reversed(frames) if not is_native(f)), None)
    if leaf is None:
        return False
    return _frame_waits(leaf.function, leaf.file, leaf.line)

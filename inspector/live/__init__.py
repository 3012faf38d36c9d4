"""The live-session engine shared by the window and the command line.

`LiveEngine` (in `inspector.live.engine`, whose docstring lists the whole API) launches or
attaches to a target, runs py-spy, runs workloads one at a time with progress and cancel, and
notices the target's exit within a second. Events: `inspector.live.events`.
"""

from inspector.live.engine import LiveEngine, demo_command
from inspector.live.events import (
    Connected,
    Ended,
    EngineEvent,
    Notice,
    WorkloadFinished,
    WorkloadProgress,
    WorkloadQueued,
    WorkloadStarted,
)
from inspector.live.workload_queue import WorkloadInfo, WorkloadTicket

__all__ = [
    "Connected",
    "Ended",
    "EngineEvent",
    "LiveEngine",
    "Notice",
    "WorkloadFinished",
    "WorkloadInfo",
    "WorkloadProgress",
    "WorkloadQueued",
    "WorkloadStarted",
    "WorkloadTicket",
    "demo_command",
]

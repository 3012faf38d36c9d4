"""Getting the agent into a target: one interface for launch and attach on every platform.

`launch_target(cmd, profile, link)` starts a new target with the agent preloaded (works
everywhere, no special rights). `attach_pid(pid, profile, link)` injects into a running one:
`sys.remote_exec` for Python >= 3.14 (any OS), gdb for older Pythons on Linux; on Windows
with an older Python it says to use launch mode. Both raise `AttachError` with one line.
"""

from inspector.attach.agent_config import AttachError, load_profile_tables
from inspector.attach.inject import TargetInfo, attach_pid, inspect_target
from inspector.attach.launch import launch_target

__all__ = [
    "AttachError",
    "TargetInfo",
    "attach_pid",
    "inspect_target",
    "launch_target",
    "load_profile_tables",
]

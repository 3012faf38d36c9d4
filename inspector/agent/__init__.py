"""The in-process agent. Standard library only: it runs inside someone else's interpreter.

Started inside the target by `bootstrap` (from the launch-mode `preload/sitecustomize.py`, or
from the one-line bootstrap that `inspector.attach` injects), it connects out to the
inspector's loopback `AgentLink`, hooks what the profile's [probes] table names
(`probes.bus`, `pool`, `queue`, `repaint`, `loop`, `memory`), and sends records
(inspector/core/records.py) at most every 250 ms from its own daemon thread. `target` holds
the helpers for reaching the target's Qt thread and asyncio loop from any thread.
"""

"""Workflow execution and the periodic status refresh of the demo app.

`refresh_status` is the `async def` that calls the blocking `read_settings()`
(`inspector/demo/settings_store.py`, `time.sleep(0.08)`) straight on the event loop at
line 29 of this file: the async -> sync -> time.sleep chain the static analyzer must show and
the blocked-loop stretch py-spy must find. Keep that line where it is.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from inspector.demo.event_bus import (
    NODE_COMPLETED,
    NODE_STARTED,
    STATUS_REFRESHED,
    WORKFLOW_COMPLETED,
    WORKFLOW_STARTED,
    EventBus,
)
from inspector.demo.pool import ConnectionPool
from inspector.demo.settings_store import read_settings


async def refresh_status(bus: EventBus) -> dict[str, Any]:
    """Re-read the settings and tell the UI; blocks the loop ~80 ms (deliberate defect)."""
    settings = read_settings()
    bus.emit(STATUS_REFRESHED, {"robots": settings.get("robots", 0)})
    return settings


# A small bundled workflow: a chain of node types, like a saved CasareRPA workflow.
BUNDLED_WORKFLOW: dict[str, Any] = {
    "name": "demo-order-check",
    "nodes": [
        {"id": "n1", "type": "demo.basic.StartNode"},
        {"id": "n2", "type": "demo.data.SetVariableNode", "work_s": 0.002},
        {"id": "n3", "type": "demo.data.HttpRequestNode", "work_s": 0.004},
        {"id": "n4", "type": "demo.control.IfNode", "work_s": 0.001},
        {"id": "n5", "type": "demo.browser.ClickNode", "work_s": 0.003},
        {"id": "n6", "type": "demo.basic.EndNode"},
    ],
}


class WorkflowRunner:
    """Runs a workflow's nodes in order on the event loop, publishing execution events."""

    def __init__(self, bus: EventBus, pool: ConnectionPool) -> None:
        self._bus = bus
        self._pool = pool
        self.runs = 0

    async def run(self, workflow: dict[str, Any] | None = None) -> dict[str, Any]:
        workflow = workflow or BUNDLED_WORKFLOW
        started = time.perf_counter()
        self._bus.emit(WORKFLOW_STARTED, {"workflow": workflow["name"]})
        for node in workflow["nodes"]:
            self._bus.emit(NODE_STARTED, {"type": node["type"]}, node_id=node["id"])
            if node["type"].endswith("HttpRequestNode"):
                conn = await self._pool.acquire()
                try:
                    await conn.execute("GET /orders")
                finally:
                    await self._pool.release(conn)
            await asyncio.sleep(node.get("work_s", 0))
            self._bus.emit(NODE_COMPLETED, {"type": node["type"]}, node_id=node["id"])
        elapsed = time.perf_counter() - started
        self._bus.emit(WORKFLOW_COMPLETED, {"workflow": workflow["name"], "elapsed_s": elapsed})
        self.runs += 1
        return {"workflow": workflow["name"], "nodes": len(workflow["nodes"]), "elapsed_s": elapsed}

"""Every record says whether it describes the app or what one of our workloads drove."""

from __future__ import annotations

import asyncio

from inspector.agent import provenance
from inspector.agent.runtime import Agent


def _flush_sources(agent: Agent) -> list[str]:
    agent.buffer.clear()
    agent.flush()
    return sorted({r["source"] for r in agent.buffer if r.get("kind") == "memory"})


def test_interval_records_carry_the_workload_that_ran_during_them() -> None:
    agent = Agent({"probes": {"memory": {"interval_s": 0.0}, "disabled": ["repaint", "loop"]}})
    assert _flush_sources(agent) == ["app"]
    provenance.run_started("workload:canvas#r1")
    assert _flush_sources(agent) == ["workload:canvas#r1"]
    provenance.run_finished("workload:canvas#r1")
    # the interval in which it finished still was driven by it; the next one is the app's
    assert _flush_sources(agent) == ["workload:canvas#r1"]
    assert _flush_sources(agent) == ["app"]
    provenance.reset()


def test_code_a_workload_runs_and_the_tasks_it_starts_are_its_own() -> None:
    seen: dict[str, str | None] = {}

    async def app_task() -> None:
        seen["app"] = provenance.driving()

    async def child() -> None:
        seen["child"] = provenance.driving()

    async def workload() -> None:
        with provenance.as_workload("workload:pools#r2"):
            await asyncio.get_running_loop().create_task(child())
        seen["after"] = provenance.driving()

    async def main() -> None:
        await asyncio.gather(workload(), app_task())

    asyncio.run(main())
    assert seen == {"child": "workload:pools#r2", "app": None, "after": None}

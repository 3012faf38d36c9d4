"""A loop stall carries the stack the agent took while the stall was still running."""

from __future__ import annotations

import asyncio
import threading
import time

from inspector.agent.runtime import Agent


class Flag:
    """Set from another thread; read without calling Python code (`Event.is_set` is a Python
    frame, and the stack taken mid-stall could end inside it)."""

    raised = False


def stalled_callback(done: Flag, seconds: float) -> None:
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline and not done.raised:
        pass  # busy on the loop: a stall


def test_a_slow_callback_carries_the_stack_taken_mid_stall() -> None:
    agent = Agent({"probes": {"slow_callback_ms": 50, "disabled": ["repaint", "memory"]}})
    loop_probe = agent.probe("loop")
    loop_probe.install()
    looked = Flag()

    def look_later() -> None:
        time.sleep(0.12)  # the agent's flush comes by while the callback still runs
        loop_probe.look_for_stall()
        looked.raised = True

    async def main() -> None:
        loop_probe.loop_thread = threading.get_ident()
        threading.Thread(target=look_later, daemon=True).start()
        # runs until the agent has looked (at most 3 s, however loaded the machine is)
        asyncio.get_running_loop().call_soon(stalled_callback, looked, 3.0)
        await asyncio.sleep(0.05)

    try:
        asyncio.run(main())
    finally:
        agent.patcher.restore_all()
    slow = [r for r in loop_probe.collect(time.time(), 1.0) if r["kind"] == "slow_callback"]
    assert [r["callable"].rsplit(".", 1)[-1] for r in slow] == ["stalled_callback"]
    record = slow[0]
    assert record["stack"][-1].endswith(f"in {stalled_callback.__name__}")
    assert record["stack"][-1].startswith(f"{__file__}:")
    assert record["stack_reason"] is None and 50 <= record["stack_at_ms"] < record["duration_ms"]


def test_a_stall_the_agent_never_saw_says_why_it_has_no_stack() -> None:
    agent = Agent({"probes": {"slow_callback_ms": 50, "disabled": ["repaint", "memory"]}})
    loop_probe = agent.probe("loop")
    loop_probe.install()

    async def main() -> None:
        asyncio.get_running_loop().call_soon(stalled_callback, Flag(), 0.3)
        await asyncio.sleep(0.05)

    try:
        asyncio.run(main())
    finally:
        agent.patcher.restore_all()
    slow = [r for r in loop_probe.collect(time.time(), 1.0) if r["kind"] == "slow_callback"]
    assert [(r["stack"], r["stack_reason"][:30]) for r in slow] == [
        (None, "over before the agent looked (")
    ]

"""A tiny real target for agent tests: a plain asyncio app with an event bus and a pool.

Run as a script. It prints marker lines the tests wait for:
  ready pid=N            the loop is running
  hooked=True|False      whenever Bus.publish changes between the original and a wrapper
  target-errors=N        how many handler exceptions the bus itself caught so far
It publishes ~200 events/s; one handler raises on every 10th event, and the bus catches and
counts that, exactly like CasareRPA's domain bus logs it. About once a second a worker
thread calls `loop.call_soon` directly and a task calls `run_until_complete`: the
wrong-thread and nested-loop hazards the agent must report.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time


class Event:
    def __init__(self, event_type: str, data: object = None) -> None:
        self.event_type = event_type
        self.data = data


class Bus:
    def __init__(self) -> None:
        self._handlers: dict[str, list] = {}
        self._history: list[Event] = []
        self.caught = 0

    def subscribe(self, event_type: str, handler: object) -> None:
        self._handlers.setdefault(event_type, []).append(handler)

    def unsubscribe(self, event_type: str, handler: object) -> None:
        self._handlers.get(event_type, []).remove(handler)

    def publish(self, event: Event) -> None:
        self._history.append(event)
        del self._history[:-100]
        for handler in list(self._handlers.get(event.event_type, [])):
            try:
                handler(event)
            except ValueError:
                self.caught += 1

    def emit(self, event_type: str, data: object = None) -> None:
        self.publish(Event(event_type, data))


class Pool:
    def __init__(self) -> None:
        self.in_use = 0

    async def acquire(self) -> object:
        await asyncio.sleep(0.001)
        self.in_use += 1
        return object()

    async def release(self, conn: object) -> None:
        self.in_use -= 1

    def get_stats(self) -> dict[str, int]:
        return {"size": 2, "in_use": self.in_use, "idle": 2 - self.in_use}


ORIGINAL_PUBLISH = Bus.publish


def on_tick(event: Event) -> None:
    sum(range(50))


def on_tick_raising(event: Event) -> None:
    if event.data % 10 == 0:
        raise ValueError("handler failure the bus must still see")


async def main(duration: float) -> None:
    bus = Bus()
    pool = Pool()
    bus.subscribe("tick", on_tick)
    bus.subscribe("tick", on_tick_raising)
    print(f"ready pid={__import__('os').getpid()}", flush=True)
    hooked = False
    errors_reported = -1
    end = time.monotonic() + duration
    i = 0
    while time.monotonic() < end:
        i += 1
        bus.emit("tick", i)
        if i % 20 == 0:
            conn = await pool.acquire()
            await pool.release(conn)
        now_hooked = Bus.publish is not ORIGINAL_PUBLISH
        if now_hooked != hooked:
            hooked = now_hooked
            print(f"hooked={hooked}", flush=True)
        if i % 150 == 0:  # deliberately unsafe: call_soon from another thread
            loop = asyncio.get_running_loop()
            threading.Thread(target=loop.call_soon, args=(on_tick, Event("tick", 1))).start()
        if i % 170 == 0:  # deliberately wrong: a nested loop entered from inside a task
            loop = asyncio.get_running_loop()
            try:
                loop.run_until_complete(loop.create_future())
            except RuntimeError:
                pass  # asyncio refuses; the agent must still have seen the attempt
        if i % 100 == 0 and bus.caught != errors_reported:
            errors_reported = bus.caught
            print(f"target-errors={bus.caught}", flush=True)
        await asyncio.sleep(0.005)
    print("done", flush=True)


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1]) if len(sys.argv) > 1 else 30.0))

"""A tiny asyncio app that blocks its own event loop: the sampling tests' known target.

`tick()` runs on the loop and calls the sync `load_config()`, which sleeps 100 ms at the line
marked BLOCKING_LINE; a worker thread burns CPU so the samples have a second thread. Runs for
argv[1] seconds (default: forever). Tests find the line by its marker, not by number.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time


def load_config() -> dict[str, int]:
    time.sleep(0.1)  # BLOCKING_LINE
    return {"retries": 3}


def checksum(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


async def tick(until: float) -> None:
    while time.monotonic() < until:
        load_config()
        await asyncio.sleep(0.15)


def worker(until: float) -> None:
    while time.monotonic() < until:
        checksum(20000)
        time.sleep(0.005)


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1e9
    until = time.monotonic() + seconds
    threading.Thread(target=worker, args=(until,), name="cpu-worker", daemon=True).start()
    print("ready", flush=True)
    asyncio.run(tick(until))


if __name__ == "__main__":
    main()

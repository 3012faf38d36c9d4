"""Loop lag is measured from the tick the probe expected, not from when it started."""

from __future__ import annotations

from typing import Any

from inspector.agent.probes.loop import LoopProbe


class FakeLoop:
    """Just what the probe's tick uses: a settable clock and call_later."""

    def __init__(self) -> None:
        self.now = 100.0
        self.scheduled: list[tuple[float, Any]] = []

    def time(self) -> float:
        return self.now

    def call_later(self, delay: float, callback: Any) -> object:
        self.scheduled.append((delay, callback))
        return object()


def test_lag_is_time_past_the_expected_tick_on_a_fake_clock() -> None:
    probe = LoopProbe(agent=None, config={"loop_probe_ms": 100})
    loop = FakeLoop()
    probe.loop = loop  # type: ignore[assignment]
    probe._expected = loop.time()  # what the first tick sets (it also hooks the loop)
    probe._tick()  # at 100.000: expected now, so no lag
    loop.now = 100.125  # 100 ms period, ran 25 ms late
    probe._tick()
    loop.now = 100.225  # the next tick was due at 100.225: on time
    probe._tick()
    loop.now = 100.400  # due at 100.325: 75 ms late
    probe._tick()
    assert [round(v, 3) for v in probe.lags] == [0.0, 25.0, 0.0, 75.0]
    assert [d for d, _ in loop.scheduled] == [0.1, 0.1, 0.1, 0.1]

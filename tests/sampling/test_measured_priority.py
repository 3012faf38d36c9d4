"""The measured-priority table: a small share is never CRITICAL, a one-off is not a priority."""

from __future__ import annotations

from inspector.sampling.measured_priority import measured_priority


def test_a_share_under_point_two_percent_is_never_critical() -> None:
    p = measured_priority(1, share=0.0019, block_ms=5000.0, per_minute=10_000.0, count=500)
    assert (p.impact, p.frequency, p.score, p.category.value) == (2, 10, 68, "HIGH")


def test_a_one_off_stall_is_medium_at_most_however_long_and_large() -> None:
    p = measured_priority(3, share=0.03, block_ms=2000.0, per_minute=0.5, count=1)
    assert (p.impact, p.frequency, p.score, p.category.value) == (4, 2, 44, "MEDIUM")
    repeated = measured_priority(3, share=0.03, block_ms=2000.0, per_minute=0.5, count=3)
    assert (repeated.impact, repeated.frequency) == (10, 4)


def test_the_issues_one_off_boundingrect_stall_is_low() -> None:
    # DYN-BLOCKED-LOOP "blocked up to 137 ms (1x)", 0.1 % of loop time, on the real canvas
    p = measured_priority(4, share=0.001, block_ms=137.0, per_minute=0.67, count=1)
    assert (p.score, p.category.value) == (22, "LOW")


def test_memory_and_error_impacts_take_part_like_the_others() -> None:
    p = measured_priority(2, impact=8, per_minute=157.0)
    assert (p.impact, p.frequency, p.score) == (8, 9, 121)

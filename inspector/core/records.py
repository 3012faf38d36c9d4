"""The record kinds the agent sends and the session stores: the contract between them.

Every record is a JSON object with `t` (epoch seconds, end of the interval it covers) and
`kind`. The agent aggregates per flush interval (<= 250 ms), so a record summarises an
interval; `*_ms` lists are bounded samples of durations from that interval (at most
`MAX_DURATIONS` each), enough for p50/p95 while keeping the wire bounded.

kind="bus"        bus, events: {event_type: count}, subscribers: {event_type: n},
                  history: int | None, interval_s
kind="handler"    bus, event, handler (qualified name), file, line, count, errors,
                  durations_ms: [..], max_ms
kind="repaint"    widget_class, object_name, paints, update_requests, paint_ms: [..],
                  area_px, full_updates, partial_updates, is_canvas: bool
kind="pool"       pool (class qualname), pool_id, size, in_use, idle, waiters, acquires,
                  releases, wait_ms: [..], created, closed, evicted
kind="pool_leak"  pool, pool_id, held_s, stack: [str]
kind="loop_lag"   lag_ms: [..], max_ms, tasks: int, loop: "qasync"|"asyncio"
kind="slow_callback" duration_ms, callable, file, line, task, source: "asyncio"|"qt-event"
kind="hazard"     hazard: "nested_loop"|"wrong_thread", detail, stack: [str]
kind="memory"     rss_bytes, gc_counts: [g0, g1, g2], gc_pause_ms: [..], containers: {name: len}
kind="tracemalloc" top: [{file, line, size_diff, count_diff}]
kind="queue"      queue, enqueues, dequeues, dequeue_ms: [..], depth
kind="workload"   name, params, status: "ok"|"failed"|"unsupported", reason, results: {..}
kind="agent"      event: "hello"|"hooked"|"detached"|"dropped"|"error", detail, python, hooks,
                  dropped: int

Fields the agent adds beyond the above (readers must treat them as optional):
  bus             fanout: {event_type: handler calls per event in the interval}
  handler         `count` is every call; `durations_ms` holds timed calls (all of the first
                  32 per interval and event type, then every 8th); `errors` counts raises
  pool            name (profile name); a pool class with no live object reports zeros once
                  a second with pool_id None and hooked: bool (False = its module was never
                  imported by the target, so nothing could use it)
  queue           name (profile name)
  slow_callback   suspended_at: line the task's coroutine stopped at (asyncio task steps)
  memory          agent_bytes: rough size of the agent's own aggregates
  agent           source_root: folder of the profile's source_package in the target;
                  pending: "module:Class" probe targets whose module is not imported (yet)
"""

from __future__ import annotations

MAX_DURATIONS = 256

KINDS = (
    "bus",
    "handler",
    "repaint",
    "pool",
    "pool_leak",
    "loop_lag",
    "slow_callback",
    "hazard",
    "memory",
    "tracemalloc",
    "queue",
    "workload",
    "agent",
)

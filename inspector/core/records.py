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

Provenance (every kind): `source` is "app", or "workload:<name>#<run_id>" (comma-joined when
several ran) for a record that covers an interval in which one of our workloads drove the
target; bus and handler records are split per call instead: events our workload published
(and the app's handlers' calls for them) are in a record of their own whose `source` is the
workload's label, and the "app" record holds only the app's own publications; a pool record's
`source` is whoever used that pool object first (the pools workload builds its own pools).
Older sessions have no `source` (slow_callback used it for what is now `origin`).

  repaint         timed: bool - True for the viewports the profile names (every paint counted
                  and timed); False for other widgets, counted only in bursts: sampled_s is
                  how many seconds of the interval the burst covered (rate = paints/sampled_s).
                  Timed records add: paint_clock: "frame_swapped" (QOpenGLWidget: Paint event
                  to frameSwapped, so the GL rasterizer's work is inside) | "posted_marker"
                  (Paint event to an event posted at its start: an upper bound); lost_paints;
                  viewport: {viewport_class, opengl, width, height, samples_requested,
                  samples (the context's), gl_renderer, software_gl, update_mode, cache_mode,
                  item_count, proxy_widgets}; view_source / owner_source: {class, file, line,
                  configures: [{call, line, code}]} - the view class and the app's own widget
                  class around it (profile source_package), with the lines in them that set
                  the viewport up (setViewport, setViewportUpdateMode, setCacheMode,
                  setSamples, QOpenGLWidget(...), ...). full_updates counts paints whose
                  update region covers the whole widget.
  handler         error_types: {exception type: n} this interval; first_error (once per
                  handler and attachment, on the first record with errors): {type, message,
                  file, line, function (where it was raised), traceback (bounded text)}
  slow_callback   origin: "asyncio"|"qt-event"; stack: ["file:line in function", ...]
                  (outermost first) of the GUI thread taken while the stall was still running
                  (the agent looks at each flush, <= 250 ms; the deepest of up to 3 looks;
                  a shallow one ending in the event loop means
                  native code such as Qt painting ran), stack_at_ms; stack_reason when there
                  is none. A measured canvas paint is callable "native Qt paint of <widget>"
                  with file/line of the app's class that sets the view up (the repaint
                  record's owner_source), else of the view class.
  tracemalloc     from a workload's phases (canvas with tracemalloc on, or the inspector
                  tracing): phase: "after_create"|"after_delete", base: "before_create",
                  workload, run_id, items (created), frames (per trace), grown_bytes,
                  grown_bytes_per_item; top[] adds frames: [{file, line}] (oldest first; the
                  site's file/line is the innermost) and bytes_per_item
kind="exception"  origin: "slot" (reached sys.excepthook: Qt slots and other code Qt calls)
                  | "loop" (the event loop's exception handler: callbacks, tasks), type,
                  handler (qualified name of the app's outermost frame in the traceback),
                  file, line (its first line), raised_file, raised_line, count (this
                  interval); first_error {type, message, file, line, function, traceback} once
                  per (origin, type, handler) and attachment. Bus handlers' exceptions are in
                  kind="handler" (the bus catches them before any hook sees them).
  workload        canvas results add full_paints, paint_clock and retained_kib_per_node (RSS
                  still held after the nodes were deleted, per node created, spread over
                  repetitions)
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
    "exception",
)

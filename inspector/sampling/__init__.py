"""py-spy sampling: recorder, parser, frame table, hot code, blocked-loop detection (Qt-free).

How samples get here, and why (measured on py-spy 0.4.3):
- `recorder.PySpyRecorder` runs `py-spy record --format chrometrace --threads --idle
  --nonblocking --full-filenames` in overlapping chunks (default 5 s) and cuts each handover
  at the old chunk's last event, so the session is covered without gaps or double counting.
  chrometrace is py-spy's only output with real sample times (raw/flamegraph are aggregated;
  speedscope keeps order only, and py-spy spaces samples at random exponential intervals).
- `chrometrace.parse_chrometrace` states the grammar it accepts and raises
  `errors.PySpyFormatError`; it turns py-spy's begin/end events into *runs*: a thread showed
  one stack from t to t + duration.
- `store` writes runs into the session (frames and stacks interned; samples.weight is the
  run's duration in microseconds; `active` from `activity.is_idle`).
- `attribution`: every view reads stacks with the inspector's own frames dropped and the
  native time under them named ("native Qt paint of <widget>"), never charged to us; the
  inspector's own share of the target's main thread is measured (meta "attribution").
  `--native` (py-spy unwinding through C/C++, which pauses the target) is used when asked
  and when `preflight.native_unwinding` says it works.
- Views: `profile_data` (threads, hot_functions, hot_lines, flame_tree), `speedscope`
  export, `blocking` (blocked event-loop stretches, asyncio callbacks and Qt's own dispatch,
  as dynamic findings; agent-timed stalls joined with their stacks) and `correlate`
  (evidence and measured priority on static findings, with `measured_priority`'s table);
  `advice` picks a recommendation from what the measured code is.
"""

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
- Views: `profile_data` (threads, hot_functions, hot_lines, flame_tree), `speedscope`
  export, `blocking` (blocked event-loop stretches as dynamic findings) and `correlate`
  (evidence and measured priority on static findings, with `measured_priority`'s table).
"""

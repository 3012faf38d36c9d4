"""Moved: the live-session engine is `inspector.live` (`LiveEngine`, events, workload queue).

`LiveRecording` is the old name of `LiveEngine`, kept so existing callers keep working.
"""

from inspector.live.engine import LiveEngine, demo_command

LiveRecording = LiveEngine

__all__ = ["LiveEngine", "LiveRecording", "demo_command"]

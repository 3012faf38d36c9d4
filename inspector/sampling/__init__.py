"""py-spy sampling: recorder, parser, frame table, hot code, blocked-loop detection (Qt-free)."""

"""Report renderers (Markdown, JSON, SARIF, HTML), one class each, reading a session (Qt-free)."""

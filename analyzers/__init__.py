"""Static performance analyzers for asyncio + Qt Python code (Qt-free, libcst based)."""

"""One view per live panel (event bus, repaint, pools, event loop, CPU, memory)."""

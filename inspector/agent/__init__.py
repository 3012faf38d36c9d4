"""The in-process agent. Standard library only: it runs inside someone else's interpreter."""

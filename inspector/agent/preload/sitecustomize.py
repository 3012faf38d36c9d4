"""Launch-mode preload: Python imports this at start-up when its folder is on PYTHONPATH.

Starts the casare-inspector agent when the launcher left a config in the environment, then
hands over to any sitecustomize the target itself would have imported.
"""

import os
import sys


def _start_agent() -> None:
    if not os.environ.get("CASARE_INSPECTOR_AGENT_CONFIG"):
        return
    root = os.environ.get("CASARE_INSPECTOR_AGENT_ROOT")
    if root and root not in sys.path:
        sys.path.append(root)  # appended: the target's own modules always win
    try:
        from inspector.agent import bootstrap

        bootstrap.start_from_env()
    except Exception as exc:
        print(f"casare-inspector agent: not started: {exc}", file=sys.stderr)


def _chain_next_sitecustomize() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    saved = sys.path[:]
    me = sys.modules.pop("sitecustomize", None)
    try:
        sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
        import sitecustomize  # noqa: F401  (the target's own, if it has one)
    except ImportError:
        if me is not None:
            sys.modules["sitecustomize"] = me
    finally:
        sys.path[:] = saved


_start_agent()
_chain_next_sitecustomize()

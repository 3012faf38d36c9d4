"""Entry points that start the agent inside the target: from a config file or the environment.

The config (host, port, token, the profile's [probes] and [workloads] tables, mode) arrives in
a private file that is deleted as soon as it is read, so the token never appears on a command
line or in the environment of the target's children.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from inspector.agent.runtime import STATE_KEY as _STATE_KEY
from inspector.agent.runtime import Agent

ENV_CONFIG = "CASARE_INSPECTOR_AGENT_CONFIG"


def current() -> Agent | None:
    """The running agent in this process, if any."""
    agent = getattr(sys, _STATE_KEY, None)
    return agent if isinstance(agent, Agent) and agent.running else None


def start(config: dict[str, Any]) -> Agent:
    """Start an agent; a previous one in this process is detached first (re-attach)."""
    previous = getattr(sys, _STATE_KEY, None)
    if previous is not None and getattr(previous, "running", False):
        previous.detach("replaced by a new attachment")
        previous.wait_detached(5.0)
    agent = Agent(config)
    setattr(sys, _STATE_KEY, agent)
    agent.start()
    return agent


def read_config(path: str) -> dict[str, Any]:
    """Read the bootstrap config and delete it (it holds the token)."""
    try:
        with open(path, encoding="utf-8") as fh:
            config = json.load(fh)
    finally:
        try:
            os.remove(path)
        except OSError:
            pass
    if not isinstance(config, dict):
        raise ValueError("agent config is not a JSON object")
    return config


def start_from_file(path: str) -> Agent | None:
    try:
        return start(read_config(path))
    except Exception as exc:  # never take the target down with us
        print(f"casare-inspector agent: not started: {exc}", file=sys.stderr)
        return None


def start_from_env() -> Agent | None:
    """Launch mode: the config path is in the environment (removed so children do not attach)."""
    path = os.environ.pop(ENV_CONFIG, None)
    if not path:
        return None
    config_mode = start_from_file(path)
    if config_mode is not None:
        config_mode.attached_late = False
    return config_mode
